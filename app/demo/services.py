"""Demo data: staff, 30 applicant organisations, and three calls.

The demo call is in its expert review: its 300 entries (see
:mod:`app.demo.entries`) were submitted and formally checked weeks ago, and
the experts (:mod:`app.demo.experts`) are halfway through scoring them
(:mod:`app.demo.review`, :mod:`app.demo.sheets`); the chair has computed a
draft ranking (:mod:`app.demo.results`). The next year's call takes entries
now, so applicants can still create some.

Last year's call ran 52 weeks before the demo call, with the same phase
lengths, so all its phases have ended, the last (publication, the two
months after the results) about nine months ago. It has 280 other entries
(no title repeats the demo call's), formally checked, reviewed by the same
experts on panels of its own until every sheet was in; then its results
were computed, its veto flags decided, two entries moved by the chair's
overrides and the snapshot published with public scores, so the public
library and the brochure have content.

Its selection is smaller than the province's 200: of its 272 ranked entries
a target of 200 would select nearly three in four, so the target is 120
(about 45%) under quotas of 18 per domain. The quotas add up to 144, more
than the target: they cap a domain rather than fill it, so the strongest
domains reach their cap ("quota_full") while the others compete for the
rest of the target ("target_reached").

Deterministic (seeded generators, fixed names) and idempotent: every object
is looked up by its natural key first, so running the load twice adds
nothing, and results are computed only for a call that has none.
"""
import random
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlmodel import Session, select

from app.accounts.credit_code import make_credit_code
from app.accounts.services import hash_password, user_by_email
from app.audit.services import record
from app.calls.services import create_call, with_phases
from app.demo.entries import StoredPicture, demo_entry_specs, load_demo_entries
from app.demo.experts import demo_experts, expert_name
from app.demo.history import History
from app.demo.results import RunFacts, load_draft_results, load_past_results, procedure_line, run_facts
from app.demo.review import (
    ReviewSummary,
    load_demo_review,
    load_past_review,
    load_profiles,
    profiles_time,
    review_census,
)
from app.enums import Domain, Membership, Phase, Role, SheetStatus
from app.models import Call, Notification, Organisation, User, UserRole
from app.reference import CITIES
from app.results.inputs import VETO_CONFIRMED, VETO_DISMISSED, VETO_PENDING

DEMO_PASSWORD = "demo-password"
DEMO_CALL_NAME = "广东省人工智能应用场景征集（示范）"
EXPERT_COUNT = 40
ORGANISATION_COUNT = 30
# The entries draw from their own generator, so changing the staff above
# does not change the entries' content.
ENTRY_SEED = 20261128
PAST_ENTRY_SEED = 20251128
PAST_ENTRY_COUNT = 280
PAST_TARGET = 120
PAST_QUOTA = 18  # per domain: 144 in all, caps above the target
DEMO_UNREAD = 3  # unread notifications left to each demo account: its bell is not empty

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "华", "慧", "建国", "志强", "晓东", "海燕", "文博", "思远", "嘉怡", "子豪"]
_BRANDS = ["云智", "粤芯", "数擎", "智瞳", "海岸线", "南粤", "星河", "鹏城", "珠江", "岭南", "智慧港", "天枢", "启明", "未来", "湾区", "华锐", "创新", "极光", "远望", "同创"]
_TRADES = ["科技", "信息技术", "智能装备", "数据科技", "网络科技", "机器人", "医疗科技", "教育科技", "金融科技", "软件"]
_INSTITUTIONS = ["人民医院", "职业技术学院", "城市运营中心", "政务服务数据管理局"]
_UNIVERSITIES = ["中山大学", "华南理工大学", "暨南大学", "华南师范大学", "深圳大学", "广东工业大学", "南方科技大学", "汕头大学"]


