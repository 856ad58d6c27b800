"""gunicorn as ``deploy/gunicorn.conf.py`` runs it spreads connections over
its workers. On one shared listening socket the worker that registered first
won almost every accept (82–100 % of the load bench's keep-alive
connections), so requests queued behind its threads while the others idled."""
import os
from http.client import HTTPConnection

from tests.stack import processes as proc

WORKERS = 3
BURST = 60
WARM_UP_PATH = "/static/favicon.svg"


def test_keep_alive_connections_are_spread_over_every_worker(tmp_path):
    env = {
        **os.environ, "SHOWCASE_ENV": "development", "SECRET_KEY": "spread-test-secret-key-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}", "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "GUNICORN_THREADS": "2",
    }
    processes = proc.Processes(tmp_path)
    connections = []
    try:
        port = proc.free_port()
        gunicorn = proc.start_gunicorn(processes, env, port, workers=WORKERS,
                                       options=("-c", str(proc.ROOT / "deploy" / "gunicorn.conf.py")))
        # Each client opens its own connection and keeps it open (as browsers
        # and nginx's upstream keep-alive do), one request on each, until every
        # worker has served one: each worker binds its own socket as it starts,
        # so the first connections may all go to the first worker up.
        def every_worker_served() -> bool:
            connection = HTTPConnection("127.0.0.1", port, timeout=proc.PATIENCE)
            connection.request("GET", WARM_UP_PATH)
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            connections.append(connection)
            return len(set(proc.access_log_pids(processes, path_prefix=WARM_UP_PATH))) == WORKERS

        proc.wait_until(every_worker_served, f"a request served by each of {WORKERS} workers", logs=processes.logs)
        # Then a burst: 60 clients connect at once (as at the start of an
        # evening's review), then each sends its request.
        burst = [HTTPConnection("127.0.0.1", port, timeout=proc.PATIENCE) for _ in range(BURST)]
        connections.extend(burst)
        for connection in burst:
            connection.connect()
        for connection in burst:
            connection.request("GET", "/healthz")
        for connection in burst:
            response = connection.getresponse()
            assert response.status == 200 and response.read()
        # A worker writes its access line after the response: wait for all of them.
        proc.wait_until(lambda: len(proc.access_log_pids(processes, path_prefix="/healthz")) == BURST,
                        f"{BURST} access log lines", logs=processes.logs)
        served_by = proc.access_log_pids(processes, path_prefix="/healthz")
        workers = proc.gunicorn_workers(gunicorn.pid)
    finally:
        for connection in connections:
            connection.close()
        processes.close()
    # Each worker's share of 60 connections: 20 expected; below 5 by chance less than once in 10⁵ runs.
    assert sorted(set(served_by)) == sorted(workers), served_by
    assert all(served_by.count(pid) >= 5 for pid in workers), served_by
