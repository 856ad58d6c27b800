"""The demo calls' reviews: for the call in review, a formal check done
weeks ago and an expert review under way (:func:`load_demo_review`); for
last year's call, the same steps a year earlier and a review complete
(:func:`load_past_review`).

Everything goes through the services a chair, an applicant or an expert
would use — :func:`app.entries.states.transition`, the profile and panel
services, :func:`choose_rubric` and :func:`frozen_rubric`,
:func:`run_assignment`, :func:`app.review.sheets.services.declare_conflict` — each
given the moment it happened (``now``), so every rule and phase check
applies. Their audit rows are dated to that moment too (:class:`History`),
and the mails they would have sent then are not sent now. Only the score
sheets are written in bulk (:mod:`app.demo.sheets`); the entries they
complete are then scored through
:func:`app.entries.states.sync_scoring_status`.

Idempotent: each step runs only when its work is missing (undecided
entries, no panels, no rubric chosen, no assignments). The whole review part
is skipped for a demo call that is not in its review phase (one loaded by an
older version of the demo, whose dates are not migrated), or, for last
year's call, whose review phase has not ended.
"""
import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, select

from app.demo import sheets as demo_sheets
from app.demo.experts import PANELS, load_expert_profiles, load_panels
from app.demo.history import History
from app.entries.states import transition
from app.enums import ConflictSource, Domain, EntryStatus, Membership, Phase, SheetStatus
from app.mail import muted
from app.models import (
    Assignment,
    AuditEvent,
    Call,
    CallRubric,
    Conflict,
    Entry,
    ExpertProfile,
    Panel,
    ScoreSheet,
    User,
)
from app.review.assignment.reports import last_run
from app.review.assignment.services import run_assignment
from app.review.conflicts import automatic_conflict
from app.review.manage.progress import veto_flags
from app.review.rubrics.services import choose_rubric, frozen_rubric
from app.review.sheets.services import declare_conflict

FORMAL_CHECK_SEED = 20261129
ASSIGNMENT_SEED = 2026
CONFLICT_SEED = 20261130
EXPERTS_PER_ENTRY = 5
RUBRICS = {None: "default", Domain.HEALTHCARE: "healthcare"}

INELIGIBLE_REASONS = (
    "申报场景尚处于方案设计阶段，未实际投入运行，不符合征集通知关于“已落地应用”的申报条件。",
    "该场景已入选往年省级人工智能应用场景示范名单，按征集通知规定不得重复申报。",
    "申报内容为通用软件产品介绍，未体现具体应用场景及人工智能技术的实际应用。",
    "同一场景已由合作单位作为牵头单位申报，经核实以牵头单位申报为准，本申报不予受理。",
    "经补正通知后仍未提供数据安全与个人信息保护相关证明材料，不符合申报要求。",
    "核心系统上线运行时间不足6个月，不满足征集通知规定的运行时间要求。",
    "申报单位近三年存在严重失信行为记录，不符合申报主体条件。",
    "申报材料主要内容与其他单位已公开的案例高度雷同，无法证明为本单位实施。",
)
RETURN_REASONS = (
    "应用成效数据缺少改造前基线和数据来源，请补充统计口径及用户单位证明材料后重新提交。",
    "项目投资金额与投资说明不一致，请核实后修改。",
    "合作单位的统一社会信用代码与名称不符，请核对后重新提交。",
    "场景照片未能体现实际应用现场，请补充现场照片。",
    "联系人职务和联系电话填写不完整，请补充。",
    "数据安全与伦理措施描述过于笼统，请补充等级保护测评、数据分类分级等具体措施。",
    "部署规模与应用成效描述不匹配，请补充覆盖范围和应用时长的说明。",
)
CONFLICT_REASONS = (
    "本人曾为该项目提供过前期技术咨询。",
    "申报单位的项目负责人是本人指导过的博士研究生，近三年仍有合作发表论文。",
    "本人所在团队与申报单位正在合作承担省级科研项目。",
)


@dataclass
class ReviewSummary:
    """Where the demo call stands (whatever part of it this load created)."""

    statuses: dict[EntryStatus, int]
    resubmitted: int  # entries returned for revision and resubmitted
    panels: int
    assignments: int  # active
    sheets: dict[SheetStatus, int]
    not_opened: int
    declared_conflicts: int
    vetoes: int
    infeasible: list[int] = field(default_factory=list)  # entry ids the last run could not fill
    created: int = 0  # panels made by this load
    existing: int = 0  # panels already there


