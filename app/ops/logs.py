"""Structured logs: JSON lines in production, readable lines in development.

Every request gets a request id — the proxy's ``X-Request-ID`` when it looks
sane, else a new one — returned in the ``X-Request-ID`` header, shown on
error pages and attached to every log record written while the request
runs; when it ends, one ``app.requests`` line records the id, the user, the
method, the route (endpoint), the status and the duration. In the worker,
Huey's signals give one ``app.jobs`` line per job: its id, name, duration
and outcome.
"""
import logging
import re
import sys
import time
import uuid

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from huey import signals
from pythonjsonlogger.json import JsonFormatter

request_log = logging.getLogger("app.requests")
job_log = logging.getLogger("app.jobs")

REQUEST_ID_HEADER = "X-Request-ID"
#: What an incoming request id may look like (a UUID, a proxy's hex id, …):
#: anything else is replaced, so no log line carries a client's free text.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

#: The loggers whose INFO records are worth keeping: the app's (its modules,
#: the request and job lines), the job queue's, the rate limiter's.
_OWN_LOGGERS = ("app", "huey", "flask-limiter")
_TEXT_FORMAT = "[%(asctime)s] %(levelname)s %(name)s [%(request_id)s]: %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


def current_request_id() -> str | None:
    """The id of the request being answered (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or "-") to every record, so formats can name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes, not to the
    stream it was when the handler was made (a test runner swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def make_handler(log_format: str, stream=None) -> logging.Handler:
    """A handler writing JSON lines or readable text to ``stream`` (default: stderr)."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter(_JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level",
                                                                        "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    handler._showcase = True
    return handler


def configure_logging(app: Flask) -> None:
    """Send the root logger's records to stderr in ``LOG_FORMAT`` at ``LOG_LEVEL``
    (systemd's journal or the container runtime collects them).

    In testing pytest owns the logging (it captures records), so only the
    level is set. Calling it again (another app in one process) replaces the
    handler instead of adding a second one.
    """
    level = logging.getLevelName(app.config["LOG_LEVEL"].upper())
    if not isinstance(level, int):
        raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {app.config['LOG_LEVEL']!r}")
    root = logging.getLogger()
    # Our own loggers and the job queue's at LOG_LEVEL; libraries (pikepdf,
    # fontTools, …) from WARNING only.
    root.setLevel(max(level, logging.WARNING))
    for name in _OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
    if app.config["SHOWCASE_ENV"] == "testing":
        return
    for handler in [h for h in root.handlers if getattr(h, "_showcase", False)]:
        root.removeHandler(handler)
    root.addHandler(make_handler(app.config["LOG_FORMAT"]))
    # Flask's own handler would print every app.logger record a second time.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)


def register_request_logging(app: Flask) -> None:
    @app.before_request
    def _request_id():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id")
        if request_id is None:  # the request failed before our before_request ran
            return response
        response.headers[REQUEST_ID_HEADER] = request_id
        duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
        # The user Flask-Login loaded for this request, if it did (a static
        # file's request does not: no database query just for the log line).
        user_id = _logged_in_user_id(g.get("_login_user"))
        request_log.info(
            "%s %s %s %s ms user=%s", request.method, request.endpoint or request.path, response.status_code,
            duration_ms, user_id,
            extra={"request_id": request_id, "user_id": user_id, "method": request.method,
                   "endpoint": request.endpoint, "path": request.path, "status": response.status_code,
                   "duration_ms": duration_ms},
        )
        return response


def _logged_in_user_id(user) -> int | None:
    """The id of the request's user, read from the identity the session
    keeps: after a rollback (a database that went away) the user's
    attributes are expired, and loading them again would fail the request
    in its last step, after its error page was made."""
    identity = sa.inspect(user, raiseerr=False) if user is not None else None  # None for the anonymous user
    if identity is None or identity.identity is None:
        return None
    return identity.identity[0]


def register_job_logging(huey) -> None:
    """Log each job the worker runs: started, then finished with its outcome
    (complete, error, retrying, …) and duration. For ``flask worker`` only:
    the web processes only queue jobs."""
    started: dict[str, float] = {}

    @huey.signal(signals.SIGNAL_EXECUTING)
    def _executing(_signal, task):
        started[task.id] = time.perf_counter()
        job_log.info("job %s %s started", task.name, task.id,
                     extra={"job_id": task.id, "job": task.name, "outcome": "started"})

    @huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR, signals.SIGNAL_RETRYING, signals.SIGNAL_CANCELED,
                 signals.SIGNAL_EXPIRED, signals.SIGNAL_LOCKED, signals.SIGNAL_INTERRUPTED, signals.SIGNAL_TIMEOUT,
                 signals.SIGNAL_RATE_LIMITED)
    def _finished(signal, task, exc=None):
        began = started.pop(task.id, None)
        duration_ms = round((time.perf_counter() - began) * 1000, 1) if began is not None else None
        level = logging.INFO if signal == signals.SIGNAL_COMPLETE else logging.WARNING
        extra = {"job_id": task.id, "job": task.name, "outcome": signal, "duration_ms": duration_ms}
        if exc is not None:
            extra["error"] = f"{type(exc).__name__}: {exc}"[:500]
        job_log.log(level, "job %s %s %s after %s ms", task.name, task.id, signal, duration_ms, extra=extra)
