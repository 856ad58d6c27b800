"""Demo results: last year's call published, the call in review drafted.

Last year's call goes through its results phase as its chair took it
(:func:`load_past_results`): on the phase's first morning they compute the
draft (:func:`compute_results`); the next day they decide the veto flags
(:func:`decide_veto`: the first flagged entry by title confirmed, the others
dismissed, each with its reason); at the committee meeting a few days
later they adjust the selection with two overrides
(:func:`set_override`): the best entry from outside the Pearl River Delta
that the target left out is brought in, the lowest selected entry the
experts disagreed on is taken out; a week into the phase they publish the
snapshot with its scores public (:func:`publish`), which moves every ranked
entry to "selected" or "not selected". Each step is dated when it happened,
and so are its audit rows (:class:`History`).

The call in review gets a draft computed at load time
(:func:`load_draft_results`): the chair sees a ranking with its pending
vetoes and unfinished entries, and nothing published.

Idempotent: a call that has any results run already is left alone.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.calls.services import get_call
from app.demo.certificates import issue_certificates
from app.demo.experts import DOMAIN_NAMES
from app.demo.history import History
from app.demo.objections import publish_with_notice
from app.demo.review import day_of, office_time
from app.demo.rounds import load_second_round
from app.enums import Phase
from app.library.services import set_featured, set_headline
from app.mail import muted
from app.models import (
    Call,
    Certificate,
    DefenceSlot,
    Entry,
    LibraryCase,
    Notice,
    Objection,
    ResultEntry,
    ResultRun,
    User,
)
from app.reference import CITIES
from app.results import selection
from app.results.compute import compute_results, draft_run
from app.results.decisions import decide_veto, set_override
from app.results.inputs import VETO_CONFIRMED
from app.results.publishing import latest_published
from app.review.manage.progress import veto_flags

LIBRARY_HEADLINE = "从实验室走向生产线：广东省人工智能应用示范场景，看得见、学得会、用得上。"

# The Pearl River Delta: an entry from elsewhere (粤东西北) is the one the chair brings in.
PEARL_RIVER_DELTA = {"440100", "440300", "440400", "440600", "440700", "441200", "441300", "441900", "442000"}

VETO_REASONS = {
    ("data_security_violation", True): (
        "经组织专家现场核查，系统确将未经脱敏的个人信息传输至境外云服务，且未开展个人信息出境安全评估，"
        "确认存在数据安全违规，一票否决。"
    ),
    ("false_information", True): (
        "经向用户单位函询核实，申报材料所附应用证明与实际部署情况不符，成效数据明显夸大，确认属于申报材料弄虚作假，一票否决。"
    ),
    ("data_security_violation", False): (
        "经核查，相关数据在本地完成脱敏后用于模型训练，不涉及个人信息出境；申报单位已补充等级保护测评报告，不构成一票否决情形。"
    ),
    ("false_information", False): (
        "经核查，成效数据与附件的差异系统计口径不同所致，申报单位已补充统计说明及用户单位证明，不构成弄虚作假，驳回否决意见。"
    ),
}
INCLUDE_REASON = (
    "该场景位于{city}，是粤东西北地区{domain}领域少有的规模化应用案例，对区域协调发展具有示范带动作用。"
    "经评审委员会会议研究，调入入选名单。"
)
EXCLUDE_REASON = (
    "专家评分分歧较大（最高{high}分、最低{low}分）。经评审委员会复核，该场景核心成效数据尚待用户单位出具正式证明，"
    "本批次暂不入选，可在下一批次重新申报。"
)


@dataclass(frozen=True)
class RunFacts:
    """What ``flask demo load`` reports about a results run."""

    call: str
    ranked: int
    selected: int
    included: int  # brought in by the chair
    excluded: int  # taken out by the chair
    vetoes: dict[str, int]  # veto status → entries (none left out)
    incomplete: int  # entries with sheets outstanding
    content_hash: str | None
    published_at: datetime | None
    created: bool  # computed by this load


def run_facts(session: Session, *, run: ResultRun, created: bool) -> RunFacts:
    call = get_call(session, run.call_id)
    decisions = dict(session.exec(
        select(ResultEntry.decision, sa.func.count()).where(ResultEntry.run_id == run.id).group_by(ResultEntry.decision)
    ).all())
    vetoes = dict(session.exec(
        select(ResultEntry.veto_status, sa.func.count())
        .where(ResultEntry.run_id == run.id, ResultEntry.veto_status != "none")
        .group_by(ResultEntry.veto_status)
    ).all())
    incomplete = session.exec(
        select(sa.func.count()).where(ResultEntry.run_id == run.id, ResultEntry.sheets < ResultEntry.assigned)
    ).one()
    return RunFacts(
        call=call.name,
        ranked=sum(decisions.values()),
        selected=run.summary.get("selection", {}).get("selected", 0),
        included=decisions.get(selection.INCLUDED_BY_CHAIR, 0),
        excluded=decisions.get(selection.EXCLUDED_BY_CHAIR, 0),
        vetoes=vetoes,
        incomplete=incomplete,
        content_hash=run.content_hash,
        published_at=run.published_at,
        created=created,
    )


def _has_run(session: Session, call: Call) -> bool:
    return session.exec(select(ResultRun.id).where(ResultRun.call_id == call.id).limit(1)).first() is not None


def _timeline(call: Call) -> dict[str, datetime]:
    """The chair's steps in the results phase (working days; weekends skipped)."""
    window = call.phase_window(Phase.RESULTS)
    first = day_of(window.starts_at)
    latest = window.ends_at - timedelta(hours=1)
    return {
        "computed": min(office_time(first, 0.1), latest),
        "vetoes": min(office_time(first + timedelta(days=1), 0.3), latest),
        "overrides": min(office_time(first + timedelta(days=4), 0.7), latest),
        "published": min(office_time(first + timedelta(days=7), 0.15), latest),
    }


