"""Demo score sheets: a review under way, or one complete, with a realistic spread.

Under way, about 80% of the assignments have a submitted sheet, 10% a draft
scored in part, 10% no sheet yet; each expert has their own pace (a few are
done, a few lag behind). Complete (a past call), every assignment has a
submitted sheet. Scores follow a latent quality per entry (normal, mean 75,
sd 8), a leniency per expert (most within ±3, a few lenient +8, a few harsh
−8) and noise (sd 4); on eight disputed entries the experts split into a
camp that rates the entry far higher than the other. Criterion scores scatter
around the sheet's level, in steps of 0.5 within 0 and the maximum; criteria
that require a comment get one in Chinese. Three sheets answer a veto
question with yes and explain it in the overall comment.

Everything follows from the entry's title and the expert's e-mail address
through seeded generators (:func:`plan_sheet`), never from database ids, so
the content does not depend on the order rows were created in.

The rows are written in bulk, but exactly as the sheet services would leave
them: the frozen rubric version of the entry's domain, one score row per
criterion from the start, the weighted total on submit, the row version
counting the changes, and the audit rows "sheet.opened", "sheet.autosaved"
and "sheet.submitted" with the expert as actor. Entries whose sheets are all
submitted are then "scored" (:func:`score_finished_entries`), as the last
submit would have left them.
"""
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app.entries.states import sync_scoring_status
from app.enums import Domain, Phase, SheetStatus
from app.models import (
    Assignment,
    AuditEvent,
    Call,
    Entry,
    EntryOutcome,
    RubricVersion,
    Score,
    ScoreSheet,
    User,
)
from app.review.sheets.scoring import criteria, weighted_total

SEED = "demo-sheets-2026"
LENIENT = HARSH = 3
FINISHED, LAGGING = 3, 2
DISPUTED = 8
VETOES = 3
DISPUTE_GAP = 14  # points above or below the entry's quality, by camp
VETO_PENALTY = 18

_BANDS = ("high", "mid", "low")
_REQUIRED_COMMENTS = {
    "measured_outcomes": {
        "high": (
            "“{metric}”等核心指标改善显著，改造前后对比清晰，数据来源可靠，应用成效突出。",
            "成效数据翔实，“{metric}”提升明显，并有用户单位证明材料支撑，经济和社会效益显著。",
            "量化指标完整，“{metric}”改善幅度大，已形成可持续的运营效益。",
        ),
        "mid": (
            "成效较为明显，“{metric}”有一定提升，但部分数据缺少第三方佐证。",
            "提供了“{metric}”等成效数据，统计口径基本清楚，建议补充长期运行数据。",
            "应用成效初步显现，数据较完整，但效益测算方法说明不足。",
        ),
        "low": (
            "成效数据不够充分，“{metric}”缺少改造前基线，难以判断实际效果。",
            "应用时间较短，成效主要为预期值，缺乏实际运行数据支撑。",
            "成效描述以定性为主，量化指标偏少，说服力不足。",
        ),
    },
    "clinical_safety": {
        "high": ("已取得医疗器械注册证，并完成多中心临床验证，安全性证据充分。", "完成临床验证并通过医学伦理审查，建立了不良事件监测机制。"),
        "mid": ("完成院内验证并通过伦理审查，建议开展多中心临床验证。", "有一定临床验证数据，但样本量偏小，需持续跟踪。"),
        "low": ("临床安全性证据不足，尚未开展系统的临床验证。", "未提供伦理审查材料，临床应用风险评估不充分。"),
    },
}
_OPTIONAL_COMMENTS = {
    "technical_advancement": ("核心算法自主研发，技术路线先进。", "技术方案成熟可靠，自主创新点不够突出。", "主要集成现有产品，技术先进性一般。"),
    "integration_depth": ("AI能力已嵌入核心业务流程，融合程度深。", "在关键环节应用，尚未贯通业务全流程。", "应用停留在辅助展示层面，融合深度不足。"),
    "replicability": ("实施方法标准化，已在多家单位复制推广。", "具备一定推广条件，需进一步降低部署成本。", "定制化程度高，推广难度较大。"),
    "innovation": ("应用模式新颖，具有行业首创性。", "在应用模式上有一定创新。", "创新点不明显。"),
    "security_compliance": ("数据安全体系完善，已通过等级保护三级测评。", "数据安全措施基本健全。", "数据安全措施描述笼统，存在一定隐患。"),
}
_OVERALL_COMMENTS = {
    "high": ("该场景技术先进、成效显著，具有较强的示范推广价值，建议重点推荐。", "整体质量高，建议入选典型示范场景。"),
    "mid": ("场景整体较好，应用成效较明显，建议进一步完善推广方案。", "方案可行，成效数据基本完整，具有一定示范意义。"),
    "low": ("场景整体仍处于试点阶段，成效尚不充分，示范性一般。", "申报材料较为简略，建议补充成效数据后再行申报。"),
}
_GENERIC_COMMENTS = {"high": "表现突出，达到优秀水平。", "mid": "基本达到要求。", "low": "有待加强。"}
_VETO_COMMENTS = {
    "data_security_violation": (
        "申报材料显示系统将未经脱敏的个人信息传输至境外云服务，存在数据安全违规风险，建议一票否决。",
        "现场视频数据未经授权接入第三方平台，且未开展个人信息保护影响评估，存在重大数据安全隐患，建议一票否决。",
    ),
    "false_information": (
        "申报的部分成效数据与附件证明材料不一致，合作单位证明涉嫌伪造，建议一票否决并予以核查。",
        "所附用户单位证明与公开信息不符，部署规模明显夸大，建议一票否决并予以核查。",
    ),
}


