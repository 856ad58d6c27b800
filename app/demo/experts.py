"""Demo experts: who they are, where they work and worked, and their panels.

Forty experts at universities, institutes and companies of the province.
Their affiliations and former employers are chosen so that automatic
conflicts of interest really occur: some work at a university that is a
partner of entries in their own domain, some left an applicant organisation
less than three years ago, others longer ago (no conflict any more). Each
panel keeps enough experts free of conflicts for every entry to get five.

Eight panels, one per domain, of seven to nine experts: five specialists of
the domain and two to four from a neighbouring one (twenty experts sit on
two panels). The first expert named leads the panel.
"""
import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.accounts.credit_code import ALPHABET, make_credit_code
from app.demo.entries import PARTNERS, partner_credit_code
from app.enums import Domain, Technology
from app.models import Call, Entry, Organisation, Panel, User
from app.review.manage.panels import create_panel
from app.review.manage.profiles import Employment, profile_of, update_profile

T = Technology
DOMAIN_NAMES = {
    Domain.MANUFACTURING: "智能制造", Domain.GOVERNMENT: "智慧政务", Domain.CITY: "智慧城市",
    Domain.HEALTHCARE: "智慧医疗", Domain.EDUCATION: "智慧教育", Domain.FINANCE: "智慧金融",
    Domain.SECURITY: "智慧安防", Domain.UNMANNED: "智能无人系统",
}
DOMAIN_TECHS = {
    Domain.MANUFACTURING: (T.COMPUTER_VISION, T.DIGITAL_TWIN, T.ROBOTICS, T.MACHINE_LEARNING, T.EDGE_AI),
    Domain.GOVERNMENT: (T.NLP, T.LARGE_MODELS, T.KNOWLEDGE_GRAPHS, T.SPEECH, T.MACHINE_LEARNING),
    Domain.CITY: (T.COMPUTER_VISION, T.DIGITAL_TWIN, T.MACHINE_LEARNING, T.EDGE_AI, T.MULTIMODAL),
    Domain.HEALTHCARE: (T.COMPUTER_VISION, T.NLP, T.LARGE_MODELS, T.KNOWLEDGE_GRAPHS, T.MULTIMODAL),
    Domain.EDUCATION: (T.NLP, T.LARGE_MODELS, T.RECOMMENDATION, T.SPEECH, T.MULTIMODAL),
    Domain.FINANCE: (T.MACHINE_LEARNING, T.KNOWLEDGE_GRAPHS, T.NLP, T.LARGE_MODELS, T.RECOMMENDATION),
    Domain.SECURITY: (T.COMPUTER_VISION, T.EDGE_AI, T.MULTIMODAL, T.SPEECH, T.KNOWLEDGE_GRAPHS),
    Domain.UNMANNED: (T.AUTONOMOUS_SYSTEMS, T.ROBOTICS, T.COMPUTER_VISION, T.EDGE_AI, T.DIGITAL_TWIN),
}

# Affiliations that are not entry partners: name → (credit code kind, city).
# 12 = public institution, 91 = company.
_OTHER_AFFILIATIONS = {
    "东莞理工学院": ("12", "441900"), "佛山科学技术学院": ("12", "440600"), "广东财经大学": ("12", "440100"),
    "广东外语外贸大学": ("12", "440100"), "哈尔滨工业大学（深圳）": ("12", "440300"),
    "清华大学深圳国际研究生院": ("12", "440300"), "广州医科大学": ("12", "440100"),
    "北京师范大学珠海校区": ("12", "440400"), "广东技术师范大学": ("12", "440100"), "广东金融学院": ("12", "440100"),
    "广东警官学院": ("12", "440100"), "广东省信息技术发展研究中心": ("12", "440100"),
    "广东省医疗信息化研究中心": ("12", "440100"), "广东省信息安全测评中心": ("12", "440100"),
    "佛山智造工业软件有限公司": ("91", "440600"), "东莞松湖智能装备有限公司": ("91", "441900"),
    "广州智算云科技有限公司": ("91", "440100"), "深圳南山城市智能研究院有限公司": ("91", "440300"),
    "深圳康智医疗人工智能有限公司": ("91", "440300"), "深圳启智教育科技研究院有限公司": ("91", "440300"),
    "深圳前海数金科技有限公司": ("91", "440300"), "广州数研金融科技有限公司": ("91", "440100"),
    "广州安视智能科技有限公司": ("91", "440100"), "珠海海翼无人系统有限公司": ("91", "440400"),
}


@dataclass(frozen=True)
class FormerJob:
    """A former employer: an organisation by name, or the applicant
    organisation ranked ``applicant_rank`` by its entries in ``applicant_domain``
    (0: the one with most). ``left`` is how many years before the call's year
    the expert left (within three: still a conflict of interest)."""

    started: int
    left: int
    name: str = ""
    applicant_domain: Domain | None = None
    applicant_rank: int = 0


