"""Prometheus metrics (not public) and error reporting to a Sentry-compatible
endpoint (a local HTTP server standing in for it)."""
import gzip
import json
import os
import queue
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from prometheus_client.parser import text_string_to_metric_families

from app.enums import BrochureStatus
from app.models import Brochure
from app.ops.reporting import init_error_reporting

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def metrics_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ENABLED", True)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_IPS", "10.1.0.0/16")


def scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def healthz_count(samples) -> float:
    key = ("showcase_http_requests_total", (("endpoint", "main.healthz"), ("method", "GET"), ("status", "200")))
    return samples.get(key, 0.0)


def test_metrics_are_refused_without_the_token_or_an_allowed_address(client, metrics_on):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 403
    allowed = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert allowed.status_code == 200 and b"showcase_queue_length" in allowed.data


def test_metrics_are_off_unless_enabled(client):
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_metrics_count_requests_per_endpoint_and_read_jobs_and_the_queue(client, metrics_on, make, session):
    call = make.call()
    session.add_all([Brochure(call_id=call.id, status=BrochureStatus.DONE),
                     Brochure(call_id=call.id, status=BrochureStatus.DONE),
                     Brochure(call_id=call.id, status=BrochureStatus.FAILED)])
    session.commit()
    before = healthz_count(scrape(client))
    client.get("/healthz")
    client.get("/healthz")

    samples = scrape(client)

    assert healthz_count(samples) == before + 2
    assert samples[("showcase_http_request_duration_seconds_count", (("endpoint", "main.healthz"),))] >= 2
    assert samples[("showcase_queue_length", ())] == 0  # testing: jobs run at once, nothing waits
    assert samples[("showcase_jobs", (("kind", "brochure_build"), ("state", "done")))] == 2
    assert samples[("showcase_jobs", (("kind", "brochure_build"), ("state", "failed")))] == 1


def test_error_reporting_starts_only_with_a_dsn(app):
    assert init_error_reporting(app) is False
    assert not sentry_sdk.get_client().is_active()


class _Collector(BaseHTTPRequestHandler):
    """Stands in for Sentry's ingest: keeps every envelope it is sent."""

    received: "queue.Queue[bytes]"

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":  # the SDK uses Brotli when the package is installed
            import brotli

            body = brotli.decompress(body)
        self.received.put((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


_SCRIPT = """
import sentry_sdk
from app import create_app
from tests.conftest import make_test_config
from pathlib import Path
import sys

app = create_app(make_test_config(sys.argv[1], Path(sys.argv[2]), SENTRY_DSN=sys.argv[3]))

@app.route("/boom")
def boom():
    return 1 / 0

response = app.test_client().get("/boom", headers={"X-Request-ID": "req-sentry-0042"})
assert response.status_code == 500, response.status_code
sentry_sdk.flush(timeout=60)
print("sent")
"""


def test_an_unexpected_error_is_reported_to_the_dsn_with_its_request_id(tmp_path):
    _Collector.received = queue.Queue()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/42"
    try:
        result = subprocess.run(
            [sys.executable, "-c", _SCRIPT, f"sqlite:///{tmp_path / 'sentry.db'}", str(tmp_path), dsn],
            cwd=ROOT, env={**os.environ, "TEST_DATABASE_URL": ""}, capture_output=True, text=True, timeout=600,
        )
        assert result.returncode == 0, result.stderr
        events = []
        while not events:
            path, body = _Collector.received.get(timeout=120)  # sent before the script flushed and exited
            assert path == "/api/42/envelope/"
            lines = [json.loads(line) for line in body.splitlines() if line.strip().startswith(b"{")]
            events = [line for line in lines if line.get("exception")]
    finally:
        server.shutdown()
        server.server_close()

    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "ZeroDivisionError"
    assert event["tags"]["request_id"] == "req-sentry-0042"
    assert event["environment"] == "testing"
    assert "cookies" not in event.get("request", {})