@dataclass(frozen=True)
class Traits:
    """How an expert scores: ``leniency`` points above or below the others,
    ``diligence`` the share of their sheets they have submitted by now."""

    leniency: float
    diligence: float


@dataclass(frozen=True)
class Merit:
    title: str
    quality: float
    disputed: bool

    def offset(self, criterion_key: str) -> float:
        """The entry's strength or weakness on one criterion (the same for every expert)."""
        return random.Random(f"{SEED}:offset:{self.title}:{criterion_key}").gauss(0, 4)


@dataclass(frozen=True)
class SheetPlan:
    status: SheetStatus
    scores: dict[str, float | None]  # every criterion; None: not scored yet
    comments: dict[str, str]  # every criterion
    comment: str
    vetoes: dict[str, bool]
    total: float | None


def expert_traits(emails: Iterable[str]) -> dict[str, Traits]:
    emails = sorted(emails)
    order = random.Random(f"{SEED}:experts").sample(emails, len(emails))
    lenient, harsh = set(order[:LENIENT]), set(order[LENIENT:LENIENT + HARSH])
    finished = set(order[LENIENT + HARSH:LENIENT + HARSH + FINISHED])
    lagging = set(order[LENIENT + HARSH + FINISHED:LENIENT + HARSH + FINISHED + LAGGING])
    traits = {}
    for email in emails:
        rng = random.Random(f"{SEED}:expert:{email}")
        if email in lenient:
            leniency = 8 + rng.uniform(-1, 1)
        elif email in harsh:
            leniency = -8 + rng.uniform(-1, 1)
        else:
            leniency = rng.uniform(-3, 3)
        diligence = 1.0 if email in finished else rng.uniform(0.35, 0.5) if email in lagging else rng.uniform(0.7, 0.92)
        traits[email] = Traits(leniency=leniency, diligence=diligence)
    return traits


def entry_merits(titles: Iterable[str]) -> dict[str, Merit]:
    titles = sorted(titles)
    disputed = set(random.Random(f"{SEED}:disputed").sample(titles, min(DISPUTED, len(titles))))
    return {
        title: Merit(title=title, quality=random.Random(f"{SEED}:entry:{title}").gauss(75, 8), disputed=title in disputed)
        for title in titles
    }


def sheet_status(*, title: str, email: str, traits: Traits) -> SheetStatus | None:
    """Submitted, a draft, or None (not opened yet)."""
    rng = random.Random(f"{SEED}:state:{title}:{email}")
    if rng.random() < traits.diligence:
        return SheetStatus.SUBMITTED
    return SheetStatus.DRAFT if rng.random() < 0.5 else None


def _band(percent: float) -> str:
    return "high" if percent >= 85 else "mid" if percent >= 70 else "low"