# --- time --------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def office_time(day: date, u: float) -> datetime:
    """A moment of office hours (9:00–17:00) on ``day``, or on the Monday after a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(9), tzinfo=_zone()) + timedelta(minutes=int(u * 480))


def day_of(moment: datetime) -> date:
    return moment.astimezone(_zone()).date()


# --- the formal check --------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    at: datetime
    entry: Entry
    target: EntryStatus
    actor: User
    reason: str | None = None
    deadline: datetime | None = None


def _formal_check_steps(entries: list[Entry], *, chair: User, members: dict[int, User], window) -> list[_Step]:
    """Most entries eligible, some ineligible, some returned, resubmitted and then eligible."""
    rng = random.Random(FORMAL_CHECK_SEED)
    first_day = day_of(window.starts_at)
    picked = rng.sample(range(len(entries)), min(len(entries), len(INELIGIBLE_REASONS) + len(RETURN_REASONS)))
    ineligible = dict(zip(picked[: len(INELIGIBLE_REASONS)], INELIGIBLE_REASONS, strict=False))
    returned = dict(zip(picked[len(INELIGIBLE_REASONS):], RETURN_REASONS, strict=False))
    steps = []
    for index, entry in enumerate(entries):
        if index in returned:
            decided = office_time(first_day + timedelta(days=rng.randint(0, 3)), rng.random())
            deadline = min(datetime.combine(day_of(decided) + timedelta(days=7), time(17, 30), tzinfo=_zone()), window.ends_at)
            resubmitted = min(office_time(day_of(decided) + timedelta(days=rng.randint(2, 4)), rng.random()),
                              deadline - timedelta(hours=1))
            accepted = office_time(day_of(resubmitted) + timedelta(days=rng.randint(1, 2)), rng.random())
            steps += [
                _Step(decided, entry, EntryStatus.RETURNED, chair, returned[index], deadline),
                _Step(resubmitted, entry, EntryStatus.SUBMITTED, members[entry.organisation_id]),
                _Step(accepted, entry, EntryStatus.ELIGIBLE, chair),
            ]
        else:
            decided = office_time(first_day + timedelta(days=rng.randint(0, 9)), rng.random())
            target = EntryStatus.INELIGIBLE if index in ineligible else EntryStatus.ELIGIBLE
            steps.append(_Step(decided, entry, target, chair, ineligible.get(index)))
    latest = window.ends_at - timedelta(hours=2)  # a short formal check phase: all on its last day
    return sorted((replace(step, at=min(step.at, latest)) for step in steps), key=lambda step: (step.at, step.entry.title))


def _first_members(session: Session, organisation_ids) -> dict[int, User]:
    members = session.exec(
        select(User).where(User.organisation_id.in_(list(organisation_ids)), User.membership == Membership.ACTIVE)
        .order_by(User.id).options(selectinload(User.role_rows))  # they act: the permission checks read the roles
    ).all()
    first: dict[int, User] = {}
    for member in members:
        first.setdefault(member.organisation_id, member)
    return first


def record_formal_check(session: Session, *, call: Call, chair: User, history: History) -> int:
    """Decide the call's submitted entries as the chair did during the formal
    check phase; returns how many entries were decided."""
    entries = list(
        session.exec(select(Entry).where(Entry.call_id == call.id, Entry.status == EntryStatus.SUBMITTED).order_by(Entry.title)
                     # A resubmission checks that the entry is complete (entries.completeness).
                     .options(selectinload(Entry.outcomes), selectinload(Entry.photos), selectinload(Entry.attachments))
                     ).all()
    )
    if not entries:
        return 0
    members = _first_members(session, {entry.organisation_id for entry in entries})
    for step in _formal_check_steps(entries, chair=chair, members=members, window=call.phase_window(Phase.FORMAL_CHECK)):
        history.now = step.at
        transition(session, entry=step.entry, target=step.target, actor=step.actor, now=step.at,
                   reason=step.reason, revision_deadline=step.deadline)
    return len(entries)


# --- rubrics, assignments, declared conflicts ----------------------------------------


def _choose_rubrics(session: Session, *, call: Call, chair: User, at: datetime, freeze_at: datetime, history: History):
    """The rubric per domain (chosen before review, frozen when it opens)."""
    if session.exec(select(CallRubric.id).where(CallRubric.call_id == call.id).limit(1)).first() is None:
        history.now = at
        for domain, key in RUBRICS.items():
            choose_rubric(session, actor=chair, call=call, domain=domain, rubric_key=key)
    history.now = freeze_at
    return {domain: frozen_rubric(session, call=call, domain=domain, now=freeze_at, actor=chair) for domain in Domain}


def _conflict_free(session: Session, *, call: Call, entry: Entry) -> int:
    """How many experts of the entry's panel may score it (no automatic conflict)."""
    numbers = PANELS[entry.domain]
    emails = [f"expert{number:02d}@demo.local" for number in numbers]
    profiles = session.exec(
        select(ExpertProfile).join(User, User.id == ExpertProfile.user_id).where(User.email.in_(emails))
        .options(selectinload(ExpertProfile.employments))  # what the conflict check compares
    ).all()
    return sum(1 for profile in profiles if automatic_conflict(profile, entry, year=call.year) is None)


