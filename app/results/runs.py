"""Results in the database: computing a call's draft, reselecting after the
chair's overrides and veto decisions, publishing a frozen snapshot.

The figures come from the pure modules beside this one (aggregation,
bootstrap, reliability, selection, experts); this module loads their input
in a handful of queries, stores their output in one ``ResultRun`` with one
``ResultEntry`` per ranked entry, and audits. Services only flush; the
caller commits.

A call has at most one draft (the newest unpublished run): computing again
replaces it. A published run is never changed or deleted; later computations
make new drafts beside it.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import lock_call
from app.enums import EntryStatus, SheetStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.library.services import publish_snapshot
from app.models import (
    Assignment,
    Call,
    CallQuota,
    CallRubric,
    Entry,
    Organisation,
    Panel,
    ResultEntry,
    ResultRun,
    RubricVersion,
    Score,
    ScoreSheet,
    SelectionOverride,
    User,
    VetoDecision,
)
from app.results import aggregation, bootstrap, reliability, selection
from app.results.experts import ExpertSheet, expert_statistics
from app.review.rubrics.files import RubricError, check_file, rubrics_folder
from app.review.rubrics.services import DEFAULT_KEY

#: Entries whose results are computed: those that reached expert review.
RESULT_STATUSES = (
    EntryStatus.IN_REVIEW,
    EntryStatus.SCORED,
    EntryStatus.SELECTED,
    EntryStatus.NOT_SELECTED,
    EntryStatus.PUBLISHED,
)

#: ICC is reported on a complete block of at least this many entries.
MIN_BLOCK_ENTRIES = 5
#: How many of the most common sets of experts are tried as ICC blocks.
BLOCK_CANDIDATES = 20

VETO_NONE = "none"
VETO_PENDING = "pending"
VETO_CONFIRMED = "confirmed"
VETO_DISMISSED = "dismissed"

_ACTIVE = Assignment.removed_at.is_(None)


@dataclass(frozen=True)
class Settings:
    """How a call's results are computed (stored with each run)."""

    method: str
    sd_threshold: float | None
    range_threshold: float | None
    organisation_cap: int | None
    resamples: int
    seed: int
    target: int
    quotas: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "sd_threshold": self.sd_threshold,
            "range_threshold": self.range_threshold,
            "organisation_cap": self.organisation_cap,
            "resamples": self.resamples,
            "seed": self.seed,
            "target": self.target,
            "quotas": dict(sorted(self.quotas.items())),
            "trim_min_sheets": aggregation.TRIM_MIN_SHEETS,
            "zscore_min_sheets_per_expert": 3,
            "rank_interval": [bootstrap.LOWER_PERCENTILE, bootstrap.UPPER_PERCENTILE],
        }


def default_method(session: Session, *, call: Call) -> str:
    """The aggregation method of the call's default rubric (frozen if it is;
    else its file, only that one read)."""
    row = session.exec(select(CallRubric).where(CallRubric.call_id == call.id, CallRubric.domain.is_(None))).first()
    if row is not None and row.rubric_version_id is not None:
        return session.get(RubricVersion, row.rubric_version_id).content["aggregation"]
    try:
        content = check_file(rubrics_folder() / f"{row.rubric_key if row else DEFAULT_KEY}.yaml")
    except RubricError:
        return "trimmed_mean"  # the rubric page says what is wrong with the file
    return content["aggregation"]


def settings_for(session: Session, *, call: Call, resamples: int | None = None, seed: int | None = None) -> Settings:
    """The call's results settings; the bootstrap seed defaults to the call id,
    so the same call always resamples the same way."""
    quotas = session.exec(select(CallQuota.domain, CallQuota.quota).where(CallQuota.call_id == call.id)).all()
    return Settings(
        method=call.results_method or default_method(session, call=call),
        sd_threshold=call.disagreement_sd,
        range_threshold=call.disagreement_range,
        organisation_cap=call.organisation_cap,
        resamples=resamples or current_app.config["RESULTS_RESAMPLES"],
        seed=call.id if seed is None else seed,
        target=call.target_count,
        quotas={str(domain): quota for domain, quota in quotas},
    )


def update_settings(
    session: Session,
    *,
    call: Call,
    actor,
    method: str | None,
    sd_threshold: float | None,
    range_threshold: float | None,
    organisation_cap: int | None,
) -> None:
    """Change how results are computed (audited); the draft is recomputed by the caller."""
    if method is not None and method not in aggregation.METHODS:
        raise DomainError(_l("Choose one of the aggregation methods offered."))
    for value in (sd_threshold, range_threshold):
        if value is not None and not (0 < value <= 100):
            raise DomainError(_l("Disagreement thresholds are between 0 and 100 points."))
    if organisation_cap is not None and organisation_cap < 1:
        raise DomainError(_l("The cap per organisation must be at least 1, or left empty."))
    fields = ("results_method", "disagreement_sd", "disagreement_range", "organisation_cap")
    before = {name: getattr(call, name) for name in fields}
    call.results_method = method
    call.disagreement_sd = sd_threshold
    call.disagreement_range = range_threshold
    call.organisation_cap = organisation_cap
    after = {name: getattr(call, name) for name in fields}
    if before != after:
        session.add(call)
        session.flush()
        record(session, actor=actor, action="results.settings_changed", obj=call, before=before, after=after)


