"""A ``redis-server`` of a test's own, started in a temporary folder (never
the shared one at 6379), for tests that run single processes; the
production-stack harness with its waits is :mod:`tests.stack.processes`."""
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.stack.processes import free_port, port_accepts, wait_until

__all__ = ["GIVE_UP_AFTER", "RedisServer", "free_port", "redis_server", "stop", "wait_for_port"]

#: A safety net only: every wait below ends as soon as its signal arrives.
GIVE_UP_AFTER = 120.0


def wait_for_port(port: int, *, process: subprocess.Popen | None = None, give_up_after: float = GIVE_UP_AFTER) -> None:
    """Until something accepts connections on ``port`` (fails at once if ``process`` exits first)."""

    def exited() -> bool:
        return process is not None and process.poll() is not None

    wait_until(lambda: port_accepts(port) or exited(), f"something listening on {port}", timeout=give_up_after)
    if exited():
        output = process.stdout.read() if process.stdout else ""
        pytest.fail(f"exited with {process.returncode} before listening on {port}: {output}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then wait for the process to exit (SIGKILL only as a safety net)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=GIVE_UP_AFTER)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A ``redis-server`` of the test's own, on a free port."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        wait_for_port(self.port, process=self.process)
        redis.Redis(port=self.port).ping()

    def stop(self) -> None:
        """Stop it and wait until the process has exited (the port is closed then)."""
        if self.process is not None:
            stop(self.process)
            self.process.stdout.close()


@contextmanager
def redis_server(folder: Path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
