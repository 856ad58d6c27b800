"""Publishing a draft as a frozen snapshot with its content hash, what stops
it, and finding the published snapshots of a call. Services only flush; the
caller commits.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import lock_call
from app.entries.states import record_selection
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.library.services import publish_snapshot
from app.models import Call, ResultEntry, ResultRun
from app.results.inputs import VETO_PENDING, inputs_fingerprint


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


def snapshot_document(session: Session, run: ResultRun) -> dict[str, Any]:
    """The run as one canonical document: what the content hash covers."""
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()
    columns = [c.name for c in ResultEntry.__table__.columns if c.name not in ("id", "run_id")]
    return {
        "run": run.id,
        "call_id": run.call_id,
        "method": run.method,
        "parameters": run.parameters,  # with the call's name and year as computed
        "summary": run.summary,
        "computed_at": _plain(run.computed_at),
        "published_at": _plain(run.published_at),
        "published_by_id": run.published_by_id,
        "public_scores": run.public_scores,
        "entries": [{name: _plain(getattr(row, name)) for name in columns} for row in rows],
    }


def _plain(value):
    if isinstance(value, datetime):
        # In UTC: the same instant reads back from the database as UTC.
        return value.astimezone(timezone.utc).isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def content_hash(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify(session: Session, run: ResultRun) -> bool:
    """True when a published snapshot still hashes to its recorded content hash."""
    return run.content_hash is not None and content_hash(snapshot_document(session, run)) == run.content_hash


@dataclass(frozen=True)
class PublishBlocker:
    key: str
    count: int = 0


def publish_blockers(session: Session, *, run: ResultRun) -> list[PublishBlocker]:
    """What stops the draft from being published (empty: it can be)."""
    call = session.get(Call, run.call_id)
    blockers = []
    if run.published:
        return [PublishBlocker("published")]
    if run.inputs_hash != inputs_fingerprint(session, call=call):
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


def publish(session: Session, *, run: ResultRun, actor, now: datetime, public_scores: bool) -> ResultRun:
    """Freeze the draft as a published snapshot, with its content hash.

    Entries move to "selected" or "not selected", and the selected ones go
    into the public case library (``app.library.services.publish_snapshot``).
    Refused while anything in :func:`publish_blockers` holds.
    """
    lock_call(session, run.call_id)
    session.refresh(run)
    blockers = publish_blockers(session, run=run)
    if blockers:
        raise DomainError(blocker_message(blockers[0]))
    run.public_scores = public_scores
    run.published_at = now
    run.published_by_id = actor.id if getattr(actor, "is_authenticated", False) else None
    run.content_hash = content_hash(snapshot_document(session, run))
    session.add(run)
    session.flush()
    _move_entries(session, run=run, actor=actor, now=now)
    publish_snapshot(session, run=run, now=now)
    record(session, actor=actor, action="results.published", obj=session.get(Call, run.call_id),
           after={"run_id": run.id, "content_hash": run.content_hash, "public_scores": public_scores,
                  "selected": run.summary.get("selection", {}).get("selected")})
    return run


def _move_entries(session: Session, *, run: ResultRun, actor, now: datetime) -> None:
    rows = session.exec(select(ResultEntry.entry_id, ResultEntry.selected).where(ResultEntry.run_id == run.id)).all()
    record_selection(session, selected={entry_id: chosen for entry_id, chosen in rows}, actor=actor, now=now)
