"""What the assignment solver is fed, loaded from the database.

A call's facts come in a fixed number of grouped queries, whatever its size:
its panels with their members, the experts who may review with their
profiles, the entries with their organisations, the stored conflicts and the
call's assignments. The ``*_facts`` functions turn them into the solver's
frozen dataclasses (:mod:`app.review.assignment.solver`).

Used by the automatic run and top-up (:mod:`app.review.assignment.services`),
the chair's overview (:mod:`app.review.assignment.overview`) and, in results,
the extra experts for disputed entries. Read only.
"""
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlmodel import Session, select

from app.enums import Role
from app.models import Assignment, Call, Conflict, Entry, ExpertProfile, Panel, User
from app.review.assignment.solver import EntryFacts, ExpertFacts, PanelFacts, normalise_tags
from app.review.conflicts import entry_keys, organisation_keys


@dataclass
class ExpertPool:
    """Panel members who may review (active accounts with the expert role),
    by user id, and the profiles of the members who have one."""

    users: dict[int, User]
    profiles: dict[int, ExpertProfile]


@dataclass
class RunInput:
    """Everything a run of the solver needs about a call (:func:`load_run_input`)."""

    entries: list[Entry]
    panels: list[Panel]
    experts: ExpertPool
    existing: list[tuple[int, int]]  # active (entry id, expert id) pairs of the call
    forbidden: set[tuple[int, int]]  # stored conflicts and removed assignments


def load_panels(session: Session, call_id: int) -> list[Panel]:
    """The call's panels of round 1 by id, their members selected in; a
    later round's panel is set on its shortlist page (app.review.rounds)."""
    return list(session.exec(select(Panel).where(Panel.call_id == call_id, Panel.round_no == 1)
                             .options(selectinload(Panel.members)).order_by(Panel.id)).all())


def load_experts(session: Session, member_ids: Iterable[int]) -> ExpertPool:
    """Those of ``member_ids`` who may review, with their roles and their profiles and employments (four queries)."""
    ids = sorted(set(member_ids))
    if not ids:
        return ExpertPool({}, {})
    users = session.exec(select(User).where(User.id.in_(ids)).options(selectinload(User.role_rows))).all()
    # The employments: the conflict checks compare them with the entries' organisations.
    profiles = session.exec(select(ExpertProfile).where(ExpertProfile.user_id.in_(ids))
                            .options(selectinload(ExpertProfile.employments))).all()
    return ExpertPool(
        users={user.id: user for user in users if user.active and user.has_role(Role.EXPERT)},
        profiles={profile.user_id: profile for profile in profiles},
    )


def active_loads(session: Session, call: Call) -> dict[int, int]:
    """Expert id → their active assignments in the call's round 1 (one grouped query)."""
    rows = session.exec(
        select(Assignment.expert_id, sa.func.count())
        .where(Assignment.call_id == call.id, Assignment.round_no == 1, Assignment.removed_at.is_(None))
        .group_by(Assignment.expert_id)
    ).all()
    return dict(rows)


def load_run_input(session: Session, *, call: Call, statuses) -> RunInput:
    """Everything a run needs, in ten queries whatever the size of the call.

    ``statuses``: the entries to plan for (by :class:`~app.enums.EntryStatus`).
    ``existing`` and ``forbidden`` cover the whole call: a removed
    assignment is forbidden, so the solver never gives it back.
    """
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
    panels = load_panels(session, call.id)
    experts = load_experts(session, (m.user_id for panel in panels for m in panel.members))
    forbidden = set(
        session.exec(
            select(Conflict.entry_id, Conflict.expert_id)
            .join(Entry, Entry.id == Conflict.entry_id)
            .where(Entry.call_id == call.id)
        ).all()
    )
    existing = []
    for entry_id, expert_id, removed_at in session.exec(
        select(Assignment.entry_id, Assignment.expert_id, Assignment.removed_at)
        .where(Assignment.call_id == call.id, Assignment.round_no == 1)
    ).all():
        if removed_at is None:
            existing.append((entry_id, expert_id))
        else:  # removed: never given back automatically
            forbidden.add((entry_id, expert_id))
    return RunInput(entries=list(entries), panels=panels, experts=experts, existing=existing, forbidden=forbidden)


def entry_facts(entries: Iterable[Entry]) -> list[EntryFacts]:
    """The solver's view of entries: domain, organisation keys, technology tags.

    The entries' organisations must be loaded (:func:`load_run_input` does).
    """
    return [
        EntryFacts(
            id=entry.id,
            domain=entry.domain.value if entry.domain else None,
            keys=entry_keys(entry),
            tech_tags=normalise_tags(entry.tech_tags),
        )
        for entry in entries
    ]


def expert_facts(experts: ExpertPool, *, year: int) -> list[ExpertFacts]:
    """The solver's view of the experts, by id: the organisations they
    conflict with in the call's ``year``, their tags, their cap."""
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


def panel_facts(panels: Iterable[Panel]) -> list[PanelFacts]:
    """The solver's view of the panels: their domains and members."""
    return [
        PanelFacts(id=panel.id, domains=frozenset(panel.domains), member_ids=tuple(m.user_id for m in panel.members))
        for panel in panels
    ]