def _decide_vetoes(session: Session, *, call: Call, chair: User, at: datetime, history: History) -> None:
    """The first flagged entry (by title) confirmed, the others dismissed, a quarter of an hour apart."""
    keys: dict[int, tuple[str, str]] = {}  # entry id → (title, first veto key)
    for flag in veto_flags(session, call=call):
        keys.setdefault(flag.entry_id, (flag.title, flag.key))
    for number, (entry_id, (_title, key)) in enumerate(sorted(keys.items(), key=lambda item: item[1])):
        confirmed = number == 0
        history.now = at + timedelta(minutes=15 * number)
        decide_veto(session, entry=session.get(Entry, entry_id), confirmed=confirmed, reason=VETO_REASONS[(key, confirmed)],
                    actor=chair, now=history.now)


def _ranked(session: Session, run: ResultRun) -> list[ResultEntry]:
    return list(session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all())


def entry_to_bring_in(rows: list[ResultEntry]) -> tuple[ResultEntry, str] | None:
    """The best entry from outside the Pearl River Delta that the target left out, and why the chair brings it in."""
    for row in rows:
        if row.decision == selection.TARGET_REACHED and row.veto_status != VETO_CONFIRMED and row.city_code not in PEARL_RIVER_DELTA:
            return row, INCLUDE_REASON.format(city=CITIES[row.city_code][0] + "市", domain=DOMAIN_NAMES[row.domain])
    return None


def entry_to_take_out(rows: list[ResultEntry]) -> tuple[ResultEntry, str] | None:
    """The lowest selected entry the experts disagreed on, and why the chair takes it out."""
    disputed = [row for row in rows if row.decision == selection.SELECTED and row.disagreement_flags]
    if not disputed:
        return None
    row = disputed[-1]
    return row, EXCLUDE_REASON.format(high=f"{row.raw_max:.1f}", low=f"{row.raw_min:.1f}")


