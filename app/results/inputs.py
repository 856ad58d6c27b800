"""What a results computation reads, in a handful of grouped queries: the
entries taking part, their submitted sheets (criterion scores summarised in
the database), criterion means, assignment counts, the chair's veto
decisions and overrides; and the fingerprint of all of it, which tells a
draft that is out of date.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.enums import EntryStatus, SheetStatus
from app.models import (
    Assignment,
    Call,
    Entry,
    Organisation,
    Panel,
    ResultRun,
    ReviewRound,
    Score,
    ScoreSheet,
    SelectionOverride,
    ShortlistEntry,
    User,
    VetoDecision,
)
from app.results import aggregation
from app.results.settings import Settings, settings_for

#: Entries whose results are computed: those that reached expert review.
RESULT_STATUSES = (
    EntryStatus.IN_REVIEW,
    EntryStatus.SCORED,
    EntryStatus.SELECTED,
    EntryStatus.NOT_SELECTED,
    EntryStatus.PUBLISHED,
)

#: An entry's veto status: no expert raised a veto, or the chair's decision on
#: the vetoes raised (none yet, confirmed: excluded from selection, dismissed).
VETO_NONE = "none"
VETO_PENDING = "pending"
VETO_CONFIRMED = "confirmed"
VETO_DISMISSED = "dismissed"

#: An assignment that counts: not removed.
ACTIVE_ASSIGNMENT = Assignment.removed_at.is_(None)


def veto_status(keys: list[str], decision: bool | None) -> str:
    """The veto status of an entry whose sheets raised the vetoes ``keys``, given
    the chair's decision (None: not decided)."""
    if not keys:
        return VETO_NONE
    if decision is None:
        return VETO_PENDING
    return VETO_CONFIRMED if decision else VETO_DISMISSED


def inputs_fingerprint(session: Session, *, call: Call, settings: Settings | None = None, round_no: int = 1) -> str:
    """A hash of everything a computation reads, so that a draft whose
    fingerprint differs from the current one is known to be out of date.

    It covers every submitted sheet of an active assignment (id, total, last
    change), the active assignments, the entries taking part, the chair's
    veto decisions and the call's results settings (method, thresholds,
    target, quotas, cap). Reopening and resubmitting a sheet, adding or
    removing an expert, a veto decision or a new quota all change it. For a
    later round (``round_no`` ≥ 2) it covers that round's sheets and
    assignments, and also its shortlist, the rounds' weights and combination
    and the previous rounds' results it combines.
    """
    connection = session.connection()
    # The time as the database's text: no parsing of 25,000 date-times.
    sheets = connection.execute(
        _counted(call, select(ScoreSheet.id, ScoreSheet.total, sa.cast(ScoreSheet.updated_at, sa.String)),
                 round_no=round_no)
        .order_by(ScoreSheet.id)
    ).all()
    assignments = connection.execute(
        select(Assignment.id).where(Assignment.call_id == call.id, Assignment.round_no == round_no, ACTIVE_ASSIGNMENT)
        .order_by(Assignment.id)
    ).scalars().all()
    entries = connection.execute(
        select(Entry.id).where(Entry.call_id == call.id, Entry.status.in_(RESULT_STATUSES)).order_by(Entry.id)
    ).scalars().all()
    vetoes = connection.execute(
        select(VetoDecision.entry_id, VetoDecision.confirmed, VetoDecision.decided_at)
        .join(Entry, Entry.id == VetoDecision.entry_id)
        .where(Entry.call_id == call.id)
        .order_by(VetoDecision.entry_id)
    ).all()
    settings = (settings or settings_for(session, call=call)).as_dict()
    del settings["resamples"], settings["seed"]  # chosen per computation, stored with the run
    digest = hashlib.sha256()
    parts = [
        [(i, None if t is None else round(float(t), 4), u) for i, t, u in sheets],
        list(assignments),
        list(entries),
        [(e, c, d.isoformat() if d else None) for e, c, d in vetoes],
        settings,
    ]
    if round_no > 1:
        parts.append(round_inputs(session, call=call, round_no=round_no))
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class SubmittedSheet:
    """A submitted sheet of an active assignment, as the computation reads it."""

    id: int
    entry_id: int
    expert_id: int
    panel_id: int | None
    total: float
    opened_at: datetime
    submitted_at: datetime
    vetoes: tuple[str, ...] = ()  # veto questions answered yes
    outcome: float | None = None  # the "measured outcomes" criterion's score
    straight_lined: bool = False  # every criterion scored, all with the same score


