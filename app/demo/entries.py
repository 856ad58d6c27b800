"""Demo entries: the submitted scenarios of a demo call (300 by default).

Every domain and every city is represented; each organisation enters 3 to 16
scenarios, mostly in the domains its trade suggests (a hospital enters
healthcare scenarios, a software company anything). The texts are combined
from the fixed vocabularies in :mod:`app.demo.scenarios`; the photos come
from a pool of 32 generated pictures (:mod:`app.demo.pictures`), each drawn
and stored once per load and shared by the entries whose scenario it fits,
whichever call they are in.

Deterministic: :func:`demo_entry_specs` depends only on the organisations'
names and cities, the seeded generator and the titles to avoid, never on the
clock or the database. Idempotent: an entry is identified by its
organisation and title within its call, and only missing ones are created.
"""
import hashlib
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlmodel import Session, select

from app.accounts.credit_code import ALPHABET, make_credit_code
from app.audit.services import record
from app.demo.pictures import render
from app.demo.scenarios import DOMAIN_TEXT, SCENARIOS, Outcome, Scenario
from app.entries.blind import check_entry
from app.entries.images import ProcessedImage, process_photo
from app.enums import Domain, EntryStatus, Membership, Phase
from app.models import Call, Entry, EntryOutcome, EntryPhoto, Organisation, User
from app.models.entries import LIMITS
from app.reference import CITIES
from app.storage import storage

ENTRY_COUNT = 300
MIN_PER_DOMAIN = 30  # above the default quota of 25, so every quota can be filled
PICTURE_SEED = 2026

# Partner universities and institutes, with the city their credit code is registered in.
PARTNERS = {
    "中山大学": "440100", "华南理工大学": "440100", "暨南大学": "440100", "华南师范大学": "440100",
    "华南农业大学": "440100", "广东工业大学": "440100", "广州大学": "440100", "南方医科大学": "440100",
    "深圳大学": "440300", "南方科技大学": "440300", "汕头大学": "440500", "五邑大学": "440700",
    "广东海洋大学": "440800", "岭南师范学院": "440800", "韶关学院": "440200", "嘉应学院": "441400",
    "香港科技大学（广州）": "440100", "广东省科学院智能制造研究所": "440100", "广东省人民医院": "440100",
    "琶洲实验室": "440100", "鹏城实验室": "440300", "中国科学院深圳先进技术研究院": "440300",
    "季华实验室": "440600", "佛山仙湖实验室": "440600", "松山湖材料实验室": "441900",
}

# Which domains an organisation enters, by a word in its name (first match wins).
_AFFINITIES: tuple[tuple[str, dict[Domain, float]], ...] = (
    ("人民医院", {Domain.HEALTHCARE: 1}),
    ("职业技术学院", {Domain.EDUCATION: 1}),
    ("城市运营中心", {Domain.CITY: 3, Domain.SECURITY: 1, Domain.GOVERNMENT: 1}),
    ("政务服务数据管理局", {Domain.GOVERNMENT: 4, Domain.CITY: 1}),
    ("医疗科技", {Domain.HEALTHCARE: 6, Domain.MANUFACTURING: 0.5, Domain.CITY: 0.5}),
    ("教育科技", {Domain.EDUCATION: 6, Domain.GOVERNMENT: 0.5, Domain.CITY: 0.5}),
    ("金融科技", {Domain.FINANCE: 6, Domain.GOVERNMENT: 0.5}),
    ("机器人", {Domain.MANUFACTURING: 3, Domain.UNMANNED: 3, Domain.HEALTHCARE: 1, Domain.SECURITY: 1}),
    ("智能装备", {Domain.MANUFACTURING: 4, Domain.UNMANNED: 2, Domain.SECURITY: 0.5}),
)
_GENERALIST = {
    Domain.MANUFACTURING: 1, Domain.GOVERNMENT: 1.2, Domain.CITY: 1.2, Domain.HEALTHCARE: 0.6,
    Domain.EDUCATION: 0.6, Domain.FINANCE: 1.6, Domain.SECURITY: 1.4, Domain.UNMANNED: 0.8,
}
_INSTITUTION_SUFFIXES = ("医院", "学院", "中心", "管理局")

