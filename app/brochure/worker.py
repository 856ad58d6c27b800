"""Running a brochure build, outside any request: the body of the job
(:mod:`app.brochure.tasks`) that ``flask worker`` runs.

This is the only module of the brochure that commits. A build runs in its
own short transactions, so that the brochure page can poll the progress
while the PDF is made: claiming the queued row (once), recording progress
(at most every PROGRESS_INTERVAL seconds), and finishing it done with its
file or failed with a reason people can read. The file of a build is
written under the brochure folder (:func:`app.brochure.files.brochure_folder`)
at a path of its own, so the previous good brochure stays untouched until
the new one is in place, and stays when a build fails.

:func:`give_up_abandoned` is the exception: called when a new build of the
call is started (:func:`app.brochure.builds.start_build`), it ends a build
whose worker died, in the caller's transaction (it only flushes).

A killed worker (``kill -9``, the out-of-memory killer) cannot end its build,
and its job has already left the queue. Each build records the process that
claimed it (:func:`worker_identity`); a worker starting on the same host
ends, as failed with the reason, every build whose process is gone
(:func:`give_up_orphans`), and deletes the file it was writing: no partial
PDF is ever served (a build's file is only named on its row once complete)
and the last good brochure stays as it was.
"""
import logging
import os
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.audit.services import record
from app.brochure.files import brochure_folder, file_path
from app.brochure.options import BuildOptions
from app.db import db, utcnow
from app.enums import BrochureStatus
from app.errors import DomainError
from app.models.brochures import Brochure

log = logging.getLogger(__name__)

#: A queued or running build with no sign of life for this long was
#: interrupted (its worker was killed): it no longer blocks a new build.
STALE_AFTER = timedelta(minutes=30)
#: Progress is written at most this often (seconds), and always at the end.
PROGRESS_INTERVAL = 0.5
#: Steps the builder reports that are not the name of a finished part.
BUILDER_STEPS = ("starting", "cached", "merging", "done")


# --- a build whose worker stopped ----------------------------------------------------


def give_up_abandoned(session: Session, brochure: Brochure, *, now: datetime) -> None:
    """End ``brochure``, queued or running without a sign of life for STALE_AFTER,
    as failed (in the caller's transaction: flushed, not committed)."""
    before = brochure.status.value
    brochure.status = BrochureStatus.FAILED
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # stored texts: the default language
        brochure.error = _("The build was interrupted (its worker stopped) and was given up.")
    brochure.finished_at = now
    session.add(brochure)
    session.flush()
    record(session, actor=None, action="brochure.abandoned", obj=brochure, before={"status": before},
           after={"status": brochure.status.value})


def _process_started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, /proc/PID/stat's
    22nd field), which tells a reused pid apart; None when there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def worker_identity() -> str:
    """This process as "host pid start-time", recorded on the builds it claims."""
    pid = os.getpid()
    return f"{socket.gethostname()} {pid} {_process_started(pid) or '-'}"


def _process_gone(identity: str) -> bool:
    """Whether the worker process ``identity`` has ended (False when it ran on another host: unknown)."""
    host, _, rest = identity.partition(" ")
    pid, _, started = rest.partition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if started != "-":
        return _process_started(int(pid)) != started
    try:  # no /proc here: only whether the pid exists
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


def give_up_orphans(*, now: datetime) -> list[int]:
    """End, as failed, the running builds claimed by a worker process of this
    host that has ended (it was killed), and delete the file each was
    writing; returns their ids. Run when a worker starts."""
    ended = []
    with db.separate_transaction() as session:
        running = session.exec(
            select(Brochure).where(Brochure.status == BrochureStatus.RUNNING, Brochure.claimed_by.is_not(None))
            .with_for_update()
        ).all()
        for brochure in running:
            if not _process_gone(brochure.claimed_by):
                continue
            give_up_abandoned(session, brochure, now=now)
            ended.append(brochure)
    for brochure in ended:
        partial = brochure_folder() / build_file(brochure)
        partial.unlink(missing_ok=True)
        log.warning("Brochure build %s was interrupted: its worker (%s) is gone; marked failed.",
                    brochure.id, brochure.claimed_by)
    return [brochure.id for brochure in ended]


def build_file(brochure: Brochure) -> str:
    """Where a build writes its PDF, relative to the brochure folder."""
    profile = BuildOptions.from_dict(brochure.options).profile
    return f"call-{brochure.call_id}/brochure-{brochure.id}-{profile}.pdf"


# --- running a build (the job) --------------------------------------------------------



def describe(error: BaseException) -> str:
    """``error`` in a line people can read (at most 500 characters)."""
    text = str(error.message) if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
    return text if len(text) <= 500 else text[:499] + "…"


def fail(brochure_id: int, message: str) -> None:
    """Mark a queued or running build failed with ``message`` (a finished one is left alone)."""
    with db.separate_transaction() as session:
        brochure = session.get(Brochure, brochure_id)
        if brochure is None or not brochure.active:
            return
        before = brochure.status.value
        brochure.status = BrochureStatus.FAILED
        brochure.error = message
        brochure.finished_at = utcnow()
        session.add(brochure)
        session.flush()
        record(session, actor=None, action="brochure.failed", obj=brochure, before={"status": before},
               after={"status": brochure.status.value, "error": message})