def load_past_results(session: Session, *, call: Call, chair: User,
                      experts: dict[int, User]) -> tuple[ResultRun | None, bool]:
    """Take a call whose online review is complete through its defence round
    (:mod:`app.demo.rounds`), then, in its results phase, compute, adjust and
    publish its results through a public notice and issue the certificates of
    its official list; returns (its official list, whether this load made it).
    Nothing is done for a call with a results run already."""
    if _has_run(session, call):
        return latest_published(session, call=call), False
    times = _timeline(call)
    with muted(), History(session) as history:
        load_second_round(session, call=call, chair=chair, experts=experts, history=history)
        history.now = times["computed"]
        run = compute_results(session, call=call, actor=chair, now=times["computed"])
        _decide_vetoes(session, call=call, chair=chair, at=times["vetoes"], history=history)
        run = draft_run(session, call=call)  # each veto decision computed the draft again
        # At the committee meeting: one entry brought in, then (the selection redone) one taken out.
        for minutes, include, pick in ((0, True, entry_to_bring_in), (10, False, entry_to_take_out)):
            choice = pick(_ranked(session, run))
            if choice is not None:
                row, reason = choice
                history.now = times["overrides"] + timedelta(minutes=minutes)
                set_override(session, call=call, entry=session.get(Entry, row.entry_id), include=include, reason=reason,
                             actor=chair, now=history.now)
        # Through a public notice: the proposed list, three objections, then the official list.
        run = publish_with_notice(session, call=call, run=run, chair=chair, published=times["published"],
                                  history=history)
        _curate_library(session, call=call, chair=chair, now=run.published_at + timedelta(days=2))
        issue_certificates(session, call=call, chair=chair, now=run.published_at + timedelta(days=3), history=history)
    return run, True


def _curate_library(session: Session, *, call: Call, chair: User, now: datetime) -> None:
    """What publicity staff do after a publication: a headline, and the top
    scenario of each domain featured on the library's home page."""
    set_headline(session, text=LIBRARY_HEADLINE, actor=chair, now=now)
    best: dict[str, LibraryCase] = {}
    for case in session.exec(select(LibraryCase).where(LibraryCase.call_id == call.id).order_by(LibraryCase.rank)):
        best.setdefault(case.domain, case)
    for case in list(best.values())[:6]:
        set_featured(session, case=case, featured=True, actor=chair, now=now)


def load_draft_results(session: Session, *, call: Call, chair: User, now: datetime) -> tuple[ResultRun | None, bool]:
    """The call's draft results, computed by the chair now unless the call
    has a results run already; returns (its draft, whether this load made it)."""
    if _has_run(session, call):
        return draft_run(session, call=call), False
    return compute_results(session, call=call, actor=chair, now=now), True



def procedure_line(session: Session, *, call: Call) -> str:
    """What ``flask demo load`` says of the way ``call`` ended: its defence
    round, its public notice and objections, its official list and certificates."""
    slots = session.exec(select(DefenceSlot).where(DefenceSlot.call_id == call.id).order_by(DefenceSlot.starts_at)).all()
    notice = session.exec(select(Notice).where(Notice.call_id == call.id).order_by(Notice.id.desc())).first()
    if not slots or notice is None:
        return "Defence round and public notice: none (the call ended before this demo had them)."
    statuses = Counter(session.exec(select(Objection.status).where(Objection.notice_id == notice.id)).all())
    days = len({day_of(slot.starts_at) for slot in slots})
    certificates = session.exec(select(sa.func.count(Certificate.id)).where(Certificate.call_id == call.id,
                                                                           Certificate.revoked_at.is_(None))).one()
    first, last = day_of(notice.starts_at), day_of(notice.ends_at)
    return (f"Defence round: {len(slots)} shortlisted entries defended over {days} days; public notice {first} to {last} "
            f"({notice.period_days} {'working' if notice.working_days else 'calendar'} days), {sum(statuses.values())} "
            f"objections ({statuses.get('upheld', 0)} upheld, {statuses.get('dismissed', 0)} dismissed); "
            f"official list published, {certificates} certificates issued.")
