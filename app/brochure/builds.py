"""Brochure builds, on the request side: starting one, and finding a call's
latest build, its last good brochure and its history.

These functions only add and flush: the caller (the brochure page) commits,
and :func:`enqueue`, registered with ``db.after_commit``, hands the build
to the job queue (:mod:`app.brochure.tasks`) once the row is committed. The
build itself runs in the background worker (:mod:`app.brochure.worker`);
where its file lives is :func:`app.brochure.files.file_path`.
"""
import logging
from dataclasses import replace
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.audit.services import record
from app.brochure import tasks, worker
from app.brochure.files import file_path
from app.brochure.options import BuildOptions
from app.calls.services import lock_call
from app.enums import BrochureStatus, EntryStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, Entry, ResultEntry, ResultRun, User
from app.models.brochures import ACTIVE_STATUSES, Brochure
from app.ops import health
from app.pdf.text import document_language
from app.results.publishing import published_snapshot

log = logging.getLogger(__name__)

#: Most entries a hand-picked brochure may list.
MAX_PICKED = 500
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


def creator_names(session: Session, *, builds: list[Brochure]) -> dict[int, str]:
    """The names of the people who started ``builds``, by user id."""
    return {user.id: user.name for user in session.exec(
        select(User).where(User.id.in_({b.created_by_id for b in builds if b.created_by_id}))
    ).all()}


def calls_with_published_results(session: Session) -> set[int]:
    """The ids of the calls with a published results snapshot (the brochure
    page opens on the newest of them)."""
    return set(session.exec(select(ResultRun.call_id).where(ResultRun.published_at.is_not(None))).all())


def brochure_blobs(session: Session) -> set[str]:
    """The stored blobs builds refer to (their cover images), which
    ``flask storage prune`` must keep."""
    keys = set()
    for options in session.exec(select(Brochure.options)).all():
        if (options or {}).get("cover_key"):
            keys.add(options["cover_key"])
    return keys


# --- starting a build -------------------------------------------------------------


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
    of the call is queued or running; while the job queue cannot be reached.
    """
    if options.call_id != call.id:
        raise ValueError("the options are for another call")
    if not health.check_job_queue(current_app._get_current_object()).ok:
        # Refused before anything is recorded: a build that no worker can
        # receive would only wait, then fail.
        raise DomainError(_l("The job queue cannot be reached, so a build cannot be started now. "
                             "Try again later; the last good brochure can still be downloaded."))
    lock_call(session, call.id)
    active = _active(session, call=call)
    if active is not None:
        if now - active.heartbeat_at < worker.STALE_AFTER:
            raise DomainError(_l("A brochure of this call is already being built. Wait until it has finished, "
                                 "then start another."))
        worker.give_up_abandoned(session, active, now=now)

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


# --- after the commit -------------------------------------------------------------


def enqueue(brochure_id: int) -> None:
    """Hand a committed build to the job queue (registered with
    ``db.after_commit``). When the queue cannot be reached the build is
    marked failed instead of waiting for ever."""
    try:
        tasks.enqueue_build(brochure_id)
    except Exception as error:  # noqa: BLE001 - any queue failure ends the build, with the reason
        log.exception("Could not enqueue brochure build %s", brochure_id)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            worker.fail(brochure_id, _("The job queue could not be reached (%(error)s). Try again later.",
                                       error=worker.describe(error)))

