"""Readiness (``/readyz``, the chair's system status page) and the worker's
heartbeat, with a real ``flask worker``."""
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from huey import SqliteHuey
from sqlmodel import Session, select

from app import create_app
from app.db import create_engine
from app.jobs import QUEUE_NAME, JobQueue
from app.models import WorkerHeartbeat
from app.ops import health
from app.ops.heartbeat import Heartbeat
from tests.conftest import make_test_config
from tests.databases import fresh_database, migrate
from tests.integration.test_jobs import wait_for_datagram
from tests.processes import GIVE_UP_AFTER, free_port, stop

ROOT = Path(__file__).resolve().parents[2]


def checks_of(response) -> dict[str, dict]:
    return {check["name"]: check for check in response.get_json()["checks"]}


@pytest.fixture
def real_queue(app, tmp_path, monkeypatch):
    """The app's queue as a real SQLite queue (not the testing one, where jobs
    run at once and no worker is needed)."""
    queue = JobQueue(app=app, huey=SqliteHuey(QUEUE_NAME, filename=str(tmp_path / "jobs.sqlite3")))
    monkeypatch.setitem(app.extensions, "jobs", queue)
    return queue


def test_readyz_lists_each_check_and_is_ready_in_testing(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    assert [check["name"] for check in body["checks"]] == ["database", "migrations", "job_queue", "worker", "disk"]
    assert all(check["ok"] is True and check["detail"] for check in body["checks"])
    assert checks_of(response)["migrations"]["detail"].startswith("at head ")


def test_readyz_waits_for_a_worker_heartbeat_and_notices_when_it_stops(app, client, session, real_queue):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"
    worker = checks_of(response)["worker"]
    assert worker["ok"] is False and "no worker" in worker["detail"]
    assert checks_of(response)["job_queue"] == {"name": "job_queue", "ok": True,
                                                "detail": f"{real_queue.backend}, 0 job(s) waiting"}

    heartbeat = Heartbeat(app)
    heartbeat.beat_once()  # what the worker's thread does every WORKER_HEARTBEAT_SECONDS
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert f"(pid {os.getpid()})" in checks_of(response)["worker"]["detail"]

    row = session.get(WorkerHeartbeat, heartbeat.heartbeat_id)
    row.beat_at -= timedelta(seconds=app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"] + 60)
    session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert checks_of(response)["worker"]["ok"] is False

    heartbeat.beat_once()  # the same row, refreshed
    assert client.get("/readyz").status_code == 200
    assert len(session.exec(select(WorkerHeartbeat)).all()) == 1


def test_readyz_fails_when_the_upload_disk_is_short_of_space(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "READYZ_MIN_FREE_DISK_MB", 10**12)

    response = client.get("/readyz")

    assert response.status_code == 503
    disk = checks_of(response)["disk"]
    assert disk["ok"] is False and "at least 1,000,000,000,000 MB needed" in disk["detail"]


def test_readyz_fails_when_the_database_is_behind_the_migrations(tmp_path):
    with fresh_database(tmp_path, revision="c3ea23d7367e") as url:
        app = create_app(make_test_config(url, tmp_path))
        try:
            response = app.test_client().get("/readyz")
        finally:
            app.extensions["db"].engine.dispose()

    assert response.status_code == 503
    migrations = checks_of(response)["migrations"]
    assert migrations["ok"] is False
    assert migrations["detail"].startswith("at c3ea23d7367e, head is ") and "flask db upgrade" in migrations["detail"]
    assert checks_of(response)["database"]["ok"] is True


def test_readyz_never_shows_a_password(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0")

    response = client.get("/readyz")

    assert response.status_code == 503
    check = checks_of(response)["ratelimit_redis"]
    assert check["ok"] is False and check["detail"].startswith("ConnectionError")
    assert "s3cret" not in response.get_data(as_text=True)


def test_describe_removes_credentials_from_urls():
    error = RuntimeError('could not connect to postgresql://showcase:hunter2@db.internal:5432/showcase\nmore')

    assert health.describe(error) == "RuntimeError: could not connect to postgresql://db.internal:5432/showcase"


def test_the_chair_sees_the_system_status_in_chinese(client, login, make, app, monkeypatch):
    login(make.chair())
    monkeypatch.setitem(app.config, "READYZ_MIN_FREE_DISK_MB", 10**12)

    page = client.get("/admin/status").get_data(as_text=True)

    assert "<h1 class=\"h3 mb-0\">系统状态</h1>" in page
    for linked_from in ("/admin/users", "/dashboard"):  # the chair's People page and dashboard
        assert '<a class="btn btn-outline-secondary" href="/admin/status">系统状态</a>' in client.get(linked_from).get_data(
            as_text=True) or '<a href="/admin/status">系统状态</a>' in client.get(linked_from).get_data(as_text=True)
    for label in ("数据库", "数据库结构", "任务队列", "后台任务进程", "上传目录磁盘空间"):
        assert f'<th scope="row" class="text-nowrap">{label}</th>' in page
    assert page.count("text-bg-success") == 4 and page.count("text-bg-danger") == 1
    assert "有一项系统检查未通过" in page


def test_flask_worker_records_heartbeats(tmp_path):
    """A real ``flask worker`` on a migrated database: its row appears when it
    starts and is refreshed while it runs; the readiness check sees it."""
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    migrate(url)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    env = {
        **os.environ, "FLASK_APP": "app", "SHOWCASE_ENV": "development", "LOG_FORMAT": "json",
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdef", "DATABASE_URL": url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"), "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"), "JOBS_REDIS_URL": "",
        "WORKER_HEARTBEAT_SECONDS": "1", "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
    }
    worker = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    engine = create_engine(url)
    try:
        assert wait_for_datagram(notify, worker) == b"READY=1"
        first = _wait_for_beat(engine, after=None)
        assert first.pid == worker.pid and first.host == socket.gethostname()
        second = _wait_for_beat(engine, after=first.beat_at)  # the thread's next beat
        assert (second.id, second.started_at) == (first.id, first.started_at)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=GIVE_UP_AFTER)
    finally:
        notify.close()
        stop(worker)
        worker.stdout.close()

    app = create_app(make_test_config(url, tmp_path))
    try:
        app.extensions["jobs"] = JobQueue(app=app, huey=SqliteHuey(QUEUE_NAME, filename=env["JOBS_SQLITE_PATH"]))
        last = _wait_for_beat(engine, after=None)
        fresh = health.check_worker(app, now=last.beat_at + timedelta(seconds=5))
        stale = health.check_worker(app, now=last.beat_at + timedelta(hours=1))
    finally:
        app.extensions["db"].engine.dispose()
        engine.dispose()
    assert fresh.ok and f"(pid {worker.pid})" in fresh.detail
    assert not stale.ok and "3600 s ago" in stale.detail


def _wait_for_beat(engine, *, after):
    """The worker's row, once its ``beat_at`` is later than ``after``."""
    deadline = time.monotonic() + GIVE_UP_AFTER
    while time.monotonic() < deadline:
        with Session(engine) as session:
            row = session.exec(select(WorkerHeartbeat)).first()
            if row is not None and (after is None or row.beat_at > after):
                return row
        time.sleep(0.1)
    pytest.fail("the worker recorded no heartbeat")