# --- what a run reads --------------------------------------------------------


def inputs_fingerprint(session: Session, *, call: Call, settings: Settings | None = None) -> str:
    """A hash of everything a computation reads, so that a draft whose
    fingerprint differs from the current one is known to be out of date.

    It covers every submitted sheet of an active assignment (id, total, last
    change), the active assignments, the entries taking part, the chair's
    veto decisions and the call's results settings (method, thresholds,
    target, quotas, cap). Reopening and resubmitting a sheet, adding or
    removing an expert, a veto decision or a new quota all change it.
    """
    connection = session.connection()
    # The time as the database's text: no parsing of 25,000 date-times.
    sheets = connection.execute(
        _counted(call, select(ScoreSheet.id, ScoreSheet.total, sa.cast(ScoreSheet.updated_at, sa.String)))
        .order_by(ScoreSheet.id)
    ).all()
    assignments = connection.execute(
        select(Assignment.id).where(Assignment.call_id == call.id, _ACTIVE).order_by(Assignment.id)
    ).scalars().all()
    entries = connection.execute(
        select(Entry.id).where(Entry.call_id == call.id, Entry.status.in_(RESULT_STATUSES)).order_by(Entry.id)
    ).scalars().all()
    vetoes = connection.execute(
        select(VetoDecision.entry_id, VetoDecision.confirmed, VetoDecision.decided_at)
        .join(Entry, Entry.id == VetoDecision.entry_id)
        .where(Entry.call_id == call.id)
        .order_by(VetoDecision.entry_id)
    ).all()
    settings = (settings or settings_for(session, call=call)).as_dict()
    del settings["resamples"], settings["seed"]  # chosen per computation, stored with the run
    digest = hashlib.sha256()
    for part in (
        [(i, None if t is None else round(float(t), 4), u) for i, t, u in sheets],
        list(assignments),
        list(entries),
        [(e, c, d.isoformat() if d else None) for e, c, d in vetoes],
        settings,
    ):
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class _Sheet:
    id: int
    entry_id: int
    expert_id: int
    panel_id: int | None
    total: float
    opened_at: datetime
    submitted_at: datetime
    vetoes: tuple[str, ...] = ()  # veto questions answered yes
    outcome: float | None = None  # the "measured outcomes" criterion's score
    straight_lined: bool = False  # every criterion scored, all with the same score


def _counted(call: Call, statement):
    """``statement`` narrowed to the call's submitted sheets of active assignments."""
    return statement.join(Assignment, Assignment.id == ScoreSheet.assignment_id).where(
        Assignment.call_id == call.id, _ACTIVE, ScoreSheet.status == SheetStatus.SUBMITTED
    )


def _sheets(session: Session, call: Call) -> list[_Sheet]:
    """The submitted sheets, with what the results need of their criterion scores.

    Criterion scores are summarised per sheet in the database (the outcome
    criterion's score, whether all scores are equal) instead of loading every
    score: a call has about 200,000 of them.
    """
    connection = session.connection()
    rows = connection.execute(
        _counted(
            call,
            select(
                ScoreSheet.id, ScoreSheet.entry_id, ScoreSheet.expert_id, Assignment.panel_id, ScoreSheet.total,
                ScoreSheet.opened_at, ScoreSheet.submitted_at,
            ),
        )
        .where(ScoreSheet.total.is_not(None))
        .order_by(ScoreSheet.id)
    ).all()
    vetoes = {
        sheet_id: tuple(sorted(key for key, yes in (answers or {}).items() if yes is True))
        for sheet_id, answers in connection.execute(
            # Narrow in the database; the JSON itself is checked here.
            _counted(call, select(ScoreSheet.id, ScoreSheet.vetoes)).where(
                sa.cast(ScoreSheet.vetoes, sa.Text).like("%true%")
            )
        ).all()
    }
    facts = {
        sheet_id: (outcome, scored >= 2 and scored == criteria and distinct == 1)
        for sheet_id, criteria, scored, distinct, outcome in connection.execute(
            _counted(
                call,
                select(
                    Score.sheet_id,
                    sa.func.count(Score.id),
                    sa.func.count(Score.score),
                    sa.func.count(sa.distinct(Score.score)),
                    sa.func.max(sa.case((Score.criterion_key == aggregation.OUTCOME_CRITERION, Score.score))),
                ).join(ScoreSheet, ScoreSheet.id == Score.sheet_id),
            ).group_by(Score.sheet_id)
        ).all()
    }
    return [
        _Sheet(*row, vetoes=vetoes.get(row[0], ()), outcome=facts.get(row[0], (None, False))[0],
               straight_lined=facts.get(row[0], (None, False))[1])
        for row in rows
    ]