def round_inputs(session: Session, *, call: Call, round_no: int) -> dict:
    """What a later round's results read besides its sheets: the shortlist,
    the rounds' weights and combination, and the previous rounds' runs."""
    shortlist = session.connection().execute(
        select(ShortlistEntry.entry_id, ShortlistEntry.included, sa.cast(ShortlistEntry.updated_at, sa.String))
        .where(ShortlistEntry.call_id == call.id, ShortlistEntry.round_no == round_no)
        .order_by(ShortlistEntry.entry_id)
    ).all()
    rounds = session.connection().execute(
        select(ReviewRound.number, ReviewRound.weight).where(ReviewRound.call_id == call.id).order_by(ReviewRound.number)
    ).all()
    earlier = session.connection().execute(
        select(ResultRun.round_no, ResultRun.id, ResultRun.inputs_hash)
        .where(ResultRun.call_id == call.id, ResultRun.round_no < round_no).order_by(ResultRun.id)
    ).all()
    return {
        "shortlist": [list(row) for row in shortlist],
        "rounds": [list(row) for row in rounds],
        "combination": call.round_combination,
        "earlier": [list(row) for row in earlier],
    }


def _counted(call: Call, statement, *, round_no: int = 1):
    """``statement`` narrowed to the call's submitted sheets of active assignments (of round ``round_no``)."""
    return statement.join(Assignment, Assignment.id == ScoreSheet.assignment_id).where(
        Assignment.call_id == call.id, Assignment.round_no == round_no, ACTIVE_ASSIGNMENT,
        ScoreSheet.status == SheetStatus.SUBMITTED
    )


def submitted_sheets(session: Session, *, call: Call, round_no: int = 1) -> list[SubmittedSheet]:
    """The submitted sheets, with what the results need of their criterion scores.

    Criterion scores are summarised per sheet in the database (the outcome
    criterion's score, whether all scores are equal) instead of loading every
    score: a call has about 200,000 of them.
    """
    connection = session.connection()
    rows = connection.execute(
        _counted(
            call,
            select(
                ScoreSheet.id, ScoreSheet.entry_id, ScoreSheet.expert_id, Assignment.panel_id, ScoreSheet.total,
                ScoreSheet.opened_at, ScoreSheet.submitted_at,
            ),
            round_no=round_no,
        )
        .where(ScoreSheet.total.is_not(None))
        .order_by(ScoreSheet.id)
    ).all()
    vetoes = {
        sheet_id: tuple(sorted(key for key, yes in (answers or {}).items() if yes is True))
        for sheet_id, answers in connection.execute(
            # Narrow in the database; the JSON itself is checked here.
            _counted(call, select(ScoreSheet.id, ScoreSheet.vetoes), round_no=round_no).where(
                sa.cast(ScoreSheet.vetoes, sa.Text).like("%true%")
            )
        ).all()
    }
    facts = {
        sheet_id: (outcome, scored >= 2 and scored == criteria and distinct == 1)
        for sheet_id, criteria, scored, distinct, outcome in connection.execute(
            _counted(
                call,
                select(
                    Score.sheet_id,
                    sa.func.count(Score.id),
                    sa.func.count(Score.score),
                    sa.func.count(sa.distinct(Score.score)),
                    sa.func.max(sa.case((Score.criterion_key == aggregation.OUTCOME_CRITERION, Score.score))),
                ).join(ScoreSheet, ScoreSheet.id == Score.sheet_id),
                round_no=round_no,
            ).group_by(Score.sheet_id)
        ).all()
    }
    return [
        SubmittedSheet(*row, vetoes=vetoes.get(row[0], ()), outcome=facts.get(row[0], (None, False))[0],
                       straight_lined=facts.get(row[0], (None, False))[1])
        for row in rows
    ]