def _half_steps(value: float, maximum: float) -> float:
    return min(maximum, max(0.0, math.floor(value * 2 + 0.5) / 2))


def _comment(key: str, band: str, rng: random.Random, *, metric: str) -> str:
    if key in _REQUIRED_COMMENTS:
        return rng.choice(_REQUIRED_COMMENTS[key][band]).format(metric=metric or "核心业务")
    if key in _OPTIONAL_COMMENTS:
        return _OPTIONAL_COMMENTS[key][_BANDS.index(band)]
    return _GENERIC_COMMENTS[band]


def plan_sheet(
    rubric: dict, *, merit: Merit, traits: Traits, email: str, status: SheetStatus, camp: int = 1,
    metric: str = "", veto: str | None = None,
) -> SheetPlan:
    """The content of one expert's sheet for one entry.

    ``camp`` (+1 or −1) is the side the expert takes on a disputed entry;
    ``veto`` the veto question the expert answers yes (a submitted sheet).
    """
    rng = random.Random(f"{SEED}:sheet:{merit.title}:{email}")
    level = merit.quality + traits.leniency + rng.gauss(0, 4)
    if merit.disputed:
        level += camp * DISPUTE_GAP
    if veto:
        level -= VETO_PENALTY
    items = criteria(rubric)
    scored = len(items) if status == SheetStatus.SUBMITTED else rng.randint(1, max(1, len(items) - 1))
    scores, comments = {}, {}
    for position, criterion in enumerate(items):
        key, maximum = criterion["key"], criterion["max_score"]
        percent = level + merit.offset(key) + rng.gauss(0, 3)
        score = _half_steps(percent * maximum / 100, maximum) if position < scored else None
        text = ""
        if score is not None:
            band = _band(100 * score / maximum)
            # Required comments are written when submitting at the latest; others now and then.
            required = criterion.get("comment_required") and (status == SheetStatus.SUBMITTED or rng.random() < 0.5)
            if required or (key in _OPTIONAL_COMMENTS and rng.random() < 0.25):
                text = _comment(key, band, rng, metric=metric)
        scores[key], comments[key] = score, text
    if status != SheetStatus.SUBMITTED:
        return SheetPlan(status=status, scores=scores, comments=comments, comment="", vetoes={}, total=None)
    vetoes = {item["key"]: item["key"] == veto for item in rubric.get("vetoes", [])}
    if veto:
        comment = rng.choice(_VETO_COMMENTS.get(veto, ("存在一票否决事项，建议不予推荐。",)))
    else:
        comment = rng.choice(_OVERALL_COMMENTS[_band(level)]) if rng.random() < 0.6 else ""
    return SheetPlan(status=status, scores=scores, comments=comments, comment=comment, vetoes=vetoes,
                     total=weighted_total(rubric, scores))


def sheet_times(*, title: str, email: str, available: datetime, now: datetime) -> tuple[datetime, datetime, datetime]:
    """(opened, last saved, submitted): all after ``available`` and before ``now``."""
    rng = random.Random(f"{SEED}:time:{title}:{email}")
    opened = available + (now - available) * (0.02 + 0.8 * rng.random())
    saved = opened + (now - opened) * (0.05 + 0.3 * rng.random())
    submitted = saved + (now - saved) * (0.05 + 0.4 * rng.random())
    return opened, saved, submitted


# --- writing ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    assignment_id: int
    available: datetime
    entry_id: int
    title: str
    domain: Domain
    expert_id: int
    email: str


def _open_assignments(session: Session, call: Call, *, round_no: int, available: datetime | None) -> list[_Row]:
    """The call's active assignments of round ``round_no`` that have no sheet
    yet, each available from its creation (not before the review phase, or ``available``)."""
    review = call.phase_window(Phase.REVIEW)
    start = available or review.starts_at
    rows = session.exec(
        select(Assignment.id, Assignment.created_at, Entry.id, Entry.title, Entry.domain, User.id, User.email)
        .join(Entry, Entry.id == Assignment.entry_id)
        .join(User, User.id == Assignment.expert_id)
        .outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
        .where(Assignment.call_id == call.id, Assignment.round_no == round_no, Assignment.removed_at.is_(None),
               ScoreSheet.id.is_(None))
        .order_by(Entry.title, User.email)
    ).all()
    return [_Row(a_id, max(created, start), e_id, title, domain, x_id, email)
            for a_id, created, e_id, title, domain, x_id, email in rows]


