"""gunicorn's configuration for Scenario Showcase, read from the environment
(the systemd unit's EnvironmentFile, /etc/showcase/showcase.env):

    gunicorn -c deploy/gunicorn.conf.py

GUNICORN_BIND (127.0.0.1:8000: nginx in front), GUNICORN_WORKERS (3),
GUNICORN_THREADS (4), GUNICORN_TIMEOUT (120 s: the longest request, an
export or a PDF). Requests are logged by the app itself (one structured line
each, with its request id), so gunicorn's access log is off.

With PROMETHEUS_MULTIPROC_DIR set (METRICS_ENABLED), the folder is emptied
when gunicorn starts and a dead worker's values are marked, as
prometheus_client's multiprocess mode requires.
"""
import gc
import os
import shutil
from pathlib import Path

wsgi_app = "app:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# Threads: a worker waiting on the database or a download serves others meanwhile.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# A listening socket of its own in each worker (SO_REUSEPORT), so the kernel
# spreads connections over the workers. On one shared socket the worker that
# registered first is woken first and wins almost every accept: it held 82 %
# of the load bench's keep-alive connections, queueing requests behind its
# own threads while the other workers idled (p95 57 ms instead of the 50 met).
# sysctl/90-showcase.conf lets a retiring worker's queued connections move on.
reuse_port = True
# Recycle workers now and then (memory held by large PDFs and spreadsheets).
max_requests = 2000
max_requests_jitter = 200
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Each worker imports the app itself, so `systemctl reload` (HUP) starts
# workers on new code, and no database connection is shared across a fork.
preload_app = False


def post_worker_init(worker):
    """Once the worker has imported the app: move everything allocated so far
    (modules, the app, its templates' code) out of the garbage collector's
    reach. It stays in memory as before; the collector just stops walking
    it — without this each full collection walks a million long-lived objects
    (a few hundred milliseconds with the worker's threads stalled, every
    hundred or so requests)."""
    gc.freeze()


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)  # values of a previous run would be added in
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
