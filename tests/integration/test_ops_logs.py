"""Structured logs: a request id per request (header, error pages, every
record), one line per request, one line per job in the worker."""
import io
import json
import logging
import re

from flask import Flask
from huey import SqliteHuey

from app.jobs import QUEUE_NAME, JobQueue, job
from app.ops.logs import make_handler, register_job_logging

HEX_ID = re.compile(r"[0-9a-f]{32}")


@job()
def divide(a: int, b: int) -> float:
    return a / b


def test_each_response_carries_a_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second) and first != second


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "nginx-7f3a9c01d2e4"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    too_long = client.get("/healthz", headers={"X-Request-ID": "a" * 200})

    assert kept.headers["X-Request-ID"] == "nginx-7f3a9c01d2e4"
    assert HEX_ID.fullmatch(replaced.headers["X-Request-ID"])
    assert HEX_ID.fullmatch(too_long.headers["X-Request-ID"])


def test_error_pages_show_the_request_id(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "req-0123456789"})

    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert '请求编号：<code class="user-select-all ms-1">req-0123456789</code>' in page
    assert "报告此问题时请提供该编号。" in page
    assert response.headers["X-Request-ID"] == "req-0123456789"


def test_each_request_logs_one_line_with_user_route_status_and_duration(client, login, make, caplog):
    user = login(make.chair())
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="app.requests"):
        response = client.get("/admin/users", headers={"X-Request-ID": "req-abcdef-42"})
        client.get("/healthz")

    lines = [record for record in caplog.records if record.name == "app.requests"]
    assert len(lines) == 2
    line = lines[0]
    assert response.status_code == 200
    assert (line.request_id, line.user_id, line.method, line.endpoint, line.path, line.status) == (
        "req-abcdef-42", user.id, "GET", "admin.users", "/admin/users", 200)
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0
    assert line.getMessage().startswith("GET admin.users 200 ")
    assert lines[1].endpoint == "main.healthz" and lines[1].user_id is None


def test_records_written_during_a_request_carry_its_id(app):
    stream = io.StringIO()
    handler = make_handler("text", stream=stream)
    logger = logging.getLogger("app.something")
    logger.addHandler(handler)
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "req-inside-0001"}):
            app.preprocess_request()  # the before-request hooks: the id is set
            logger.warning("inside the request")
        logger.warning("outside any request")
    finally:
        logger.removeHandler(handler)

    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("WARNING app.something [req-inside-0001]: inside the request")
    assert lines[1].endswith("WARNING app.something [-]: outside any request")


def test_the_json_format_is_one_object_per_line():
    stream = io.StringIO()
    handler = make_handler("json", stream=stream)
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET %s %s", "main.index", 200, extra={"request_id": "req-1234567890", "status": 200,
                                                               "duration_ms": 3.5, "user_id": 7})
    finally:
        logger.removeHandler(handler)

    line = json.loads(stream.getvalue())
    assert line["message"] == "GET main.index 200"
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "tests.ops.json", "req-1234567890")
    assert (line["status"], line["duration_ms"], line["user_id"]) == (200, 3.5, 7)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line["time"])


def test_the_worker_logs_each_job_with_its_id_duration_and_outcome(tmp_path, caplog):
    app = Flask("jobs-log-app")
    queue = JobQueue(app=app, huey=SqliteHuey(QUEUE_NAME, filename=str(tmp_path / "jobs.sqlite3")))
    app.extensions["jobs"] = queue
    register_job_logging(queue.huey)
    with app.app_context():
        good = divide.enqueue(6, 3)
        bad = divide.enqueue(1, 0)

    with caplog.at_level(logging.INFO, logger="app.jobs"):
        for _ in range(2):
            queue.huey.execute(queue.huey.dequeue())

    lines = [record for record in caplog.records if record.name == "app.jobs"]
    assert [(line.job_id, line.outcome) for line in lines] == [
        (good.id, "started"), (good.id, "complete"), (bad.id, "started"), (bad.id, "error")]
    assert {line.job for line in lines} == {"divide"}
    finished = [lines[1], lines[3]]
    assert all(isinstance(line.duration_ms, float) and line.duration_ms >= 0 for line in finished)
    assert (lines[1].levelno, lines[3].levelno) == (logging.INFO, logging.WARNING)
    assert lines[3].error == "ZeroDivisionError: division by zero"