def _criterion_means(session: Session, call: Call) -> dict[int, dict[str, tuple[float, int]]]:
    """Per entry, each criterion's mean score and how many scores it averages."""
    means: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    rows = session.connection().execute(
        _counted(
            call,
            select(ScoreSheet.entry_id, Score.criterion_key, sa.func.avg(Score.score), sa.func.count(Score.score))
            .select_from(Score)
            .join(ScoreSheet, ScoreSheet.id == Score.sheet_id),
        )
        .where(Score.score.is_not(None))
        .group_by(ScoreSheet.entry_id, Score.criterion_key)
    ).all()
    for entry_id, criterion, mean, count in rows:
        means[entry_id][criterion] = (float(mean), count)
    return means


def _domain_means(entry_means, domain_of: dict[int, str]) -> dict[str, dict[str, float]]:
    """Each domain's mean score per criterion, over all its scores."""
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    for entry_id, criteria in entry_means.items():
        if entry_id not in domain_of:
            continue
        for criterion, (mean, count) in criteria.items():
            total = sums[domain_of[entry_id]][criterion]
            total[0] += mean * count
            total[1] += count
    return {
        domain: {criterion: round(total / count, 4) for criterion, (total, count) in sorted(criteria.items())}
        for domain, criteria in sorted(sums.items())
    }


def _entries(session: Session, call: Call):
    return session.exec(
        select(
            Entry.id,
            Entry.title,
            Entry.organisation_id,
            Organisation.name,
            Entry.domain,
            Entry.city_code,
            Entry.submitted_at,
        )
        .join(Organisation, Organisation.id == Entry.organisation_id)
        .where(Entry.call_id == call.id, Entry.status.in_(RESULT_STATUSES))
        .order_by(Entry.id)
    ).all()


def _assigned(session: Session, call: Call) -> dict[int, int]:
    return dict(
        session.exec(
            select(Assignment.entry_id, sa.func.count(Assignment.id))
            .where(Assignment.call_id == call.id, _ACTIVE)
            .group_by(Assignment.entry_id)
        ).all()
    )


def _veto_decisions(session: Session, entry_ids) -> dict[int, bool]:
    if not entry_ids:
        return {}
    rows = session.exec(
        select(VetoDecision.entry_id, VetoDecision.confirmed).where(VetoDecision.entry_id.in_(list(entry_ids)))
    ).all()
    return dict(rows)


def overrides_for(session: Session, *, call: Call) -> list[SelectionOverride]:
    return list(
        session.exec(
            select(SelectionOverride).where(SelectionOverride.call_id == call.id).order_by(SelectionOverride.id)
        ).all()
    )


# --- computing ---------------------------------------------------------------


def _veto_status(keys: list[str], decision: bool | None) -> str:
    if not keys:
        return VETO_NONE
    if decision is None:
        return VETO_PENDING
    return VETO_CONFIRMED if decision else VETO_DISMISSED


def _positions(ranked: list[aggregation.RankedEntry], key) -> dict[int, int]:
    """Rank within each group (domain, city) following the overall order."""
    counters: dict[Any, int] = defaultdict(int)
    positions = {}
    for item in ranked:
        group = key(item.result.entry_id)
        counters[group] += 1
        positions[item.result.entry_id] = counters[group]
    return positions


def reliability_summary(ratings: list[tuple[int, int, float]]) -> dict[str, Any]:
    """Alpha over all ratings and ICC on the largest complete block, as JSON.

    ``ratings``: (entry id, expert id, total). A complete block is a set of
    experts and every entry all of them scored; ICC needs every expert to
    score every entry. Blocks are tried for the most common sets of experts
    (at most ``BLOCK_CANDIDATES``); the one with most entries, then most
    experts, gives the ICCs — none below ``MIN_BLOCK_ENTRIES`` entries, where
    the coefficient means little. Krippendorff's alpha uses every rating,
    missing ones allowed.
    """
    experts = sorted({expert for _, expert, _ in ratings})
    entries = sorted({entry for entry, _, _ in ratings})
    alpha = None
    if ratings:
        column = {entry: i for i, entry in enumerate(entries)}
        row = {expert: i for i, expert in enumerate(experts)}
        matrix = np.full((len(experts), len(entries)), np.nan)
        matrix[[row[x] for _, x, _ in ratings], [column[e] for e, _, _ in ratings]] = [t for _, _, t in ratings]
        alpha = reliability.krippendorff_alpha_interval(matrix)
    raters_of: dict[int, dict[int, float]] = defaultdict(dict)
    for entry, expert, total in ratings:
        raters_of[entry][expert] = total

    # Candidate blocks: the most common exact sets of experts; each block then
    # takes every entry those experts all scored (others may have scored it too).
    common = Counter(tuple(sorted(scored)) for scored in raters_of.values() if len(scored) >= 2)
    best = None
    for experts_of_block, _count in sorted(common.items(), key=lambda item: (-item[1], item[0]))[:BLOCK_CANDIDATES]:
        members = set(experts_of_block)
        block_entries = sorted(entry for entry, scored in raters_of.items() if members <= scored.keys())
        key = (len(block_entries), len(experts_of_block))
        if best is None or key > best[0]:
            best = (key, experts_of_block, block_entries)
    best = (best[1], best[2]) if best is not None and len(best[2]) >= MIN_BLOCK_ENTRIES else None
    icc = None
    if best is not None:
        block_experts, block_entries = best
        result = reliability.icc([[raters_of[e][x] for x in block_experts] for e in block_entries])
        if result is not None:
            icc = {
                "entries": result.n,
                "experts": result.k,
                "icc2_1": result.icc2_1,
                "icc2_k": result.icc2_k,
                "icc3_1": result.icc3_1,
                "icc3_k": result.icc3_k,
                "band2_1": reliability.interpret_icc(result.icc2_1),
                "band3_1": reliability.interpret_icc(result.icc3_1),
                "band2_k": reliability.interpret_icc(result.icc2_k),
                "band3_k": reliability.interpret_icc(result.icc3_k),
            }
    return {
        "entries": len(entries),
        "experts": len(experts),
        "ratings": len(ratings),
        "alpha": alpha,
        "alpha_band": reliability.interpret_alpha(alpha),
        "icc": icc,
    }


