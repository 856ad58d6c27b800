"""Reminding experts of their open sheets, and reopening a submitted sheet
(the chair's two ways of acting on experts' sheets).

A reminder goes to an expert with active assignments whose sheet is not
submitted (never opened, or a draft) — at most one per expert every
:data:`REMINDER_INTERVAL`, decided from ``Assignment.reminded_at`` of that
expert's open assignments (so it holds across processes and restarts).
Services flush, never commit; mails go out after the commit.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.routing import BuildError

from app.audit.services import record
from app.calls.services import get_call, with_phases
from app.entries.states import sync_scoring_status
from app.enums import Phase, SheetStatus
from app.errors import DomainError, NotAllowed
from app.i18n import lazy_gettext as _l
from app.models import Assignment, Call, CallPhase, Entry, ScoreSheet, User
from app.notifications.services import notify
from app.urls import site_path

REMINDER_INTERVAL = timedelta(hours=12)
REASON_MAX = 1000


@dataclass(frozen=True)
class Skipped:
    expert: User
    reminded_at: datetime | None  # None: skipped because the account is deactivated

    @property
    def next_at(self) -> datetime | None:
        return self.reminded_at + REMINDER_INTERVAL if self.reminded_at else None


@dataclass
class ReminderResult:
    sent: list[tuple[User, int]] = field(default_factory=list)  # (expert, open sheets)
    skipped: list[Skipped] = field(default_factory=list)


def queue_path() -> str:
    """The path of the expert's queue of entries."""
    try:
        return site_path("review.queue")
    except BuildError:  # the expert pages are not there yet
        return "/review/"


def _open_condition():
    return sa.or_(ScoreSheet.id.is_(None), ScoreSheet.status != SheetStatus.SUBMITTED)


def _open_assignments(call: Call, *columns):
    return (
        select(*columns)
        .select_from(Assignment)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.removed_at.is_(None), _open_condition())
    )


def open_work(session: Session, *, call: Call, expert_id: int | None = None) -> dict[int, tuple[int, datetime | None]]:
    """Expert id → (open assignments, when they were last reminded of them)."""
    last = sa.type_coerce(sa.func.max(Assignment.reminded_at), Assignment.__table__.c.reminded_at.type)
    query = _open_assignments(call, Assignment.expert_id, sa.func.count(Assignment.id), last).group_by(Assignment.expert_id)
    if expert_id is not None:
        query = query.where(Assignment.expert_id == expert_id)
    return {row[0]: (row[1], row[2]) for row in session.exec(query).all()}