@dataclass(frozen=True)
class ExpertSpec:
    number: int  # expertNN@demo.local
    affiliation: str
    domain: Domain  # the panel of their speciality
    former: tuple[FormerJob, ...] = ()


def _applicant(domain: Domain, rank: int, started: int, left: int) -> FormerJob:
    return FormerJob(started=started, left=left, applicant_domain=domain, applicant_rank=rank)


D = Domain
EXPERTS: tuple[ExpertSpec, ...] = (
    ExpertSpec(1, "华南理工大学", D.MANUFACTURING),
    ExpertSpec(2, "东莞理工学院", D.MANUFACTURING),
    ExpertSpec(3, "佛山智造工业软件有限公司", D.MANUFACTURING, (FormerJob(2008, 12, "佛山科学技术学院"),)),
    ExpertSpec(4, "广东工业大学", D.MANUFACTURING),
    ExpertSpec(5, "东莞松湖智能装备有限公司", D.MANUFACTURING, (_applicant(D.MANUFACTURING, 1, 2016, 2),)),
    ExpertSpec(6, "中山大学", D.GOVERNMENT),
    ExpertSpec(7, "广东财经大学", D.GOVERNMENT),
    ExpertSpec(8, "广东省信息技术发展研究中心", D.GOVERNMENT),
    ExpertSpec(9, "广州智算云科技有限公司", D.GOVERNMENT, (_applicant(D.GOVERNMENT, 0, 2012, 6),)),
    ExpertSpec(10, "广东外语外贸大学", D.GOVERNMENT),
    ExpertSpec(11, "深圳大学", D.CITY),
    ExpertSpec(12, "哈尔滨工业大学（深圳）", D.CITY),
    ExpertSpec(13, "深圳南山城市智能研究院有限公司", D.CITY, (_applicant(D.CITY, 0, 2018, 1),)),
    ExpertSpec(14, "清华大学深圳国际研究生院", D.CITY),
    ExpertSpec(15, "广东工业大学", D.CITY, (FormerJob(2003, 15, "广东省信息技术发展研究中心"),)),
    ExpertSpec(16, "南方医科大学", D.HEALTHCARE),
    ExpertSpec(17, "广州医科大学", D.HEALTHCARE),
    ExpertSpec(18, "汕头大学", D.HEALTHCARE),
    ExpertSpec(19, "深圳康智医疗人工智能有限公司", D.HEALTHCARE, (FormerJob(2010, 4, "南方医科大学"),)),
    ExpertSpec(20, "广东省医疗信息化研究中心", D.HEALTHCARE),
    ExpertSpec(21, "华南师范大学", D.EDUCATION),
    ExpertSpec(22, "北京师范大学珠海校区", D.EDUCATION),
    ExpertSpec(23, "岭南师范学院", D.EDUCATION),
    ExpertSpec(24, "广东技术师范大学", D.EDUCATION, (_applicant(D.EDUCATION, 2, 2019, 2),)),
    ExpertSpec(25, "深圳启智教育科技研究院有限公司", D.EDUCATION),
    ExpertSpec(26, "暨南大学", D.FINANCE),
    ExpertSpec(27, "深圳前海数金科技有限公司", D.FINANCE),
    ExpertSpec(28, "广东金融学院", D.FINANCE),
    ExpertSpec(29, "广州数研金融科技有限公司", D.FINANCE, (_applicant(D.FINANCE, 0, 2014, 5),)),
    ExpertSpec(30, "香港科技大学（广州）", D.FINANCE),
    ExpertSpec(31, "广东警官学院", D.SECURITY),
    ExpertSpec(32, "鹏城实验室", D.SECURITY),
    ExpertSpec(33, "广东省信息安全测评中心", D.SECURITY),
    ExpertSpec(34, "广州安视智能科技有限公司", D.SECURITY, (FormerJob(2015, 1, "华南理工大学"),)),
    ExpertSpec(35, "广东海洋大学", D.SECURITY),
    ExpertSpec(36, "南方科技大学", D.UNMANNED),
    ExpertSpec(37, "华南农业大学", D.UNMANNED),
    ExpertSpec(38, "珠海海翼无人系统有限公司", D.UNMANNED),
    ExpertSpec(39, "中国科学院深圳先进技术研究院", D.UNMANNED),
    ExpertSpec(40, "佛山科学技术学院", D.UNMANNED),
)