# (character, pinyin) for contact names and their mail addresses.
_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("朱", "zhu"), ("胡", "hu"),
    ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"),
    ("冯", "feng"), ("邓", "deng"), ("曾", "zeng"), ("彭", "peng"), ("蔡", "cai"), ("钟", "zhong"), ("叶", "ye"),
    ("苏", "su"), ("卢", "lu"), ("温", "wen"), ("潘", "pan"), ("袁", "yuan"), ("余", "yu"), ("邱", "qiu"),
)
_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("敏", "min"), ("静", "jing"), ("磊", "lei"), ("洋", "yang"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("慧", "hui"), ("婷", "ting"), ("颖", "ying"), ("志强", "zhiqiang"),
    ("晓东", "xiaodong"), ("海燕", "haiyan"), ("文博", "wenbo"), ("思远", "siyuan"), ("嘉怡", "jiayi"),
    ("俊杰", "junjie"), ("雅琪", "yaqi"), ("浩然", "haoran"), ("丽娟", "lijuan"), ("国强", "guoqiang"),
    ("少华", "shaohua"), ("建华", "jianhua"), ("晓彤", "xiaotong"), ("振宇", "zhenyu"), ("美玲", "meiling"),
)
_COMPANY_POSITIONS = ("项目经理", "技术总监", "副总经理", "产品经理", "研发中心主任", "解决方案总监", "市场部经理")
_INSTITUTION_POSITIONS = ("信息中心主任", "办公室主任", "科长", "副科长", "数据管理科科长", "项目负责人")
_MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "158", "159", "186", "188", "189", "131", "177", "199")

_REPLICABILITY = (
    "本方案采用模块化、标准化设计，核心模型与平台可快速复制，已形成可推广的实施方法和交付规范，适用于{peers}。",
    "项目沉淀了{obj}场景的数据标准、模型训练流程和运营机制，新场景部署周期可缩短至{2..8}周，可在{peers}推广应用。",
    "方案已在省内外{2..15}家单位复制推广，具备良好的示范带动作用，可进一步推广至{peers}。",
    "平台支持私有化部署与云服务两种模式，投入门槛较低，中小规模单位也可按需采用。",
    "项目已申请发明专利{1..12}项、取得软件著作权{2..30}项，参与制定团体标准{1..3}项，为行业推广提供了技术规范。",
)
_SECURITY = (
    "系统通过网络安全等级保护三级测评，定期开展渗透测试与应急演练。",
    "数据实行分类分级管理，敏感数据加密存储和传输，访问权限按岗位最小授权。",
    "个人信息经去标识化处理后使用，严格遵守《个人信息保护法》《数据安全法》等法律法规。",
    "训练数据来源合法合规，建立数据使用审批和操作日志审计制度，全过程可追溯。",
    "建立算法安全评估与人工复核机制，关键决策由人工确认，定期检测并纠正算法偏差。",
    "核心系统采用本地化部署，重要数据不出本单位网络。",
    "制定数据安全应急预案，每年开展数据安全培训与演练。",
    "关键软硬件采用国产化产品与商用密码技术，保障系统安全可控。",
)
_INVESTMENT_NOTES = (
    "其中硬件设备约占{20..60}%，其余为软件研发、数据治理与系统集成投入。",
    "全部为自筹资金。",
    "含自筹资金和地方专项资金支持，其中专项资金约占{10..30}%。",
    "分两期建设，一期投入约占{40..70}%。",
    "含算力与数据标注投入约{10..35}%。",
)
_RANGE = re.compile(r"\{(\d+)\.\.(\d+)\}")


@dataclass(frozen=True)
class Contact:
    name: str
    position: str
    phone: str
    email: str


@dataclass(frozen=True)
class EntrySpec:
    """Everything about one demo entry that does not depend on the call's dates."""

    organisation_index: int
    title: str
    domain: Domain
    city_code: str
    summary: str
    problem: str
    solution: str
    deployment_scale: str
    deployment_months: int  # how long before the submission phase it went live
    deployment_day: int
    deployment_length: int | None  # months it ran, when it has ended
    investment: float
    investment_note: str
    tech_tags: tuple[str, ...]
    partners: tuple[tuple[str, str], ...]  # (name, credit code or "")
    replicability: str
    data_security: str
    contact: Contact
    outcomes: tuple[tuple[str, float | None, float, str], ...]
    photos: tuple[tuple[str, str], ...]  # (picture name, caption)
    timing: tuple[float, float, float]  # draws that place submission and creation in the window