def _cuts(rule_selection, settings: "Settings", *, domain_rank, domain_of, overall_rank) -> dict[str, int]:
    """Where the rule's selection stops: per domain (domain rank) with quotas,
    else over the call (overall rank, key ""). Vetoes, caps and the chair's
    exclusions push it down, so it is read from the selection, not the target."""
    if settings.quotas:
        return _domain_cuts(rule_selection, domain_rank, domain_of)
    chosen = [overall_rank[d.entry_id] for d in rule_selection.decisions if d.selected]
    return {"": max(chosen, default=0)}


def _domain_cuts(selected: selection.Selection, domain_rank: dict[int, int], domain_of: dict[int, str]) -> dict[str, int]:
    """Per domain, the domain rank of the last entry the rule selected: the cut line."""
    cuts: dict[str, int] = {}
    for decision in selected.decisions:
        if decision.selected:
            domain = domain_of[decision.entry_id]
            cuts[domain] = max(cuts.get(domain, 0), domain_rank[decision.entry_id])
    return cuts


def compute_results(
    session: Session,
    *,
    call: Call,
    actor,
    now: datetime,
    resamples: int | None = None,
    seed: int | None = None,
) -> ResultRun:
    """Compute the call's results from its submitted sheets and store them as the draft.

    Deterministic: the same sheets, settings and seed give the same figures.
    The previous draft (if any) is replaced; published runs stay as they are.
    """
    lock_call(session, call.id)
    settings = settings_for(session, call=call, resamples=resamples, seed=seed)
    fingerprint = inputs_fingerprint(session, call=call, settings=settings)
    entries = _entries(session, call)
    facts = {row.id: row for row in entries}
    sheets = [sheet for sheet in _sheets(session, call) if sheet.entry_id in facts]
    if not sheets:
        raise DomainError(_l("No submitted score sheets yet: there is nothing to compute."))
    assigned = _assigned(session, call)
    entry_means = _criterion_means(session, call)

    totals = [
        aggregation.SheetTotal(
            s.entry_id, s.expert_id, float(s.total),
            {} if s.outcome is None else {aggregation.OUTCOME_CRITERION: float(s.outcome)}, s.submitted_at,
        )
        for s in sheets
    ]
    results = aggregation.aggregate(
        totals,
        method=settings.method,
        entry_submitted_at={row.id: row.submitted_at for row in entries if row.submitted_at},
    )
    ranked = aggregation.rank(results)
    domain_of = {row.id: str(row.domain) for row in entries}
    domain_rank = _positions(ranked, lambda entry_id: domain_of[entry_id])
    city_rank = _positions(ranked, lambda entry_id: facts[entry_id].city_code)

    by_entry: dict[int, list[_Sheet]] = defaultdict(list)
    for sheet in sheets:
        by_entry[sheet.entry_id].append(sheet)
    veto_keys = {
        entry_id: sorted({key for s in entry_sheets for key in s.vetoes}) for entry_id, entry_sheets in by_entry.items()
    }
    decisions = _veto_decisions(session, by_entry)
    veto_status = {entry_id: _veto_status(veto_keys[entry_id], decisions.get(entry_id)) for entry_id in by_entry}

    # The selection by the rule alone gives the cut lines for the bootstrap.
    ranking = [
        selection.RankedEntry(
            entry_id=item.result.entry_id,
            domain=domain_of[item.result.entry_id],
            organisation_id=facts[item.result.entry_id].organisation_id,
            score=item.result.score,
            rank=item.position,
            vetoed=veto_status[item.result.entry_id] == VETO_CONFIRMED,
        )
        for item in ranked
    ]
    rule_selection = selection.select(
        ranking, target=settings.target, quotas=settings.quotas, organisation_cap=settings.organisation_cap
    )
    intervals = _rank_intervals(
        sheets, results, settings, rule_selection=rule_selection, domain_rank=domain_rank, domain_of=domain_of,
        overall_rank={item.result.entry_id: item.position for item in ranked},
    )
    final = _select(session, call=call, ranking=ranking, settings=settings)
    decision_of = {d.entry_id: d for d in final.decisions}

    # Only drafts: the condition is checked again by the DELETE itself, so a
    # snapshot published meanwhile can never be removed. Its rows go with it
    # (ON DELETE CASCADE); objects of it this session holds are let go.
    drafts = set(
        session.exec(
            select(ResultRun.id).where(ResultRun.call_id == call.id, ResultRun.published_at.is_(None))
        ).all()
    )
    session.execute(
        sa.delete(ResultRun).where(ResultRun.id.in_(drafts), ResultRun.published_at.is_(None)),
        execution_options={"synchronize_session": False},
    )
    for stale in [o for o in session.identity_map.values()
                  if (isinstance(o, ResultRun) and o.id in drafts) or (isinstance(o, ResultEntry) and o.run_id in drafts)]:
        session.expunge(stale)
    run = ResultRun(
        call_id=call.id,
        computed_at=now,
        computed_by_id=actor.id if getattr(actor, "is_authenticated", False) else None,
        method=settings.method,
        parameters={**settings.as_dict(), "call": {"id": call.id, "name": call.name, "year": call.year}},
        summary={},
        inputs_hash=fingerprint,
    )
    session.add(run)
    session.flush()

    result_of = {r.entry_id: r for r in results}
    rows = []
    for item in ranked:
        entry_id = item.result.entry_id
        result, fact = result_of[entry_id], facts[entry_id]
        interval = intervals[entry_id]
        decision = decision_of[entry_id]
        rows.append(
            {
                "run_id": run.id,
                "entry_id": entry_id,
                "title": fact.title,
                "organisation_id": fact.organisation_id,
                "organisation_name": fact.name,
                "domain": fact.domain,
                "city_code": fact.city_code or "",
                "entry_submitted_at": fact.submitted_at,
                "score": round(result.score, 4),
                "sheets": result.raw.n,
                "assigned": assigned.get(entry_id, 0),
                "raw_mean": round(result.raw.mean, 4),
                "raw_median": round(result.raw.median, 4),
                "raw_min": result.raw.min,
                "raw_max": result.raw.max,
                "raw_sd": None if result.raw.sd is None else round(result.raw.sd, 4),
                "raw_range": round(result.raw.range, 4),
                "outcome_mean": None if result.outcome_mean is None else round(result.outcome_mean, 4),
                "criterion_means": {
                    criterion: round(mean, 4) for criterion, (mean, _count) in sorted(entry_means.get(entry_id, {}).items())
                },
                "notes": list(result.notes),
                "guarded_experts": list(result.guarded_experts),
                "rank": item.position,
                "domain_rank": domain_rank[entry_id],
                "city_rank": city_rank[entry_id],
                "rank_lo": interval.lo,
                "rank_hi": interval.hi,
                "borderline": interval.borderline,
                "disagreement_flags": list(
                    aggregation.flag_disagreement(
                        result.raw, sd_threshold=settings.sd_threshold, range_threshold=settings.range_threshold
                    )
                ),
                "veto_keys": veto_keys[entry_id],
                "veto_status": veto_status[entry_id],
                "selected": decision.selected,
                "decision": decision.reason,
                "chair_reason": decision.chair_reason,
            }
        )
    # Core executemany: the ORM's bulk insert costs more than the computation.
    session.connection().execute(ResultEntry.__table__.insert(), rows)
    run.summary = _summary(
        session, sheets=sheets, rows=rows, selected=final, domain_means=_domain_means(entry_means, domain_of),
        cuts=_cuts(rule_selection, settings, domain_rank=domain_rank, domain_of=domain_of,
                   overall_rank={item.result.entry_id: item.position for item in ranked}),
    )
    # Entries that reached review but have no submitted sheet cannot be ranked.
    run.summary["counts"]["unranked"] = len(facts) - len(rows)
    session.add(run)
    session.flush()
    record(
        session, actor=actor, action="results.computed", obj=call,
        after={"run_id": run.id, "method": settings.method, "entries": len(rows), "sheets": len(sheets),
               "selected": len(final.selected_ids), "inputs": fingerprint},
    )
    return run