def _claim(brochure_id: int) -> Brochure | None:
    """Move a queued build to running (once: a second worker or a retry finds it taken)."""
    now = utcnow()
    with db.separate_transaction() as session:
        claimed = session.execute(
            sa.update(Brochure)
            .where(Brochure.id == brochure_id, Brochure.status == BrochureStatus.QUEUED)
            .values(status=BrochureStatus.RUNNING, started_at=now, heartbeat_at=now, claimed_by=worker_identity(),
                    progress={"step": "starting", "done": 0, "total": 0, "finished": []})
        ).rowcount
        if not claimed:
            return None
        brochure = session.get(Brochure, brochure_id)
        session.refresh(brochure)
        return brochure


class _ProgressWriter:
    """The builder's progress callback: each call updates the row in a short
    transaction of its own (at most every PROGRESS_INTERVAL seconds), so the
    page can show it while the build goes on."""

    def __init__(self, brochure_id: int):
        self.brochure_id = brochure_id
        self.finished: list[str] = []
        self.last_write = 0.0
        self.state: dict = {"step": "starting", "done": 0, "total": 0, "finished": self.finished}

    def __call__(self, step: str, done: int, total: int) -> None:
        if step not in BUILDER_STEPS and step not in self.finished:
            self.finished.append(step)
        self.state = {"step": step, "done": done, "total": total, "finished": list(self.finished)}
        if time.monotonic() - self.last_write < PROGRESS_INTERVAL and step != "done":
            return
        self.write()

    def write(self) -> None:
        try:
            with db.separate_transaction() as session:
                session.execute(
                    sa.update(Brochure)
                    .where(Brochure.id == self.brochure_id, Brochure.status == BrochureStatus.RUNNING)
                    .values(progress=self.state, heartbeat_at=utcnow())
                )
        except Exception:  # noqa: BLE001 - progress is for show: the build goes on without it
            log.warning("Could not record the progress of brochure build %s", self.brochure_id, exc_info=True)
        self.last_write = time.monotonic()


def _end_read_transaction() -> None:
    """End the transaction the builder left open on the context's session (it
    only reads), so that our writes in other sessions never sit inside it."""
    try:
        db.session.commit()
    except Exception:  # noqa: BLE001
        db.session.rollback()


def _finish(brochure: Brochure, *, result, relative: str, progress: dict) -> list[Path]:
    """Mark the build done with its file; the files of the call's older builds
    of the same profile are let go. Returns those files, to delete once this
    is committed."""
    replaced: list[Path] = []
    with db.separate_transaction() as session:
        row = session.get(Brochure, brochure.id, with_for_update=True)
        before = row.status.value
        row.status = BrochureStatus.DONE
        row.file_key = relative
        row.pages = result.pages
        row.size_bytes = result.size
        row.input_hash = result.input_hash
        row.finished_at = utcnow()
        row.heartbeat_at = row.finished_at
        row.error = None
        row.progress = {**progress, "cached": bool(result.cached)}
        session.add(row)
        older = session.exec(
            select(Brochure).where(Brochure.call_id == row.call_id, Brochure.id != row.id,
                                   Brochure.status == BrochureStatus.DONE, Brochure.file_key.is_not(None))
        ).all()
        for old in older:
            if (old.options or {}).get("profile") == (row.options or {}).get("profile"):
                path = file_path(old)
                if path is not None:
                    replaced.append(path)
                old.file_key = None
                session.add(old)
        session.flush()
        record(session, actor=None, action="brochure.built", obj=row, before={"status": before},
               after={"status": "done", "pages": row.pages, "size_bytes": row.size_bytes,
                      "input_hash": row.input_hash, "cached": bool(result.cached)})
    return replaced


def run_build(brochure_id: int) -> None:
    """The job: build a queued brochure (needs an app context; no request).

    Marks it running, calls the builder with a progress callback, and marks it
    done with its file, pages, size and input hash, or failed with a reason
    people can read. It never leaves the row running: any error, even an
    interruption, ends it as failed, and the previous good brochure is kept.
    """
    brochure = _claim(brochure_id)
    if brochure is None:
        log.info("Brochure build %s is not waiting to run; skipped.", brochure_id)
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        _run(brochure)


def _run(brochure: Brochure) -> None:
    # Imported here, not at the top: the builder brings WeasyPrint, pikepdf and
    # HarfBuzz, which web processes (that import this module to fail a build
    # the queue refused) never need; they would add a second to their start.
    from app.brochure import builder

    options = BuildOptions.from_dict(brochure.options)
    relative = build_file(brochure)
    out_path = brochure_folder() / relative
    progress = _ProgressWriter(brochure.id)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        result = builder.build_brochure(options, out_path=out_path, progress=progress)
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the build
        _end_read_transaction()
        if not isinstance(error, DomainError):
            log.exception("Brochure build %s failed", brochure.id)
            message = _("The build stopped with an error: %(error)s",
                        error=describe(error))
        else:
            message = describe(error)
        out_path.unlink(missing_ok=True)
        fail(brochure.id, message)
        return
    except BaseException:
        # Interrupted (the worker is shutting down): end the build, then go on stopping.
        _end_read_transaction()
        out_path.unlink(missing_ok=True)
        fail(brochure.id, _("The build was interrupted (its worker stopped). Start it again."))
        raise
    _end_read_transaction()
    try:
        replaced = _finish(brochure, result=result, relative=relative, progress=progress.state)
    except Exception as error:  # noqa: BLE001
        log.exception("Brochure build %s could not be recorded", brochure.id)
        out_path.unlink(missing_ok=True)
        fail(brochure.id, _("The build stopped with an error: %(error)s",
                            error=describe(error)))
        return
    for path in replaced:
        path.unlink(missing_ok=True)
