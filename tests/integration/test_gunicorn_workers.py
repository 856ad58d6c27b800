"""gunicorn as ``deploy/gunicorn.conf.py`` runs it spreads connections over
its workers. On one shared listening socket the worker that registered first
won almost every accept (82–100 % of the load bench's keep-alive
connections), so requests queued behind its threads while the others idled."""
import os
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

from tests.processes import GIVE_UP_AFTER, free_port, stop, wait_for_port
from tests.stack.processes import wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKERS = 3


def test_keep_alive_connections_are_spread_over_every_worker(tmp_path):
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ, "SHOWCASE_ENV": "development", "SECRET_KEY": "spread-test-secret-key-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(WORKERS), "GUNICORN_THREADS": "2",
    }
    log = (tmp_path / "gunicorn.log").open("w+")
    web = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                            "--no-control-socket", "--access-logfile", str(access_log),
                            "--access-logformat", "%(p)s %(U)s %(q)s"],
                           cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    connections = []
    try:
        wait_for_port(port, process=web)
        # Each client opens its own connection and keeps it open (as browsers
        # and nginx's upstream keep-alive do), one request on each, until every
        # worker has served one: each worker binds its socket as it starts, so
        # the first connections may all go to the first worker up.
        served: set[str] = set()
        give_up = time.monotonic() + GIVE_UP_AFTER
        while len(served) < WORKERS and time.monotonic() < give_up and web.poll() is None:
            connection = HTTPConnection("127.0.0.1", port, timeout=GIVE_UP_AFTER)
            connection.request("GET", "/healthz?first")
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            connections.append(connection)
            served = set(workers_that_served(access_log, "first"))
        # Once all are up, a burst: 60 clients connect at once (as at the start of an
        # evening's review), then each sends its request.
        burst = [HTTPConnection("127.0.0.1", port, timeout=GIVE_UP_AFTER) for _ in range(60)]
        connections.extend(burst)
        for connection in burst:
            connection.connect()
        for connection in burst:
            connection.request("GET", "/healthz?later")
        for connection in burst:
            connection.getresponse().read()
        # A worker writes its access line after the response: wait for all 60.
        wait_until(lambda: len(workers_that_served(access_log, "later")) == 60, "60 access log lines")
        later = workers_that_served(access_log, "later")
    finally:
        for connection in connections:
            connection.close()
        stop(web)
        log.close()
    assert len(served) == WORKERS, (tmp_path / "gunicorn.log").read_text()
    # Each worker's share of 60 connections: 20 expected; below 5 by chance less than once in 10⁵ runs.
    assert len(later) == 60 and all(later.count(pid) >= 5 for pid in served), later


def workers_that_served(access_log: Path, query: str) -> list[str]:
    """The pid of the worker that served each ``/healthz?<query>`` so far."""
    return [line.split()[0] for line in access_log.read_text().splitlines() if line.endswith(f"/healthz {query}")]
