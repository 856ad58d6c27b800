"""The chair's decisions on the draft: forcing an entry into the selection
or out of it (overrides) and confirming or dismissing veto flags, each with
a reason and audited; the draft follows them (reselected, or computed again
when a veto moves the cut line). Services only flush; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import get_call, lock_call
from app.enums import SheetStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import (
    Assignment,
    Call,
    Entry,
    ResultEntry,
    ResultRun,
    ScoreSheet,
    SelectionOverride,
    VetoDecision,
)
from app.results import selection
from app.results.compute import compute_results, draft_run, select_with_overrides, selection_summary
from app.results.inputs import (
    ACTIVE_ASSIGNMENT,
    VETO_CONFIRMED,
    VETO_PENDING,
    override_of,
    veto_decision_of,
    veto_decisions,
    veto_status,
)
from app.results.settings import Settings


def _check_draft(run: ResultRun) -> None:
    if run.published:
        raise DomainError(_l("This snapshot is published: it can no longer change. Compute a new draft instead."))


def reselect(session: Session, *, run: ResultRun) -> selection.Selection:
    """Apply the call's current overrides and veto decisions to the draft's selection."""
    lock_call(session, run.call_id)
    session.refresh(run)
    _check_draft(run)
    call = get_call(session, run.call_id)
    rows = list(session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all())
    decisions = veto_decisions(session, [row.entry_id for row in rows])
    for row in rows:
        row.veto_status = veto_status(row.veto_keys, decisions.get(row.entry_id))
    settings = Settings.of_run(run)
    # Entries a later round left behind are never selected: they keep their decision.
    candidates = [row for row in rows if row.shortlisted]
    ranking = [
        selection.RankedEntry(row.entry_id, str(row.domain), row.organisation_id, row.score, row.rank,
                              vetoed=row.veto_status == VETO_CONFIRMED)
        for row in candidates
    ]
    chosen = select_with_overrides(session, call=call, ranking=ranking, settings=settings)
    by_entry = {d.entry_id: d for d in chosen.decisions}
    for row in candidates:
        decision = by_entry[row.entry_id]
        row.selected, row.decision, row.chair_reason = decision.selected, decision.reason, decision.chair_reason
        session.add(row)
    summary = dict(run.summary)
    summary["selection"] = selection_summary(chosen)
    summary["counts"] = {**summary.get("counts", {}),
                         "vetoes_pending": sum(1 for r in rows if r.veto_status == VETO_PENDING)}
    run.summary = summary
    session.add(run)
    session.flush()
    return chosen


def set_override(session: Session, *, call: Call, entry: Entry, include: bool, reason: str, actor, now: datetime) -> None:
    """Force an entry into the selection or out of it, with a reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason for the change: it is recorded with the selection."))
    if entry.call_id != call.id:
        raise DomainError(_l("This entry does not belong to this call."))
    lock_call(session, call.id)
    run = draft_run(session, call=call)
    if run is None or session.exec(
        select(ResultEntry.id).where(ResultEntry.run_id == run.id, ResultEntry.entry_id == entry.id)
    ).first() is None:
        raise DomainError(_l("Only entries in the current draft ranking can be selected or excluded."))
    override = override_of(session, call_id=call.id, entry_id=entry.id)
    before = {"include": override.include, "reason": override.reason} if override else None
    if override is None:
        override = SelectionOverride(call_id=call.id, entry_id=entry.id, include=include, reason=reason)
    override.include, override.reason = include, reason
    override.created_by_id, override.created_at = actor.id, now
    session.add(override)
    session.flush()
    record(session, actor=actor, action="selection.override_set", obj=entry, before=before,
           after={"include": include}, reason=reason)
    reselect(session, run=run)


def remove_override(session: Session, *, override: SelectionOverride, actor, reason: str = "") -> None:
    """Let the rule decide the entry again (audited)."""
    lock_call(session, override.call_id)
    entry = session.get(Entry, override.entry_id)
    call = get_call(session, override.call_id)
    record(session, actor=actor, action="selection.override_removed", obj=entry,
           before={"include": override.include, "reason": override.reason}, reason=(reason or "").strip() or None)
    session.delete(override)
    session.flush()
    run = draft_run(session, call=call)
    if run is not None:
        reselect(session, run=run)


def decide_veto(session: Session, *, entry: Entry, confirmed: bool, reason: str, actor, now: datetime) -> None:
    """Confirm an entry's veto flags (it is excluded from selection) or dismiss
    them; the draft, if any, is computed again with the decision."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason for the veto decision: it is recorded."))
    flagged = session.exec(
        select(ScoreSheet.vetoes)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(ScoreSheet.entry_id == entry.id, ACTIVE_ASSIGNMENT, ScoreSheet.status == SheetStatus.SUBMITTED)
    ).all()
    if not any(answer is True for vetoes in flagged for answer in (vetoes or {}).values()):
        raise DomainError(_l("No expert raised a veto on this entry."))
    decision = veto_decision_of(session, entry_id=entry.id)
    before = {"confirmed": decision.confirmed, "reason": decision.reason} if decision else None
    if decision is None:
        decision = VetoDecision(entry_id=entry.id, confirmed=confirmed, reason=reason)
    decision.confirmed, decision.reason = confirmed, reason
    decision.decided_by_id, decision.decided_at = actor.id, now
    session.add(decision)
    session.flush()
    record(session, actor=actor, action="veto.confirmed" if confirmed else "veto.dismissed", obj=entry,
           before=before, after={"confirmed": confirmed}, reason=reason)
    # A confirmed veto moves the cut line, hence the rank intervals: the draft
    # is computed again rather than only reselected.
    if draft_run(session, call=entry.call) is not None:
        compute_results(session, call=entry.call, actor=actor, now=now)