def send_reminders(session: Session, *, actor, call: Call, now: datetime, expert_id: int | None = None,
                   reminded_since: datetime | None = None) -> ReminderResult:
    """Mail every expert with open sheets in ``call`` (or only ``expert_id``).

    An expert reminded since ``reminded_since`` (default: 12 hours ago) is
    skipped (and listed in the result); each mail sent is audited and stamps
    the open assignments.
    """
    if reminded_since is None:
        reminded_since = now - REMINDER_INTERVAL
    window = call.phase_window(Phase.REVIEW)
    if not call.is_phase_open(Phase.REVIEW, now=now):
        raise NotAllowed(_l("Reminders can be sent while the review phase runs."))
    work = open_work(session, call=call, expert_id=expert_id)
    if not work:
        if expert_id is not None:
            raise DomainError(_l("This expert has no open sheets in this call."))
        raise DomainError(_l("No expert has open sheets in this call."))
    experts = {user.id: user for user in session.exec(select(User).where(User.id.in_(list(work)))).all()}
    result = ReminderResult()
    for user in sorted(experts.values(), key=lambda user: (user.name, user.id)):
        count, last = work[user.id]
        if not user.active:
            result.skipped.append(Skipped(user, None))
        elif last is not None and last >= reminded_since:
            result.skipped.append(Skipped(user, last))
        else:
            result.sent.append((user, count))
    if not result.sent:
        return result
    sent_ids = [user.id for user, _count in result.sent]
    open_ids = _open_assignments(call, Assignment.id).where(Assignment.expert_id.in_(sent_ids))
    session.exec(
        sa.update(Assignment).where(Assignment.id.in_(open_ids.scalar_subquery())).values(reminded_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    for user, count in result.sent:
        after = {"expert_id": user.id, "open_sheets": count}
        if actor is None:
            after["automatic"] = True
        record(session, actor=actor, action="review.reminder_sent", obj=call, after=after)
        notify(session, user=user, kind="review.reminder",
               params={"call": call.name, "count": count, "deadline": window.ends_at.isoformat()},
               link=queue_path(), mail={"expert": user, "call": call, "open_count": count, "deadline": window.ends_at},
               now=now)
    session.flush()
    return result


def calls_ending_review(session: Session, *, now: datetime, within: timedelta) -> list[Call]:
    """Calls whose review phase runs now and ends within ``within``."""
    return list(session.exec(
        select(Call).options(with_phases()).join(CallPhase, CallPhase.call_id == Call.id)
        .where(CallPhase.phase == Phase.REVIEW, CallPhase.starts_at <= now, CallPhase.ends_at > now,
               CallPhase.ends_at <= now + within)
        .order_by(Call.id)
    ).all())


def send_automatic_reminders(session: Session, *, now: datetime, days: int, zone: ZoneInfo) -> dict[int, int]:
    """The daily reminder in the last ``days`` days of a review phase: every
    expert with open sheets in such a call gets the chair's reminder mail,
    unless reminded this (local) day or in the last 12 hours — by the chair
    or an earlier run. Audited as the system's. Returns call id → mails sent.

    The call's row is locked first, so two runs at once (two workers) send
    one reminder, not two: the second waits, then sees the stamps.
    """
    if days <= 0:
        return {}
    local = now.astimezone(zone)
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    sent = {}
    for call in calls_ending_review(session, now=now, within=timedelta(days=days)):
        session.exec(select(Call.id).where(Call.id == call.id).with_for_update()).one()
        if not open_work(session, call=call):
            continue
        result = send_reminders(session, actor=None, call=call, now=now,
                                reminded_since=min(start_of_day, now - REMINDER_INTERVAL))
        sent[call.id] = len(result.sent)
    return sent


def reopen_sheet(session: Session, *, actor, sheet: ScoreSheet, reason: str, now: datetime) -> None:
    """Send a submitted sheet back to its expert as a draft (review phase only).

    Clears the submission time and the total, writes the reason to the audit
    log and mails the expert. A scored entry is in review again
    (:func:`sync_scoring_status`).
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason: the expert is told it."))
    if len(reason) > REASON_MAX:
        raise DomainError(_l("The reason has at most %(n)s characters.", n=REASON_MAX))
    # Lock the row and read it as it is now: the expert may be submitting it
    # at this very moment (on SQLite the write lock is already held).
    session.exec(select(ScoreSheet.id).where(ScoreSheet.id == sheet.id).with_for_update()).one()
    session.refresh(sheet)
    assignment = session.get(Assignment, sheet.assignment_id)
    call = get_call(session, assignment.call_id)
    if not call.is_phase_open(Phase.REVIEW, now=now):
        raise NotAllowed(_l("Sheets can be reopened only while the review phase runs."))
    if sheet.status != SheetStatus.SUBMITTED:
        raise DomainError(_l("Only a submitted sheet can be reopened."))
    if not assignment.active:
        raise DomainError(_l("The expert's assignment to this entry has been removed: the sheet cannot be reopened."))
    before = {
        "status": sheet.status.value,
        "total": sheet.total,
        "submitted_at": sheet.submitted_at.astimezone(timezone.utc).isoformat() if sheet.submitted_at else None,
    }
    sheet.status = SheetStatus.DRAFT
    sheet.submitted_at = None
    sheet.total = None
    sheet.updated_at = now
    session.add(sheet)
    session.flush()
    record(session, actor=actor, action="sheet.reopened", obj=sheet, before=before,
           after={"status": sheet.status.value, "entry_id": sheet.entry_id, "expert_id": sheet.expert_id}, reason=reason)
    sync_scoring_status(session, entry_ids=[sheet.entry_id], actor=actor, now=now)
    expert = session.get(User, sheet.expert_id)
    entry = session.get(Entry, sheet.entry_id)
    deadline = call.phase_window(Phase.REVIEW).ends_at
    notify(session, user=expert, kind="sheet.reopened",
           params={"entry_id": entry.id, "title": entry.title, "reason": reason, "deadline": deadline.isoformat()},
           link=_sheet_path(sheet), mail={"expert": expert, "entry": entry, "reason": reason, "deadline": deadline},
           now=now)


def _sheet_path(sheet: ScoreSheet) -> str:
    try:
        return site_path("review.sheet", sheet_id=sheet.id)
    except BuildError:
        return queue_path()
