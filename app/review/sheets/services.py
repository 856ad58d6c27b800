"""The expert's scoring: the queue, the conflict declaration, score sheets.

Plain functions over a session: they flush, never commit, and write one
audit row per change. A sheet points at the rubric version frozen when it was
first opened, and holds one :class:`Score` row per criterion from the start.

Concurrency: opening a sheet inserts inside a SAVEPOINT and re-reads on a
unique-constraint clash (two tabs, one sheet); autosaves carry the sheet's
version (optimistic lock); submitting locks the sheet row and is idempotent.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context
from flask_babel import get_locale
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import call_in_phase, current_call, get_call
from app.entries.states import sync_scoring_status
from app.enums import ConflictSource, Phase, QueueState, SheetStatus
from app.errors import DomainError, NotAllowed, StaleVersion
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds, NumberError
from app.models import (
    Assignment,
    Call,
    Entry,
    ExpertProfile,
    RubricVersion,
    Score,
    ScoreSheet,
)
from app.permissions import can_score, owns_assignment
from app.review.conflicts import automatic_conflict, record_conflict
from app.review.rounds.services import round_of, round_open, round_state
from app.review.rubrics.services import frozen_rubric
from app.review.sheets.scoring import criteria, weighted_total

#: Loader options: a sheet with its score rows (one query with ``session.get``);
#: an entry with what the conflict check reads (its organisation); an entry
#: with everything the sheet page shows of it.
WITH_SCORES = joinedload(ScoreSheet.scores)
ENTRY_KEYS = joinedload(Entry.organisation)
ENTRY_SHOWN = (ENTRY_KEYS, selectinload(Entry.outcomes), selectinload(Entry.photos), selectinload(Entry.attachments))

COMMENT_LIMIT = 2000  # characters, per criterion
OVERALL_COMMENT_LIMIT = 4000
SCORE_STEP = 0.5
_OPEN_ATTEMPTS = 3


class SheetConflict(StaleVersion):
    """The sheet changed since the expert's page was loaded (another tab)."""

    def __init__(self):
        super().__init__(
            _l(
                "This score sheet was changed in another window after you opened it. "
                "Reload the page to see the latest version; what you typed is kept in this browser."
            )
        )


class InvalidSheet(DomainError):
    """Some values cannot be saved; ``errors`` maps form field names to messages."""

    status_code = 422

    def __init__(self, errors: dict[str, Any]):
        super().__init__(_l("Some scores or comments need attention; nothing was saved."))
        self.errors = errors


class IncompleteSheet(DomainError):
    """The sheet cannot be submitted yet; ``problems`` lists why."""

    status_code = 422

    def __init__(self, problems: list):
        super().__init__(_l("The sheet cannot be submitted yet: %(problems)s", problems="; ".join(str(p) for p in problems)))
        self.problems = problems


@dataclass(frozen=True)
class QueueItem:
    assignment: Assignment
    entry: Entry
    sheet: ScoreSheet | None

    @property
    def state(self) -> QueueState:
        if self.sheet is None:
            return QueueState.NOT_OPENED
        return QueueState.SUBMITTED if self.sheet.status == SheetStatus.SUBMITTED else QueueState.DRAFT


@dataclass(frozen=True)
class Queue:
    call: Call
    items: list[QueueItem]

    def count(self, state: QueueState) -> int:
        return sum(1 for item in self.items if item.state == state)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def submitted(self) -> int:
        return self.count(QueueState.SUBMITTED)

    @property
    def drafts(self) -> int:
        return self.count(QueueState.DRAFT)

    @property
    def not_opened(self) -> int:
        return self.count(QueueState.NOT_OPENED)


@dataclass(frozen=True)
class OtherSheet:
    """Another expert's submitted sheet, without who wrote it."""

    number: int
    total: float | None
    scores: dict[str, float | None]
    vetoed: bool


# --- the queue ----------------------------------------------------------------


def queue_key(*, call_id: int, expert_id: int, entry_id: int) -> str:
    """The position of an entry in one expert's queue (against order bias).

    A hash seeded by the call and the expert: every expert sees their entries
    in a different order, always the same one, and adding an assignment later
    does not reshuffle the others.
    """
    return hashlib.sha256(f"{call_id}:{expert_id}:{entry_id}".encode()).hexdigest()