def _rank_intervals(sheets, results, settings: Settings, *, rule_selection, domain_rank, domain_of, overall_rank):
    """Bootstrap rank intervals against the cut line the rule drew.

    With domain quotas the cut is per domain (the domain rank of the last
    entry the rule selected there), so entries are resampled and ranked
    within their domain; without quotas, over the whole call against the
    target. Z-scores resample each sheet's standardised value.
    """
    if settings.method == "zscore":
        z = aggregation.zscore_adjusted(
            [aggregation.SheetTotal(s.entry_id, s.expert_id, float(s.total), {}, s.submitted_at) for s in sheets]
        )
        values = {(s.entry_id, s.expert_id): z.sheet_scores[(s.entry_id, s.expert_id)] for s in sheets}
        method = bootstrap.MEAN
    else:
        values = {(s.entry_id, s.expert_id): float(s.total) for s in sheets}
        method = bootstrap.TRIMMED_MEAN if settings.method == "trimmed_mean" else bootstrap.MEAN
    totals: dict[int, list[float]] = defaultdict(list)
    for (entry_id, _expert), value in sorted(values.items()):
        totals[entry_id].append(value)

    cuts = _cuts(rule_selection, settings, domain_rank=domain_rank, domain_of=domain_of, overall_rank=overall_rank)
    if settings.quotas:
        groups: dict[str, list[int]] = defaultdict(list)
        for entry_id in totals:
            groups[domain_of[entry_id]].append(entry_id)
        position = domain_rank
    else:
        groups = {"": list(totals)}
        position = overall_rank
    intervals = {}
    for group, entry_ids in sorted(groups.items()):
        # Bootstrap ranks by score then entry id; rank the point estimates by
        # our full tie rule instead, by feeding the stored order as ids.
        order = sorted(entry_ids, key=lambda e: position[e])
        stand_in = {entry_id: i for i, entry_id in enumerate(order)}
        found = bootstrap.bootstrap(
            [bootstrap.EntryTotals(stand_in[e], totals[e]) for e in order],
            cut=cuts.get(group, 0),
            method=method,
            resamples=settings.resamples,
            seed=settings.seed,
        )
        for interval in found:
            entry_id = order[interval.entry_id]
            intervals[entry_id] = interval
    return intervals