def camps(statuses: dict[tuple[str, str], SheetStatus | None]) -> dict[tuple[str, str], int]:
    """The side (+1 or −1) each expert takes on an entry if it is disputed,
    by (title, e-mail): alternately, those who submitted first, so both
    sides show among the submitted sheets."""
    by_entry = defaultdict(list)
    for (title, email), status in statuses.items():
        by_entry[title].append((status != SheetStatus.SUBMITTED, email))
    return {(title, email): 1 if index % 2 == 0 else -1
            for title, experts in by_entry.items() for index, (_, email) in enumerate(sorted(experts))}


def _veto_choices(candidates: list[tuple[str, str]], rubrics: dict[str, dict]) -> dict[tuple[str, str], str]:
    """Which (title, e-mail) sheets answer which veto question yes: one per entry."""
    rng = random.Random(f"{SEED}:vetoes")
    chosen: dict[tuple[str, str], str] = {}
    titles = set()
    for title, email in rng.sample(sorted(candidates), len(candidates)):
        if len(chosen) == VETOES:
            break
        keys = [veto["key"] for veto in rubrics[title].get("vetoes", [])]
        if title in titles or not keys:
            continue
        chosen[(title, email)] = keys[len(chosen) % len(keys)]
        titles.add(title)
    return chosen


def _audit(*, at: datetime, expert_id: int, email: str, action: str, sheet_id: int, before=None, after=None) -> dict:
    return {"occurred_at": at, "actor_id": expert_id, "actor_email": email, "action": action, "object_type": "score_sheets",
            "object_id": sheet_id, "before": before, "after": after, "reason": None, "ip_address": None}


def _changes(plan: SheetPlan) -> tuple[dict, dict]:
    """The before/after of the autosave that typed the sheet's content (as ``save_draft`` records it)."""
    before, after = {}, {}
    for key, score in plan.scores.items():
        if score is not None:
            before[f"score-{key}"], after[f"score-{key}"] = None, score
    for key, text in plan.comments.items():
        if text:
            before[f"comment-{key}"], after[f"comment-{key}"] = "", text
    if plan.comment:
        before["comment"], after["comment"] = "", plan.comment
    if plan.vetoes:
        before["vetoes"], after["vetoes"] = {}, plan.vetoes
    return before, after


