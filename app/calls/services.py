"""Calls (征集批次): creating and editing them, and which phase is running.

Later features ask ``call.is_phase_open(phase, now=...)`` before letting a role act, so the
dates a chair sets here drive what everyone may do.
"""
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, select

from app.audit.services import record
from app.enums import PHASE_ORDER, REVIEW_STATUSES, Domain, EntryStatus, Phase
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, CallPhase, CallQuota, Entry

Schedule = dict[Phase, tuple[datetime, datetime]]

# The review settings a call starts with, and the bounds of experts per entry.
DEFAULT_EXPERTS_PER_ENTRY = 5
EXPERTS_PER_ENTRY_RANGE = (1, 15)
# The ranges of a call's other numbers (both ends included): its year, its
# target of showcase scenarios and each domain's quota.
YEAR_RANGE = (2000, 2100)
TARGET_RANGE = (1, 10_000)
QUOTA_RANGE = (0, 10_000)

#: Entries the formal check has yet to decide (a returned one may come back).
AWAITING_FORMAL_CHECK = (EntryStatus.SUBMITTED, EntryStatus.RETURNED)

# What the call's setup warns about once the formal check is done.
QUOTA_ABOVE_ELIGIBLE = "quota_above_eligible"
ELIGIBLE_BELOW_TARGET = "eligible_below_target"
QUOTAS_ABOVE_TARGET = "quotas_above_target"


@dataclass(frozen=True)
class PhaseState:
    """Where a call stands at one moment.

    ``status`` is "upcoming" (before the first phase), "open" (``phase`` runs),
    "between" (a gap; ``next_window`` is the next phase) or "closed".
    """

    call: Call
    status: str
    window: CallPhase | None = None
    next_window: CallPhase | None = None

    @property
    def phase(self) -> Phase | None:
        return self.window.phase if self.window else None


def phase_state(call: Call, *, now: datetime) -> PhaseState:
    """The state of ``call`` at ``now`` (phases are half-open: start ≤ now < end)."""
    windows = call.ordered_phases
    for window in windows:
        if window.starts_at <= now < window.ends_at:
            return PhaseState(call=call, status="open", window=window)
    upcoming = [window for window in windows if window.starts_at > now]
    if not upcoming:
        return PhaseState(call=call, status="closed")
    status = "upcoming" if len(upcoming) == len(windows) else "between"
    return PhaseState(call=call, status=status, next_window=upcoming[0])


@dataclass(frozen=True)
class QuotaWarning:
    """Something about the target and quotas the chair should know: ``count``
    (eligible entries, or the quotas' sum) against ``limit`` (a quota or the target)."""

    key: str
    count: int
    limit: int
    domain: Domain | None = None

    @property
    def places(self) -> int:
        """The places that the count leaves open."""
        return self.limit - self.count


def formal_check_done(session: Session, *, call: Call, now: datetime) -> bool:
    """Whether the formal check has decided every entry: its phase has ended,
    or submission is over and no entry awaits a decision or a resubmission."""
    check = call.phase_window(Phase.FORMAL_CHECK)
    if check is not None and now >= check.ends_at:
        return True
    submission = call.phase_window(Phase.SUBMISSION)
    if submission is None or now < submission.ends_at:
        return False
    waiting = session.exec(
        select(sa.func.count(Entry.id)).where(Entry.call_id == call.id, Entry.status.in_(AWAITING_FORMAL_CHECK))
    ).one()
    return waiting == 0


def quota_warnings(session: Session, *, call: Call, now: datetime) -> list[QuotaWarning]:
    """What the chair should know about the target and the quotas: once the
    formal check is done, each domain whose quota exceeds its eligible
    entries (in the order of the domain list) and a target above all eligible
    entries; at any time, quotas that add up to more than the target (fewer
    is refused when the call is saved)."""
    warnings = []
    if formal_check_done(session, call=call, now=now):
        eligible = dict(
            session.exec(
                select(Entry.domain, sa.func.count(Entry.id))
                .where(Entry.call_id == call.id, Entry.status.in_(REVIEW_STATUSES))
                .group_by(Entry.domain)
            ).all()
        )
        for domain in Domain:
            quota = call.quota_for(domain)
            if quota > eligible.get(domain, 0):
                warnings.append(QuotaWarning(QUOTA_ABOVE_ELIGIBLE, eligible.get(domain, 0), quota, domain))
        if sum(eligible.values()) < call.target_count:
            warnings.append(QuotaWarning(ELIGIBLE_BELOW_TARGET, sum(eligible.values()), call.target_count))
    total = sum(row.quota for row in call.quotas)
    if total > call.target_count:
        warnings.append(QuotaWarning(QUOTAS_ABOVE_TARGET, total, call.target_count))
    return warnings


