"""Brochure builds: starting one, running it in the background, and finding
a call's last good brochure.

``start_build`` only adds the row (the view commits, then hands the id to the
job queue after the commit). ``run_build`` is the job's body: it runs outside
any request, in its own short transactions, so that the page can poll the
progress while the PDF is made. The file of a build is written under the
brochure folder (``BROCHURE_FOLDER``, default ``instance/brochures``) at a
path of its own, so the previous good brochure stays untouched until the new
one is in place, and stays when a build fails.
"""
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.audit.services import record
from app.brochure.options import BuildOptions
from app.calls.services import lock_call
from app.db import db, utcnow, write_intent
from app.enums import BrochureStatus, EntryStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, Entry, ResultEntry, ResultRun
from app.models.brochures import ACTIVE_STATUSES, Brochure
from app.pdf.text import document_language
from app.results.publishing import latest_published

log = logging.getLogger(__name__)

#: A queued or running build with no sign of life for this long was
#: interrupted (its worker was killed): it no longer blocks a new build.
STALE_AFTER = timedelta(minutes=30)
#: Most entries a hand-picked brochure may list.
MAX_PICKED = 500
#: Progress is written at most this often (seconds), and always at the end.
PROGRESS_INTERVAL = 0.5
#: Steps the builder reports that are not the name of a finished part.
BUILDER_STEPS = ("starting", "cached", "merging", "done")
#: Entries of a call without a published snapshot that may be hand-picked:
#: those that passed the formal check and still take part.
_PICKABLE = (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SCORED, EntryStatus.SELECTED,
             EntryStatus.NOT_SELECTED, EntryStatus.PUBLISHED)


# --- reading ------------------------------------------------------------------


def latest(session: Session, *, call: Call) -> Brochure | None:
    """The call's newest build, whatever its state."""
    return session.exec(select(Brochure).where(Brochure.call_id == call.id).order_by(Brochure.id.desc())).first()


def last_good(session: Session, *, call: Call) -> Brochure | None:
    """The call's newest finished build whose file is still there to download."""
    finished = session.exec(
        select(Brochure)
        .where(Brochure.call_id == call.id, Brochure.status == BrochureStatus.DONE, Brochure.file_key.is_not(None))
        .order_by(Brochure.finished_at.desc(), Brochure.id.desc())
        .limit(5)
    ).all()
    return next((brochure for brochure in finished if file_path(brochure) is not None), None)


def history(session: Session, *, call: Call, limit: int = 10) -> list[Brochure]:
    """The call's recent builds, newest first."""
    return list(
        session.exec(select(Brochure).where(Brochure.call_id == call.id).order_by(Brochure.id.desc()).limit(limit)).all()
    )


