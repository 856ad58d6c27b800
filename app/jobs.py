"""The job queue: work that must not run inside a web request.

Brochure builds take tens of seconds, so the page that starts one only
queues it (:mod:`app.brochure.tasks`); ``flask worker``
(:mod:`app.jobs_cli`) runs it. Any other work that must leave the request
(mail, scheduled work) belongs on the same queue. The queue is Huey's:

- ``SqliteHuey`` in ``JOBS_SQLITE_PATH`` (default ``instance/jobs.sqlite3``):
  nothing else to install or run;
- ``RedisHuey`` when ``JOBS_REDIS_URL`` is set (production, several hosts);
- in testing, Huey's *immediate* mode: a queued job runs at once, in the
  same process, on an in-memory queue.

The Huey instance belongs to a Flask app and is made the first time it is
needed (:func:`job_queue`), from that app's config. A job is a plain function
declared with :func:`job`; it runs inside an app context of the app whose
queue ran it (in ``flask worker``, the app the ``flask`` command created with
``create_app()``), so it can use ``db.session`` and ``current_app`` like a
command. A module that declares jobs is imported by the app factory
(``create_app``), so a worker knows every job a web process may queue
before it starts.

Periodic jobs
-------------
A job the worker runs on a schedule is declared with :func:`periodic_job`,
naming the setting that holds its schedule::

    # app/config.py DEFAULTS
    "BACKUP_SCHEDULE": "0 2 * * *",  # cron "minute hour day month weekday", in TIMEZONE; "": off

    # the domain's tasks module, imported by create_app()
    @periodic_job("BACKUP_SCHEDULE")
    def nightly_backup() -> int:
        with transaction():  # only when it writes to the database
            ...

That is all: the setting is read when the app's queue is made, the job is
registered with Huey as a ``periodic_task`` (its cron expression matched in
the app's ``TIMEZONE``, not in UTC), and every ``flask worker`` whose app
has ``PERIODIC_JOBS_ENABLED`` enqueues it when it is due (Huey's consumer
checks once a minute) and runs it like any job. An empty schedule, or
``PERIODIC_JOBS_ENABLED`` off, registers it as a plain job: it then runs
only when queued (``nightly_backup.enqueue()``) or called. A periodic
job's return value is logged, not stored (nobody would read it). It must be
safe to run twice (a worker restarted within the minute, two worker hosts
with periodic jobs on): record what was done and check it first.

The periodic jobs: ``app.mail.sweep_outbox`` (``MAIL_SWEEP_SCHEDULE``),
``app.storage_prune.prune_storage`` (``STORAGE_PRUNE_SCHEDULE``),
``app.accounts.tasks.clean_up_expired`` (``TOKEN_CLEANUP_SCHEDULE``),
``app.review.manage.tasks.remind_experts`` (``REVIEW_REMINDER_SCHEDULE``).
"""
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import Result, TaskWrapper

from app.config import cron_schedule
from app.db import db, write_intent

log = logging.getLogger(__name__)

#: The queue's name (a prefix of its Redis keys, the name of its SQLite queue).
QUEUE_NAME = "showcase"

_declared: dict[str, "Job"] = {}
_at_worker_start: list[Callable[[], None]] = []
_lock = threading.RLock()


@dataclass(frozen=True)
class Job:
    """A function that runs in the worker; :meth:`enqueue` queues a call."""

    func: Callable[..., Any]
    name: str  # "<module>.<function>", the name Huey knows it by
    retries: int = 0
    schedule_setting: str | None = None  # a periodic job: the setting that holds its cron expression

    def enqueue(self, *args, **kwargs) -> Result | None:
        """Queue ``func(*args, **kwargs)`` on the current app's queue.

        The arguments are pickled: pass ids, not ORM objects. Returns Huey's
        result handle (``result.get()`` gives the return value once the job
        ran; in testing it already has). Queue only after the transaction
        that the job will read has been committed.
        """
        return job_queue().task(self)(*args, **kwargs)

    def enqueue_in(self, delay: timedelta, *args, **kwargs) -> Result | None:
        """Queue the call to run once ``delay`` has passed (Huey's schedule;
        in testing it waits in the in-memory schedule until a test runs it)."""
        return job_queue().task(self).schedule(args=args, kwargs=kwargs, delay=delay.total_seconds())

    def __call__(self, *args, **kwargs):
        """Run the job here and now (it needs an app context)."""
        return self.func(*args, **kwargs)


def job(*, retries: int = 0) -> Callable[[Callable[..., Any]], Job]:
    """Declare a background job::

        @job()
        def send_digest(user_id: int) -> None: ...

        send_digest.enqueue(user.id)
    """

    def declare(func: Callable[..., Any]) -> Job:
        return _declare(Job(func=func, name=f"{func.__module__}.{func.__name__}", retries=retries))

    return declare


def periodic_job(schedule_setting: str) -> Callable[[Callable[..., Any]], Job]:
    """Declare a job the worker runs on the schedule in the setting
    ``schedule_setting`` (see the module: a cron expression in TIMEZONE,
    empty for off)::

        @periodic_job("STORAGE_PRUNE_SCHEDULE")
        def prune_storage() -> int: ...
    """

    def declare(func: Callable[..., Any]) -> Job:
        return _declare(Job(func=func, name=f"{func.__module__}.{func.__name__}", schedule_setting=schedule_setting))

    return declare