def get_call(session: Session, call_id: int, *options) -> Call | None:
    """The call with this id, or None, with its phase windows joined in
    (nearly every use of a call reads them): one query; ``options``: loader
    options for what else the caller reads of it."""
    return session.get(Call, call_id, options=[phases_joined(), *options])


def with_phases():
    """The loader option for a query of calls that reads their phase windows."""
    return selectinload(Call.phases)


def phases_joined():
    """The loader option for one call (``session.get``) whose phase windows are read: one query."""
    return joinedload(Call.phases)


def lock_call(session: Session, call_id: int) -> None:
    """Serialise the writers of one call's review, results or brochure state
    until the transaction ends: a row lock on PostgreSQL; on SQLite, writing
    requests already hold the database's write lock (BEGIN IMMEDIATE)."""
    session.exec(select(Call.id).where(Call.id == call_id).with_for_update()).one()


def current_call(session: Session, *, now: datetime) -> Call | None:
    """The call the site is about: one that is running, else the next, else the last."""
    # Every page asks (the template's header): the calls and their phases in one query.
    calls = session.exec(
        select(Call).options(phases_joined()).order_by(Call.year.desc(), Call.id.desc())
    ).unique().all()
    running = [call for call in calls if phase_state(call, now=now).status in {"open", "between"}]
    if running:
        return running[0]
    upcoming = [call for call in calls if phase_state(call, now=now).status == "upcoming"]
    if upcoming:
        return min(upcoming, key=lambda call: call.ordered_phases[0].starts_at)
    return calls[0] if calls else None


def call_in_phase(session: Session, *, phase: Phase, now: datetime, call_ids=None) -> Call | None:
    """The most recent call (by year, then newest) whose ``phase`` runs now,
    among ``call_ids`` when given.

    The review pages open on it: while one call is in review the next may
    already take entries, and :func:`current_call` is that next one.
    """
    query = select(Call).order_by(Call.year.desc(), Call.id.desc()).options(with_phases())
    if call_ids is not None:
        query = query.where(Call.id.in_(call_ids))
    return next((call for call in session.exec(query).all() if call.is_phase_open(phase, now=now)), None)


def list_calls(session: Session) -> list[Call]:
    return list(session.exec(select(Call).order_by(Call.year.desc(), Call.id.desc()).options(with_phases())).all())


def _check(*, target_count: int, quotas: dict[Domain, int], schedule: Schedule, experts_per_entry: int) -> None:
    low, high = EXPERTS_PER_ENTRY_RANGE
    if not low <= experts_per_entry <= high:
        raise DomainError(_l("Each entry needs between %(low)s and %(high)s experts.", low=low, high=high))
    if target_count <= 0:
        raise DomainError(_l("The target must be at least 1."))
    if set(quotas) != set(Domain) or any(quota < 0 for quota in quotas.values()):
        raise DomainError(_l("Give every domain a quota of 0 or more."))
    total = sum(quotas.values())
    if total < target_count:
        raise DomainError(
            _l(
                "The domain quotas add up to %(total)s, fewer than the target of %(target)s: the target could never be filled.",
                total=total,
                target=target_count,
            )
        )
    if set(schedule) != set(Phase):
        raise DomainError(_l("Give every phase a start and an end."))
    previous_end = None
    for phase in PHASE_ORDER:
        starts_at, ends_at = schedule[phase]
        if starts_at.tzinfo is None or ends_at.tzinfo is None:
            raise ValueError("schedule times must be timezone-aware")
        if starts_at >= ends_at:
            raise DomainError(_l("%(phase)s must end after it starts.", phase=phase.label))
        if previous_end is not None and starts_at < previous_end:
            raise DomainError(_l("%(phase)s cannot start before the previous phase ends.", phase=phase.label))
        previous_end = ends_at