def _declare_conflicts(session: Session, *, call: Call, start: datetime, end: datetime, history: History) -> int:
    """A few experts declare a conflict on opening an entry (their assignment
    closes); only entries whose panel has a spare expert, so the top-up fills them."""
    rows = session.exec(
        select(Assignment, Entry, User)
        .join(Entry, Entry.id == Assignment.entry_id)
        .join(User, User.id == Assignment.expert_id)
        .where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))
        .order_by(Entry.title, User.email)
        # The organisations: the conflict check compares them; the experts' roles: they act.
        .options(joinedload(Entry.organisation), selectinload(User.role_rows))
    ).all()
    rng = random.Random(CONFLICT_SEED)
    chosen, entries, experts = [], set(), set()
    for assignment, entry, expert in rng.sample(rows, len(rows)):
        if len(chosen) == len(CONFLICT_REASONS):
            break
        if entry.id in entries or expert.id in experts or _conflict_free(session, call=call, entry=entry) <= EXPERTS_PER_ENTRY:
            continue
        chosen.append((assignment, expert))
        entries.add(entry.id)
        experts.add(expert.id)
    for number, ((assignment, expert), reason) in enumerate(zip(chosen, CONFLICT_REASONS, strict=False)):
        history.now = start + (end - start) * (number + 1) / (len(chosen) + 1)
        declare_conflict(session, assignment=assignment, expert=expert, reason=reason, now=history.now)
    return len(chosen)


def _timeline(call: Call, now: datetime) -> dict[str, datetime]:
    check, review = call.phase_window(Phase.FORMAL_CHECK), call.phase_window(Phase.REVIEW)
    span = now - review.starts_at
    return {
        "rubrics": min(office_time(day_of(check.ends_at) - timedelta(days=3), 0.2), check.ends_at - timedelta(hours=3)),
        "assignment": min(office_time(day_of(check.ends_at) - timedelta(days=1), 0.1), check.ends_at - timedelta(hours=2)),
        "freeze": review.starts_at + min(timedelta(minutes=10), span / 20),
        "conflicts_from": review.starts_at + span / 12,
        "conflicts_to": review.starts_at + span / 5,
        "top_up": review.starts_at + span / 4,
    }


def in_review(call: Call, *, now: datetime) -> bool:
    """True when the call's formal check is over and its review runs now."""
    check = call.phase_window(Phase.FORMAL_CHECK)
    return check is not None and check.ends_at <= now and call.is_phase_open(Phase.REVIEW, now=now)


def load_demo_review(session: Session, *, call: Call, chair: User, experts: dict[int, User], now: datetime) -> ReviewSummary | None:
    """Bring the demo call to its review, as far as it is not there yet.

    None (and nothing done) when the call is not in its review phase.
    """
    if not in_review(call, now=now):
        return None
    return _load_review(session, call=call, chair=chair, experts=experts, now=now, complete=False)


DEFENCE_DAYS = 5  # a past call with a defence round: its last working days


def load_past_review(session: Session, *, call: Call, chair: User, experts: dict[int, User], now: datetime) -> ReviewSummary | None:
    """Bring a call whose review phase has ended through a complete review:
    every assignment has a submitted sheet, every entry in review is scored.

    None (and nothing done) when the call's review phase has not ended.
    """
    review = call.phase_window(Phase.REVIEW)
    if review is None or now < review.ends_at:
        return None
    # Every sheet of the online round is in when it ends, a week or so before
    # the review phase does (a defence round follows: app.demo.rounds).
    return _load_review(session, call=call, chair=chair, experts=experts, now=online_round_end(call), complete=True)


def defence_days(call: Call) -> list[date]:
    """The last five working days of a past call's review phase, when its shortlist defends."""
    day, days = day_of(call.phase_window(Phase.REVIEW).ends_at - timedelta(hours=1)), []
    while len(days) < DEFENCE_DAYS:
        if day.weekday() < 5:
            days.insert(0, day)
        day -= timedelta(days=1)
    return days


