"""What each person must do now, for the dashboard: one function per role,
each returning plain :class:`Todo` items (a label key, a count, the page
where it is dealt with, a deadline); ``app.main.labels`` words them.

Every function runs a fixed handful of grouped COUNT queries, however many
entries, sheets or experts there are. Nothing here writes.
"""
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.calls.services import current_call, phase_state, with_phases
from app.entries.completeness import STEPS, missing_items
from app.enums import BrochureStatus, EntryStatus, Membership, Phase, SheetStatus
from app.library.search import uncurated as uncurated_cases
from app.models import (
    Assignment,
    AuditEvent,
    Brochure,
    Call,
    Entry,
    LibraryCase,
    Notice,
    ResultRun,
    ReviewRound,
    Score,
    ScoreSheet,
    User,
)
from app.notices.objections import open_questions_for
from app.notices.services import undecided_count
from app.results.compute import draft_run
from app.results.publishing import publish_blockers
from app.results.rankings import count_flagged
from app.review.assignment.services import ASSIGNABLE
from app.review.defence.services import organisation_slots, unscheduled_counts
from app.review.manage.progress import expert_progress
from app.review.sheets.services import queue_call

#: The stages an applicant's entry passes through after it is sent, before results.
IN_PROGRESS = (EntryStatus.SUBMITTED, EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SCORED)
RESULT_STATUSES = (EntryStatus.SELECTED, EntryStatus.NOT_SELECTED, EntryStatus.PUBLISHED)


@dataclass(frozen=True)
class Todo:
    """One line of a dashboard: ``key`` names what to do (see ``app.main.labels``),
    ``count`` how many, ``endpoint`` and ``args`` the page where it is done."""

    key: str
    count: int
    endpoint: str
    args: dict = field(default_factory=dict)
    deadline: datetime | None = None
    title: str | None = None  # the entry or call the item is about
    detail: str | None = None  # a reason or a stage, shown as written
    missing: tuple = ()  # (step key, step label, [item labels]) still lacking in a draft


# --- dates ------------------------------------------------------------------------


def days_left(deadline: datetime, *, now: datetime, zone: tzinfo) -> int:
    """Calendar days from today to the deadline's day, both in ``zone`` (the
    site's timezone): 0 on the day itself, negative once the day has passed."""
    return (deadline.astimezone(zone).date() - now.astimezone(zone).date()).days