def _snapshot(call: Call) -> dict:
    return {
        "name": call.name,
        "year": call.year,
        "target_count": call.target_count,
        "experts_per_entry": call.experts_per_entry,
        "blind_review": call.blind_review,
        "show_others_scores": call.show_others_scores,
        "quotas": {row.domain.value: row.quota for row in call.quotas},
        "phases": {
            row.phase.value: [row.starts_at.astimezone(timezone.utc).isoformat(), row.ends_at.astimezone(timezone.utc).isoformat()]
            for row in call.ordered_phases
        },
    }


def _ensure_unique_name(session: Session, *, name: str, year: int, call_id: int | None) -> None:
    clash = session.exec(select(Call).where(Call.year == year, Call.name == name)).first()
    if clash is not None and clash.id != call_id:
        raise DomainError(_l("There is already a call with this name for %(year)s.", year=year))


def create_call(
    session: Session,
    *,
    actor,
    name: str,
    year: int,
    target_count: int,
    quotas: dict[Domain, int],
    schedule: Schedule,
    experts_per_entry: int = DEFAULT_EXPERTS_PER_ENTRY,
    blind_review: bool = True,
    show_others_scores: bool = False,
) -> Call:
    """Create a call with its per-domain quotas, phase dates and review settings."""
    name = name.strip()
    _check(target_count=target_count, quotas=quotas, schedule=schedule, experts_per_entry=experts_per_entry)
    _ensure_unique_name(session, name=name, year=year, call_id=None)
    call = Call(
        name=name,
        year=year,
        target_count=target_count,
        experts_per_entry=experts_per_entry,
        blind_review=blind_review,
        show_others_scores=show_others_scores,
        created_by_id=actor.id if actor is not None and actor.is_authenticated else None,
        quotas=[CallQuota(domain=domain, quota=quotas[domain]) for domain in Domain],
        phases=[CallPhase(phase=phase, starts_at=schedule[phase][0], ends_at=schedule[phase][1]) for phase in Phase],
    )
    session.add(call)
    session.flush()
    record(session, actor=actor, action="call.created", obj=call, after=_snapshot(call))
    return call


def update_call(
    session: Session,
    *,
    actor,
    call: Call,
    name: str,
    year: int,
    target_count: int,
    quotas: dict[Domain, int],
    schedule: Schedule,
    experts_per_entry: int | None = None,
    blind_review: bool | None = None,
    show_others_scores: bool | None = None,
) -> None:
    """Change a call's name, target, quotas, dates or review settings (audited
    with before/after). A review setting left at None keeps its value."""
    name = name.strip()
    experts_per_entry = call.experts_per_entry if experts_per_entry is None else experts_per_entry
    _check(target_count=target_count, quotas=quotas, schedule=schedule, experts_per_entry=experts_per_entry)
    _ensure_unique_name(session, name=name, year=year, call_id=call.id)
    before = _snapshot(call)
    call.name, call.year, call.target_count = name, year, target_count
    call.experts_per_entry = experts_per_entry
    if blind_review is not None:
        call.blind_review = blind_review
    if show_others_scores is not None:
        call.show_others_scores = show_others_scores
    for row in call.quotas:
        row.quota = quotas[row.domain]
    for row in call.phases:
        row.starts_at, row.ends_at = schedule[row.phase]
    session.add(call)
    session.flush()
    after = _snapshot(call)
    if after != before:
        record(session, actor=actor, action="call.updated", obj=call, before=before, after=after)


def start_phase_now(session: Session, *, actor, call: Call, phase: Phase, now: datetime) -> None:
    """Start ``phase`` at ``now``, before its planned start: the phases before it
    that still run end at ``now`` (audited as ``call.phase_started_early``, with
    the dates before and after, so the call page shows the change).

    Refused when a phase before it has not started yet: it would be left with
    no time at all.
    """
    before = _snapshot(call)
    for row in call.ordered_phases:
        if row.phase == phase:
            if row.starts_at > now:
                row.starts_at = now
            break
        if row.starts_at >= now:
            raise DomainError(_l("%(phase)s has not started yet.", phase=row.phase.label))
        row.ends_at = min(row.ends_at, now)
    session.add(call)
    session.flush()
    after = _snapshot(call)
    if after != before:
        record(session, actor=actor, action="call.phase_started_early", obj=call, before=before,
               after=after | {"phase": phase.value})