# Panel members by expert number, the leader first: the domain's five
# specialists, then experts of neighbouring domains.
PANELS: dict[Domain, tuple[int, ...]] = {
    D.MANUFACTURING: (1, 2, 3, 4, 5, 38, 40, 12, 14),
    D.GOVERNMENT: (6, 7, 8, 9, 10, 15, 31),
    D.CITY: (11, 12, 13, 14, 15, 9, 34),
    D.HEALTHCARE: (16, 17, 18, 19, 20, 39, 33, 2),
    D.EDUCATION: (21, 22, 23, 24, 25, 10, 8, 13),
    D.FINANCE: (26, 27, 28, 29, 30, 7, 6),
    D.SECURITY: (31, 32, 33, 34, 35, 36, 26),
    D.UNMANNED: (36, 37, 38, 39, 40, 3, 35),
}


def panel_name(domain: Domain) -> str:
    return f"{DOMAIN_NAMES[domain]}评审组"


def affiliation_code(name: str) -> str:
    """A valid (made-up) credit code: the partners' own, else one from the name."""
    if name in PARTNERS:
        return partner_credit_code(name)
    kind, city = _OTHER_AFFILIATIONS[name]
    digest = hashlib.sha256(name.encode()).digest()
    return make_credit_code(kind + city + "".join(ALPHABET[byte % len(ALPHABET)] for byte in digest[:9]))


def short_affiliation(name: str) -> str:
    """What follows an expert's name in brackets: "深圳前海数金科技" for a company."""
    return name.removesuffix("有限公司")


def expert_name(person: str, number: int) -> str:
    return f"{person}（{short_affiliation(EXPERTS[number - 1].affiliation)}）"


def panels_of(number: int) -> list[Domain]:
    return [domain for domain, members in PANELS.items() if number in members]


def _tech_tags(spec: ExpertSpec) -> list[str]:
    rng = random.Random(f"demo-expert-tags:{spec.number}")
    tags = rng.sample(DOMAIN_TECHS[spec.domain], 3)
    for domain in panels_of(spec.number):
        if domain != spec.domain:
            tags.append(rng.choice(DOMAIN_TECHS[domain]))
    return list(dict.fromkeys(tag.value for tag in tags))


def _ranked_applicants(session: Session, call: Call) -> dict[Domain, list[Organisation]]:
    """The call's applicant organisations per domain, most entries first."""
    rows = session.exec(select(Entry.organisation_id, Entry.domain).where(Entry.call_id == call.id)).all()
    counts = Counter(rows)
    organisations = {o.id: o for o in session.exec(select(Organisation)).all()}
    ranked: dict[Domain, list[Organisation]] = {}
    for domain in Domain:
        ids = [organisation_id for (organisation_id, d) in counts if d == domain]
        ids.sort(key=lambda i: (-counts[(i, domain)], organisations[i].credit_code))
        ranked[domain] = [organisations[i] for i in ids]
    return ranked


def _employment(job: FormerJob, *, year: int, ranked) -> Employment:
    if job.applicant_domain is not None:
        organisation = ranked[job.applicant_domain][job.applicant_rank]
        name, code = organisation.name, organisation.credit_code
    else:
        name, code = job.name, affiliation_code(job.name)
    return Employment(name, code, job.started, year - job.left)


def load_expert_profiles(session: Session, *, call: Call, chair: User, experts: dict[int, User]) -> tuple[int, int]:
    """Give every demo expert without a profile one (through the profile
    service, audited as the chair's edit); returns (created, already there)."""
    ranked = _ranked_applicants(session, call)
    created = existing = 0
    for spec in EXPERTS:
        expert = experts.get(spec.number)
        if expert is None:
            continue
        if profile_of(session, expert=expert) is not None:
            existing += 1
            continue
        update_profile(
            session,
            actor=chair,
            expert=expert,
            affiliation_name=spec.affiliation,
            affiliation_code=affiliation_code(spec.affiliation),
            employments=[_employment(job, year=call.year, ranked=ranked) for job in spec.former],
            expertise_domains=[domain.value for domain in panels_of(spec.number)],
            tech_tags=_tech_tags(spec),
        )
        created += 1
    return created, existing


def load_panels(session: Session, *, call: Call, chair: User, experts: dict[int, User]) -> tuple[int, int]:
    """Create the call's eight panels unless it has panels already; returns
    (created, already there)."""
    existing = len(session.exec(select(Panel.id).where(Panel.call_id == call.id)).all())
    if existing:
        return 0, existing
    for domain, members in PANELS.items():
        create_panel(
            session,
            actor=chair,
            call=call,
            name=panel_name(domain),
            domains=[domain],
            member_ids=[experts[number].id for number in members],
            leader_id=experts[members[0]].id,
        )
    return len(PANELS), 0


def demo_experts(session: Session, numbers: Sequence[int]) -> dict[int, User]:
    """The demo expert accounts by number."""
    emails = {f"expert{number:02d}@demo.local": number for number in numbers}
    users = session.exec(select(User).where(User.email.in_(list(emails))).options(selectinload(User.role_rows))).all()
    return {emails[user.email]: user for user in users}
