"""Assignments of experts to entries, in the database: the automatic run (and
its top-up), and manual additions and removals.

The run loads its facts in a handful of grouped queries
(:mod:`app.review.assignment.loaders`), hands them to
:func:`app.review.assignment.solver.assign`, bulk-inserts the new rows, moves
newly assigned eligible entries to review through
:func:`app.entries.states.transition`, and audits: one ``assignment.added``
row per entry that got experts and one ``assignment.run`` row on the call
with the counts, the loads and the shortfalls (the "last run" report,
:mod:`app.review.assignment.reports`).

Every change here can complete an entry's scoring or undo it (a scored
entry given another expert is in review again; removing the one expert
still to submit completes it): each ends with
:func:`app.entries.states.sync_scoring_status` for the entries it touched.

A removed assignment keeps its row (``removed_at``, ``removed_reason``); the
automatic run never gives that expert that entry again. Services only
flush; the caller commits.
"""
from collections import Counter, defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import lock_call
from app.entries.states import sync_scoring_status, transition, transition_many
from app.enums import AssignmentSource, EntryStatus, Phase, Role
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Call, Entry, ExpertProfile, Panel, User
from app.notifications.services import notify
from app.review.assignment.loaders import entry_facts, expert_facts, load_panels, load_run_input, panel_facts
from app.review.assignment.reports import EntryExperts, RunReport, ShortfallRow, panel_summaries
from app.review.assignment.solver import assign
from app.review.conflicts import automatic_conflict, recorded_conflict
from app.urls import site_path

ASSIGNABLE = (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SCORED)
REVIEWED = (EntryStatus.IN_REVIEW, EntryStatus.SCORED)  # what a top-up fills
MANUAL_SOURCES = (AssignmentSource.MANUAL, AssignmentSource.EXTRA)
MAX_PER_ENTRY = 20
REASON_MAX = 1000


def _label(user: User | None) -> str:
    return f"{user.name} <{user.email}>" if user else "?"


# --- the automatic run ----------------------------------------------------------


