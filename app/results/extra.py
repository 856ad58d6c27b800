"""One more expert for each disputed entry: the chair's single action when the
experts disagree too much.

Built on the conflict-aware planner of expert review
(:func:`app.review.assignment.solver.assign`): each disputed entry asks for one
expert more than it has now, from its domain's panel, never an expert in
conflict with it, one who was removed from it, or one already on it, and
spreading the extra work over the panel. The new assignments are marked
"extra" and audited like any other.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import get_call, lock_call
from app.entries.states import sync_scoring_status
from app.enums import AssignmentSource, EntryStatus, Phase, SheetStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Call, ResultEntry, ResultRun, ScoreSheet
from app.review.assignment.loaders import entry_facts, expert_facts, load_run_input, panel_facts
from app.review.assignment.solver import assign


@dataclass
class ExtraReport:
    disputed: int = 0
    waiting: int = 0  # disputed entries whose earlier extra expert has not submitted yet
    assigned: list[tuple[int, int]] = field(default_factory=list)  # (entry id, expert id)
    unassigned: list[int] = field(default_factory=list)  # entry ids no expert could be found for


def _pending_extra(session: Session, call: Call) -> set[int]:
    """Entries with an active extra assignment whose sheet is not submitted yet."""
    rows = session.exec(
        select(Assignment.entry_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(
            Assignment.call_id == call.id,
            Assignment.removed_at.is_(None),
            Assignment.source == AssignmentSource.EXTRA,
            sa.or_(ScoreSheet.id.is_(None), ScoreSheet.status != SheetStatus.SUBMITTED),
        )
    ).all()
    return set(rows)


def assign_extra_experts(session: Session, *, run: ResultRun, actor, now: datetime) -> ExtraReport:
    """Give every disputed entry of the draft ``run`` one more expert.

    Idempotent: an entry still waiting for its previous extra expert's sheet
    gets none. Refused outside the review phase (the new experts could not
    score) and on published snapshots.
    """
    if run.published:
        raise DomainError(_l("This snapshot is published: compute a new draft to act on disagreements."))
    call = get_call(session, run.call_id)
    if not call.is_phase_open(Phase.REVIEW, now=now):
        raise DomainError(_l("Extra experts can only score while the review phase runs: extend the review phase first."))
    lock_call(session, call.id)  # one run at a time per call

    disputed = set(
        session.exec(
            select(ResultEntry.entry_id).where(
                ResultEntry.run_id == run.id, sa.cast(ResultEntry.disagreement_flags, sa.Text) != "[]"
            )
        ).all()
    )
    report = ExtraReport(disputed=len(disputed))
    if not disputed:
        raise DomainError(_l("No entry is flagged for disagreement in this draft."))
    waiting = _pending_extra(session, call) & disputed
    report.waiting = len(waiting)
    loaded = load_run_input(session, call=call, statuses=(EntryStatus.IN_REVIEW, EntryStatus.SCORED))
    entries = [entry for entry in loaded.entries if entry.id in disputed - waiting]
    existing = list(loaded.existing)
    have: dict[int, int] = defaultdict(int)
    for entry_id, _expert in existing:
        have[entry_id] += 1
    groups: dict[int, list] = defaultdict(list)
    for entry in entries:
        groups[have[entry.id]].append(entry)

    experts = expert_facts(loaded.experts, year=call.year)
    panels = panel_facts(loaded.panels)
    pairs = []
    for count, group in sorted(groups.items()):
        plan = assign(
            entry_facts(group),
            experts,
            panels,
            per_entry=count + 1,
            existing=existing,
            forbidden=loaded.forbidden,
            seed=run.id,
        )
        pairs += plan.pairs
        existing += [(pair.entry_id, pair.expert_id) for pair in plan.pairs]
    if pairs:
        session.exec(
            sa.insert(Assignment),
            params=[
                {"call_id": call.id, "entry_id": p.entry_id, "expert_id": p.expert_id, "panel_id": p.panel_id,
                 "source": AssignmentSource.EXTRA, "created_at": now, "created_by_id": actor.id}
                for p in pairs
            ],
        )
    by_id = {entry.id: entry for entry in entries}
    got = {pair.entry_id for pair in pairs}
    for pair in pairs:
        record(session, actor=actor, action="assignment.added", obj=by_id[pair.entry_id],
               after={"expert_ids": [pair.expert_id], "source": AssignmentSource.EXTRA.value, "panel_id": pair.panel_id},
               reason="disagreement")
    # Scored entries that got an expert are in review again.
    sync_scoring_status(session, entry_ids=got, actor=actor, now=now)
    report.assigned = [(pair.entry_id, pair.expert_id) for pair in pairs]
    report.unassigned = sorted(entry.id for entry in entries if entry.id not in got)
    session.flush()
    record(session, actor=actor, action="results.extra_experts", obj=call,
           after={"run_id": run.id, "assigned": len(pairs), "waiting": report.waiting, "unassigned": report.unassigned})
    return report
