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
"""
import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import Result, TaskWrapper

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

    def enqueue(self, *args, **kwargs) -> Result | None:
        """Queue ``func(*args, **kwargs)`` on the current app's queue.

        The arguments are pickled: pass ids, not ORM objects. Returns Huey's
        result handle (``result.get()`` gives the return value once the job
        ran; in testing it already has). Queue only after the transaction
        that the job will read has been committed.
        """
        return job_queue().task(self)(*args, **kwargs)

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
        declared = Job(func=func, name=f"{func.__module__}.{func.__name__}", retries=retries)
        with _lock:
            if declared.name in _declared and _declared[declared.name].func is not func:
                raise ValueError(f"a job named {declared.name} is already declared")
            _declared[declared.name] = declared
        return declared

    return declare


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

    def task(self, declared: Job) -> TaskWrapper:
        """Huey's task for ``declared``, registered on first use."""
        with _lock:
            if declared.name not in self.tasks:
                self.tasks[declared.name] = self.huey.task(retries=declared.retries, name=declared.func.__name__)(
                    _in_app_context(self.app, declared.func)
                )
            return self.tasks[declared.name]

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
