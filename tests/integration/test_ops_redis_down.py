"""Redis down: logins go on (rate limits fall back to each process's memory,
with a warning), ``/readyz`` reports the queue unavailable, the brochure page
says builds are delayed and refuses to start one with a clear message.

Each test starts its own ``redis-server`` on a free port and stops it (the
shared one at 6379 is never touched); the last one runs the production
configuration as real processes: gunicorn with two workers from
``deploy/gunicorn.conf.py``, and ``flask worker``.
"""
import json
import os
import re
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from huey import RedisHuey
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from app.enums import Role
from app.jobs import QUEUE_NAME, JobQueue
from app.models import Brochure
from app.ops.heartbeat import Heartbeat
from tests.databases import migrate
from tests.processes import GIVE_UP_AFTER, free_port, redis_server, stop, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "Harbor-lantern-47-Quill"
METRICS_TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def redis_for_app(app, tmp_path, monkeypatch):
    """The app's rate-limit storage setting and job queue on a Redis of the
    test's own (the queue a real one, not testing's immediate mode), with a
    worker's heartbeat recorded."""
    with redis_server(tmp_path / "redis") as server:
        monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", server.url)
        monkeypatch.setitem(app.config, "JOBS_REDIS_URL", server.url)
        queue = JobQueue(app=app, huey=RedisHuey(QUEUE_NAME, url=server.url))
        monkeypatch.setitem(app.extensions, "jobs", queue)
        Heartbeat(app).beat_once()
        yield server


def checks_of(response) -> dict[str, dict]:
    return {check["name"]: check for check in response.get_json()["checks"]}


def test_readyz_reports_the_queue_and_redis_unavailable_when_redis_stops(client, redis_for_app):
    up = client.get("/readyz")
    assert up.status_code == 200, up.get_json()
    assert checks_of(up)["ratelimit_redis"] == {"name": "ratelimit_redis", "ok": True,
                                                "detail": f"Redis at 127.0.0.1:{redis_for_app.port} answers"}

    redis_for_app.stop()
    down = client.get("/readyz")

    assert down.status_code == 503
    checks = checks_of(down)
    for name in ("job_queue", "ratelimit_redis"):
        assert checks[name]["ok"] is False
        assert checks[name]["detail"].startswith("ConnectionError: Error 111 connecting to 127.0.0.1:")
    assert checks["database"]["ok"] and checks["migrations"]["ok"] and checks["disk"]["ok"]


def test_the_brochure_page_says_builds_are_delayed_and_starting_one_is_refused(
        client, login, make, session, redis_for_app):
    call = make.call()
    login(make.staff(Role.PUBLICITY))
    notice = "暂时无法连接任务队列，宣传册生成将延后"
    assert notice not in client.get(f"/brochure/?call={call.id}").get_data(as_text=True)

    redis_for_app.stop()
    page = client.get(f"/brochure/?call={call.id}").get_data(as_text=True)
    assert notice in page and 'id="queue-unavailable"' in page

    response = client.post(f"/brochure/calls/{call.id}/build", data={
        "snapshot": "", "entries": "", "order": "domain", "profile": "screen", "title": "案例集",
        "subtitle": "", "year": str(call.year), "foreword": "", "back_text": ""})
    assert response.status_code == 200
    assert "无法连接任务队列，现在无法开始生成。请稍后再试" in response.get_data(as_text=True)
    assert session.exec(select(Brochure).where(Brochure.call_id == call.id)).all() == []


# --- the production configuration, as real processes ------------------------------------------