def expert_queue(session: Session, *, expert, call: Call) -> Queue:
    """The expert's active assignments of ``call``, in their own stable random order.

    The queue shows titles, states and totals only: the entries' outcomes,
    photos and attachments and the sheets' score rows are not loaded (late in
    review nearly every sheet in the queue has all its scores).
    """
    rows = session.exec(
        select(Assignment, Entry)
        .join(Entry, Entry.id == Assignment.entry_id)
        .where(Assignment.call_id == call.id, Assignment.expert_id == expert.id, Assignment.removed_at.is_(None))
    ).all()
    ids = [assignment.id for assignment, _entry in rows]
    sheets = {
        sheet.assignment_id: sheet
        for sheet in session.exec(
            select(ScoreSheet).where(ScoreSheet.assignment_id.in_(ids))
        ).all()
    } if ids else {}
    items = [QueueItem(assignment=assignment, entry=entry, sheet=sheets.get(assignment.id)) for assignment, entry in rows]
    # A later round's entries first (the round in progress), each round in the expert's own order.
    items.sort(key=lambda item: (-item.assignment.round_no,
                                 queue_key(call_id=call.id, expert_id=expert.id, entry_id=item.entry.id)))
    return Queue(call=call, items=items)


def queue_call(session: Session, *, expert, now: datetime) -> Call | None:
    """The call an expert's queue shows when none is asked for: the most
    recent one in review where the expert has work, else the current call."""
    with_work = select(Assignment.call_id).where(Assignment.expert_id == expert.id, Assignment.removed_at.is_(None))
    return call_in_phase(session, phase=Phase.REVIEW, now=now, call_ids=with_work) or current_call(session, now=now)


def sheet_for(session: Session, *, assignment: Assignment) -> ScoreSheet | None:
    return session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).first()


def rubric_of(session: Session, sheet: ScoreSheet) -> dict[str, Any]:
    """The frozen rubric content the sheet is scored against."""
    return session.get(RubricVersion, sheet.rubric_version_id).content


def review_window_state(call: Call, *, now: datetime) -> str:
    """"open", "upcoming" (not started yet), "ended" or "none" (no review phase)."""
    window = call.phase_window(Phase.REVIEW)
    if window is None:
        return "none"
    if now < window.starts_at:
        return "upcoming"
    return "open" if now < window.ends_at else "ended"


class _RubricText:
    """A rubric's zh/en text, shown in the language of the request."""

    def __init__(self, texts: dict[str, str]):
        self.texts = texts

    def __str__(self) -> str:
        return rubric_text(self.texts)


def rubric_text(texts) -> str:
    """The zh or en text of a rubric item, by the current UI language."""
    if not isinstance(texts, dict):
        return str(texts or "")
    language = "zh"
    if has_request_context():
        locale = get_locale()
        language = "en" if locale is not None and not str(locale).startswith("zh") else "zh"
    return texts.get(language) or texts.get("zh") or texts.get("en") or ""


# --- declaring conflicts and opening the sheet --------------------------------


def _check_owner(assignment: Assignment, expert) -> None:
    if not owns_assignment(expert, assignment):
        raise NotAllowed(_l("This assignment is not yours, or it has been closed."))


def _check_review_open(call: Call, *, now: datetime, round_no: int = 1, session: Session | None = None) -> None:
    if not call.is_phase_open(Phase.REVIEW, now=now):
        state = review_window_state(call, now=now)
        if state == "upcoming":
            raise NotAllowed(_l("The review phase has not opened yet."))
        raise NotAllowed(_l("The review phase has ended: score sheets are locked."))
    if round_no > 1 and session is not None:
        _check_round_open(session, call=call, round_no=round_no, now=now)


def _check_round_open(session: Session, *, call: Call, round_no: int, now: datetime) -> None:
    """NotAllowed outside a later round's own dates."""
    review_round = round_of(session, call_id=call.id, number=round_no)
    if round_open(call, review_round, now=now):
        return
    if round_state(call, review_round, now=now) == "upcoming":
        raise NotAllowed(_l("This review round has not started yet."))
    raise NotAllowed(_l("This review round has ended: score sheets are locked."))


def automatic_conflict_reason(session: Session, *, assignment: Assignment, expert, call: Call, entry: Entry | None = None):
    """Why the expert can never score the assigned entry (translated), or None.

    ``entry``: the assigned entry, when the caller has loaded it already (with
    its organisation); else it is loaded here.
    """
    profile = session.get(ExpertProfile, expert.id, options=[joinedload(ExpertProfile.employments)])
    entry = entry or session.get(Entry, assignment.entry_id, options=[ENTRY_KEYS])
    return automatic_conflict(profile, entry, year=call.year)


