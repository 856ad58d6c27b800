"""A call whose review is done: panels, experts, assignments and submitted
sheets with chosen totals, for the results tests.

``scored_call(make, session, totals={...})`` takes, per entry, the list of
sheet totals (one per expert, in expert order); every criterion of a sheet is
scored with its total, so the rubric's weighted total equals it exactly.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from app.db import utcnow
from app.enums import AssignmentSource, Domain, EntryStatus, Phase, Role, SheetStatus
from app.models import (
    Assignment,
    Call,
    CallRubric,
    Entry,
    Panel,
    PanelMember,
    Score,
    ScoreSheet,
    User,
)
from app.review.rubrics.services import frozen_rubric


@dataclass
class ScoredCall:
    call: Call
    chair: User
    experts: list[User]
    entries: list[Entry]
    sheets: dict[tuple[int, int], ScoreSheet] = field(default_factory=dict)  # (entry id, expert id) → sheet
    panel: Panel | None = None


def scored_call(
    make,
    session,
    *,
    totals: list[list[float | None]],
    domains: list[Domain] | None = None,
    cities: list[str] | None = None,
    organisations: list | None = None,
    experts: int | None = None,
    vetoes: dict[int, dict[str, bool]] | None = None,
    open_phase: Phase = Phase.REVIEW,
    minutes: float = 20.0,
    **call_fields,
) -> ScoredCall:
    """A call in ``open_phase`` with one entry per row of ``totals``.

    ``totals[i][j]`` is expert j's total for entry i; None leaves that
    assignment without a submitted sheet (a draft). ``vetoes`` maps an entry
    index to the sheet vetoes of its first expert. Entries are SCORED when
    all their sheets are in, IN_REVIEW otherwise.
    """
    now = utcnow()
    call = make.call(open_phase=open_phase, **call_fields)
    chair = make.chair()
    count = experts or max(len(row) for row in totals)
    people = [make.staff(Role.EXPERT) for _ in range(count)]
    panel = Panel(call_id=call.id, name=f"评审组{call.id}", domains=[d.value for d in Domain],
                  members=[PanelMember(user_id=p.id) for p in people])
    session.add(panel)
    session.flush()
    session.add(CallRubric(call_id=call.id, domain=None, rubric_key="default"))
    session.flush()
    window = call.phase_window(Phase.REVIEW)
    with make.app.app_context():  # the rubric file is read from the app's folder
        version = frozen_rubric(session, call=call, domain=Domain.MANUFACTURING, now=window.starts_at)
    keys = [criterion["key"] for criterion in version.content["criteria"]]

    scored = ScoredCall(call=call, chair=chair, experts=people, entries=[], panel=panel)
    for index, row in enumerate(totals):
        domain = (domains or [Domain.MANUFACTURING])[index % len(domains or [Domain.MANUFACTURING])]
        city = (cities or ["440300"])[index % len(cities or ["440300"])]
        organisation = organisations[index % len(organisations)] if organisations else make.organisation()
        complete = all(total is not None for total in row)
        entry = Entry(
            call_id=call.id, organisation_id=organisation.id, title=f"场景{index + 1:03d}", domain=domain,
            city_code=city, status=EntryStatus.SCORED if complete else EntryStatus.IN_REVIEW,
            submitted_at=now - timedelta(days=60, minutes=index),
        )
        session.add(entry)
        session.flush()
        scored.entries.append(entry)
        for position, total in enumerate(row):
            expert = people[position]
            assignment = Assignment(call_id=call.id, entry_id=entry.id, expert_id=expert.id, panel_id=panel.id,
                                    source=AssignmentSource.AUTOMATIC)
            session.add(assignment)
            session.flush()
            opened = window.starts_at + timedelta(hours=index + 1, minutes=position)
            sheet = ScoreSheet(
                assignment_id=assignment.id, entry_id=entry.id, expert_id=expert.id, rubric_version_id=version.id,
                status=SheetStatus.DRAFT if total is None else SheetStatus.SUBMITTED, total=total,
                vetoes=(vetoes or {}).get(index, {}) if position == 0 else {},
                opened_at=opened, updated_at=opened + timedelta(minutes=minutes),
                submitted_at=None if total is None else opened + timedelta(minutes=minutes),
                scores=[Score(criterion_key=key, score=total) for key in keys],
            )
            session.add(sheet)
            session.flush()
            scored.sheets[(entry.id, expert.id)] = sheet
    session.commit()
    return scored