def run_assignment(
    session: Session,
    *,
    call: Call,
    actor,
    now: datetime,
    per_entry: int | None = None,
    seed: int = 0,
    top_up: bool = False,
) -> RunReport:
    """Give every eligible, in-review or scored entry of ``call`` its experts.

    Existing active assignments count; only gaps are filled. A top-up
    (``top_up=True``) fills the gaps of entries already in review or scored
    only (after declines, conflicts or removals) and marks its rows as
    top-ups. Newly assigned eligible entries move to review (``actor`` must
    be allowed to make that transition: a chair, or the command line's
    operator); scored entries that got an expert are in review again.
    """
    per_entry = call.experts_per_entry if per_entry is None else per_entry
    if not 1 <= per_entry <= MAX_PER_ENTRY:
        raise DomainError(_l("Ask for between 1 and %(n)s experts per entry.", n=MAX_PER_ENTRY))
    if call.phase_window(Phase.REVIEW) is None:
        raise DomainError(_l("This call has no review phase."))
    lock_call(session, call.id)  # one run at a time per call

    loaded = load_run_input(session, call=call, statuses=REVIEWED if top_up else ASSIGNABLE)
    entries, panels, experts, existing = loaded.entries, loaded.panels, loaded.experts, loaded.existing
    plan = assign(
        entry_facts(entries),
        expert_facts(experts, year=call.year),
        panel_facts(panels),
        per_entry=per_entry,
        existing=existing,
        forbidden=loaded.forbidden,
        seed=seed,
    )

    source = AssignmentSource.TOP_UP if top_up else AssignmentSource.AUTOMATIC
    actor_id = actor.id if getattr(actor, "is_authenticated", False) else None
    if plan.pairs:
        session.exec(
            sa.insert(Assignment),
            params=[
                {
                    "call_id": call.id, "entry_id": pair.entry_id, "expert_id": pair.expert_id,
                    "panel_id": pair.panel_id, "source": source, "created_at": now, "created_by_id": actor_id,
                }
                for pair in plan.pairs
            ],
        )

    by_id = {entry.id: entry for entry in entries}
    panel_names = {panel.id: panel.name for panel in panels}
    new_experts: dict[int, list[int]] = defaultdict(list)
    for pair in plan.pairs:
        new_experts[pair.entry_id].append(pair.expert_id)
    have = defaultdict(int)
    for entry_id, _expert_id in existing:
        have[entry_id] += 1

    report = RunReport(
        call_id=call.id, per_entry=per_entry, seed=seed, top_up=top_up, entries=len(entries),
        already_complete=sum(1 for entry in entries if have[entry.id] >= per_entry), pairs=len(plan.pairs),
        panels=panel_summaries(panels, plan.panels),
    )
    panel_of = {pair.entry_id: pair.panel_id for pair in plan.pairs}
    # All "assignment.added" rows first: they go out in one batch with the
    # first flush, and come before "entry.review_started" in the history.
    for entry_id, expert_ids in new_experts.items():
        entry = by_id[entry_id]
        record(session, actor=actor, action="assignment.added", obj=entry,
               after={"expert_ids": expert_ids, "source": source.value, "panel_id": panel_of[entry_id]})
        report.assigned.append(
            EntryExperts(entry_id, entry.title, panel_names[panel_of[entry_id]],
                         tuple(_label(experts.users.get(expert_id)) for expert_id in expert_ids))
        )
    starting = [by_id[entry_id] for entry_id in new_experts if by_id[entry_id].status == EntryStatus.ELIGIBLE]
    transition_many(session, entries=starting, target=EntryStatus.IN_REVIEW, actor=actor, now=now)
    report.moved_to_review += len(starting)
    scored = [entry_id for entry_id in new_experts if by_id[entry_id].status == EntryStatus.SCORED]
    sync_scoring_status(session, entry_ids=scored, actor=actor, now=now)
    report.infeasible = [
        ShortfallRow(
            entry_id=s.entry_id, title=by_id[s.entry_id].title, panel_name=panel_names.get(s.panel_id),
            needed=s.needed, found=s.found, eligible=s.eligible, reason=s.reason,
        )
        for s in plan.infeasible
    ]
    record(session, actor=actor, action="assignment.run", obj=call, after=report.summary())
    notify_assigned(session, call=call, counts=Counter(pair.expert_id for pair in plan.pairs), users=experts.users,
                    now=now)
    session.flush()
    return report


def notify_assigned(session: Session, *, call: Call, counts: dict[int, int], users: dict[int, User],
                    now: datetime) -> None:
    """Tell each expert how many entries were just assigned to them, and the
    review deadline: one notification per expert per run, not one per entry."""
    window = call.phase_window(Phase.REVIEW)
    deadline = window.ends_at if window else None
    for expert_id, count in sorted(counts.items()):
        notify(session, user=users[expert_id], kind="review.assigned",
               params={"call": call.name, "count": count, "deadline": deadline.isoformat() if deadline else None},
               link=site_path("review.queue"), mail={"deadline": deadline}, now=now)


# --- manual changes ---------------------------------------------------------------


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason: it is kept in the entry's history."))
    if len(reason) > REASON_MAX:
        raise DomainError(_l("The reason can be at most %(n)s characters long.", n=REASON_MAX))
    return reason


def domain_panels(session: Session, *, entry: Entry) -> list[Panel]:
    """The panels of the entry's call that cover its domain."""
    if entry.domain is None:
        return []
    return [panel for panel in load_panels(session, entry.call_id) if entry.domain.value in panel.domains]


def refusal(session: Session, *, entry: Entry, expert: User, panels: list[Panel] | None = None):
    """Why ``expert`` cannot be added to ``entry`` (a translated message), or None."""
    panels = domain_panels(session, entry=entry) if panels is None else panels
    if not expert.active or not expert.has_role(Role.EXPERT):
        return _l("%(name)s is not an active expert account.", name=expert.name)
    if not any(member.user_id == expert.id for panel in panels for member in panel.members):
        return _l("%(name)s is not on a panel that covers this entry's domain.", name=expert.name)
    profile = session.get(ExpertProfile, expert.id, options=[selectinload(ExpertProfile.employments)])
    conflict = automatic_conflict(profile, entry, year=entry.call.year)
    if conflict is not None:
        return _l("%(name)s has a conflict of interest with this entry: %(reason)s", name=expert.name, reason=conflict)
    stored = recorded_conflict(session, expert_id=expert.id, entry_id=entry.id)
    if stored is not None:
        return _l("%(name)s has a recorded conflict of interest with this entry: %(reason)s",
                  name=expert.name, reason=stored.reason)
    return None


