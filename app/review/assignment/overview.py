"""What the chair's assignment pages show: each panel's loads and the
entries still lacking experts (:func:`overview`), and for one entry its
assignments and the experts who could be added (:func:`entry_assignments`,
:func:`expert_options`). A fixed number of grouped queries each. Read only.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from app.enums import EntryStatus
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Call, Conflict, Entry, Organisation, User
from app.review.assignment.loaders import active_loads, expert_facts, load_experts, load_panels, panel_facts
from app.review.assignment.reports import PanelSummary
from app.review.assignment.services import ASSIGNABLE, domain_panels
from app.review.assignment.solver import panel_loads
from app.review.conflicts import automatic_conflict

LACKING_SHOWN = 200


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
    panels = load_panels(session, call.id)
    experts = load_experts(session, (m.user_id for panel in panels for m in panel.members))
    loads = active_loads(session, call)
    facts = expert_facts(experts, year=call.year)
    table = panel_loads(panel_facts(panels), facts, loads)
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
    panels = {panel.id: panel.name for panel in load_panels(session, entry.call_id)}
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
    experts = load_experts(session, (m.user_id for panel in panels for m in panel.members))
    on_entry = set(session.exec(
        select(Assignment.expert_id).where(Assignment.entry_id == entry.id, Assignment.removed_at.is_(None))
    ).all())
    stored = dict(session.exec(
        select(Conflict.expert_id, Conflict.reason).where(Conflict.entry_id == entry.id)
    ).all())
    loads = active_loads(session, entry.call)
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
