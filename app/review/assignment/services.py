"""Assignments of experts to entries, in the database: the automatic run (and
its top-up), manual additions and removals, and what the chair's pages show.

The run loads everything it needs in a handful of queries (entries with
their organisations, panels with members, experts with roles, profiles with
employments, stored conflicts, the call's assignments), hands plain facts to
:func:`app.review.assignment.solver.assign`, bulk-inserts the new rows, moves newly
assigned eligible entries to review through
:func:`app.entries.states.transition`, and audits: one ``assignment.added``
row per entry that got experts and one ``assignment.run`` row on the call
with the counts, the loads and the shortfalls (the "last run" report).

Every change here can complete an entry's scoring or undo it (a scored
entry given another expert is in review again; removing the one expert
still to submit completes it): each ends with
:func:`app.entries.states.sync_scoring_status` for the entries it touched.

A removed assignment keeps its row (``removed_at``, ``removed_reason``); the
automatic run never gives that expert that entry again. Services only
flush; the caller commits.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import lock_call
from app.entries.states import sync_scoring_status, transition, transition_many
from app.enums import AssignmentSource, EntryStatus, Phase, Role
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import (
    Assignment,
    AuditEvent,
    Call,
    Conflict,
    Entry,
    ExpertProfile,
    Organisation,
    Panel,
    User,
)
from app.review.assignment.solver import (
    CAPS,
    NO_PANEL,
    TOO_FEW_EXPERTS,
    EntryFacts,
    ExpertFacts,
    PanelFacts,
    assign,
    normalise_tags,
    panel_loads,
)
from app.review.conflicts import (
    automatic_conflict,
    entry_keys,
    organisation_keys,
    recorded_conflict,
)

ASSIGNABLE = (EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SCORED)
REVIEWED = (EntryStatus.IN_REVIEW, EntryStatus.SCORED)  # what a top-up fills
MANUAL_SOURCES = (AssignmentSource.MANUAL, AssignmentSource.EXTRA)
MAX_PER_ENTRY = 20
REASON_MAX = 1000
LACKING_SHOWN = 200

REASON_LABELS = {
    NO_PANEL: _l("No panel covers the entry's domain."),
    TOO_FEW_EXPERTS: _l("Too few experts of the panel are free of conflicts of interest with it."),
    CAPS: _l("The panel's eligible experts have reached their maximum number of entries."),
}


# --- report shapes ------------------------------------------------------------


@dataclass(frozen=True)
class PanelSummary:
    """A panel's members' loads (active assignments in the call)."""

    id: int
    name: str
    domains: tuple[str, ...]
    members: int
    minimum: int
    maximum: int
    spread: int
    entries: int = 0  # assignable entries in its domains (overview only)
    assignments: int = 0  # active assignments made through it (overview only)


@dataclass(frozen=True)
class ShortfallRow:
    """An entry that could not get all its experts, and why."""

    entry_id: int
    title: str
    panel_name: str | None
    needed: int
    found: int
    eligible: int
    reason: str

    @property
    def message(self):
        return REASON_LABELS[self.reason]


@dataclass(frozen=True)
class EntryExperts:
    """The experts one entry got in a run."""

    entry_id: int
    title: str
    panel_name: str
    experts: tuple[str, ...]  # "name <email>"


@dataclass
class RunReport:
    call_id: int
    per_entry: int
    seed: int
    top_up: bool
    entries: int  # entries considered
    already_complete: int  # of which had enough experts before the run
    assigned: list[EntryExperts] = field(default_factory=list)
    pairs: int = 0
    moved_to_review: int = 0
    panels: list[PanelSummary] = field(default_factory=list)
    infeasible: list[ShortfallRow] = field(default_factory=list)

    @property
    def nothing_assigned(self) -> bool:
        """True when the run assigned no one although something was to be done."""
        return self.pairs == 0 and (self.entries == 0 or bool(self.infeasible))

    def summary(self) -> dict:
        """What the ``assignment.run`` audit row keeps (JSON)."""
        return {
            "per_entry": self.per_entry,
            "seed": self.seed,
            "top_up": self.top_up,
            "entries": self.entries,
            "already_complete": self.already_complete,
            "assigned": self.pairs,
            "entries_assigned": len(self.assigned),
            "moved_to_review": self.moved_to_review,
            "panels": [
                {"id": p.id, "name": p.name, "domains": list(p.domains), "members": p.members,
                 "minimum": p.minimum, "maximum": p.maximum, "spread": p.spread}
                for p in self.panels
            ],
            "infeasible": [
                {"entry_id": s.entry_id, "panel": s.panel_name, "needed": s.needed, "found": s.found,
                 "eligible": s.eligible, "reason": s.reason}
                for s in self.infeasible
            ],
        }


@dataclass(frozen=True)
class StoredRun:
    """The last run of a call, as its audit row recorded it."""

    occurred_at: datetime
    actor_email: str | None
    per_entry: int
    seed: int
    top_up: bool
    entries: int
    already_complete: int
    assigned: int
    entries_assigned: int
    moved_to_review: int
    panels: list[PanelSummary]
    infeasible: list[ShortfallRow]


# --- loading ------------------------------------------------------------------


@dataclass
class _Experts:
    """Panel members who may review (active accounts with the expert role)."""

    users: dict[int, User]
    profiles: dict[int, ExpertProfile]


def _panels(session: Session, call: Call) -> list[Panel]:
    return list(session.exec(select(Panel).where(Panel.call_id == call.id).order_by(Panel.id)).all())


def _experts(session: Session, member_ids) -> _Experts:
    ids = sorted(set(member_ids))
    if not ids:
        return _Experts({}, {})
    users = session.exec(select(User).where(User.id.in_(ids))).all()
    profiles = session.exec(select(ExpertProfile).where(ExpertProfile.user_id.in_(ids))).all()
    return _Experts(
        users={user.id: user for user in users if user.active and user.has_role(Role.EXPERT)},
        profiles={profile.user_id: profile for profile in profiles},
    )


def _expert_facts(experts: _Experts, *, year: int) -> list[ExpertFacts]:
    facts = []
    for user_id in sorted(experts.users):
        profile = experts.profiles.get(user_id)
        facts.append(
            ExpertFacts(
                id=user_id,
                keys=organisation_keys(profile, year=year),
                tech_tags=normalise_tags(profile.tech_tags if profile else ()),
                cap=profile.max_assignments if profile else None,
            )
        )
    return facts


def _panel_facts(panels: list[Panel]) -> list[PanelFacts]:
    return [
        PanelFacts(id=panel.id, domains=frozenset(panel.domains), member_ids=tuple(m.user_id for m in panel.members))
        for panel in panels
    ]


def _label(user: User | None) -> str:
    return f"{user.name} <{user.email}>" if user else "?"


def _active_loads(session: Session, call: Call) -> dict[int, int]:
    rows = session.exec(
        select(Assignment.expert_id, sa.func.count())
        .where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))
        .group_by(Assignment.expert_id)
    ).all()
    return dict(rows)


def _summaries(panels: list[Panel], plan_panels) -> list[PanelSummary]:
    return [
        PanelSummary(
            id=panel.id, name=panel.name, domains=tuple(panel.domains), members=plan_panels[panel.id].members,
            minimum=plan_panels[panel.id].minimum, maximum=plan_panels[panel.id].maximum,
            spread=plan_panels[panel.id].spread,
        )
        for panel in panels
    ]


# --- the automatic run ----------------------------------------------------------


@dataclass
class _RunInput:
    entries: list[Entry]
    panels: list[Panel]
    experts: _Experts
    existing: list[tuple[int, int]]  # active (entry id, expert id) pairs of the call
    forbidden: set[tuple[int, int]]  # stored conflicts and removed assignments


def _load_run(session: Session, *, call: Call, statuses) -> _RunInput:
    """Everything a run needs, in ten queries whatever the size of the call."""
    entries = session.exec(
        select(Entry)
        .where(Entry.call_id == call.id, Entry.status.in_(statuses))
        .options(
            joinedload(Entry.organisation),
            lazyload(Entry.photos),
            lazyload(Entry.outcomes),
            lazyload(Entry.attachments),
        )
        .order_by(Entry.id)
    ).all()
    panels = _panels(session, call)
    experts = _experts(session, (m.user_id for panel in panels for m in panel.members))
    forbidden = set(
        session.exec(
            select(Conflict.entry_id, Conflict.expert_id)
            .join(Entry, Entry.id == Conflict.entry_id)
            .where(Entry.call_id == call.id)
        ).all()
    )
    existing = []
    for entry_id, expert_id, removed_at in session.exec(
        select(Assignment.entry_id, Assignment.expert_id, Assignment.removed_at).where(Assignment.call_id == call.id)
    ).all():
        if removed_at is None:
            existing.append((entry_id, expert_id))
        else:  # removed: never given back automatically
            forbidden.add((entry_id, expert_id))
    return _RunInput(entries=list(entries), panels=panels, experts=experts, existing=existing, forbidden=forbidden)


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

    loaded = _load_run(session, call=call, statuses=REVIEWED if top_up else ASSIGNABLE)
    entries, panels, experts, existing = loaded.entries, loaded.panels, loaded.experts, loaded.existing
    plan = assign(
        [
            EntryFacts(
                id=entry.id,
                domain=entry.domain.value if entry.domain else None,
                keys=entry_keys(entry),
                tech_tags=normalise_tags(entry.tech_tags),
            )
            for entry in entries
        ],
        _expert_facts(experts, year=call.year),
        _panel_facts(panels),
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
        panels=_summaries(panels, plan.panels),
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
    session.flush()
    return report


def last_run(session: Session, *, call: Call) -> StoredRun | None:
    """The call's latest automatic run (or top-up), from its audit row."""
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "assignment.run", AuditEvent.object_type == "calls", AuditEvent.object_id == call.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    data = event.after or {}
    shortfalls = data.get("infeasible", [])
    titles = dict(
        session.exec(select(Entry.id, Entry.title).where(Entry.id.in_([s["entry_id"] for s in shortfalls]))).all()
    ) if shortfalls else {}
    return StoredRun(
        occurred_at=event.occurred_at,
        actor_email=event.actor_email,
        per_entry=data.get("per_entry", 0),
        seed=data.get("seed", 0),
        top_up=data.get("top_up", False),
        entries=data.get("entries", 0),
        already_complete=data.get("already_complete", 0),
        assigned=data.get("assigned", 0),
        entries_assigned=data.get("entries_assigned", 0),
        moved_to_review=data.get("moved_to_review", 0),
        panels=[
            PanelSummary(id=p["id"], name=p["name"], domains=tuple(p.get("domains", ())), members=p["members"],
                         minimum=p["minimum"], maximum=p["maximum"], spread=p["spread"])
            for p in data.get("panels", [])
        ],
        infeasible=[
            ShortfallRow(entry_id=s["entry_id"], title=titles.get(s["entry_id"], ""), panel_name=s.get("panel"),
                         needed=s["needed"], found=s["found"], eligible=s["eligible"], reason=s["reason"])
            for s in shortfalls
        ],
    )


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
    return [panel for panel in _panels(session, entry.call) if entry.domain.value in panel.domains]


