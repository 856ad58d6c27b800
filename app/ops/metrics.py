"""Prometheus metrics (``METRICS_ENABLED``, off by default): requests and
their latency per endpoint, jobs by state and the queue's length.

Request metrics are counted in each process. Under gunicorn with several
workers, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder, emptied at every
start: ``deploy/gunicorn.conf.py`` does it) in the environment before the
app is imported: prometheus_client then keeps each process's values in files
there and a scrape adds them up (its multiprocess mode). Jobs by state and
the queue's length are read from the database and the queue at scrape time.

``/metrics`` is not public: only clients from ``METRICS_ALLOWED_IPS`` or
with ``Authorization: Bearer <METRICS_TOKEN>`` get it (see :func:`allowed`).
"""
import hmac
import ipaddress
import os
import time

from flask import Flask, current_app, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlmodel import select

from app.models import Brochure
from app.ops.health import queue_length

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter("showcase_http_requests_total", "HTTP requests answered, by endpoint, method and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("showcase_http_request_duration_seconds", "Time to answer a request, by endpoint",
                    ["endpoint"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def register_request_metrics(app: Flask) -> None:
    """Count every request while ``METRICS_ENABLED`` is on (read per request,
    so the setting alone decides)."""

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.get("metrics_started")
        if started is not None and current_app.config["METRICS_ENABLED"]:
            endpoint = request.endpoint or "unmatched"  # a 404 would otherwise add one label per path
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response


def allowed(config, *, remote_addr: str | None, authorization: str | None) -> bool:
    """Whether a scrape may read the metrics: the right bearer token, or a
    client address in ``METRICS_ALLOWED_IPS`` (addresses or networks)."""
    token = config["METRICS_TOKEN"]
    if token and authorization and authorization.startswith("Bearer "):
        if hmac.compare_digest(authorization[len("Bearer "):].encode(), token.encode()):
            return True
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    for item in filter(None, (part.strip() for part in config["METRICS_ALLOWED_IPS"].split(","))):
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


class _StateCollector:
    """Jobs by state and the queue's length, read when scraped."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        jobs = GaugeMetricFamily("showcase_jobs", "Background jobs (brochure builds) by kind and state",
                                 labels=["kind", "state"])
        with self.app.extensions["db"].sessionmaker() as session:
            for status, count in session.exec(select(Brochure.status, func.count()).group_by(Brochure.status)).all():
                jobs.add_metric(["brochure_build", status.value], count)
        yield jobs
        length = queue_length(self.app)
        queue = GaugeMetricFamily("showcase_queue_length", "Jobs waiting in the job queue (-1: unreachable)")
        queue.add_metric([], -1 if length is None else length)
        yield queue


def render(app: Flask) -> bytes:
    """The metrics in Prometheus' text format: this process's (or, in
    multiprocess mode, every process's) counters, then the state read now."""
    if multiprocess_dir():
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    state = CollectorRegistry()
    state.register(_StateCollector(app))
    return generate_latest(counted) + generate_latest(state)