def _select(session: Session, *, call: Call, ranking, settings: Settings) -> selection.Selection:
    known = {item.entry_id for item in ranking}
    overrides = [
        selection.ChairOverride(o.entry_id, o.include, o.reason)
        for o in overrides_for(session, call=call)
        if o.entry_id in known
    ]
    return selection.select(
        ranking,
        target=settings.target,
        quotas=settings.quotas,
        organisation_cap=settings.organisation_cap,
        overrides=overrides,
    )


def _summary(session, *, sheets, rows, selected: selection.Selection, domain_means, cuts) -> dict:
    """Call-wide figures: reliability, experts, domain criterion means, selection."""
    ratings = [(s.entry_id, s.expert_id, float(s.total)) for s in sheets]
    by_panel: dict[int | None, list[tuple[int, int, float]]] = defaultdict(list)
    for s in sheets:
        by_panel[s.panel_id].append((s.entry_id, s.expert_id, float(s.total)))
    panel_names = dict(
        session.exec(select(Panel.id, Panel.name).where(Panel.id.in_([p for p in by_panel if p is not None]))).all()
    )
    panels = [
        {"panel_id": panel_id, "name": panel_names.get(panel_id, ""), **reliability_summary(panel_ratings)}
        for panel_id, panel_ratings in sorted(by_panel.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]

    stats = expert_statistics(
        [
            ExpertSheet(s.expert_id, s.entry_id, float(s.total), {}, s.opened_at, s.submitted_at,
                        straight_lined=s.straight_lined)
            for s in sheets
        ]
    )
    names = dict(session.exec(select(User.id, User.name).where(User.id.in_([x.expert_id for x in stats]))).all())

    return {
        "call": reliability_summary(ratings),
        "panels": panels,
        "experts": [{**x.as_dict(), "name": names.get(x.expert_id, "")} for x in stats],
        "criterion_means": domain_means,
        "selection": _selection_summary(selected),
        "cuts": cuts,
        "counts": {
            "entries": len(rows),
            "sheets": len(sheets),
            "experts": len(stats),
            "disputed": sum(1 for r in rows if r["disagreement_flags"]),
            "borderline": sum(1 for r in rows if r["borderline"]),
            "incomplete": sum(1 for r in rows if r["sheets"] < r["assigned"]),
            "vetoes_pending": sum(1 for r in rows if r["veto_status"] == VETO_PENDING),
        },
    }


def _selection_summary(selected: selection.Selection) -> dict:
    return {
        "selected": len(selected.selected_ids),
        "domains": [{"domain": c.domain, "selected": c.selected, "quota": c.quota} for c in selected.domain_counts],
        "warnings": [
            {
                "key": w.key, "domain": w.domain, "organisation_id": w.organisation_id, "entry_id": w.entry_id,
                "count": w.count, "limit": w.limit,
            }
            for w in selected.warnings
        ],
    }


# --- the draft: reselection after overrides and veto decisions --------------


def draft_run(session: Session, *, call: Call) -> ResultRun | None:
    """The call's draft: its newest unpublished run."""
    return session.exec(
        select(ResultRun)
        .where(ResultRun.call_id == call.id, ResultRun.published_at.is_(None))
        .order_by(ResultRun.id.desc())
    ).first()


def published_runs(session: Session, *, call: Call) -> list[ResultRun]:
    """The call's published snapshots, newest first."""
    return list(
        session.exec(
            select(ResultRun)
            .where(ResultRun.call_id == call.id, ResultRun.published_at.is_not(None))
            .order_by(ResultRun.published_at.desc(), ResultRun.id.desc())
        ).all()
    )


def latest_published(session: Session, *, call: Call) -> ResultRun | None:
    runs = published_runs(session, call=call)
    return runs[0] if runs else None


def _check_draft(run: ResultRun) -> None:
    if run.published:
        raise DomainError(_l("This snapshot is published: it can no longer change. Compute a new draft instead."))


def reselect(session: Session, *, run: ResultRun) -> selection.Selection:
    """Apply the call's current overrides and veto decisions to the draft's selection."""
    lock_call(session, run.call_id)
    session.refresh(run)
    _check_draft(run)
    call = session.get(Call, run.call_id)
    rows = list(session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all())
    decisions = _veto_decisions(session, [row.entry_id for row in rows])
    for row in rows:
        row.veto_status = _veto_status(row.veto_keys, decisions.get(row.entry_id))
    parameters = run.parameters
    settings = Settings(
        method=run.method,
        sd_threshold=parameters["sd_threshold"],
        range_threshold=parameters["range_threshold"],
        organisation_cap=parameters["organisation_cap"],
        resamples=parameters["resamples"],
        seed=parameters["seed"],
        target=parameters["target"],
        quotas=parameters["quotas"],
    )
    ranking = [
        selection.RankedEntry(row.entry_id, str(row.domain), row.organisation_id, row.score, row.rank,
                              vetoed=row.veto_status == VETO_CONFIRMED)
        for row in rows
    ]
    chosen = _select(session, call=call, ranking=ranking, settings=settings)
    by_entry = {d.entry_id: d for d in chosen.decisions}
    for row in rows:
        decision = by_entry[row.entry_id]
        row.selected, row.decision, row.chair_reason = decision.selected, decision.reason, decision.chair_reason
        session.add(row)
    summary = dict(run.summary)
    summary["selection"] = _selection_summary(chosen)
    summary["counts"] = {**summary.get("counts", {}),
                         "vetoes_pending": sum(1 for r in rows if r.veto_status == VETO_PENDING)}
    run.summary = summary
    session.add(run)
    session.flush()
    return chosen


def set_override(session: Session, *, call: Call, entry: Entry, include: bool, reason: str, actor, now: datetime) -> None:
    """Force an entry into the selection or out of it, with a reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason for the change: it is recorded with the selection."))
    if entry.call_id != call.id:
        raise DomainError(_l("This entry does not belong to this call."))
    lock_call(session, call.id)
    run = draft_run(session, call=call)
    if run is None or session.exec(
        select(ResultEntry.id).where(ResultEntry.run_id == run.id, ResultEntry.entry_id == entry.id)
    ).first() is None:
        raise DomainError(_l("Only entries in the current draft ranking can be selected or excluded."))
    override = session.exec(
        select(SelectionOverride).where(SelectionOverride.call_id == call.id, SelectionOverride.entry_id == entry.id)
    ).first()
    before = {"include": override.include, "reason": override.reason} if override else None
    if override is None:
        override = SelectionOverride(call_id=call.id, entry_id=entry.id, include=include, reason=reason)
    override.include, override.reason = include, reason
    override.created_by_id, override.created_at = actor.id, now
    session.add(override)
    session.flush()
    record(session, actor=actor, action="selection.override_set", obj=entry, before=before,
           after={"include": include}, reason=reason)
    reselect(session, run=run)


def remove_override(session: Session, *, override: SelectionOverride, actor, reason: str = "") -> None:
    """Let the rule decide the entry again (audited)."""
    lock_call(session, override.call_id)
    entry = session.get(Entry, override.entry_id)
    call = session.get(Call, override.call_id)
    record(session, actor=actor, action="selection.override_removed", obj=entry,
           before={"include": override.include, "reason": override.reason}, reason=(reason or "").strip() or None)
    session.delete(override)
    session.flush()
    run = draft_run(session, call=call)
    if run is not None:
        reselect(session, run=run)


def decide_veto(session: Session, *, entry: Entry, confirmed: bool, reason: str, actor, now: datetime) -> None:
    """Confirm an entry's veto flags (it is excluded from selection) or dismiss
    them; the draft, if any, is computed again with the decision."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason for the veto decision: it is recorded."))
    flagged = session.exec(
        select(ScoreSheet.vetoes)
        .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
        .where(ScoreSheet.entry_id == entry.id, _ACTIVE, ScoreSheet.status == SheetStatus.SUBMITTED)
    ).all()
    if not any(answer is True for vetoes in flagged for answer in (vetoes or {}).values()):
        raise DomainError(_l("No expert raised a veto on this entry."))
    decision = session.exec(select(VetoDecision).where(VetoDecision.entry_id == entry.id)).first()
    before = {"confirmed": decision.confirmed, "reason": decision.reason} if decision else None
    if decision is None:
        decision = VetoDecision(entry_id=entry.id, confirmed=confirmed, reason=reason)
    decision.confirmed, decision.reason = confirmed, reason
    decision.decided_by_id, decision.decided_at = actor.id, now
    session.add(decision)
    session.flush()
    record(session, actor=actor, action="veto.confirmed" if confirmed else "veto.dismissed", obj=entry,
           before=before, after={"confirmed": confirmed}, reason=reason)
    # A confirmed veto moves the cut line, hence the rank intervals: the draft
    # is computed again rather than only reselected.
    if draft_run(session, call=entry.call) is not None:
        compute_results(session, call=entry.call, actor=actor, now=now)


