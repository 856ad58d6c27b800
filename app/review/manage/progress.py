"""Review progress for the chair: counts per panel and per expert, entries
still short of submitted sheets, veto flags, and the drafts left when the
review phase has ended.

Every function runs a fixed number of grouped queries, however many entries
and experts a call has (5,000 entries × 5 experts is the scale to plan for).
Only active assignments count; an assignment's sheet is "opened" once it
exists, then a draft until the expert submits it.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.db import UTCDateTime
from app.enums import REVIEW_STATUSES, Domain, Phase, SheetStatus
from app.models import Assignment, Call, Entry, Panel, RubricVersion, ScoreSheet, User

PER_PAGE = 50


@dataclass(frozen=True)
class Counts:
    assigned: int = 0
    opened: int = 0
    draft: int = 0
    submitted: int = 0

    @property
    def not_opened(self) -> int:
        return self.assigned - self.opened

    @property
    def open(self) -> int:
        """Assignments not submitted yet (never opened, or a draft)."""
        return self.assigned - self.submitted

    @property
    def percent_submitted(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0


@dataclass(frozen=True)
class ExpertProgress:
    expert_id: int
    name: str
    email: str
    counts: Counts
    reminded_at: datetime | None  # the last reminder about still open work


@dataclass(frozen=True)
class PanelProgress:
    panel: Panel | None  # None: assignments made outside any panel
    counts: Counts


@dataclass(frozen=True)
class ShortEntry:
    entry_id: int
    title: str
    domain: Domain | None
    assigned: int
    submitted: int


@dataclass(frozen=True)
class ShortEntries:
    rows: list[ShortEntry]
    total: int
    page: int
    per_page: int
    required: int  # experts_per_entry of the call

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class VetoFlag:
    sheet_id: int
    entry_id: int
    title: str
    expert_id: int
    expert_name: str
    submitted_at: datetime | None
    key: str
    question: dict  # {"zh": …, "en": …} from the frozen rubric (the key if unknown)


@dataclass(frozen=True)
class LeftoverDraft:
    sheet_id: int
    entry_id: int
    title: str
    expert_id: int
    expert_name: str
    updated_at: datetime


@dataclass(frozen=True)
class Leftovers:
    """What the review phase ended with, reported to the chair."""

    ended_at: datetime
    drafts: list[LeftoverDraft]
    never_opened: int  # active assignments without any sheet


_ACTIVE = Assignment.removed_at.is_(None)
_NOT_SUBMITTED = sa.or_(ScoreSheet.id.is_(None), ScoreSheet.status != SheetStatus.SUBMITTED)
_COUNT_COLUMNS = (
    sa.func.count(Assignment.id).label("assigned"),
    sa.func.count(ScoreSheet.id).label("opened"),
    sa.func.count(sa.case((ScoreSheet.status == SheetStatus.DRAFT, ScoreSheet.id))).label("draft"),
    sa.func.count(sa.case((ScoreSheet.status == SheetStatus.SUBMITTED, ScoreSheet.id))).label("submitted"),
)


def _counts(row) -> Counts:
    return Counts(assigned=row.assigned, opened=row.opened, draft=row.draft, submitted=row.submitted)


def _assignments(call: Call, *columns, round_no: int | None = None):
    """``columns`` over the call's active assignments (of review round
    ``round_no``, or of every round) and their sheets (if any)."""
    statement = (
        select(*columns)
        .select_from(Assignment)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, _ACTIVE)
    )
    return statement if round_no is None else statement.where(Assignment.round_no == round_no)


def call_counts(session: Session, *, call: Call, round_no: int | None = None) -> Counts:
    """The call's totals over every active assignment (of round ``round_no`` when given)."""
    return _counts(session.exec(_assignments(call, *_COUNT_COLUMNS, round_no=round_no)).one())


def expert_progress(session: Session, *, call: Call, round_no: int | None = None) -> list[ExpertProgress]:
    """One row per expert with active assignments in the call (in round ``round_no`` when given), by name."""
    open_reminder = sa.type_coerce(
        sa.func.max(sa.case((_NOT_SUBMITTED, Assignment.reminded_at))), UTCDateTime()
    )
    per_expert = (
        _assignments(call, Assignment.expert_id, *_COUNT_COLUMNS, open_reminder.label("reminded_at"), round_no=round_no)
        .group_by(Assignment.expert_id)
        .subquery()
    )
    rows = session.exec(
        select(User.id, User.name, User.email, per_expert)
        .join(per_expert, per_expert.c.expert_id == User.id)
        .order_by(User.name, User.id)
    ).all()
    return [
        ExpertProgress(
            expert_id=row.id, name=row.name, email=row.email, counts=_counts(row), reminded_at=row.reminded_at
        )
        for row in rows
    ]


def panel_progress(session: Session, *, call: Call, round_no: int | None = None) -> list[PanelProgress]:
    """One row per panel (of round ``round_no`` when given; those without
    assignments too), then the assignments made outside any panel if there are some."""
    rows = session.exec(_assignments(call, Assignment.panel_id, *_COUNT_COLUMNS, round_no=round_no)
                        .group_by(Assignment.panel_id)).all()
    by_panel = {row.panel_id: _counts(row) for row in rows}
    panels_of = select(Panel).where(Panel.call_id == call.id)
    if round_no is not None:
        panels_of = panels_of.where(Panel.round_no == round_no)
    panels = session.exec(panels_of.order_by(Panel.name, Panel.id)).all()
    result = [PanelProgress(panel=panel, counts=by_panel.get(panel.id, Counts())) for panel in panels]
    if None in by_panel:
        result.append(PanelProgress(panel=None, counts=by_panel[None]))
    return result