def criterion_means(session: Session, *, call: Call, round_no: int = 1) -> dict[int, dict[str, tuple[float, int]]]:
    """Per entry, each criterion's mean score and how many scores it averages."""
    means: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    rows = session.connection().execute(
        _counted(
            call,
            select(ScoreSheet.entry_id, Score.criterion_key, sa.func.avg(Score.score), sa.func.count(Score.score))
            .select_from(Score)
            .join(ScoreSheet, ScoreSheet.id == Score.sheet_id),
            round_no=round_no,
        )
        .where(Score.score.is_not(None))
        .group_by(ScoreSheet.entry_id, Score.criterion_key)
    ).all()
    for entry_id, criterion, mean, count in rows:
        means[entry_id][criterion] = (float(mean), count)
    return means


def entries_in_results(session: Session, *, call: Call):
    """The entries taking part, with what their result rows copy of them."""
    return session.exec(
        select(
            Entry.id,
            Entry.title,
            Entry.organisation_id,
            Organisation.name,
            Entry.domain,
            Entry.city_code,
            Entry.submitted_at,
        )
        .join(Organisation, Organisation.id == Entry.organisation_id)
        .where(Entry.call_id == call.id, Entry.status.in_(RESULT_STATUSES))
        .order_by(Entry.id)
    ).all()


def assigned_counts(session: Session, *, call: Call, round_no: int = 1) -> dict[int, int]:
    """Per entry, how many active assignments it has (in round ``round_no``)."""
    return dict(
        session.exec(
            select(Assignment.entry_id, sa.func.count(Assignment.id))
            .where(Assignment.call_id == call.id, Assignment.round_no == round_no, ACTIVE_ASSIGNMENT)
            .group_by(Assignment.entry_id)
        ).all()
    )


def veto_decisions(session: Session, entry_ids) -> dict[int, bool]:
    """The chair's veto decision (confirmed or not) per entry that has one."""
    if not entry_ids:
        return {}
    rows = session.exec(
        select(VetoDecision.entry_id, VetoDecision.confirmed).where(VetoDecision.entry_id.in_(list(entry_ids)))
    ).all()
    return dict(rows)


def overrides_for(session: Session, *, call: Call) -> list[SelectionOverride]:
    """The chair's overrides of the call, oldest first."""
    return list(
        session.exec(
            select(SelectionOverride).where(SelectionOverride.call_id == call.id).order_by(SelectionOverride.id)
        ).all()
    )


def override_of(session: Session, *, call_id: int, entry_id: int) -> SelectionOverride | None:
    """The chair's override of an entry in a call, if any."""
    return session.exec(
        select(SelectionOverride).where(SelectionOverride.call_id == call_id, SelectionOverride.entry_id == entry_id)
    ).first()


def veto_decision_of(session: Session, *, entry_id: int) -> VetoDecision | None:
    """The chair's decision on an entry's veto flags, if any."""
    return session.exec(select(VetoDecision).where(VetoDecision.entry_id == entry_id)).first()


def panel_names(session: Session, panel_ids) -> dict[int, str]:
    """Panel id → name."""
    return dict(session.exec(select(Panel.id, Panel.name).where(Panel.id.in_(panel_ids))).all())


def user_names(session: Session, user_ids) -> dict[int, str]:
    """User id → name."""
    return dict(session.exec(select(User.id, User.name).where(User.id.in_(user_ids))).all())