def behind_schedule(*, assigned: int, submitted: int, starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """Whether an expert lags the review phase: fewer sheets submitted than
    the share of the phase already gone would ask for (rounded down), or any
    sheet still open once it has ended. Nobody is behind before it starts."""
    if submitted >= assigned or now < starts_at:
        return False
    if now >= ends_at:
        return True
    elapsed = (now - starts_at) / (ends_at - starts_at)
    return submitted < int(assigned * elapsed)


# --- applicant ----------------------------------------------------------------------


def applicant_todos(session: Session, *, organisation_id: int, now: datetime) -> list[Todo]:
    """Drafts with what they lack (while their call takes submissions),
    returned entries with the reason and deadline, entries on their way (one
    line per stage), results once published (until their call closes),
    defence sessions to confirm."""
    entries = session.exec(
        select(Entry)
        .where(Entry.organisation_id == organisation_id,
               Entry.status.in_((EntryStatus.DRAFT, EntryStatus.RETURNED, *IN_PROGRESS, *RESULT_STATUSES)))
        .order_by(Entry.id)
        # What a draft lacks (entries.completeness) includes its outcomes and photos.
        .options(selectinload(Entry.outcomes), selectinload(Entry.photos))
    ).all()
    calls = {call.id: call for call in session.exec(select(Call).options(with_phases()).where(Call.id.in_({e.call_id for e in entries}))).all()}
    todos = []
    for entry in entries:
        if entry.status != EntryStatus.DRAFT:
            continue
        submission = calls[entry.call_id].phase_window(Phase.SUBMISSION)
        if submission is not None and now >= submission.ends_at:
            continue  # too late to submit: nothing left to do with it
        missing = missing_items(entry)
        todos.append(Todo(
            "draft_incomplete" if missing else "draft_ready", 1, "entries.detail", {"entry_id": entry.id},
            deadline=submission.ends_at if submission else None, title=entry.title,
            missing=tuple((step.key, step.label, missing[step.key]) for step in STEPS if step.key in missing),
        ))
    todos += [
        Todo("returned", 1, "entries.detail", {"entry_id": entry.id}, deadline=entry.revision_deadline,
             title=entry.title, detail=entry.check_reason)
        for entry in entries if entry.status == EntryStatus.RETURNED
    ]
    for status in IN_PROGRESS:
        count = sum(1 for entry in entries if entry.status == status)
        if count:
            todos.append(Todo("stage", count, "entries.index", detail=status.value))
    # Results are news while their call runs; afterwards the entry list keeps them.
    todos += [
        Todo("result", 1, "entries.detail", {"entry_id": entry.id}, title=entry.title, detail=entry.status.value)
        for entry in entries
        if entry.status in RESULT_STATUSES and phase_state(calls[entry.call_id], now=now).status != "closed"
    ]
    # Defence sessions to confirm, each due when it starts.
    todos += [
        Todo("defence_confirm", 1, "entries.detail", {"entry_id": entry.id}, deadline=slot.starts_at, title=entry.title)
        for slot, entry in organisation_slots(session, organisation_id=organisation_id, now=now)
        if slot.confirmed_at is None and now < slot.starts_at
    ]
    # Questions about objections to the organisation's entries, each due by its deadline.
    todos += [
        Todo("objection_question", 1, "notices.question", {"question_id": question.id}, deadline=question.due_at,
             title=entry.title, detail=question.question)
        for question, entry in open_questions_for(session, organisation_id=organisation_id, now=now)
    ]
    return todos


# --- expert ---------------------------------------------------------------------------


def expert_todos(session: Session, *, expert, now: datetime) -> list[Todo]:
    """While the review phase of the expert's call runs: assignments to
    declare, drafts to score, drafts complete and ready to submit, with the
    review deadline; then sheets a chair reopened, each with the reason."""
    call = queue_call(session, expert=expert, now=now)
    if call is None:
        return []
    window = call.phase_window(Phase.REVIEW)
    if window is None or not window.starts_at <= now < window.ends_at:
        return []  # sheets open only while the review phase runs
    unscored = sa.exists().where(Score.sheet_id == ScoreSheet.id, Score.score.is_(None))
    rows = session.exec(
        select(
            Assignment.round_no,
            sa.func.count(Assignment.id).filter(ScoreSheet.id.is_(None)),
            sa.func.count(ScoreSheet.id).filter(ScoreSheet.status == SheetStatus.DRAFT, unscored),
            sa.func.count(ScoreSheet.id).filter(ScoreSheet.status == SheetStatus.DRAFT, ~unscored),
        )
        .select_from(Assignment)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.expert_id == expert.id, Assignment.removed_at.is_(None))
        .group_by(Assignment.round_no)
        .order_by(Assignment.round_no.desc())
    ).all()
    # A later round's work is labelled with the round's name (app.models.rounds).
    round_names = dict(session.exec(select(ReviewRound.number, ReviewRound.name)
                                    .where(ReviewRound.call_id == call.id, ReviewRound.number > 1)).all())
    todos = [
        Todo(key, count, "review.queue", {"call": call.id}, deadline=window.ends_at,
             title=f"{call.name} · {round_names[round_no]}" if round_no in round_names else call.name)
        for round_no, *counts in rows
        for key, count in zip(("declare", "score", "submit"), counts)
        if count
    ]
    reopened = session.exec(
        select(ScoreSheet.id, Entry.title, AuditEvent.reason)
        .join(Entry, Entry.id == ScoreSheet.entry_id)
        .join(AuditEvent, sa.and_(AuditEvent.object_type == ScoreSheet.__tablename__,
                                  AuditEvent.object_id == ScoreSheet.id, AuditEvent.action == "sheet.reopened"))
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(ScoreSheet.expert_id == expert.id, ScoreSheet.status == SheetStatus.DRAFT,
               Assignment.call_id == call.id, Assignment.removed_at.is_(None))
        .order_by(ScoreSheet.id, AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    ).all()
    latest = {}
    for sheet_id, title, reason in reopened:
        latest.setdefault(sheet_id, (title, reason))  # the newest reopening of each sheet
    todos += [
        Todo("reopened", 1, "review.sheet", {"sheet_id": sheet_id}, deadline=window.ends_at, title=title, detail=reason)
        for sheet_id, (title, reason) in latest.items()
    ]
    return todos


# --- chair ------------------------------------------------------------------------------


def chair_calls(session: Session, *, now: datetime) -> list[Call]:
    """The calls a chair has work in: every call that runs now (open or
    between two phases), newest first, else the site's current call."""
    calls = session.exec(select(Call).options(with_phases()).order_by(Call.year.desc(), Call.id.desc())).all()
    running = [call for call in calls if phase_state(call, now=now).status in {"open", "between"}]
    if running:
        return running
    call = current_call(session, now=now)
    return [call] if call else []


def chair_todos(session: Session, *, now: datetime) -> list[Todo]:
    """Membership requests, then for each running call: entries waiting for
    the formal check, entries short of experts, experts behind schedule,
    shortlisted entries without a defence session, vetoes awaiting a
    decision, disputed entries, a draft out of date, and results ready to
    publish."""
    pending = session.exec(select(sa.func.count(User.id)).where(User.membership == Membership.PENDING)).one()
    todos = [Todo("membership", pending, "admin.organisations")] if pending else []
    for call in chair_calls(session, now=now):
        todos += _call_todos(session, call=call, now=now)
    return todos + _notice_todos(session, now=now)


def _notice_todos(session: Session, *, now: datetime) -> list[Todo]:
    """Undecided objections of each open public notice, or its official list once it can be published."""
    todos = []
    for notice, name in session.exec(select(Notice, Call.name).join(Call, Call.id == Notice.call_id)
                                     .where(Notice.closed_at.is_(None)).order_by(Notice.id)).all():
        undecided = undecided_count(session, notice=notice)
        if undecided:
            todos.append(Todo("objections", undecided, "notices.detail", {"notice_id": notice.id},
                              deadline=notice.ends_at if now < notice.ends_at else None, title=name))
        elif now > notice.ends_at:
            todos.append(Todo("official_list", 1, "notices.detail", {"notice_id": notice.id}, title=name))
    return todos


def _call_todos(session: Session, *, call: Call, now: datetime) -> list[Todo]:
    todos = []
    counts = dict(session.exec(
        select(Entry.status, sa.func.count(Entry.id)).where(Entry.call_id == call.id).group_by(Entry.status)
    ).all())
    check = call.phase_window(Phase.FORMAL_CHECK)
    if counts.get(EntryStatus.SUBMITTED):
        todos.append(Todo("formal_check", counts[EntryStatus.SUBMITTED], "formal_check.index",
                          {"call": call.id, "status": EntryStatus.SUBMITTED.value},
                          deadline=check.ends_at if check else None, title=call.name))
    review = call.phase_window(Phase.REVIEW)
    review_over = review is not None and now >= review.ends_at
    if not review_over and any(counts.get(status) for status in ASSIGNABLE):
        active = (
            select(Assignment.entry_id, sa.func.count().label("n"))
            .where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))
            .group_by(Assignment.entry_id)
            .subquery()
        )
        short = session.exec(
            select(sa.func.count(Entry.id))
            .outerjoin(active, active.c.entry_id == Entry.id)
            .where(Entry.call_id == call.id, Entry.status.in_(ASSIGNABLE),
                   sa.func.coalesce(active.c.n, 0) < call.experts_per_entry)
        ).one()
        if short:
            todos.append(Todo("unassigned", short, "review_assign.index", {"call": call.id},
                              deadline=review.starts_at if review and now < review.starts_at else None, title=call.name))
    if review is not None and now >= review.starts_at:
        behind = sum(
            1 for row in expert_progress(session, call=call)
            if behind_schedule(assigned=row.counts.assigned, submitted=row.counts.submitted,
                               starts_at=review.starts_at, ends_at=review.ends_at, now=now)
        )
        if behind:
            todos.append(Todo("behind", behind, "review_manage.progress_page", {"call_id": call.id},
                              deadline=None if review_over else review.ends_at, title=call.name))
    todos += [
        Todo("defence_unscheduled", count, "review_defence.schedule",
             {"call_id": call.id, "round_no": review_round.number}, deadline=starts, title=call.name)
        for review_round, count, starts in unscheduled_counts(session, call=call, now=now)
    ]
    todos += _draft_todos(session, call=call)
    return todos