def refusal(session: Session, *, entry: Entry, expert: User, panels: list[Panel] | None = None):
    """Why ``expert`` cannot be added to ``entry`` (a translated message), or None."""
    panels = domain_panels(session, entry=entry) if panels is None else panels
    if not expert.active or not expert.has_role(Role.EXPERT):
        return _l("%(name)s is not an active expert account.", name=expert.name)
    if not any(member.user_id == expert.id for panel in panels for member in panel.members):
        return _l("%(name)s is not on a panel that covers this entry's domain.", name=expert.name)
    profile = session.get(ExpertProfile, expert.id)
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


# --- what the chair's pages show ------------------------------------------------


@dataclass(frozen=True)
class LackingEntry:
    id: int
    title: str
    organisation: str
    domain: object
    status: EntryStatus
    experts: int


@dataclass(frozen=True)
class Overview:
    per_entry: int
    entries: int  # eligible, in review or scored
    panels: list[PanelSummary]
    uncovered: list  # domains with assignable entries and no panel
    lacking: list[LackingEntry]  # the first LACKING_SHOWN, fewest experts first
    lacking_total: int


def overview(session: Session, *, call: Call) -> Overview:
    """Per-panel loads and the entries still lacking experts, in a few queries."""
    panels = _panels(session, call)
    experts = _experts(session, (m.user_id for panel in panels for m in panel.members))
    loads = _active_loads(session, call)
    facts = _expert_facts(experts, year=call.year)
    table = panel_loads(_panel_facts(panels), facts, loads)
    by_panel = dict(session.exec(
        select(Assignment.panel_id, sa.func.count())
        .where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))
        .group_by(Assignment.panel_id)
    ).all())
    by_domain = dict(session.exec(
        select(Entry.domain, sa.func.count())
        .where(Entry.call_id == call.id, Entry.status.in_(ASSIGNABLE))
        .group_by(Entry.domain)
    ).all())
    covered = {domain for panel in panels for domain in panel.domains}
    summaries = [
        PanelSummary(
            id=panel.id, name=panel.name, domains=tuple(panel.domains), members=table[panel.id].members,
            minimum=table[panel.id].minimum, maximum=table[panel.id].maximum, spread=table[panel.id].spread,
            entries=sum(count for domain, count in by_domain.items() if domain is not None and domain.value in panel.domains),
            assignments=by_panel.get(panel.id, 0),
        )
        for panel in panels
    ]

    active = (
        select(Assignment.entry_id, sa.func.count().label("n"))
        .where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))
        .group_by(Assignment.entry_id)
        .subquery()
    )
    have = sa.func.coalesce(active.c.n, 0)
    conditions = (Entry.call_id == call.id, Entry.status.in_(ASSIGNABLE), have < call.experts_per_entry)
    total = session.exec(
        select(sa.func.count(Entry.id)).outerjoin(active, active.c.entry_id == Entry.id).where(*conditions)
    ).one()
    rows = session.exec(
        select(Entry.id, Entry.title, Organisation.name, Entry.domain, Entry.status, have)
        .join(Organisation, Organisation.id == Entry.organisation_id)
        .outerjoin(active, active.c.entry_id == Entry.id)
        .where(*conditions)
        .order_by(have, Entry.id)
        .limit(LACKING_SHOWN)
    ).all()
    return Overview(
        per_entry=call.experts_per_entry,
        entries=sum(by_domain.values()),
        panels=summaries,
        uncovered=[domain for domain in by_domain if domain is None or domain.value not in covered],
        lacking=[LackingEntry(*row) for row in rows],
        lacking_total=total,
    )


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    expert: User
    panel_name: str | None