def _declare(declared: Job) -> Job:
    with _lock:
        if declared.name in _declared and _declared[declared.name].func is not declared.func:
            raise ValueError(f"a job named {declared.name} is already declared")
        _declared[declared.name] = declared
    return declared


@contextmanager
def transaction() -> Iterator[None]:
    """A job's writes as one transaction: started as a writing one (SQLite
    takes its write lock up front), committed at the end of the block (then
    the after-commit callbacks run: queued mails leave), rolled back when
    the block raises. What ``app.commands.transaction`` is to a command."""
    with write_intent():
        try:
            yield
        except BaseException:
            db.rollback()
            raise
        db.commit()


def at_worker_start(func: Callable[[], None]) -> Callable[[], None]:
    """Declare a function that ``flask worker`` runs, in an app context,
    before it takes jobs: the place to end what a killed worker left half
    done (its job was taken off the queue and will not come back)."""
    with _lock:
        if func not in _at_worker_start:
            _at_worker_start.append(func)
    return func


def run_worker_start() -> None:
    """Run the functions declared with :func:`at_worker_start` (needs an app
    context). One that fails (the database not reachable yet) is logged and
    the worker starts all the same: jobs matter more than the clean-up."""
    for func in list(_at_worker_start):
        try:
            func()
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).exception("%s failed when the worker started", func.__qualname__)


@dataclass
class JobQueue:
    """An app's Huey instance and the jobs registered on it."""

    app: Flask
    huey: Huey
    tasks: dict[str, TaskWrapper] = field(default_factory=dict)

    #: Periodic job name → its cron expression, for those registered as periodic.
    schedules: dict[str, str] = field(default_factory=dict)

    def task(self, declared: Job) -> TaskWrapper:
        """Huey's task for ``declared``, registered on first use (a periodic
        one as Huey's periodic task when its schedule is set)."""
        with _lock:
            if declared.name not in self.tasks:
                name = declared.func.__name__
                expression = self._schedule_of(declared)
                if expression:
                    register = self.huey.periodic_task(self._in_timezone(cron_schedule(expression)), name=name)
                    run = _in_app_context(self.app, _result_logged(declared))
                    self.schedules[declared.name] = expression
                else:
                    register = self.huey.task(retries=declared.retries, name=name)
                    run = _in_app_context(self.app, declared.func)
                self.tasks[declared.name] = register(run)
            return self.tasks[declared.name]

    def _schedule_of(self, declared: Job) -> str:
        if declared.schedule_setting is None or not self.app.config.get("PERIODIC_JOBS_ENABLED", True):
            return ""
        return (self.app.config.get(declared.schedule_setting) or "").strip()

    def _in_timezone(self, matches: Callable[[datetime], bool]) -> Callable[[datetime], bool]:
        """Huey's consumer asks with naive UTC times; cron expressions are
        written in the app's TIMEZONE (03:30 is 03:30 where the chair is)."""
        zone = ZoneInfo(self.app.config.get("TIMEZONE") or "UTC")

        def validate(timestamp: datetime) -> bool:
            if timestamp.tzinfo is None:
                timestamp = timestamp.replace(tzinfo=timezone.utc)
            return matches(timestamp.astimezone(zone))

        return validate

    @property
    def backend(self) -> str:
        """Where the queue lives, for messages (no password)."""
        if self.huey.immediate:
            return "immediate (in-process)"
        if isinstance(self.huey, RedisHuey):
            return "Redis"
        return f"SQLite {self.app.config['JOBS_SQLITE_PATH']}"


def _in_app_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps __module__ and __name__: Huey's name for the task
    def run(*args, **kwargs):
        with app.app_context():
            return func(*args, **kwargs)

    return run


@contextmanager
def as_request() -> Iterator[None]:
    """Run the block as if in a request to ``BASE_URL`` without cookies, for a
    job that renders a mail: ``url_for`` builds its links, and the mail is
    in the default language (there is no user's choice to follow). The
    job's app context, and so its database session, stays the same."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        yield


def _result_logged(declared: Job) -> Callable[..., None]:
    """A periodic job's body, whose return value goes to the log instead of
    Huey's result store (where every run would leave one for ever)."""

    @functools.wraps(declared.func)
    def run(*args, **kwargs) -> None:
        result = declared.func(*args, **kwargs)
        log.info("Periodic job %s: %s", declared.name, result)

    return run


def create_huey(app: Flask) -> Huey:
    """A Huey instance from ``app``'s config (no jobs registered yet)."""
    immediate = bool(app.testing)
    url = app.config["JOBS_REDIS_URL"]
    if url:
        return RedisHuey(QUEUE_NAME, url=url, immediate=immediate)
    path = Path(app.config["JOBS_SQLITE_PATH"])
    if not immediate:  # immediate mode keeps its queue in memory
        path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path), immediate=immediate)


def job_queue(app: Flask | None = None) -> JobQueue:
    """The job queue of ``app`` (default: the current app), made on first use
    with every declared job registered."""
    app = app or current_app._get_current_object()
    with _lock:
        queue = app.extensions.get("jobs")
        if queue is None:
            queue = JobQueue(app=app, huey=create_huey(app))
            for declared in list(_declared.values()):
                queue.task(declared)
            app.extensions["jobs"] = queue
        return queue
