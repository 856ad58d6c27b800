"""Readiness checks: what ``/readyz`` answers and the chair's system status
page shows.

Each check returns a :class:`Check` (a name, ok or not, a short detail for
people). A check never raises and never shows a secret: details name hosts
and counts, never a URL with its password (:func:`describe`). ``/healthz``
does not use this module: it must answer even when all of these fail.
"""
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import redis
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlmodel import select

from app.db import utcnow
from app.i18n import lazy_gettext as _l
from app.jobs import job_queue
from app.models import WorkerHeartbeat

#: How long a readiness probe waits for Redis before calling it unreachable.
REDIS_TIMEOUT_SECONDS = 2.0

#: The checks' labels for people, by name (the JSON keeps the names).
LABELS = {
    "database": _l("Database"),
    "migrations": _l("Database schema"),
    "ratelimit_redis": _l("Redis (login rate limits)"),
    "job_queue": _l("Job queue"),
    "worker": _l("Job worker"),
    "disk": _l("Free disk space (uploads)"),
}

_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    @property
    def label(self) -> str:
        return str(LABELS.get(self.name, self.name))

    def as_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def describe(error: BaseException) -> str:
    """The error's kind and first line, any ``user:password@`` in it removed."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = _CREDENTIALS.sub(r"\g<scheme>", text)[:200]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def run_checks(app: Flask, *, now: datetime | None = None) -> list[Check]:
    """Every readiness check of ``app``, in the order people read them."""
    now = now or utcnow()
    checks = [check_database(app), check_migrations(app)]
    if is_redis_url(app.config["RATELIMIT_STORAGE_URI"]):
        checks.append(check_redis("ratelimit_redis", app.config["RATELIMIT_STORAGE_URI"]))
    checks += [check_job_queue(app), check_worker(app, now=now), check_disk(app)]
    return checks


def is_redis_url(url: str) -> bool:
    """Whether ``url`` (a Flask-Limiter storage URI) is a plain Redis server we can ping."""
    return url.split("://", 1)[0].lower() in {"redis", "rediss", "unix"}


def check_database(app: Flask) -> Check:
    engine = app.extensions["db"].engine
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", with its reason
        return Check("database", False, describe(error))
    return Check("database", True, engine.dialect.name)


def migrations_folder(app: Flask) -> Path:
    return Path(app.root_path).parent / "migrations"


def check_migrations(app: Flask) -> Check:
    """The database is at the newest migration (a release whose ``flask db
    upgrade`` was forgotten must not take traffic)."""
    try:
        heads = set(ScriptDirectory(str(migrations_folder(app))).get_heads())
        with app.extensions["db"].engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # noqa: BLE001
        return Check("migrations", False, describe(error))
    shown = ", ".join(sorted(current)) or "-"
    if current != heads:
        return Check("migrations", False, f"at {shown}, head is {', '.join(sorted(heads))}: run flask db upgrade")
    return Check("migrations", True, f"at head {shown}")


def check_redis(name: str, url: str) -> Check:
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        client.ping()
    except Exception as error:  # noqa: BLE001
        return Check(name, False, describe(error))
    finally:
        client.close()
    kwargs = client.connection_pool.connection_kwargs
    where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
    return Check(name, True, f"Redis at {where} answers")


def check_job_queue(app: Flask) -> Check:
    """The queue answers (Redis pinged first, with a short timeout), and how
    many jobs wait in it."""
    queue = job_queue(app)
    if queue.huey.immediate:
        return Check("job_queue", True, "immediate: jobs run in the process that queues them")
    url = app.config["JOBS_REDIS_URL"]
    if url:
        reached = check_redis("job_queue", url)
        if not reached.ok:
            return reached
    try:
        waiting = queue.huey.pending_count()
    except Exception as error:  # noqa: BLE001
        return Check("job_queue", False, describe(error))
    return Check("job_queue", True, f"{queue.backend}, {waiting} job(s) waiting")


def queue_length(app: Flask) -> int | None:
    """Jobs waiting in the queue, or None when it cannot be read."""
    check = check_job_queue(app)
    if not check.ok:
        return None
    queue = job_queue(app)
    return 0 if queue.huey.immediate else queue.huey.pending_count()


def newest_heartbeat(app: Flask) -> WorkerHeartbeat | None:
    with app.extensions["db"].sessionmaker() as session:
        return session.exec(select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()).limit(1)).first()


def check_worker(app: Flask, *, now: datetime) -> Check:
    """A ``flask worker`` recorded a heartbeat within ``WORKER_HEARTBEAT_MAX_AGE_SECONDS``."""
    if job_queue(app).huey.immediate:
        return Check("worker", True, "immediate: no worker needed")
    try:
        beat = newest_heartbeat(app)
    except Exception as error:  # noqa: BLE001
        return Check("worker", False, describe(error))
    if beat is None:
        return Check("worker", False, "no worker has ever recorded a heartbeat: start flask worker")
    age = (now - beat.beat_at).total_seconds()
    limit = app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"]
    detail = f"last heartbeat {age:.0f} s ago from {beat.host} (pid {beat.pid}); limit {limit} s"
    return Check("worker", age <= limit, detail)


def check_disk(app: Flask) -> Check:
    """Free space on the upload folder's disk is at least ``READYZ_MIN_FREE_DISK_MB``."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    while not folder.exists() and folder != folder.parent:  # not made yet: its disk is its parent's
        folder = folder.parent
    try:
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    except OSError as error:
        return Check("disk", False, describe(error))
    minimum = app.config["READYZ_MIN_FREE_DISK_MB"]
    return Check("disk", free_mb >= minimum, f"{free_mb:,} MB free, at least {minimum:,} MB needed")