@dataclass(frozen=True)
class ExpertOption:
    """A panel expert the chair may (or, with ``problem``, may not) add."""

    id: int
    name: str
    email: str
    panel_name: str
    load: int
    cap: int | None
    problem: object = None  # a translated reason when not available


def entry_assignments(session: Session, *, entry: Entry) -> list[AssignmentRow]:
    """The entry's assignments, active ones first, with their experts."""
    panels = {panel.id: panel.name for panel in _panels(session, entry.call)}
    rows = session.exec(
        select(Assignment, User)
        .join(User, User.id == Assignment.expert_id)
        .where(Assignment.entry_id == entry.id)
        .order_by(Assignment.removed_at.is_not(None), Assignment.created_at, Assignment.id)
    ).all()
    return [AssignmentRow(assignment, user, panels.get(assignment.panel_id)) for assignment, user in rows]


def expert_options(session: Session, *, entry: Entry) -> list[ExpertOption]:
    """The experts of the entry's domain panels not on it, each with its load
    and, when they cannot be added, why."""
    panels = domain_panels(session, entry=entry)
    experts = _experts(session, (m.user_id for panel in panels for m in panel.members))
    on_entry = set(session.exec(
        select(Assignment.expert_id).where(Assignment.entry_id == entry.id, Assignment.removed_at.is_(None))
    ).all())
    stored = dict(session.exec(
        select(Conflict.expert_id, Conflict.reason).where(Conflict.entry_id == entry.id)
    ).all())
    loads = _active_loads(session, entry.call)
    options, seen = [], set()
    for panel in panels:
        for member in panel.members:
            user = experts.users.get(member.user_id)
            if user is None or user.id in on_entry or user.id in seen:
                continue
            seen.add(user.id)
            profile = experts.profiles.get(user.id)
            problem = automatic_conflict(profile, entry, year=entry.call.year)
            if problem is None and user.id in stored:
                problem = _l("Recorded conflict of interest: %(reason)s", reason=stored[user.id])
            options.append(ExpertOption(
                id=user.id, name=user.name, email=user.email, panel_name=panel.name, load=loads.get(user.id, 0),
                cap=profile.max_assignments if profile else None, problem=problem,
            ))
    return sorted(options, key=lambda option: (option.problem is not None, option.load, option.name, option.id))