def declare_no_conflict_and_open(session: Session, *, assignment: Assignment, expert, now: datetime) -> ScoreSheet:
    """The expert declares no conflict of interest: get or create their sheet.

    The sheet points at the rubric frozen for the entry's domain and gets one
    empty score per criterion. Two first opens at once (two tabs) give one
    sheet: the insert runs in a SAVEPOINT and a clash on the unique
    constraints re-reads the winner's sheet.
    """
    _check_owner(assignment, expert)
    existing = sheet_for(session, assignment=assignment)
    if existing is not None:
        return existing
    call = get_call(session, assignment.call_id)
    _check_review_open(call, now=now, round_no=assignment.round_no, session=session)
    reason = automatic_conflict_reason(session, assignment=assignment, expert=expert, call=call)
    if reason is not None:
        raise NotAllowed(_l("You cannot score this entry: %(reason)s Declare the conflict instead.", reason=reason))
    entry = session.get(Entry, assignment.entry_id)
    for attempt in range(1, _OPEN_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                sheet = _new_sheet(session, assignment=assignment, entry=entry, call=call, expert=expert, now=now)
            break
        except IntegrityError:
            # Another transaction created the sheet first (read it), or froze
            # the rubric first (try again: its row is there now).
            existing = sheet_for(session, assignment=assignment)
            if existing is not None:
                return existing
            if attempt == _OPEN_ATTEMPTS:
                raise
    record(session, actor=expert, action="sheet.opened", obj=sheet,
           after={"entry_id": entry.id, "rubric_version_id": sheet.rubric_version_id, "no_conflict_declared": True})
    return sheet


def _new_sheet(session: Session, *, assignment: Assignment, entry: Entry, call: Call, expert, now: datetime) -> ScoreSheet:
    review_round = round_of(session, call_id=call.id, number=assignment.round_no) if assignment.round_no > 1 else None
    version = frozen_rubric(session, call=call, domain=entry.domain, now=now, actor=expert, round_no=assignment.round_no,
                            opens_at=review_round.starts_at if review_round else None)
    sheet = ScoreSheet(
        assignment_id=assignment.id, entry_id=entry.id, expert_id=expert.id, rubric_version_id=version.id,
        round_no=assignment.round_no,
        opened_at=now, updated_at=now,
        scores=[Score(criterion_key=criterion["key"]) for criterion in criteria(version.content)],
    )
    session.add(sheet)
    session.flush()
    return sheet


def declare_conflict(session: Session, *, assignment: Assignment, expert, reason: str, now: datetime):
    """The expert declares a conflict of interest: the assignment is closed
    (which may complete the entry's scoring: see :func:`sync_scoring_status`)."""
    _check_owner(assignment, expert)
    call = get_call(session, assignment.call_id)
    if review_window_state(call, now=now) == "ended":
        raise NotAllowed(_l("The review phase has ended: score sheets are locked."))
    sheet = sheet_for(session, assignment=assignment)
    if sheet is not None and sheet.status == SheetStatus.SUBMITTED:
        raise NotAllowed(_l("You have already submitted this sheet; ask the chair to reopen it first."))
    entry = session.get(Entry, assignment.entry_id)
    conflict = record_conflict(
        session, expert_id=expert.id, entry=entry, source=ConflictSource.DECLARED, reason=reason, actor=expert, now=now
    )
    sync_scoring_status(session, entry_ids=[entry.id], actor=expert, now=now)
    return conflict


# --- saving and submitting ------------------------------------------------------


def _check_can_change(session: Session, *, sheet: ScoreSheet, expert, now: datetime) -> None:
    """NotAllowed, saying why, unless ``can_score``."""
    assignment = session.get(Assignment, sheet.assignment_id)
    call = get_call(session, assignment.call_id)
    if assignment.round_no > 1 and can_score(expert, assignment, sheet, call=call, now=now):
        _check_round_open(session, call=call, round_no=assignment.round_no, now=now)
    if can_score(expert, assignment, sheet, call=call, now=now):
        return
    if not owns_assignment(expert, assignment) or sheet.expert_id != expert.id:
        raise NotAllowed(_l("This score sheet is not yours, or its assignment has been closed."))
    if sheet.status == SheetStatus.SUBMITTED:
        raise NotAllowed(_l("This sheet has been submitted and is locked."))
    _check_review_open(call, now=now)
    raise NotAllowed(_l("This score sheet cannot be changed now."))


def score_bounds(criterion: dict[str, Any]) -> Bounds:
    """The range of a criterion's score: 0 to its maximum (the rule of every numeric field)."""
    return Bounds(0, criterion["max_score"])


def _validated_scores(rubric: dict[str, Any], scores: dict[str, Any]) -> tuple[dict[str, float | None], dict[str, Any]]:
    values, errors = {}, {}
    for criterion in criteria(rubric):
        key = criterion["key"]
        if key not in scores:
            continue
        name, bounds = _RubricText(criterion["name"]), score_bounds(criterion)
        try:
            number = bounds.parse(scores[key])
        except NumberError:
            errors[f"score-{key}"] = bounds.message(name)
            continue
        if number is not None and abs(number / SCORE_STEP - round(number / SCORE_STEP)) > 1e-9:
            errors[f"score-{key}"] = _l("%(criterion)s: scores go in steps of 0.5.", criterion=name)
            continue
        values[key] = number
    return values, errors


def save_draft(
    session: Session,
    *,
    sheet: ScoreSheet,
    expert,
    now: datetime,
    version: int | None,
    scores: dict[str, Any],
    comments: dict[str, str],
    comment: str | None,
    vetoes: dict[str, bool | None],
    autosave: bool = False,
) -> list[str]:
    """Save what the expert typed, as a draft; returns the names of what changed.

    Only the keys given are changed (unknown criteria are ignored). Scores
    must be numbers from 0 to the criterion's maximum, in steps of 0.5;
    otherwise :class:`InvalidSheet` says which and nothing changes.
    ``version`` is the sheet version the page was loaded with
    (:class:`SheetConflict` if it has changed since).
    """
    _check_can_change(session, sheet=sheet, expert=expert, now=now)
    if version is not None and version != sheet.version:
        raise SheetConflict()
    rubric = rubric_of(session, sheet)
    values, errors = _validated_scores(rubric, scores)
    keys = {criterion["key"] for criterion in criteria(rubric)}
    veto_keys = {veto["key"] for veto in rubric.get("vetoes", [])}
    clean_comments = {key: (text or "").strip() for key, text in comments.items() if key in keys}
    for key, text in clean_comments.items():
        if len(text) > COMMENT_LIMIT:
            errors[f"comment-{key}"] = _l("A comment can be at most %(n)s characters long.", n=COMMENT_LIMIT)
    overall = None if comment is None else comment.strip()
    if overall is not None and len(overall) > OVERALL_COMMENT_LIMIT:
        errors["comment"] = _l("The overall comment can be at most %(n)s characters long.", n=OVERALL_COMMENT_LIMIT)
    if errors:
        raise InvalidSheet(errors)

    before, after = {}, {}
    rows = {row.criterion_key: row for row in sheet.scores}
    for key, number in values.items():
        row = rows[key]
        if row.score != number:
            before[f"score-{key}"], after[f"score-{key}"] = row.score, number
            row.score = number
    for key, text in clean_comments.items():
        row = rows[key]
        if row.comment != text:
            before[f"comment-{key}"], after[f"comment-{key}"] = row.comment, text
            row.comment = text
    if overall is not None and overall != sheet.comment:
        before["comment"], after["comment"] = sheet.comment, overall
        sheet.comment = overall
    new_vetoes = dict(sheet.vetoes)
    for key, answer in vetoes.items():
        if key not in veto_keys:
            continue
        if answer is None:
            new_vetoes.pop(key, None)
        else:
            new_vetoes[key] = bool(answer)
    if new_vetoes != sheet.vetoes:
        before["vetoes"], after["vetoes"] = dict(sheet.vetoes), new_vetoes
        sheet.vetoes = new_vetoes
    if not after:
        return []
    # Touching the sheet row bumps its version even when only scores changed.
    sheet.updated_at = now
    session.add(sheet)
    session.flush()
    record(session, actor=expert, action="sheet.autosaved" if autosave else "sheet.saved", obj=sheet, before=before, after=after)
    return sorted(after)


def missing_for_submit(rubric: dict[str, Any], sheet: ScoreSheet) -> list:
    """What still stops the sheet from being submitted (translated), in form order."""
    problems = []
    rows = {row.criterion_key: row for row in sheet.scores}
    for criterion in criteria(rubric):
        row = rows.get(criterion["key"])
        name = _RubricText(criterion["name"])
        if row is None or row.score is None:
            problems.append(_l("Score “%(criterion)s”.", criterion=name))
        if criterion.get("comment_required") and not (row and row.comment.strip()):
            problems.append(_l("Comment on “%(criterion)s” (required).", criterion=name))
    for veto in rubric.get("vetoes", []):
        if veto["key"] not in sheet.vetoes:
            problems.append(_l("Answer the question “%(question)s”.", question=_RubricText(veto["question"])))
    if sheet.vetoed and not sheet.comment.strip():
        problems.append(_l("Explain the veto in the overall comment."))
    return problems


def lock_sheet(session: Session, sheet: ScoreSheet) -> ScoreSheet:
    """Lock the sheet's row until the transaction ends, and reload the sheet
    and its scores as they are now (another transaction may have changed
    them while this one waited for the lock).

    Pending changes are flushed first. The lock is taken on the id column
    alone: loading the entity itself FOR UPDATE would make SQLAlchemy refuse
    a row whose version moved on, which is exactly the case to handle here.
    On SQLite, writing transactions already hold the database's write lock
    (BEGIN IMMEDIATE) and FOR UPDATE is not emitted.
    """
    session.flush()
    session.exec(select(ScoreSheet.id).where(ScoreSheet.id == sheet.id).with_for_update()).one()
    return session.exec(
        select(ScoreSheet).where(ScoreSheet.id == sheet.id).options(WITH_SCORES)
        .execution_options(populate_existing=True)
    ).unique().one()


def submit_sheet(session: Session, *, sheet: ScoreSheet, expert, now: datetime, version: int | None = None) -> ScoreSheet:
    """Submit a complete sheet: its weighted total is stored and it is locked.

    Idempotent: a sheet that is already submitted (a double click, a second
    tab) is returned unchanged. The sheet row is locked first, so concurrent
    submits run one after the other and the later ones see it submitted.
    The last sheet of an entry makes it "scored" (:func:`sync_scoring_status`).
    """
    locked = lock_sheet(session, sheet)
    assignment = session.get(Assignment, locked.assignment_id)
    if not owns_assignment(expert, assignment) or locked.expert_id != expert.id:
        raise NotAllowed(_l("This score sheet is not yours, or its assignment has been closed."))
    if locked.status == SheetStatus.SUBMITTED:
        return locked
    _check_can_change(session, sheet=locked, expert=expert, now=now)
    if version is not None and version != locked.version:
        raise SheetConflict()
    rubric = rubric_of(session, locked)
    problems = missing_for_submit(rubric, locked)
    if problems:
        raise IncompleteSheet(problems)
    scores = {row.criterion_key: row.score for row in locked.scores}
    locked.total = weighted_total(rubric, scores)
    locked.status = SheetStatus.SUBMITTED
    locked.submitted_at = now
    locked.updated_at = now
    session.add(locked)
    session.flush()
    record(session, actor=expert, action="sheet.submitted", obj=locked, before={"status": SheetStatus.DRAFT.value},
           after={"status": SheetStatus.SUBMITTED.value, "total": locked.total, "scores": scores, "vetoes": locked.vetoes})
    sync_scoring_status(session, entry_ids=[locked.entry_id], actor=expert, now=now)
    return locked


def visible_other_sheets(session: Session, *, sheet: ScoreSheet, call: Call) -> list[OtherSheet]:
    """Other experts' submitted sheets of the same entry, without their names.

    Only once this sheet is submitted, and only when the call lets experts see
    each other's scores.
    """
    if sheet.status != SheetStatus.SUBMITTED or not call.show_others_scores:
        return []
    others = session.exec(
        select(ScoreSheet)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(
            ScoreSheet.entry_id == sheet.entry_id,
            ScoreSheet.round_no == sheet.round_no,
            ScoreSheet.id != sheet.id,
            ScoreSheet.status == SheetStatus.SUBMITTED,
            Assignment.removed_at.is_(None),
        )
        .order_by(ScoreSheet.submitted_at, ScoreSheet.id)
        .options(selectinload(ScoreSheet.scores))
    ).all()
    return [
        OtherSheet(number=index, total=other.total, scores={row.criterion_key: row.score for row in other.scores}, vetoed=other.vetoed)
        for index, other in enumerate(others, start=1)
    ]