def add_assignment(
    session: Session,
    *,
    entry: Entry,
    expert: User,
    actor,
    reason: str,
    now: datetime,
    source: AssignmentSource = AssignmentSource.MANUAL,
) -> Assignment:
    """Assign ``expert`` to ``entry`` by hand (audited; an eligible entry moves
    to review, a scored one is in review again).

    ``source`` is MANUAL for a chair's choice, EXTRA for an extra expert on a
    disputed entry (results). Refused for conflicts of interest, experts
    outside the entry's panels, entries not eligible, in review or scored,
    and experts already on the entry. An expert removed from the entry
    earlier is assigned again on the same row.
    """
    if source not in MANUAL_SOURCES:
        raise ValueError(f"add_assignment does not make {source} assignments")
    reason = _reason(reason)
    if entry.status not in ASSIGNABLE:
        raise DomainError(_l("Only eligible entries and entries in review can be given experts."))
    panels = domain_panels(session, entry=entry)
    problem = refusal(session, entry=entry, expert=expert, panels=panels)
    if problem is not None:
        raise DomainError(problem)
    rows = session.exec(select(Assignment).where(Assignment.entry_id == entry.id)).all()
    if any(row.expert_id == expert.id and row.active for row in rows):
        raise DomainError(_l("%(name)s is already assigned to this entry.", name=expert.name))
    # The entry's panel: the one most of its current experts came through.
    current = defaultdict(int)
    for row in rows:
        if row.active and row.panel_id is not None:
            current[row.panel_id] += 1
    own = [panel for panel in panels if any(member.user_id == expert.id for member in panel.members)]
    panel = max(own, key=lambda p: (current[p.id], -p.id))

    assignment = next((row for row in rows if row.expert_id == expert.id), None)
    before = None
    if assignment is None:
        assignment = Assignment(call_id=entry.call_id, entry_id=entry.id, expert_id=expert.id)
    else:
        before = {"expert_id": expert.id, "removed_reason": assignment.removed_reason}
    assignment.panel_id = panel.id
    assignment.source = source
    assignment.created_at = now
    assignment.created_by_id = actor.id if getattr(actor, "is_authenticated", False) else None
    assignment.removed_at = None
    assignment.removed_reason = None
    session.add(assignment)
    session.flush()
    record(session, actor=actor, action="assignment.added", obj=entry, before=before,
           after={"expert_id": expert.id, "source": source.value, "panel_id": panel.id}, reason=reason)
    if entry.status == EntryStatus.ELIGIBLE:
        transition(session, entry=entry, target=EntryStatus.IN_REVIEW, actor=actor, now=now)
    sync_scoring_status(session, entry_ids=[entry.id], actor=actor, now=now)
    notify_assigned(session, call=entry.call, counts={expert.id: 1}, users={expert.id: expert}, now=now)
    return assignment


def remove_assignment(session: Session, *, assignment: Assignment, actor, reason: str, now: datetime) -> Assignment:
    """Take an expert off an entry; the row stays, with when and why (audited).

    When the expert was the last one still to submit, the entry is scored.
    """
    reason = _reason(reason)
    if not assignment.active:
        raise DomainError(_l("This assignment has already been removed."))
    assignment.removed_at = now
    assignment.removed_reason = reason
    session.add(assignment)
    session.flush()
    entry = session.get(Entry, assignment.entry_id)
    record(session, actor=actor, action="assignment.removed", obj=entry, before={"expert_id": assignment.expert_id},
           reason=reason)
    sync_scoring_status(session, entry_ids=[entry.id], actor=actor, now=now)
    return assignment
