"""Real processes for the production-stack and fault tests (and the soak bench):
an own PostgreSQL (``initdb`` in a temporary folder), an own ``redis-server``,
a local SMTP server (aiosmtpd), gunicorn and ``flask worker`` with the
production configuration.

Every process starts in a session of its own and is registered with a
:class:`Processes` registry, which stops and reaps all of them at the end
(SIGTERM to the process group, then SIGKILL), whatever happened. Each one
logs to a file; :meth:`Processes.logs` gives their tails for assertion
messages. Nothing waits by sleeping: readiness is a TCP port that accepts,
systemd's ``READY=1`` datagram, or a condition polled until it holds, with
generous time limits as a safety net only.
"""
import os
import pwd
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: The safety net of every wait (a loaded 2-core machine starts slowly).
PATIENCE = 180.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition: Callable[[], object], what: str, *, timeout: float = PATIENCE, interval: float = 0.05,
               logs: Callable[[], str] = lambda: ""):
    """Poll ``condition`` until it returns something true (returned); fail
    with ``what`` and the logs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")
        time.sleep(interval)


def postgres_binaries() -> tuple[str, str] | None:
    """``initdb`` and ``pg_ctl``, from the PATH, /usr/local/bin or Debian's folder."""
    found = []
    for name in ("initdb", "pg_ctl"):
        path = shutil.which(name) or next(
            (str(p) for p in [Path("/usr/local/bin") / name, *sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))]
             if p.exists()), None)
        if path is None:
            return None
        found.append(path)
    return found[0], found[1]


def missing_servers() -> str | None:
    """Why the stack cannot be started here (None: it can)."""
    if postgres_binaries() is None:
        return "PostgreSQL's initdb/pg_ctl are not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a 'postgres' user to run PostgreSQL as"
    return None


@dataclass
class Service:
    """A started process, its log file, and how it is stopped."""

    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, chars: int = 4000) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return f"== {self.name}: no log"
        return f"== {self.name} (pid {self.pid}, {'running' if self.alive() else f'exit {self.process.returncode}'}), " \
               f"{self.log}:\n{text[-chars:]}"

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to its process group, SIGKILL after ``timeout``; reaped."""
        if self.process.poll() is None:
            _signal_group(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        _signal_group(self.pid, signal.SIGKILL)  # children left behind by a killed parent
        if self.process.poll() is None:
            self.process.wait()

    def kill(self) -> None:
        """``kill -9`` of this process alone (its children are left as a crash leaves them)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Processes:
    """The registry of every process a test started; :meth:`close` stops them all."""

    folder: Path
    services: list[Service] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def start(self, name: str, args: list[str], *, env: dict | None = None, user: str | None = None) -> Service:
        log = self.folder / f"{name}.log"
        if user is not None:
            args = ["runuser", "-u", user, "--", *args]
        with log.open("ab") as out:
            process = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def logs(self) -> str:
        return "\n".join(service.tail() for service in self.services)

    def close(self) -> None:
        for service in reversed(self.services):
            service.stop()
        for closer in reversed(self.closers):
            closer()


# --- PostgreSQL ---------------------------------------------------------------------


class PostgresServer:
    """An own PostgreSQL cluster in a temporary folder on a free port (trust
    authentication, listening on 127.0.0.1 only); as root it runs as the
    ``postgres`` user, which owns the folder."""

    def __init__(self, processes: Processes):
        self.processes = processes
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="showcase-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.folder, self.user)
        self.initdb, self.pg_ctl = postgres_binaries()
        processes.closers.append(self.remove)
        self._run([self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _run(self, args: list[str]) -> None:
        if self.user:
            args = ["runuser", "-u", self.user, "--", *args]
        result = subprocess.run(args, capture_output=True, text=True, cwd=self.folder)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                                 f"{self.tail()}")

    def tail(self) -> str:
        try:
            return f"== postgres log {self.log}:\n{self.log.read_text(errors='replace')[-3000:]}"
        except OSError:
            return ""

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run([self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "120", "start"])
        wait_until(lambda: port_accepts(self.port), f"PostgreSQL on port {self.port}", logs=self.tail)

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "120", "stop"])

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except AssertionError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres(processes: Processes) -> PostgresServer:
    server = PostgresServer(processes)
    server.start()
    return server


# --- Redis ----------------------------------------------------------------------------


