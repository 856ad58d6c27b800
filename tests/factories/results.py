"""A call whose review is done: panels, experts, assignments and submitted
sheets with chosen totals, for the results tests; computing and publishing
its results as its chair.

``make.scored_call(totals=[...])`` takes, per entry, the list of sheet totals
(one per expert, in expert order); every criterion of a sheet is scored with
its total, so the rubric's weighted total equals it exactly.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from app.db import utcnow
from app.enums import Domain, EntryStatus, Phase, SheetStatus
from app.models import Call, CallRubric, Entry, Panel, ResultRun, ScoreSheet, User
from app.results.compute import compute_results
from app.results.publishing import publish
from app.review.rubrics.services import frozen_rubric
from tests.factories.base import BaseFactories


@dataclass
class ScoredCall:
    call: Call
    chair: User
    experts: list[User]
    entries: list[Entry]
    sheets: dict[tuple[int, int], ScoreSheet] = field(default_factory=dict)  # (entry id, expert id) → sheet
    panel: Panel | None = None
    make: BaseFactories | None = field(default=None, repr=False, compare=False)

    def compute(self, **options) -> ResultRun:
        """The chair computes the results (a draft run), in a request; ``options`` go to compute_results."""
        session = self.make.session
        with self.make.app.test_request_context():
            run = compute_results(session, call=self.call, actor=self.chair, now=utcnow(), **options)
            session.commit()
        return run

    def publish(self, run: ResultRun | None = None, *, public_scores: bool = False) -> ResultRun:
        """The chair publishes ``run`` (by default, results computed now), in a request;
        if the call's results phase has not started (scored calls are in review by
        default), the chair confirms publishing early and the results phase starts now."""
        run = run or self.compute()
        session = self.make.session
        with self.make.app.test_request_context():
            publish(session, run=run, actor=self.chair, now=utcnow(), public_scores=public_scores, early=True)
            session.commit()
        return run


class ResultsFactories(BaseFactories):
    def scored_call(
        self,
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
        all their sheets are in, IN_REVIEW otherwise; entry i was submitted
        60 days and i minutes ago.
        """
        now = utcnow()
        call = self.call(open_phase=open_phase, **call_fields)
        chair = self.chair()
        count = experts or max(len(row) for row in totals)
        people = [self.expert() for _ in range(count)]
        panel = self.panel(call=call, name=f"评审组{call.id}", domains=list(Domain), experts=people)
        self.save(CallRubric(call_id=call.id, domain=None, rubric_key="default"))
        window = call.phase_window(Phase.REVIEW)
        with self.app.app_context():  # the rubric file is read from the app's folder
            version = frozen_rubric(self.session, call=call, domain=Domain.MANUFACTURING, now=window.starts_at)

        scored = ScoredCall(call=call, chair=chair, experts=people, entries=[], panel=panel, make=self)
        for index, row in enumerate(totals):
            domain = (domains or [Domain.MANUFACTURING])[index % len(domains or [Domain.MANUFACTURING])]
            city = (cities or ["440300"])[index % len(cities or ["440300"])]
            organisation = organisations[index % len(organisations)] if organisations else self.organisation()
            complete = all(total is not None for total in row)
            entry = self.entry(
                call=call, organisation=organisation, complete=False, title=f"场景{index + 1:03d}", domain=domain,
                city_code=city, status=EntryStatus.SCORED if complete else EntryStatus.IN_REVIEW,
                submitted_at=now - timedelta(days=60, minutes=index),
            )
            scored.entries.append(entry)
            for position, total in enumerate(row):
                expert = people[position]
                opened = window.starts_at + timedelta(hours=index + 1, minutes=position)
                assignment = self.assignment(entry=entry, expert=expert, panel=panel)
                scored.sheets[(entry.id, expert.id)] = self.sheet(
                    assignment, version=version, status=SheetStatus.DRAFT if total is None else SheetStatus.SUBMITTED,
                    total=total, vetoes=(vetoes or {}).get(index, {}) if position == 0 else {},
                    opened_at=opened, updated_at=opened + timedelta(minutes=minutes),
                )
        return scored