class Browser:
    """Enough of a browser over plain HTTP: cookies kept by hand (the session
    cookie is ``Secure`` in production, which http.cookiejar would not send
    back over HTTP)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, headers: dict | None = None):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=GIVE_UP_AFTER)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        connection.close()
        return response, text

    def log_in(self, email: str, password: str):
        _, page = self.request("GET", "/account/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return self.request("POST", "/account/login", form={"csrf_token": token, "email": email, "password": password})


def healthz_requests(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "showcase_http_requests_total" and sample.labels.get("endpoint") == "main.healthz":
                return sample.value
    return 0.0


def test_production_processes_keep_logging_in_when_redis_goes_down(tmp_path):
    database = f"sqlite:///{tmp_path / 'showcase.db'}"
    migrate(database)
    port = free_port()
    with redis_server(tmp_path / "redis") as server:
        env = {
            **os.environ, "FLASK_APP": "app", "SHOWCASE_ENV": "production",
            "SECRET_KEY": "production-test-secret-key-0123456789abcdef", "BASE_URL": f"http://127.0.0.1:{port}",
            "DATABASE_URL": database, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(free_port()),
            "RATELIMIT_STORAGE_URI": server.url, "JOBS_REDIS_URL": server.url.replace("/0", "/1"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"), "BROCHURE_FOLDER": str(tmp_path / "brochures"),
            "BROCHURE_CACHE_FOLDER": str(tmp_path / "cache"), "WORKER_HEARTBEAT_SECONDS": "1",
            "READYZ_MIN_FREE_DISK_MB": "1", "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2",
            "METRICS_ENABLED": "true", "METRICS_TOKEN": METRICS_TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        }
        created = subprocess.run([str(BIN / "flask"), "users", "create", "chair@example.gov.cn", "--role", "chair",
                                  "--password", PASSWORD], cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=GIVE_UP_AFTER)
        assert created.returncode == 0, created.stderr
        web_log, worker_log = (tmp_path / "web.log").open("w+"), (tmp_path / "worker.log").open("w+")
        web = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                               cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT)
        worker = subprocess.Popen([str(BIN / "flask"), "worker"], cwd=ROOT, env=env, stdout=worker_log,
                                  stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process=web)
            anonymous = Browser(port)
            ready = _wait_until_ready(anonymous, worker)

            response, _ = Browser(port).log_in("chair@example.gov.cn", PASSWORD)
            assert (response.status, response.headers["Location"]) == (302, "/dashboard")
            assert any(key.startswith(b"LIMITS:") for key in redis.Redis(port=server.port).keys("*"))

            for _ in range(6):
                anonymous.request("GET", "/healthz")
            _, metrics = anonymous.request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            # Counted by two gunicorn workers, added up through PROMETHEUS_MULTIPROC_DIR.
            assert healthz_requests(metrics) == 6

            server.stop()
            for attempt in range(4):  # each gunicorn worker falls back on its own
                response, _ = Browser(port).log_in("chair@example.gov.cn", PASSWORD)
                assert (response.status, response.headers["Location"]) == (302, "/dashboard"), attempt
            response, body = anonymous.request("GET", "/readyz")
            _, metrics = anonymous.request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        finally:
            stop(web)
            stop(worker)
            web_log.close()
            worker_log.close()

    assert ready["status"] == "ok"
    assert response.status == 503
    checks = {check["name"]: check for check in json.loads(body)["checks"]}
    assert not checks["job_queue"]["ok"] and not checks["ratelimit_redis"]["ok"] and checks["worker"]["ok"]
    assert "showcase_queue_length -1.0" in metrics

    lines = [json.loads(line) for line in (tmp_path / "web.log").read_text().splitlines() if line.startswith("{")]
    fallbacks = [line for line in lines if "falling back to in-memory storage" in line["message"]]
    assert fallbacks and all(line["level"] == "WARNING" and line["logger"] == "flask-limiter" for line in fallbacks)
    logins = [line for line in lines if line["logger"] == "app.requests" and line.get("endpoint") == "accounts.login"
              and line["method"] == "POST"]
    assert len(logins) == 5 and {line["status"] for line in logins} == {302}
    assert all(isinstance(line["user_id"], int) and re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
               and line["duration_ms"] > 0 for line in logins)


def _wait_until_ready(browser: Browser, worker: subprocess.Popen) -> dict:
    """``/readyz`` once it answers 200: the worker's first heartbeat is in."""
    deadline = time.monotonic() + GIVE_UP_AFTER
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"flask worker exited with {worker.returncode}")
        response, body = browser.request("GET", "/readyz")
        if response.status == 200:
            return json.loads(body)
        time.sleep(0.2)
    pytest.fail(f"not ready: {body}")