def default_title(call: Call) -> str:
    """The usual title, in the brochure's language (Chinese) whatever the page's."""
    with document_language(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _("%(year)s Showcase Scenarios of AI Applications", year=call.year)


def default_options(session: Session, *, call: Call) -> dict:
    """What a new build starts from: the choices of the call's previous build,
    else the call's own (its year, its name as the subtitle, the usual title)."""
    previous = latest(session, call=call)
    defaults = {"title": default_title(call), "subtitle": call.name, "year": call.year, "foreword": "", "back_text": "",
                "order": "domain", "profile": "screen", "cover_key": None, "entry_ids": None}
    if previous is None:
        return defaults
    chosen = {key: value for key, value in (previous.options or {}).items() if key in defaults}
    return defaults | chosen | {"title": chosen.get("title") or defaults["title"]}


def brochure_folder() -> Path:
    folder = current_app.config["BROCHURE_FOLDER"]
    return Path(folder).resolve()


def file_path(brochure: Brochure) -> Path | None:
    """The PDF of a finished build, or None when it has none (any more)."""
    if not brochure.file_key:
        return None
    folder = brochure_folder()
    path = (folder / brochure.file_key).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def brochure_blobs(session: Session) -> set[str]:
    """The stored blobs builds refer to (their cover images), which
    ``flask storage prune`` must keep."""
    keys = set()
    for options in session.exec(select(Brochure.options)).all():
        if (options or {}).get("cover_key"):
            keys.add(options["cover_key"])
    return keys


# --- starting a build -------------------------------------------------------------


def published_snapshot(session: Session, *, call: Call, snapshot_id: int | None) -> ResultRun | None:
    """The published snapshot ``snapshot_id`` of ``call`` (DomainError if it is
    not one), or without an id the call's latest (None if it has none)."""
    if snapshot_id is None:
        return latest_published(session, call=call)
    run = session.get(ResultRun, snapshot_id)
    if run is None or run.call_id != call.id or run.published_at is None:
        raise DomainError(_l("That is not a published results snapshot of this call."))
    return run


def _numbers(ids) -> str:
    return "、".join(f"#{entry_id}" for entry_id in ids)


def _check_picked(session: Session, *, call: Call, snapshot: ResultRun | None, entry_ids: tuple[int, ...]) -> None:
    """Hand-picked entries come from the snapshot's selection or, without a
    published snapshot, from the call's entries that passed the formal check."""
    if not entry_ids:
        raise DomainError(_l("Hand-pick at least one entry, or leave the list empty to print the snapshot's selection."))
    if len(entry_ids) > MAX_PICKED:
        raise DomainError(_l("At most %(n)s entries can be hand-picked.", n=MAX_PICKED))
    if len(set(entry_ids)) != len(entry_ids):
        raise DomainError(_l("Each entry can be listed once only."))
    if snapshot is not None:
        allowed = set(session.exec(
            select(ResultEntry.entry_id).where(ResultEntry.run_id == snapshot.id, ResultEntry.selected.is_(True))
        ).all())
        unknown = [entry_id for entry_id in entry_ids if entry_id not in allowed]
        if unknown:
            raise DomainError(_l("Not in the selection of the published snapshot: %(numbers)s.", numbers=_numbers(unknown)))
        return
    allowed = set(session.exec(
        select(Entry.id).where(Entry.call_id == call.id, Entry.id.in_(entry_ids), Entry.status.in_(_PICKABLE))
    ).all())
    unknown = [entry_id for entry_id in entry_ids if entry_id not in allowed]
    if unknown:
        raise DomainError(_l("Not entries of this call that passed the formal check: %(numbers)s.",
                             numbers=_numbers(unknown)))


def _active(session: Session, *, call: Call) -> Brochure | None:
    return session.exec(
        select(Brochure).where(Brochure.call_id == call.id, Brochure.status.in_(ACTIVE_STATUSES)).order_by(Brochure.id)
    ).first()


def start_build(session: Session, *, call: Call, options: BuildOptions, actor, now: datetime) -> Brochure:
    """Add a queued build of ``call``'s brochure and audit it (the caller
    commits, then enqueues the job with :func:`enqueue` after the commit).

    The snapshot is resolved now (the latest published one unless
    ``options`` names one), so a later publication does not change what a
    queued build prints. Refused: without a published snapshot unless the
    entries are hand-picked; hand-picked entries outside the snapshot's
    selection (or, without a snapshot, outside the call); while another build
    of the call is queued or running.
    """
    if options.call_id != call.id:
        raise ValueError("the options are for another call")
    lock_call(session, call.id)
    active = _active(session, call=call)
    if active is not None:
        if now - active.heartbeat_at < STALE_AFTER:
            raise DomainError(_l("A brochure of this call is already being built. Wait until it has finished, "
                                 "then start another."))
        _mark_abandoned(session, active, now=now)

    snapshot = published_snapshot(session, call=call, snapshot_id=options.snapshot_id)
    if options.entry_ids is None:
        if snapshot is None:
            raise DomainError(_l("This call has no published results yet: publish them first, or hand-pick the "
                                 "entries to include."))
    else:
        _check_picked(session, call=call, snapshot=snapshot, entry_ids=tuple(options.entry_ids))
    options = replace(options, snapshot_id=snapshot.id if snapshot else None)

    brochure = Brochure(
        call_id=call.id,
        snapshot_id=options.snapshot_id,
        options=options.as_dict(),
        status=BrochureStatus.QUEUED,
        progress={},
        created_by_id=actor.id if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        heartbeat_at=now,
    )
    session.add(brochure)
    session.flush()
    record(session, actor=actor, action="brochure.started", obj=brochure,
           after={"call_id": call.id, "snapshot_id": options.snapshot_id, "profile": options.profile,
                  "order": options.order, "title": options.title,
                  "entries": len(options.entry_ids) if options.entry_ids is not None else None})
    return brochure


def _mark_abandoned(session: Session, brochure: Brochure, *, now: datetime) -> None:
    before = brochure.status.value
    brochure.status = BrochureStatus.FAILED
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # stored texts: the default language
        brochure.error = _("The build was interrupted (its worker stopped) and was given up.")
    brochure.finished_at = now
    session.add(brochure)
    session.flush()
    record(session, actor=None, action="brochure.abandoned", obj=brochure, before={"status": before},
           after={"status": brochure.status.value})


def enqueue(brochure_id: int) -> None:
    """Hand a committed build to the job queue (registered with
    ``db.after_commit``). When the queue cannot be reached the build is
    marked failed instead of waiting for ever."""
    try:
        from app.brochure import tasks

        tasks.enqueue_build(brochure_id)
    except Exception as error:  # noqa: BLE001 - any queue failure ends the build, with the reason
        log.exception("Could not enqueue brochure build %s", brochure_id)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            _fail(brochure_id, _("The job queue could not be reached (%(error)s). Try again later.",
                                 error=_describe(error)))


# --- running a build (the job) --------------------------------------------------------


@contextmanager
def _transaction() -> Iterator[Session]:
    """A short writing transaction of its own, committed at the end of the block."""
    session = db.state.sessionmaker()
    try:
        with write_intent():
            yield session
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _describe(error: BaseException) -> str:
    text = str(error.message) if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
    return text if len(text) <= 500 else text[:499] + "…"


def _fail(brochure_id: int, message: str) -> None:
    """Mark a queued or running build failed with ``message`` (a finished one is left alone)."""
    with _transaction() as session:
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
    with _transaction() as session:
        claimed = session.execute(
            sa.update(Brochure)
            .where(Brochure.id == brochure_id, Brochure.status == BrochureStatus.QUEUED)
            .values(status=BrochureStatus.RUNNING, started_at=now, heartbeat_at=now,
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
            with _transaction() as session:
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
    with _transaction() as session:
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
    from app.brochure import builder

    options = BuildOptions.from_dict(brochure.options)
    relative = f"call-{brochure.call_id}/brochure-{brochure.id}-{options.profile}.pdf"
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
                        error=_describe(error))
        else:
            message = _describe(error)
        out_path.unlink(missing_ok=True)
        _fail(brochure.id, message)
        return
    except BaseException:
        # Interrupted (the worker is shutting down): end the build, then go on stopping.
        _end_read_transaction()
        out_path.unlink(missing_ok=True)
        _fail(brochure.id, _("The build was interrupted (its worker stopped). Start it again."))
        raise
    _end_read_transaction()
    try:
        replaced = _finish(brochure, result=result, relative=relative, progress=progress.state)
    except Exception as error:  # noqa: BLE001
        log.exception("Brochure build %s could not be recorded", brochure.id)
        out_path.unlink(missing_ok=True)
        _fail(brochure.id, _("The build stopped with an error: %(error)s",
                             error=_describe(error)))
        return
    for path in replaced:
        path.unlink(missing_ok=True)