@dataclass
class DemoSummary:
    created: int
    existing: int
    entries: int = 0  # demo entries in the demo call, new or not
    review: ReviewSummary | None = None  # None: the demo call is not in review (an older demo database)
    open_call: str = ""  # the call that takes entries now
    past_call: str = ""  # last year's call
    past_entries: int = 0
    past_review: ReviewSummary | None = None  # None: its review phase has not ended
    published: RunFacts | None = None  # last year's official list
    procedure: str = ""  # how last year's call ended: defence, notice, objections, certificates
    draft: RunFacts | None = None  # the demo call's draft results

    def lines(self) -> list[str]:
        """What ``flask demo load`` reports."""
        lines = [f"Demo data: {self.created} objects created, {self.existing} already there."]
        if self.past_call:
            lines += self._past_lines()
        review = self.review
        if review is None:
            lines.append(f"Demo call: {self.entries} entries. Its review phase is not open: review data not loaded "
                         "(the call comes from an older demo; load into an empty database).")
        else:
            lines.append(f"Demo call: {self.entries} entries ({_statuses(review)}); {review.resubmitted} returned for revision and resubmitted.")
            lines.append(_review_line("Review", review))
        if self.draft is not None:
            draft = self.draft
            lines.append(
                f"Draft results: {draft.ranked} entries ranked, {draft.selected} selected by the rule, "
                f"{draft.vetoes.get(VETO_PENDING, 0)} vetoes pending, {draft.incomplete} entries still being scored; not published."
            )
        if self.open_call:
            lines.append(f"Open for entries: {self.open_call}.")
        return lines

    def _past_lines(self) -> list[str]:
        review = self.past_review
        if review is None:
            return [(f"Last year's call ({self.past_call}): {self.past_entries} entries. "
                     "Its review phase has not ended: review and results not loaded.")]
        lines = [
            (f"Last year's call ({self.past_call}): {self.past_entries} entries ({_statuses(review)}); "
             f"{review.resubmitted} returned for revision and resubmitted."),
            _review_line("Its review", review),
        ]
        published = self.published
        if published is not None:
            when = published.published_at.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
            vetoes = published.vetoes
            lines.append(
                f"Published results: {published.selected} of {published.ranked} ranked entries selected "
                f"({published.included} brought in and {published.excluded} taken out by the chair; vetoes "
                f"{vetoes.get(VETO_CONFIRMED, 0)} confirmed, {vetoes.get(VETO_DISMISSED, 0)} dismissed), "
                f"snapshot {published.content_hash[:12]} published {when:%Y-%m-%d %H:%M}."
            )
        else:
            lines.append("Published results: none (the call has results runs, none of them published).")
        if self.procedure:
            lines.append(self.procedure)
        return lines


def _statuses(review: ReviewSummary) -> str:
    return ", ".join(f"{count} {status.value}" for status, count in sorted(review.statuses.items()))


def _review_line(label: str, review: ReviewSummary) -> str:
    return (
        f"{label}: {review.panels} panels, {review.assignments} assignments, "
        f"{review.sheets.get(SheetStatus.SUBMITTED, 0)} sheets submitted, {review.sheets.get(SheetStatus.DRAFT, 0)} drafts, "
        f"{review.not_opened} not opened; {review.declared_conflicts} declared conflicts, {review.vetoes} vetoes"
        + (f"; {len(review.infeasible)} entries short of experts." if review.infeasible else ".")
    )


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def demo_organisations(rng: random.Random) -> list[tuple[str, str, str]]:
    """(name, credit code, city code) for the demo applicant organisations,
    each named after the city it is in."""
    cities = list(CITIES)
    result, names = [], set()
    for index in range(ORGANISATION_COUNT):
        city = cities[index % len(cities)]
        city_name = CITIES[city][0]
        while True:
            if index % 6 == 5:
                name = f"{city_name}市{rng.choice(_INSTITUTIONS)}"
            else:
                name = f"{city_name}{rng.choice(_BRANDS)}{rng.choice(_TRADES)}有限公司"
            if name not in names:
                names.add(name)
                break
        # 9 = registered by market regulation, 1 = enterprise; then the area code.
        kind = "12" if index % 6 == 5 else "91"
        body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8)) + rng.choice("0123456789")
        result.append((name, make_credit_code(kind + city + body), city))
    return result


def _ensure_user(session: Session, *, email: str, name: str, roles: list[Role], password_hash: str, **fields) -> bool:
    if user_by_email(session, email) is not None:
        return False
    user = User(email=email, name=name, password_hash=password_hash, role_rows=[UserRole(role=r) for r in roles], **fields)
    session.add(user)
    session.flush()
    record(session, actor=None, action="demo.user_created", obj=user, after={"email": email, "roles": [r.value for r in roles]})
    return True