def start_redis(processes: Processes) -> tuple[Service, str]:
    """An own redis-server on a free port, nothing persisted; returns it and its URL."""
    port = free_port()
    folder = processes.folder / "redis"
    folder.mkdir(exist_ok=True)
    service = processes.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                        "--appendonly", "no", "--dir", str(folder)])
    wait_until(lambda: port_accepts(port) or not service.alive(), f"redis-server on port {port}", logs=service.tail)
    assert service.alive(), service.tail()
    return service, f"redis://127.0.0.1:{port}/0"


# --- SMTP -----------------------------------------------------------------------------


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free port, in a thread of the test;
    it keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in str(message["To"])]

    def stop(self) -> None:
        self.controller.stop()


# --- the app: gunicorn and the worker ---------------------------------------------------


def production_env(*, database_url: str, redis_url: str, smtp_port: int, base_url: str, folder: Path,
                   **overrides: str) -> dict[str, str]:
    """The environment of a production deployment: every required setting, the
    job queue and the rate limits in Redis, files in ``folder``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SHOWCASE_", "DATABASE_", "TEST_DATABASE", "MAIL_", "JOBS_", "RATELIMIT_"))}
    return env | {
        "FLASK_APP": "app",
        "SHOWCASE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": base_url,
        "DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "JOBS_REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "BROCHURE_FOLDER": str(folder / "brochures"),
        "BROCHURE_CACHE_FOLDER": str(folder / "brochure-cache"),
        "JOBS_SQLITE_PATH": str(folder / "jobs.sqlite3"),
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "BROCHURE_WORKERS": "1",
    } | overrides


def flask_command(env: dict[str, str], *args: str) -> str:
    """Run ``flask ARGS`` with ``env``; its output (fails the test on an error)."""
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def start_gunicorn(processes: Processes, env: dict[str, str], port: int, *, workers: int = 3,
                   name: str = "gunicorn", options: tuple[str, ...] = ()) -> Service:
    """gunicorn serving ``create_app()`` on 127.0.0.1:``port``; its access log
    names the worker (pid) that served each request. Returns once every
    worker answers (each has loaded the app)."""
    access = processes.folder / f"{name}-access.log"
    service = processes.start(name, [
        str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
        "--no-control-socket",  # else every gunicorn on the machine shares ~/.gunicorn/gunicorn.ctl
        "--access-logfile", str(access), "--access-logformat", "%(p)s %(s)s %(m)s %(U)s", *options,
        "app:create_app()",
    ], env=env)
    wait_until(lambda: port_accepts(port) or not service.alive(), f"gunicorn on port {port}", logs=processes.logs)
    assert service.alive(), processes.logs()
    wait_until(lambda: len(gunicorn_workers(service.pid)) == workers or not service.alive(),
               f"{workers} gunicorn workers", logs=processes.logs)
    return service


def gunicorn_workers(master_pid: int) -> list[int]:
    """The pids of a gunicorn master's workers (its children)."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


def access_log_pids(processes: Processes, name: str = "gunicorn", path_prefix: str = "") -> list[int]:
    """The pid of the worker that served each request so far (in order)."""
    access = processes.folder / f"{name}-access.log"
    if not access.exists():
        return []
    pids = []
    for line in access.read_text().splitlines():
        pid, _status, _method, path = line.split(" ", 3)
        if path.startswith(path_prefix):
            pids.append(int(pid.strip("<>")))  # gunicorn writes the pid as <1234>
    return pids


def start_worker(processes: Processes, env: dict[str, str], *, name: str = "worker") -> Service:
    """``flask worker``, returned once it reports ``READY=1`` (systemd's
    sd_notify datagram) on a socket of the test's."""
    address = processes.folder / f"{name}-notify.sock"
    address.unlink(missing_ok=True)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(address))
    try:
        service = processes.start(name, [str(BIN / "flask"), "worker"], env=env | {"NOTIFY_SOCKET": str(address)})
        deadline = time.monotonic() + PATIENCE
        while True:
            ready, _, _ = select.select([notify], [], [], 0.5)
            if ready and notify.recv(64) == b"READY=1":
                return service
            if not service.alive():
                raise AssertionError(f"flask worker exited before it was ready\n{processes.logs()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"flask worker not ready after {PATIENCE:.0f} s\n{processes.logs()}")
    finally:
        notify.close()
        address.unlink(missing_ok=True)


def vm_rss_kib(pid: int) -> int:
    """A process's resident memory (VmRSS, KiB) from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")
