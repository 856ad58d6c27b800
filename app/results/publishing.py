"""Publishing a draft as a frozen snapshot with its hashes, what stops it,
and finding the published snapshots of a call. Services only flush; the
caller commits.

A snapshot is sealed with the SHA-256 of its public and of its private
document and the snapshot hash over both (``app.results.snapshot``); one
published before that has only the hash of its single legacy document.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import PhaseState, get_call, lock_call, phase_state, start_phase_now
from app.certificates.services import revoke_dropped
from app.entries.states import record_selection
from app.enums import Phase
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.library.services import publish_snapshot
from app.models import Call, ResultEntry, ResultRun
from app.results import snapshot
from app.results.inputs import VETO_PENDING, inputs_fingerprint
from app.review.rounds.services import last_round_no


def published_runs(session: Session, *, call: Call) -> list[ResultRun]:
    """The call's published snapshots, newest first."""
    return list(
        session.exec(
            select(ResultRun)
            .where(ResultRun.call_id == call.id, ResultRun.published_at.is_not(None))
            .order_by(ResultRun.published_at.desc(), ResultRun.id.desc())
        ).all()
    )


def latest_published(session: Session, *, call: Call) -> ResultRun | None:
    """The call's newest published snapshot, if any."""
    runs = published_runs(session, call=call)
    return runs[0] if runs else None


def published_snapshot(session: Session, *, call: Call, snapshot_id: int | None) -> ResultRun | None:
    """The published snapshot ``snapshot_id`` of ``call`` (DomainError if it is
    not one), or without an id the call's latest (None if it has none)."""
    if snapshot_id is None:
        return latest_published(session, call=call)
    run = session.get(ResultRun, snapshot_id)
    if run is None or run.call_id != call.id or run.published_at is None:
        raise DomainError(_l("That is not a published results snapshot of this call."))
    return run


def snapshot_rows(session: Session, run: ResultRun) -> list[ResultEntry]:
    """The run's rows in rank order."""
    return list(session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all())


def snapshot_documents(session: Session, run: ResultRun) -> tuple[dict[str, Any], dict[str, Any]]:
    """The run's public and private canonical documents (``app.results.snapshot``)."""
    rows = snapshot_rows(session, run)
    return (
        snapshot.public_document(run, rows),
        snapshot.private_document(run, rows, columns=[c.name for c in ResultEntry.__table__.columns]),
    )


def public_document_bytes(session: Session, run: ResultRun) -> bytes:
    """The published run's public document as the canonical bytes its public hash is taken of."""
    return snapshot.canonical_json(snapshot.public_document(run, snapshot_rows(session, run)))


def legacy_document(session: Session, run: ResultRun) -> dict[str, Any]:
    """The one document of the whole run that snapshots published before the
    public and private documents were hashed (``public_hash`` is None): their
    content hash is taken of it, and they keep verifying by it."""
    rows = snapshot_rows(session, run)
    # The columns of that time: none of those added with review rounds and public notices.
    later = snapshot.ROUND_FIELDS + snapshot.LIST_FIELDS
    columns = [c.name for c in ResultEntry.__table__.columns if c.name not in ("id", "run_id") + later]
    return {
        "run": run.id,
        "call_id": run.call_id,
        "method": run.method,
        "parameters": run.parameters,  # with the call's name and year as computed
        "summary": run.summary,
        "computed_at": _legacy_plain(run.computed_at),
        "published_at": _legacy_plain(run.published_at),
        "published_by_id": run.published_by_id,
        "public_scores": run.public_scores,
        "entries": [{name: _legacy_plain(getattr(row, name)) for name in columns} for row in rows],
    }


def _legacy_plain(value):
    if isinstance(value, datetime):
        # In UTC: the same instant reads back from the database as UTC.
        return value.astimezone(timezone.utc).isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def seal(session: Session, run: ResultRun) -> None:
    """Set the run's public, private and snapshot hashes from what it holds now."""
    public, private = snapshot_documents(session, run)
    run.public_hash = snapshot.document_hash(public)
    run.private_hash = snapshot.document_hash(private)
    run.content_hash = snapshot.snapshot_hash(run.public_hash, run.private_hash)


def verify(session: Session, run: ResultRun) -> bool:
    """True when a published snapshot still hashes to its recorded hashes.

    Snapshots published before the two documents existed (no public hash)
    are checked by the rule they were published with (:func:`legacy_document`).
    """
    if run.content_hash is None:
        return False
    if run.public_hash is None:
        return snapshot.document_hash(legacy_document(session, run)) == run.content_hash
    public, private = snapshot_documents(session, run)
    public_hash, private_hash = snapshot.document_hash(public), snapshot.document_hash(private)
    return (public_hash, private_hash, snapshot.snapshot_hash(public_hash, private_hash)) == (
        run.public_hash, run.private_hash, run.content_hash)