# Days from the first day of each phase to its last, for the two demo calls.
REVIEW_CALL_PHASES = {Phase.SUBMISSION: 29, Phase.FORMAL_CHECK: 20, Phase.REVIEW: 21, Phase.RESULTS: 13, Phase.PUBLICATION: 60}
OPEN_CALL_PHASES = {Phase.SUBMISSION: 65, Phase.FORMAL_CHECK: 20, Phase.REVIEW: 29, Phase.RESULTS: 13, Phase.PUBLICATION: 60}


def _schedule(now: datetime, *, first_day: int, lengths: dict[Phase, int]) -> dict[Phase, tuple[datetime, datetime]]:
    """Phases one after the other from ``first_day`` days from today (negative:
    in the past), each from 9:00 on its first day to 17:30 on its last."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    day = now.astimezone(zone).date() + timedelta(days=first_day)
    schedule = {}
    for phase in Phase:
        last = day + timedelta(days=lengths[phase])
        schedule[phase] = (datetime.combine(day, time(9), tzinfo=zone), datetime.combine(last, time(17, 30), tzinfo=zone))
        day = last + timedelta(days=1)
    return schedule


def review_call_schedule(now: datetime) -> dict[Phase, tuple[datetime, datetime]]:
    """The demo call: submission from 60 to 31 days ago, formal check from 30
    to 10 days ago, review from 9 days ago to 12 days from now, then results and publication."""
    return _schedule(now, first_day=-60, lengths=REVIEW_CALL_PHASES)


def open_call_schedule(now: datetime) -> dict[Phase, tuple[datetime, datetime]]:
    """The next call: submission from 5 days ago to 60 days from now, the other phases after it."""
    return _schedule(now, first_day=-5, lengths=OPEN_CALL_PHASES)


def past_call_schedule(now: datetime) -> dict[Phase, tuple[datetime, datetime]]:
    """Last year's call: the demo call's phases 52 weeks earlier (the same
    weekdays), so all of them ended months ago."""
    return _schedule(now, first_day=-60 - 364, lengths=REVIEW_CALL_PHASES)


def open_call_name(year: int) -> str:
    return f"{year}年人工智能应用场景征集（第二批）"


def past_call_name(year: int) -> str:
    return f"{year}年广东省人工智能应用场景征集"


def _ensure_call(session: Session, *, name: str, year: int, schedule, target: int = 200, quota: int = 25) -> tuple[Call, bool]:
    """The call named ``name``, created if missing (dated two weeks before its submission phase)."""
    call = session.exec(select(Call).options(with_phases()).where(Call.name == name)).first()
    if call is not None:
        return call, False
    created_at = schedule[Phase.SUBMISSION][0] - timedelta(days=14)
    with History(session) as history:
        history.now = created_at
        call = create_call(session, actor=None, name=name, year=year, target_count=target,
                           quotas={domain: quota for domain in Domain}, schedule=schedule)
    call.created_at = created_at
    session.add(call)
    return call, True


def load_demo(session: Session, *, now: datetime) -> DemoSummary:
    """Create whatever part of the demo data is missing."""
    rng = random.Random(20261127)
    # Every demo account shares one published password: hash it once.
    password_hash = hash_password(DEMO_PASSWORD)
    created = existing = 0

    def tally(was_created: bool) -> None:
        nonlocal created, existing
        created, existing = created + was_created, existing + (not was_created)

    tally(_ensure_user(session, email="chair@demo.local", name="陈主任", roles=[Role.CHAIR], password_hash=password_hash))
    tally(_ensure_user(session, email="publicity@demo.local", name="宣传处 林敏", roles=[Role.PUBLICITY], password_hash=password_hash))
    for number in range(1, EXPERT_COUNT + 1):
        person = _person_name(rng)
        rng.choice(_UNIVERSITIES)  # drawn as before, so the organisations below keep their names
        tally(_ensure_user(session, email=f"expert{number:02d}@demo.local", name=expert_name(person, number),
                           roles=[Role.EXPERT], password_hash=password_hash))

    organisations = []
    for number, (org_name, code, city) in enumerate(demo_organisations(rng), start=1):
        contact = _person_name(rng)
        phone = "13" + "".join(rng.choice("0123456789") for _ in range(9))
        organisation = session.exec(select(Organisation).where(Organisation.credit_code == code)).first()
        if organisation is None:
            organisation = Organisation(name=org_name, credit_code=code, city_code=city)
            session.add(organisation)
            session.flush()
            record(session, actor=None, action="demo.organisation_created", obj=organisation, after={"name": org_name, "credit_code": code})
        organisations.append(organisation)
        tally(
            _ensure_user(
                session,
                email=f"applicant{number:02d}@demo.local",
                name=contact,
                phone=phone,
                roles=[Role.APPLICANT],
                password_hash=password_hash,
                organisation_id=organisation.id,
                membership=Membership.ACTIVE,
            )
        )

    year = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year
    pictures: dict[str, StoredPicture] = {}  # drawn once, shared by the calls' entries
    call, was_created = _ensure_call(session, name=DEMO_CALL_NAME, year=year, schedule=review_call_schedule(now))
    tally(was_created)
    specs = demo_entry_specs(organisations, random.Random(ENTRY_SEED))
    entries_created, entries_existing = load_demo_entries(
        session, call=call, organisations=organisations, specs=specs, now=now, pictures=pictures
    )
    created, existing = created + entries_created, existing + entries_existing

    open_call, was_created = _ensure_call(session, name=open_call_name(year + 1), year=year + 1, schedule=open_call_schedule(now))
    tally(was_created)

    past_call, was_created = _ensure_call(session, name=past_call_name(year - 1), year=year - 1, schedule=past_call_schedule(now),
                                          target=PAST_TARGET, quota=PAST_QUOTA)
    tally(was_created)
    past_specs = demo_entry_specs(organisations, random.Random(PAST_ENTRY_SEED), count=PAST_ENTRY_COUNT,
                                  taken={spec.title for spec in specs})
    past_created, past_existing = load_demo_entries(
        session, call=past_call, organisations=organisations, specs=past_specs, now=now, pictures=pictures
    )
    created, existing = created + past_created, existing + past_existing

    chair = user_by_email(session, "chair@demo.local")
    experts = demo_experts(session, range(1, EXPERT_COUNT + 1))
    # Recorded for last year's review, their former employers among the demo call's applicants.
    profiles = load_profiles(session, call=call, chair=chair, experts=experts, at=profiles_time(past_call))
    created, existing = created + profiles[0], existing + profiles[1]

    review = load_demo_review(session, call=call, chair=chair, experts=experts, now=now)
    past_review = load_past_review(session, call=past_call, chair=chair, experts=experts, now=now)
    for summary in (review, past_review):
        if summary is not None:
            created, existing = created + summary.created, existing + summary.existing

    published = draft = None
    procedure = ""
    if past_review is not None and past_call.phase_window(Phase.RESULTS).starts_at <= now:
        run, was_created = load_past_results(session, call=past_call, chair=chair, experts=experts)
        tally(was_created)
        published = run_facts(session, run=run, created=was_created) if run is not None else None
        procedure = procedure_line(session, call=past_call)
        # Publishing moved its entries to "selected" or "not selected".
        past_review = replace(review_census(session, call=past_call), created=past_review.created, existing=past_review.existing)
    if review is not None:
        run, was_created = load_draft_results(session, call=call, chair=chair, now=now)
        tally(was_created)
        draft = run_facts(session, run=run, created=was_created) if run is not None else None
    settle_notifications(session, unread=DEMO_UNREAD)
    return DemoSummary(created=created, existing=existing, entries=entries_created + entries_existing, review=review,
                       open_call=open_call.name, past_call=past_call.name, past_entries=past_created + past_existing,
                       past_review=past_review, published=published, procedure=procedure, draft=draft)


def settle_notifications(session: Session, *, unread: int) -> None:
    """Leave each person's ``unread`` newest notifications unread and mark
    the older ones read when they were made: the demo's history happened
    weeks ago, and a visitor's bell shows a few items, not dozens."""
    rows = session.exec(
        select(Notification).where(Notification.read_at.is_(None))
        .order_by(Notification.user_id, Notification.created_at.desc(), Notification.id.desc())
    ).all()
    seen: dict[int, int] = {}
    for row in rows:
        seen[row.user_id] = seen.get(row.user_id, 0) + 1
        if seen[row.user_id] > unread:
            row.read_at = row.created_at
            session.add(row)
    session.flush()


def database_is_empty(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is None


DEMO_LOGINS = [
    ("chair@demo.local", "chair"),
    ("publicity@demo.local", "publicity"),
    (f"expert01@demo.local … expert{EXPERT_COUNT:02d}@demo.local", "expert"),
    (f"applicant01@demo.local … applicant{ORGANISATION_COUNT:02d}@demo.local", "applicant"),
]