def load_sheets(
    session: Session, *, call: Call, versions: dict[Domain, RubricVersion], now: datetime, complete: bool = False,
    round_no: int = 1, available: datetime | None = None,
) -> int:
    """Write the sheets of the call's open assignments in round ``round_no``,
    all submitted by ``now`` when ``complete``, else as far as each expert's
    pace has got (none opened before ``available``); returns how many."""
    rows = _open_assignments(session, call, round_no=round_no, available=available)
    if not rows:
        return 0
    metrics = dict(session.exec(
        select(EntryOutcome.entry_id, EntryOutcome.metric)
        .join(Entry, Entry.id == EntryOutcome.entry_id)
        .where(Entry.call_id == call.id, EntryOutcome.position == 0)
    ).all())
    traits = expert_traits({row.email for row in rows})
    merits = entry_merits({row.title for row in rows})
    rubric_of = {row.title: versions[row.domain].content for row in rows}
    statuses = {
        (row.title, row.email): SheetStatus.SUBMITTED if complete else sheet_status(title=row.title, email=row.email, traits=traits[row.email])
        for row in rows
    }
    sides = camps(statuses)
    low = [
        (row.title, row.email) for row in rows
        if statuses[(row.title, row.email)] == SheetStatus.SUBMITTED
        and (merits[row.title].quality < 70 or (merits[row.title].disputed and sides[(row.title, row.email)] < 0))
    ]
    vetoes = _veto_choices(low, rubric_of)

    plans, sheet_rows = {}, []
    for row in rows:
        status = statuses[(row.title, row.email)]
        if status is None:
            continue
        # A later round's sheet is drawn afresh (the expert heard the defence), not a copy of round 1's.
        seed_email = row.email if round_no == 1 else f"{row.email}:round{round_no}"
        plan = plan_sheet(rubric_of[row.title], merit=merits[row.title], traits=traits[row.email], email=seed_email,
                          status=status, camp=sides[(row.title, row.email)], metric=metrics.get(row.entry_id, ""),
                          veto=vetoes.get((row.title, row.email)))
        opened, saved, submitted = sheet_times(title=row.title, email=row.email, available=row.available, now=now)
        done = status == SheetStatus.SUBMITTED
        plans[row.assignment_id] = (row, plan, opened, saved, submitted if done else None)
        sheet_rows.append({
            "assignment_id": row.assignment_id, "entry_id": row.entry_id, "expert_id": row.expert_id,
            "round_no": round_no, "rubric_version_id": versions[row.domain].id, "status": status,
            "version": 3 if done else 2,  # opened, autosaved (and submitted)
            "comment": plan.comment, "vetoes": plan.vetoes, "total": plan.total,
            "opened_at": opened, "updated_at": submitted if done else saved, "submitted_at": submitted if done else None,
        })
    # Into the table itself: an ORM insert would start every row version at 1.
    session.exec(sa.insert(ScoreSheet.__table__), params=sheet_rows)
    sheet_ids = dict(session.exec(
        select(ScoreSheet.assignment_id, ScoreSheet.id)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(Assignment.call_id == call.id, ScoreSheet.assignment_id.in_(list(plans)))
    ).all())

    score_rows, audit_rows = [], []
    for assignment_id, (row, plan, opened, saved, submitted) in plans.items():
        sheet_id = sheet_ids[assignment_id]
        score_rows += [{"sheet_id": sheet_id, "criterion_key": key, "score": score, "comment": plan.comments[key]}
                       for key, score in plan.scores.items()]
        actor = {"expert_id": row.expert_id, "email": row.email, "sheet_id": sheet_id}
        before, after = _changes(plan)
        audit_rows += [
            _audit(at=opened, action="sheet.opened", **actor, after={
                "entry_id": row.entry_id, "rubric_version_id": versions[row.domain].id, "no_conflict_declared": True}),
            _audit(at=saved, action="sheet.autosaved", **actor, before=before, after=after),
        ]
        if submitted is not None:
            audit_rows.append(_audit(
                at=submitted, action="sheet.submitted", **actor, before={"status": SheetStatus.DRAFT.value},
                after={"status": SheetStatus.SUBMITTED.value, "total": plan.total,
                       "scores": dict(plan.scores), "vetoes": plan.vetoes},
            ))
    session.exec(sa.insert(Score), params=score_rows)
    session.exec(sa.insert(AuditEvent), params=audit_rows)
    return len(plans)


def score_finished_entries(session: Session, *, call: Call, now: datetime) -> int:
    """Move the call's entries whose active assignments all have a submitted
    sheet to "scored", all at once through :func:`sync_scoring_status`;
    returns how many moved.

    Each move is then dated to the entry's last submit and recorded in the
    name of that sheet's expert, as their submit would have done it.
    """
    entry_ids = session.exec(select(Entry.id).where(Entry.call_id == call.id)).all()
    moved = {entry.id: entry for entry in sync_scoring_status(session, entry_ids=entry_ids, actor=None, now=now)}
    if not moved:
        return 0
    last: dict[int, tuple[datetime, int, str]] = {}  # entry id → (submitted at, expert id, e-mail)
    for entry_id, submitted_at, expert_id, email in session.exec(
        select(ScoreSheet.entry_id, ScoreSheet.submitted_at, User.id, User.email)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .join(User, User.id == ScoreSheet.expert_id)
        .where(ScoreSheet.entry_id.in_(list(moved)), ScoreSheet.status == SheetStatus.SUBMITTED, Assignment.removed_at.is_(None))
    ).all():
        if entry_id not in last or submitted_at > last[entry_id][0]:
            last[entry_id] = (submitted_at, expert_id, email)
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "entry.scored", AuditEvent.object_type == Entry.__tablename__, AuditEvent.object_id.in_(list(moved))
        )
    ).all()
    for event in events:
        event.occurred_at, event.actor_id, event.actor_email = last[event.object_id]
    for entry_id, entry in moved.items():
        entry.updated_at = last[entry_id][0]
    session.flush()
    return len(moved)