# --- the specifications (pure) ----------------------------------------------------

def _fill(template: str, rng: random.Random, **values: str) -> str:
    """Replace ``{a..b}`` by a drawn number and ``{name}`` by ``values[name]``."""
    text = _RANGE.sub(lambda match: str(rng.randint(int(match[1]), int(match[2]))), template)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    if "{" in text:
        raise ValueError(f"unfilled placeholder in {template!r}")
    return text


def _in_order(rng: random.Random, items: Sequence, low: int, high: int) -> list:
    """A random subset of ``low``–``high`` items, in their original order."""
    count = min(len(items), rng.randint(low, high))
    return [items[i] for i in sorted(rng.sample(range(len(items)), count))]


def _number(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _outcome_phrase(metric: str, before: float | None, after: float, unit: str, digits: int) -> str:
    if before is None:
        return f"{metric}达到{_number(after, digits)}{unit}"
    verb = "提升至" if after > before else "降至"
    return f"{metric}由{_number(before, digits)}{unit}{verb}{_number(after, digits)}{unit}"


def _is_institution(organisation) -> bool:
    return organisation.name.endswith(_INSTITUTION_SUFFIXES)


def _affinity(organisation) -> dict[Domain, float]:
    return next((weights for word, weights in _AFFINITIES if word in organisation.name), _GENERALIST)


def _short_name(organisation) -> str:
    """"广州海岸线教育科技有限公司" → "海岸线教育科技"; institutions keep their full name."""
    if _is_institution(organisation):
        return organisation.name
    city = CITIES.get(organisation.city_code, ("",))[0]
    return organisation.name.removeprefix(city + "市").removeprefix(city).removesuffix("有限公司") or organisation.name


def partner_credit_code(name: str) -> str:
    """A valid (made-up) credit code for a partner: 12 = public institution, its city, a body from its name."""
    digest = hashlib.sha256(name.encode()).digest()
    body = "".join(ALPHABET[byte % len(ALPHABET)] for byte in digest[:9])
    return make_credit_code("12" + PARTNERS[name] + body)


def _entry_counts(organisations, rng: random.Random, total: int) -> list[int]:
    """How many entries each organisation has: 3–6 for institutions, 7–16 or so for companies, ``total`` in all."""
    counts = [rng.randint(3, 5) if _is_institution(o) else rng.randint(7, 14) for o in organisations]
    company_cap = max(16, math.ceil(total / len(organisations)) + 2)
    caps = [6 if _is_institution(o) else company_cap for o in organisations]
    if sum(caps) < total:
        raise ValueError(f"{len(organisations)} organisations cannot enter {total} scenarios")
    while (current := sum(counts)) != total:
        index = rng.randrange(len(counts))
        if current < total and counts[index] < caps[index]:
            counts[index] += 1
        elif current > total and counts[index] > 3:
            counts[index] -= 1
    return counts


def _assign_domains(organisations, counts: list[int], rng: random.Random) -> list[tuple[int, Domain]]:
    slots = []
    for index, (organisation, count) in enumerate(zip(organisations, counts, strict=True)):
        weights = _affinity(organisation)
        domains = [d for d in Domain if weights.get(d)]
        slots += [(index, d) for d in rng.choices(domains, weights=[weights[d] for d in domains], k=count)]
    # Move entries of organisations that work in several domains until every domain has enough.
    while True:
        tally = Counter(domain for _, domain in slots)
        short = min(Domain, key=lambda d: tally[d])
        if tally[short] >= MIN_PER_DOMAIN:
            return slots
        movable = [
            position for position, (index, domain) in enumerate(slots)
            if tally[domain] > MIN_PER_DOMAIN and _affinity(organisations[index]).get(short)
        ]
        if not movable:
            return slots
        position = max(movable, key=lambda p: (tally[slots[p][1]], p))
        slots[position] = (slots[position][0], short)


def _contacts(organisation, number: int, rng: random.Random) -> list[Contact]:
    positions = _INSTITUTION_POSITIONS if _is_institution(organisation) else _COMPANY_POSITIONS
    contacts = []
    for _ in range(2):
        (surname, surname_py), (given, given_py) = rng.choice(_SURNAMES), rng.choice(_GIVEN)
        phone = rng.choice(_MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
        contacts.append(Contact(surname + given, rng.choice(positions), phone, f"{surname_py}{given_py}@org{number:02d}.demo.local"))
    return contacts


def _summary(scenario: Scenario, *, values: dict[str, str], scale: str, phrases: list[str], rng: random.Random) -> str:
    opening = f"{_fill(scenario.lead, rng, **values)}{values['org']}{_fill(scenario.core, rng, **values)}。"
    for count in (2, 1, 0):
        results = "，".join(phrases[:count])
        text = opening + f"目前项目{scale}" + (f"，{results}。" if results else "。")
        if len(text) <= LIMITS["summary"]:
            return text
    return opening[: LIMITS["summary"]]


def _entry_spec(organisation, index: int, domain: Domain, city_code: str, contacts, used_titles: set, rng) -> EntrySpec:
    city = CITIES[city_code][0]
    org = _short_name(organisation)
    for _attempt in range(40):
        scenario = rng.choice(SCENARIOS[domain])
        obj = rng.choice(scenario.objects)
        title = _fill(rng.choice(scenario.titles), rng, obj=obj, city=city)
        if title not in used_titles:
            break
    else:
        title = f"{title}（{len(used_titles) + 1}）"
    used_titles.add(title)
    values = {"obj": obj, "city": city, "org": org}

    rows: list[tuple[Outcome, float | None, float]] = []
    for outcome in _in_order(rng, scenario.outcomes, 1, 4):
        before = round(rng.uniform(*outcome.before), outcome.digits) if outcome.before else None
        after = rng.uniform(*outcome.after) * (before if outcome.relative else 1)
        rows.append((outcome, before, round(after, outcome.digits)))
    phrases = [_outcome_phrase(o.metric, before, after, o.unit, o.digits) for o, before, after in rows]
    scale = _fill(rng.choice(scenario.scales), rng, **values)

    tags = [scenario.techs[0].value] + [t.value for t in rng.sample(scenario.techs[1:], rng.randint(1, min(3, len(scenario.techs) - 1)))]
    if rng.random() < 0.35:
        tags.append(rng.choice(scenario.free_tags))

    text = DOMAIN_TEXT[domain]
    partners = tuple(
        (name, partner_credit_code(name) if rng.random() < 0.6 else "")
        for name in rng.sample(text.partners, rng.choices((0, 1, 2), weights=(3, 5, 2))[0])
    )
    months = rng.randint(4, 40)
    length = rng.randint(6, months - 2) if months > 9 and rng.random() < 0.1 else None
    solution = [_fill(sentence, rng, **values) for sentence in _in_order(rng, scenario.solutions, 3, 5)]
    if partners:
        solution.append(f"项目由{org}牵头，联合{'、'.join(name for name, _ in partners)}共同研发。")
    solution.append(f"试点运行{length}个月后通过验收，正在筹备二期推广。" if length else f"系统上线以来已稳定运行{months}个月。")

    investment = rng.uniform(*scenario.investment)
    # The first picture is the cover: the one that shows the scenario best.
    picture_count = min(len(scenario.photos), rng.choices((1, 2, 3), weights=(3, 4, 3))[0])
    photos = [scenario.photos[0]] + rng.sample(scenario.photos[1:], picture_count - 1)
    contact = rng.choice(contacts)
    return EntrySpec(
        organisation_index=index,
        title=title,
        domain=domain,
        city_code=city_code,
        summary=_summary(scenario, values=values, scale=scale, phrases=phrases, rng=rng),
        problem="".join(_fill(sentence, rng, **values) for sentence in _in_order(rng, scenario.problems, 2, 3)),
        solution="".join(solution),
        deployment_scale=scale,
        deployment_months=months,
        deployment_day=rng.randint(1, 28),
        deployment_length=length,
        investment=round(investment, 1) if rng.random() < 0.3 else float(round(investment / 10) * 10),
        investment_note=_fill(rng.choice(_INVESTMENT_NOTES), rng) if rng.random() < 0.7 else "",
        tech_tags=tuple(tags),
        partners=partners,
        replicability="".join(_fill(s, rng, peers=text.peers, obj=obj) for s in _in_order(rng, _REPLICABILITY, 2, 3)),
        data_security="".join(_in_order(rng, _SECURITY, 2, 3) + _in_order(rng, text.security, 1, 2)),
        contact=contact,
        outcomes=tuple((o.metric, before, after, o.unit) for o, before, after in rows),
        photos=tuple((name, _fill(rng.choice(captions), rng, **values)) for name, captions in photos),
        timing=(rng.random(), rng.random(), rng.random()),
    )


def demo_entry_specs(
    organisations: Sequence[Organisation], rng: random.Random, *, count: int = ENTRY_COUNT, taken: Iterable[str] = ()
) -> list[EntrySpec]:
    """``count`` demo entries of ``organisations`` (their order matters), drawn
    from ``rng``, none titled as one of ``taken`` (another call's titles)."""
    if not organisations:
        return []
    counts = _entry_counts(organisations, rng, count)
    slots = _assign_domains(organisations, counts, rng)
    contacts = [_contacts(o, number, rng) for number, o in enumerate(organisations, start=1)]
    other_cities = {o.city_code: [c for c in CITIES if c != o.city_code] for o in organisations}
    specs, used_titles, seen = [], set(taken), set()
    for index, domain in slots:
        organisation = organisations[index]
        # Where the organisation is: every demo organisation is named after its
        # city, and "清远…有限公司" with a scenario in 阳江 reads as a mistake.
        # The draws that once sent some entries elsewhere stay, so every other
        # entry keeps its content.
        if index in seen and rng.random() < 0.12:
            rng.choice(other_cities[organisation.city_code])
        seen.add(index)
        specs.append(_entry_spec(organisation, index, domain, organisation.city_code, contacts[index], used_titles, rng))
    return specs


# --- photos and dates -----------------------------------------------------------

@dataclass(frozen=True)
class StoredPicture:
    keys: dict[str, str]  # rendition → blob key
    width: int
    height: int


def _stored_pictures(names: Sequence[str]) -> dict[str, StoredPicture]:
    """Draw, process and store the pictures (identical bytes share one blob)."""
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]

    def make(name: str) -> ProcessedImage:
        return process_photo(render(name, seed=PICTURE_SEED), max_pixels=max_pixels)

    # Pillow releases the GIL while it draws, resizes and encodes: two threads use two cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        processed = list(pool.map(make, names))
    stored = {}
    for name, image in zip(names, processed, strict=True):
        keys = {rendition: storage().put(data, suffix=".jpg") for rendition, data in image.renditions.items()}
        stored[name] = StoredPicture(keys, image.width, image.height)
    return stored


def _months_before(day: date, months: int, day_of_month: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, day_of_month)


def _submission_window(call: Call, now: datetime) -> tuple[datetime, datetime]:
    """The part of the submission phase that lies before ``now``."""
    window = call.phase_window(Phase.SUBMISSION)
    end = min(now, window.ends_at) if window else now
    start = window.starts_at if window else end - timedelta(days=14)
    if end - start < timedelta(hours=2):  # the phase has barely started: use the last two weeks
        start = end - timedelta(days=14)
    return start, end


def _timestamps(timing: tuple[float, float, float], start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """(created_at, submitted_at): on a working day's hours, more of them late in the window."""
    u_day, u_time, u_created = timing
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    days = (last - first).days + 1
    day = first + timedelta(days=min(days - 1, int(u_day**0.8 * days)))
    submitted = (datetime.combine(day, time(8, 30), tzinfo=zone) + timedelta(minutes=u_time * 14 * 60)).astimezone(timezone.utc)
    if submitted <= start:
        submitted = start + timedelta(minutes=5 + u_time * 60)
    if submitted >= end:
        submitted = max(start + timedelta(minutes=5), end - timedelta(minutes=1 + u_time * 180))
    span = submitted - start
    gap = max(min(span, timedelta(minutes=30)), u_created * min(span, timedelta(days=12)))
    return submitted - gap, submitted


# --- loading -----------------------------------------------------------------------

def _creators(session: Session, organisations: Sequence[Organisation]) -> dict[int, int]:
    """Organisation id → the id of its first active member (who created the entries)."""
    members = session.exec(
        select(User).where(User.organisation_id.in_([o.id for o in organisations]), User.membership == Membership.ACTIVE).order_by(User.id)
    ).all()
    creators: dict[int, int] = {}
    for member in members:
        creators.setdefault(member.organisation_id, member.id)
    return creators


def load_demo_entries(
    session: Session,
    *,
    call: Call,
    organisations: Sequence[Organisation],
    specs: Sequence[EntrySpec],
    now: datetime,
    pictures: dict[str, StoredPicture] | None = None,
) -> tuple[int, int]:
    """Create the entries of ``specs`` (of ``organisations``) in ``call`` that are missing.

    ``pictures`` holds the pictures stored so far in this load, by name: the
    ones missing are drawn, stored and added to it, so that the calls of one
    load draw each picture once. Returns ``(created, already there)``. Runs
    in an app context (for the storage and the time zone); flushes, never
    commits.
    """
    existing = {(row[0], row[1]) for row in session.exec(select(Entry.organisation_id, Entry.title).where(Entry.call_id == call.id))}
    missing = [spec for spec in specs if (organisations[spec.organisation_index].id, spec.title) not in existing]
    if not missing:
        return 0, len(specs)

    zone = ZoneInfo(current_app.config["TIMEZONE"])
    start, end = _submission_window(call, now)
    phase_start = start.astimezone(zone).date()
    pictures = {} if pictures is None else pictures
    pictures.update(_stored_pictures(sorted({name for spec in missing for name, _ in spec.photos} - set(pictures))))
    creators = _creators(session, organisations)
    timed = sorted(((_timestamps(spec.timing, start, end, zone), spec) for spec in missing), key=lambda pair: pair[0][1])
    entries = []
    for (created_at, submitted_at), spec in timed:
        organisation = organisations[spec.organisation_index]
        deployed = _months_before(phase_start, spec.deployment_months, spec.deployment_day)
        ended = _months_before(deployed, -spec.deployment_length, spec.deployment_day) if spec.deployment_length else None
        photo_time = created_at + (submitted_at - created_at) / 3
        entry = Entry(
            call_id=call.id,
            organisation_id=organisation.id,
            created_by_id=creators.get(organisation.id),
            status=EntryStatus.SUBMITTED,
            title=spec.title,
            domain=spec.domain,
            city_code=spec.city_code,
            partners=[{"name": name, "credit_code": code} for name, code in spec.partners],
            summary=spec.summary,
            tech_tags=list(spec.tech_tags),
            problem=spec.problem,
            solution=spec.solution,
            deployment_scale=spec.deployment_scale,
            deployment_start=deployed,
            deployment_end=ended,
            investment=spec.investment,
            investment_note=spec.investment_note,
            replicability=spec.replicability,
            data_security=spec.data_security,
            contact_name=spec.contact.name,
            contact_position=spec.contact.position,
            contact_phone=spec.contact.phone,
            contact_email=spec.contact.email,
            created_at=created_at,
            updated_at=submitted_at,
            submitted_at=submitted_at,
            outcomes=[
                EntryOutcome(position=position, metric=metric, before=before, after=after, unit=unit)
                for position, (metric, before, after, unit) in enumerate(spec.outcomes)
            ],
            photos=[
                EntryPhoto(
                    position=position,
                    caption=caption,
                    master_key=pictures[name].keys["master"],
                    display_key=pictures[name].keys["display"],
                    thumb_key=pictures[name].keys["thumb"],
                    width=pictures[name].width,
                    height=pictures[name].height,
                    created_at=photo_time,
                )
                for position, (name, caption) in enumerate(spec.photos)
            ],
        )
        entries.append(entry)
    session.add_all(entries)
    session.flush()
    for entry in entries:
        event = record(
            session,
            actor=None,
            action="demo.entry_created",
            obj=entry,
            after={
                "title": entry.title,
                "organisation_id": entry.organisation_id,
                "domain": entry.domain.value,
                "city_code": entry.city_code,
                "status": entry.status.value,
                "submitted_at": entry.submitted_at.isoformat(),
            },
        )
        event.occurred_at = entry.created_at  # its place in the entry's history
        # As submitting does: some demo texts name their organisation, for the formal check to find.
        check_entry(session, entry=entry, now=entry.submitted_at)
    return len(entries), len(specs) - len(entries)