def short_entries(session: Session, *, call: Call, page: int = 1, per_page: int = PER_PAGE) -> ShortEntries:
    """Entries in review with fewer submitted sheets than the call's experts
    per entry, fewest first (one page, and how many there are in all). The
    experts per entry are the online round's: a later round's sheets (a
    panel scoring its whole shortlist) are not counted.

    One grouped query gives the page and, through a window count, the total;
    only a page past the end needs a second one.
    """
    submitted = sa.func.count(ScoreSheet.id)
    grouped = (
        select(
            Entry.id.label("entry_id"),
            Entry.title,
            Entry.domain,
            sa.func.count(Assignment.id).label("assigned"),
            submitted.label("submitted"),
            sa.func.count().over().label("total"),
        )
        .select_from(Entry)
        .outerjoin(Assignment, sa.and_(Assignment.entry_id == Entry.id, _ACTIVE, Assignment.round_no == 1))
        .outerjoin(ScoreSheet, sa.and_(ScoreSheet.assignment_id == Assignment.id, ScoreSheet.status == SheetStatus.SUBMITTED))
        .where(Entry.call_id == call.id, Entry.status.in_(REVIEW_STATUSES))
        .group_by(Entry.id, Entry.title, Entry.domain)
        .having(submitted < call.experts_per_entry)
        .order_by(submitted, Entry.id)
    )

    def _page(number: int):
        return session.exec(grouped.offset((number - 1) * per_page).limit(per_page)).all()

    page = max(page, 1)
    rows = _page(page)
    if rows:
        total = rows[0].total
    else:
        total = session.exec(select(sa.func.count()).select_from(grouped.subquery())).one()
        last = max(1, -(-total // per_page))
        if page > last:
            page = last
            rows = _page(page)
    return ShortEntries(
        rows=[ShortEntry(row.entry_id, row.title, row.domain, row.assigned, row.submitted) for row in rows],
        total=total,
        page=page,
        per_page=per_page,
        required=call.experts_per_entry,
    )


def veto_flags(session: Session, *, call: Call) -> list[VetoFlag]:
    """Submitted sheets (of active assignments) where the expert answered a
    veto question with yes: one flag per (sheet, question)."""
    rows = session.exec(
        select(
            ScoreSheet.id,
            ScoreSheet.entry_id,
            Entry.title,
            ScoreSheet.expert_id,
            User.name,
            ScoreSheet.submitted_at,
            ScoreSheet.vetoes,
            ScoreSheet.rubric_version_id,
        )
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Entry, Entry.id == ScoreSheet.entry_id)
        .join(User, User.id == ScoreSheet.expert_id)
        .where(
            Assignment.call_id == call.id,
            _ACTIVE,
            ScoreSheet.status == SheetStatus.SUBMITTED,
            # Narrow in the database; the JSON itself is checked below.
            sa.cast(ScoreSheet.vetoes, sa.Text).like("%true%"),
        )
        .order_by(Entry.id, User.name, ScoreSheet.id)
    ).all()
    version_ids = {row.rubric_version_id for row in rows}
    questions = {}
    if version_ids:
        for version in session.exec(select(RubricVersion).where(RubricVersion.id.in_(version_ids))).all():
            questions[version.id] = {veto["key"]: veto["question"] for veto in version.content.get("vetoes", [])}
    flags = []
    for row in rows:
        for key, answer in (row.vetoes or {}).items():
            if answer is True:
                question = questions.get(row.rubric_version_id, {}).get(key) or {"zh": key, "en": key}
                flags.append(VetoFlag(row.id, row.entry_id, row.title, row.expert_id, row.name, row.submitted_at, key, question))
    return flags


def review_ended(call: Call, *, now: datetime) -> datetime | None:
    """When the call's review phase ended, if it has."""
    window = call.phase_window(Phase.REVIEW)
    return window.ends_at if window is not None and now >= window.ends_at else None


def leftovers(session: Session, *, call: Call, now: datetime) -> Leftovers | None:
    """After the review phase: the sheets left as drafts and the assignments
    never opened (None while review has not ended)."""
    ended_at = review_ended(call, now=now)
    if ended_at is None:
        return None
    rows = session.exec(
        select(ScoreSheet.id, ScoreSheet.entry_id, Entry.title, ScoreSheet.expert_id, User.name, ScoreSheet.updated_at)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(Entry, Entry.id == ScoreSheet.entry_id)
        .join(User, User.id == ScoreSheet.expert_id)
        .where(Assignment.call_id == call.id, _ACTIVE, ScoreSheet.status == SheetStatus.DRAFT)
        .order_by(User.name, User.id, Entry.id)
    ).all()
    never_opened = session.exec(
        select(sa.func.count(Assignment.id))
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, _ACTIVE, ScoreSheet.id.is_(None))
    ).one()
    return Leftovers(
        ended_at=ended_at,
        drafts=[LeftoverDraft(*row) for row in rows],
        never_opened=never_opened,
    )


def expert_assignments(session: Session, *, call: Call, expert_id: int):
    """One expert's assignments in the call (removed ones too), with entry and sheet."""
    return session.exec(
        select(Assignment, Entry.title, Entry.domain, ScoreSheet)
        .join(Entry, Entry.id == Assignment.entry_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.expert_id == expert_id)
        .order_by(Assignment.removed_at.is_not(None), Entry.id)
    ).all()


def entry_assignments(session: Session, *, entry: Entry):
    """An entry's assignments (removed ones too) with expert and sheet."""
    return session.exec(
        select(Assignment, User, ScoreSheet)
        .join(User, User.id == Assignment.expert_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.entry_id == entry.id)
        .order_by(Assignment.removed_at.is_not(None), User.name, User.id)
    ).all()