# --- publishing ----------------------------------------------------------------


def snapshot_document(session: Session, run: ResultRun) -> dict[str, Any]:
    """The run as one canonical document: what the content hash covers."""
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()
    columns = [c.name for c in ResultEntry.__table__.columns if c.name not in ("id", "run_id")]
    return {
        "run": run.id,
        "call_id": run.call_id,
        "method": run.method,
        "parameters": run.parameters,  # with the call's name and year as computed
        "summary": run.summary,
        "computed_at": _plain(run.computed_at),
        "published_at": _plain(run.published_at),
        "published_by_id": run.published_by_id,
        "public_scores": run.public_scores,
        "entries": [{name: _plain(getattr(row, name)) for name in columns} for row in rows],
    }


def _plain(value):
    if isinstance(value, datetime):
        # In UTC: the same instant reads back from the database as UTC.
        return value.astimezone(timezone.utc).isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def content_hash(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def verify(session: Session, run: ResultRun) -> bool:
    """True when a published snapshot still hashes to its recorded content hash."""
    return run.content_hash is not None and content_hash(snapshot_document(session, run)) == run.content_hash


@dataclass(frozen=True)
class PublishBlocker:
    key: str
    count: int = 0


def publish_blockers(session: Session, *, run: ResultRun) -> list[PublishBlocker]:
    """What stops the draft from being published (empty: it can be)."""
    call = session.get(Call, run.call_id)
    blockers = []
    if run.published:
        return [PublishBlocker("published")]
    if run.inputs_hash != inputs_fingerprint(session, call=call):
        blockers.append(PublishBlocker("stale"))
    counts = {
        "incomplete": ResultEntry.sheets < ResultEntry.assigned,
        "vetoes_pending": ResultEntry.veto_status == VETO_PENDING,
    }
    for key, condition in counts.items():
        count = session.exec(select(sa.func.count(ResultEntry.id)).where(ResultEntry.run_id == run.id, condition)).one()
        if count:
            blockers.append(PublishBlocker(key, count))
    unranked = run.summary.get("counts", {}).get("unranked", 0)
    if unranked:
        blockers.append(PublishBlocker("unranked", unranked))
    return blockers


def blocker_message(blocker: PublishBlocker):
    """What the chair reads about a blocker."""
    if blocker.key == "published":
        return _l("This snapshot is already published.")
    if blocker.key == "stale":
        return _l("Score sheets or assignments changed since this draft was computed: compute it again first.")
    if blocker.key == "incomplete":
        return _l(
            "%(count)s entries still have score sheets outstanding: wait for them, or remove those assignments.",
            count=blocker.count,
        )
    if blocker.key == "unranked":
        return _l(
            "%(count)s entries in review have no submitted score sheet: they would be missing from the ranking.",
            count=blocker.count,
        )
    return _l("%(count)s entries have veto flags awaiting your decision.", count=blocker.count)


def publish(session: Session, *, run: ResultRun, actor, now: datetime, public_scores: bool) -> ResultRun:
    """Freeze the draft as a published snapshot, with its content hash.

    Entries move to "selected" or "not selected", and the selected ones go
    into the public case library (``app.library.services.publish_snapshot``).
    Refused while anything in :func:`publish_blockers` holds.
    """
    lock_call(session, run.call_id)
    session.refresh(run)
    blockers = publish_blockers(session, run=run)
    if blockers:
        raise DomainError(blocker_message(blockers[0]))
    run.public_scores = public_scores
    run.published_at = now
    run.published_by_id = actor.id if getattr(actor, "is_authenticated", False) else None
    run.content_hash = content_hash(snapshot_document(session, run))
    session.add(run)
    session.flush()
    _move_entries(session, run=run, actor=actor, now=now)
    publish_snapshot(session, run=run, now=now)
    record(session, actor=actor, action="results.published", obj=session.get(Call, run.call_id),
           after={"run_id": run.id, "content_hash": run.content_hash, "public_scores": public_scores,
                  "selected": run.summary.get("selection", {}).get("selected")})
    return run


def _move_entries(session: Session, *, run: ResultRun, actor, now: datetime) -> None:
    from app.entries.states import record_selection  # noqa: PLC0415  (states imports results lazily too)

    rows = session.exec(select(ResultEntry.entry_id, ResultEntry.selected).where(ResultEntry.run_id == run.id)).all()
    record_selection(session, selected={entry_id: chosen for entry_id, chosen in rows}, actor=actor, now=now)