def _draft_todos(session: Session, *, call: Call) -> list[Todo]:
    """What the call's results draft asks of the chair (nothing without a draft)."""
    draft = draft_run(session, call=call)
    if draft is None:
        return []
    blockers = {blocker.key: blocker for blocker in publish_blockers(session, run=draft)}
    flagged = count_flagged(session, run=draft, flags=("disputed",))
    results = call.phase_window(Phase.RESULTS)
    deadline = results.ends_at if results else None
    todos = []
    if "vetoes_pending" in blockers:
        todos.append(Todo("vetoes", blockers["vetoes_pending"].count, "results.rankings_page",
                          {"run_id": draft.id, "flag": "veto"}, deadline=deadline, title=call.name))
    if flagged["disputed"]:
        todos.append(Todo("disputed", flagged["disputed"], "results.rankings_page",
                          {"run_id": draft.id, "flag": "disputed"}, title=call.name))
    if "stale" in blockers:
        todos.append(Todo("stale", 1, "results.index", {"call": call.id}, title=call.name))
    if not blockers:
        todos.append(Todo("publish", 1, "results.index", {"call": call.id}, deadline=deadline, title=call.name))
    return todos


# --- publicity ---------------------------------------------------------------------------


def publicity_todos(session: Session) -> list[Todo]:
    """Calls whose newest published snapshot has no brochure yet, calls whose
    latest brochure build failed, and library cases nobody has curated."""
    todos = []
    newest = (
        select(ResultRun.call_id, sa.func.max(ResultRun.id).label("run_id"))
        .where(ResultRun.published_at.is_not(None))
        .group_by(ResultRun.call_id)
        .subquery()
    )
    unbuilt = session.exec(
        select(Call.id, Call.name)
        .join(newest, newest.c.call_id == Call.id)
        .where(~sa.exists().where(Brochure.snapshot_id == newest.c.run_id))
        .order_by(Call.id.desc())
    ).all()
    todos += [Todo("brochure_missing", 1, "brochure.index", {"call": call_id}, title=name) for call_id, name in unbuilt]
    last_build = select(sa.func.max(Brochure.id)).group_by(Brochure.call_id)
    failed = session.exec(
        select(Call.id, Call.name)
        .join(Brochure, Brochure.call_id == Call.id)
        .where(Brochure.id.in_(last_build), Brochure.status == BrochureStatus.FAILED)
        .order_by(Call.id.desc())
    ).all()
    todos += [Todo("brochure_failed", 1, "brochure.index", {"call": call_id}, title=name) for call_id, name in failed]
    uncurated = session.exec(select(sa.func.count(LibraryCase.id)).where(uncurated_cases())).one()
    if uncurated:
        todos.append(Todo("curate", uncurated, "library_manage.index", {"state": "uncurated"}))
    return todos