@dataclass(frozen=True)
class PublishBlocker:
    key: str
    count: int = 0


def publish_blockers(session: Session, *, run: ResultRun) -> list[PublishBlocker]:
    """What stops the draft from being published (empty: it can be)."""
    call = get_call(session, run.call_id)
    blockers = []
    if run.published:
        return [PublishBlocker("published")]
    if run.round_no < last_round_no(session, call=call):
        blockers.append(PublishBlocker("earlier_round"))
    if run.inputs_hash != inputs_fingerprint(session, call=call, round_no=run.round_no):
        blockers.append(PublishBlocker("stale"))
    counts = {
        "incomplete": ResultEntry.sheets < ResultEntry.assigned,
        "vetoes_pending": ResultEntry.veto_status == VETO_PENDING,
    }
    for key, condition in counts.items():
        count = session.exec(select(sa.func.count(ResultEntry.id)).where(ResultEntry.run_id == run.id, condition)).one()
        if count:
            blockers.append(PublishBlocker(key, count))
    unranked = run.summary.get("counts", {}).get("unranked", 0)
    if unranked:
        blockers.append(PublishBlocker("unranked", unranked))
    return blockers


def blocker_message(blocker: PublishBlocker):
    """What the chair reads about a blocker."""
    if blocker.key == "published":
        return _l("This snapshot is already published.")
    if blocker.key == "earlier_round":
        return _l("These are the results of an earlier review round: publish those of the last round.")
    if blocker.key == "stale":
        return _l("Score sheets or assignments changed since this draft was computed: compute it again first.")
    if blocker.key == "incomplete":
        return _l(
            "%(count)s entries still have score sheets outstanding: wait for them, or remove those assignments.",
            count=blocker.count,
        )
    if blocker.key == "unranked":
        return _l(
            "%(count)s entries in review have no submitted score sheet: they would be missing from the ranking.",
            count=blocker.count,
        )
    return _l("%(count)s entries have veto flags awaiting your decision.", count=blocker.count)


def early_publication(call: Call, *, now: datetime) -> PhaseState | None:
    """Where the call stands if its results phase has not started yet at ``now``
    (publishing then needs the chair's confirmation, naming that phase), else None."""
    results = call.phase_window(Phase.RESULTS)
    if results is None or results.starts_at <= now:
        return None
    return phase_state(call, now=now)


def publish(session: Session, *, run: ResultRun, actor, now: datetime, public_scores: bool,
            early: bool = False, list_kind: str = "results") -> ResultRun:
    """Freeze the draft as a published snapshot, with its content hash.

    Entries move to "selected" or "not selected", and the selected ones go
    into the public case library (``app.library.services.publish_snapshot``).
    Refused while anything in :func:`publish_blockers` holds. Before the
    call's results phase it needs ``early`` (the chair confirmed publishing
    in the phase that runs): the results phase then starts now, and the
    phase that ran ends now.

    A call that requires a public notice publishes a *proposed* list
    (``list_kind="proposed"``, through ``app.notices.services``): frozen and
    hashed the same way, but no entry moves and the library receives nothing
    until the official list is published after the notice.
    """
    lock_call(session, run.call_id)
    session.refresh(run)
    blockers = publish_blockers(session, run=run)
    if blockers:
        raise DomainError(blocker_message(blockers[0]))
    call = get_call(session, run.call_id, selectinload(Call.quotas))  # an early start audits the call, quotas included
    if call.notice_required and list_kind != "proposed":
        raise DomainError(_l("This call requires a public notice: publish the draft as the proposed list."))
    if early_publication(call, now=now) is not None:
        if not early:
            raise DomainError(_l("The results phase has not started yet: confirm that you publish before it."))
        start_phase_now(session, actor=actor, call=call, phase=Phase.RESULTS, now=now)
    run.public_scores = public_scores
    run.list_kind = list_kind
    run.published_at = now
    run.published_by_id = actor.id if getattr(actor, "is_authenticated", False) else None
    seal(session, run)
    session.add(run)
    session.flush()
    if list_kind != "proposed":
        move_entries(session, run=run, actor=actor, now=now)
        publish_snapshot(session, run=run, now=now)
        revoke_dropped(session, run=run, actor=actor, now=now)  # certificates of entries the new list drops
    record(session, actor=actor, action="results.published", obj=get_call(session, run.call_id),
           after={"run_id": run.id, "content_hash": run.content_hash, "public_hash": run.public_hash,
                  "public_scores": public_scores, "list_kind": list_kind,
                  "selected": run.summary.get("selection", {}).get("selected")})
    return run


def move_entries(session: Session, *, run: ResultRun, actor, now: datetime) -> None:
    rows = session.exec(select(ResultEntry.entry_id, ResultEntry.selected).where(ResultEntry.run_id == run.id)).all()
    record_selection(session, selected={entry_id: chosen for entry_id, chosen in rows}, actor=actor, now=now)