def shortlist_day(call: Call) -> date:
    """The working day the chair computes the online round and draws the
    shortlist: at least two days before the first defence."""
    day = defence_days(call)[0] - timedelta(days=2)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def online_round_end(call: Call) -> datetime:
    """When the last sheet of a past call's online round is in: the evening before the shortlist is drawn."""
    return datetime.combine(shortlist_day(call) - timedelta(days=1), time(17, 30), tzinfo=_zone())


def load_profiles(session: Session, *, call: Call, chair: User, experts: dict[int, User], at: datetime) -> tuple[int, int]:
    """The experts' profiles (their former employers among ``call``'s
    applicants), as the chair recorded them at ``at``; returns (created, already there)."""
    with muted(), History(session) as history:
        history.now = at
        return load_expert_profiles(session, call=call, chair=chair, experts=experts)


def profiles_time(call: Call) -> datetime:
    """When the chair recorded the experts' profiles for ``call``'s review, shortly before choosing its rubrics."""
    check = call.phase_window(Phase.FORMAL_CHECK)
    return office_time(day_of(check.ends_at) - timedelta(days=4), 0.1)


def _load_review(
    session: Session, *, call: Call, chair: User, experts: dict[int, User], now: datetime, complete: bool
) -> ReviewSummary:
    """The formal check, panels, rubrics, assignments, declared conflicts and
    sheets of ``call`` as they stand at ``now`` (all sheets in when ``complete``)."""
    times = _timeline(call, now)
    with muted(), History(session) as history:
        record_formal_check(session, call=call, chair=chair, history=history)
        history.now = times["rubrics"]
        panels = load_panels(session, call=call, chair=chair, experts=experts)
        versions = _choose_rubrics(session, call=call, chair=chair, at=times["rubrics"], freeze_at=times["freeze"], history=history)
        has_assignments = session.exec(select(Assignment.id).where(Assignment.call_id == call.id).limit(1)).first()
        if has_assignments is None:
            history.now = times["assignment"]
            run_assignment(session, call=call, actor=chair, now=times["assignment"], per_entry=EXPERTS_PER_ENTRY, seed=ASSIGNMENT_SEED)
            if _declare_conflicts(session, call=call, start=times["conflicts_from"], end=times["conflicts_to"], history=history):
                history.now = times["top_up"]
                run_assignment(session, call=call, actor=chair, now=times["top_up"], per_entry=EXPERTS_PER_ENTRY,
                               seed=ASSIGNMENT_SEED, top_up=True)
            demo_sheets.load_sheets(session, call=call, versions=versions, now=now, complete=complete)
        demo_sheets.score_finished_entries(session, call=call, now=now)
    summary = review_census(session, call=call)
    summary.created, summary.existing = panels
    return summary


def review_census(session: Session, *, call: Call) -> ReviewSummary:
    """Counts of the call's review, in a few grouped queries."""
    entry_ids = select(Entry.id).where(Entry.call_id == call.id)
    statuses = dict(session.exec(select(Entry.status, sa.func.count()).where(Entry.call_id == call.id).group_by(Entry.status)).all())
    resubmitted = session.exec(
        select(sa.func.count(sa.distinct(AuditEvent.object_id))).where(
            AuditEvent.action == "entry.resubmitted", AuditEvent.object_type == "entries", AuditEvent.object_id.in_(entry_ids)
        )
    ).one()
    active = session.exec(
        select(sa.func.count(Assignment.id)).where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))
    ).one()
    sheets = dict(session.exec(
        select(ScoreSheet.status, sa.func.count())
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))
        .group_by(ScoreSheet.status)
    ).all())
    declared = session.exec(
        select(sa.func.count(Conflict.id)).where(Conflict.source == ConflictSource.DECLARED, Conflict.entry_id.in_(entry_ids))
    ).one()
    panels = session.exec(select(sa.func.count(Panel.id)).where(Panel.call_id == call.id)).one()
    run = last_run(session, call=call)
    return ReviewSummary(
        statuses=statuses,
        resubmitted=resubmitted,
        panels=panels,
        assignments=active,
        sheets=sheets,
        not_opened=active - sum(sheets.values()),
        declared_conflicts=declared,
        vetoes=len({flag.sheet_id for flag in veto_flags(session, call=call)}),
        infeasible=[row.entry_id for row in run.infeasible] if run else [],
    )
