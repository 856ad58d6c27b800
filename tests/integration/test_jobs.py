"""The job queue: immediate in tests, a real SQLite (or Redis) queue otherwise,
and ``flask worker`` running it."""
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey

from app import jobs
from app.brochure.tasks import enqueue_build
from app.jobs import job, job_queue

ROOT = Path(__file__).resolve().parents[2]


@job()
def add_and_report(a: int, b: int) -> dict:
    """A trivial job: its result, and which app context it ran in."""
    return {"sum": a + b, "app": current_app.name, "env": current_app.config.get("SHOWCASE_ENV")}


def queue_app(tmp_path, name="queue-app", **config) -> Flask:
    """A plain (not testing) app with just the queue's settings."""
    app = Flask(name)
    app.config.update({"JOBS_REDIS_URL": "", "JOBS_SQLITE_PATH": str(tmp_path / "jobs" / "jobs.sqlite3"), **config})
    return app


def test_in_testing_jobs_run_at_once_in_an_app_context(app):
    queue = job_queue(app)

    with app.app_context():
        result = add_and_report.enqueue(2, 3)

    assert queue.huey.immediate
    assert queue is job_queue(app)  # one queue per app
    assert result.get() == {"sum": 5, "app": app.name, "env": "testing"}


def test_enqueue_build_runs_the_brochure_build(app, monkeypatch):
    calls = []

    def run_build(brochure_id):
        calls.append((brochure_id, current_app._get_current_object()))

    monkeypatch.setattr("app.brochure.worker.run_build", run_build)
    with app.app_context():
        enqueue_build(42)

    assert calls == [(42, app)]
    assert "app.brochure.tasks.build_brochure_task" in job_queue(app).tasks


def test_a_sqlite_queue_round_trip(tmp_path):
    app = queue_app(tmp_path)
    queue = job_queue(app)
    assert isinstance(queue.huey, SqliteHuey) and not queue.huey.immediate
    assert Path(app.config["JOBS_SQLITE_PATH"]).is_file()
    # Every declared job is registered, so a worker can run whatever the web queues.
    assert {"app.brochure.tasks.build_brochure_task", f"{__name__}.add_and_report"} <= set(queue.tasks)

    with app.app_context():
        result = add_and_report.enqueue(20, 22)
    assert queue.huey.pending_count() == 1
    assert result.get() is None  # not run yet

    # Another process would read the same file: a second Huey on it.
    reader = SqliteHuey(jobs.QUEUE_NAME, filename=app.config["JOBS_SQLITE_PATH"])
    assert reader.pending_count() == 1

    task = queue.huey.dequeue()
    value = queue.huey.execute(task)

    assert value == {"sum": 42, "app": "queue-app", "env": None}
    assert queue.huey.pending_count() == 0
    assert result.get() == value


def test_a_consumer_runs_queued_jobs_in_its_threads(tmp_path):
    app = queue_app(tmp_path)
    queue = job_queue(app)
    with app.app_context():
        results = [add_and_report.enqueue(n, n) for n in range(3)]

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = queue.huey.create_consumer(workers=2, worker_type="thread", initial_delay=0.05, max_delay=0.2)
    consumer.start()
    try:
        values = [result.get(blocking=True, timeout=300) for result in results]  # the results: the real signal
    finally:
        consumer.stop(graceful=True)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)

    assert [value["sum"] for value in values] == [0, 2, 4]
    assert {value["app"] for value in values} == {"queue-app"}


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def test_redis_is_used_when_a_url_is_set(tmp_path):
    app = queue_app(tmp_path, JOBS_REDIS_URL="redis://127.0.0.1:6379/15")

    huey = jobs.create_huey(app)

    assert isinstance(huey, RedisHuey) and not huey.immediate
    assert not Path(app.config["JOBS_SQLITE_PATH"]).exists()


@pytest.mark.skipif(not redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_a_redis_queue_round_trip(tmp_path):
    app = queue_app(tmp_path, JOBS_REDIS_URL="redis://127.0.0.1:6379/15")
    queue = job_queue(app)
    queue.huey.flush()
    try:
        with app.app_context():
            result = add_and_report.enqueue(1, 2)
        assert queue.huey.pending_count() == 1
        assert queue.huey.execute(queue.huey.dequeue())["sum"] == 3
        assert result.get()["sum"] == 3
    finally:
        queue.huey.flush()


def test_a_job_name_is_declared_once():
    def add_and_report(a, b):
        return a - b

    add_and_report.__module__ = __name__
    with pytest.raises(ValueError, match="already declared"):
        job()(add_and_report)


def test_flask_worker_help(runner):
    result = runner.invoke(args=["worker", "--help"])

    assert result.exit_code == 0, result.output
    assert "--workers" in result.output
    assert "JOBS_REDIS_URL" in result.output


def test_flask_worker_refuses_to_run_in_testing(runner):
    result = runner.invoke(args=["worker"])

    assert result.exit_code == 1
    assert "jobs run at once" in result.output


def test_flask_worker_starts_and_stops_on_ctrl_c(tmp_path):
    """A real ``flask worker``: it says it is ready as systemd's sd_notify
    protocol has it (a datagram on $NOTIFY_SOCKET, sent once its threads run
    and Ctrl+C is handled), and Ctrl+C then stops it cleanly."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    env = {
        **os.environ,
        "FLASK_APP": "app",
        "SHOWCASE_ENV": "development",
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.db'}",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "BROCHURE_CACHE_FOLDER": str(tmp_path / "cache"),
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "JOBS_REDIS_URL": "",
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
    }
    flask = Path(sys.executable).parent / "flask"
    worker = subprocess.Popen([str(flask), "worker", "--workers", "2"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for_datagram(notify, worker) == b"READY=1"
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=600)
    finally:
        notify.close()
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()  # else a failure here leaks the pipe into a later test's warnings
    assert worker.returncode == 0, output
    first = output.splitlines()[0]
    assert first.startswith("Worker: 2 thread(s) on the SQLite"), output
    assert "app.brochure.tasks.build_brochure_task" in first
    assert "Huey consumer started with 2 thread" in output
    assert "Consumer exiting" in output


def wait_for_datagram(notify: socket.socket, process: subprocess.Popen, *, give_up_after: float = 600) -> bytes:
    """The first datagram on ``notify``, however long a loaded machine takes
    to start ``process``; fails at once if the process exits first."""
    waited = 0.0
    while waited < give_up_after:
        ready, _, _ = select.select([notify], [], [], 1.0)
        if ready:
            return notify.recv(64)
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before it was ready: {process.stdout.read()}")
        waited += 1.0
    pytest.fail(f"not ready after {give_up_after:.0f} s")
