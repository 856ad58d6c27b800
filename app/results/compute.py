"""Computing a call's results and storing them as its draft.

The figures come from the pure modules beside this one (aggregation,
bootstrap, reliability, selection, experts) on what ``inputs`` loads; the
output is stored in one ``ResultRun`` with one ``ResultEntry`` per ranked
entry, and audited. Services only flush; the caller commits.

A call has at most one draft (the newest unpublished run): computing again
replaces it. A published run is never changed or deleted; later computations
make new drafts beside it.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import lock_call
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, ResultEntry, ResultRun
from app.results import aggregation, bootstrap, calibration, combination, rounds, selection
from app.results.experts import ExpertSheet, expert_statistics
from app.results.inputs import (
    VETO_CONFIRMED,
    VETO_PENDING,
    SubmittedSheet,
    assigned_counts,
    criterion_means,
    entries_in_results,
    inputs_fingerprint,
    overrides_for,
    panel_names,
    submitted_sheets,
    user_names,
    veto_decisions,
    veto_status,
)
from app.results.reliability import reliability_summary
from app.results.settings import Settings, settings_for
from app.review.rounds.services import current_round, included_entry_ids, last_round_no, rounds_of


def draft_run(session: Session, *, call: Call, round_no: int | None = None) -> ResultRun | None:
    """The call's draft: its newest unpublished run (of round ``round_no`` when given)."""
    statement = select(ResultRun).where(ResultRun.call_id == call.id, ResultRun.published_at.is_(None))
    if round_no is not None:
        statement = statement.where(ResultRun.round_no == round_no)
    return session.exec(statement.order_by(ResultRun.id.desc())).first()


def compute_results(
    session: Session,
    *,
    call: Call,
    actor,
    now: datetime,
    resamples: int | None = None,
    seed: int | None = None,
    round_no: int | None = None,
) -> ResultRun:
    """Compute the call's results from its submitted sheets and store them as the draft.

    Deterministic: the same sheets, settings and seed give the same figures.
    The previous draft (if any) is replaced; published runs stay as they are.

    With several review rounds, the run is the one of round ``round_no``
    (default: the current round, :func:`current_round`) from that round's
    sheets of the entries on its shortlist; the last round's run ranks them
    by the combined score and keeps every round's figures, the entries that
    did not reach it following (``app.results.rounds``).
    """
    lock_call(session, call.id)
    round_no = round_no or current_round(session, call=call)
    combining = round_no > 1 and round_no == last_round_no(session, call=call)
    settings = settings_for(session, call=call, resamples=resamples, seed=seed)
    fingerprint = inputs_fingerprint(session, call=call, settings=settings, round_no=round_no)
    entries = entries_in_results(session, call=call)
    if round_no > 1:
        shortlist = included_entry_ids(session, call=call, round_no=round_no)
        all_facts = {row.id: row for row in entries}
        entries = [row for row in entries if row.id in shortlist]
    facts = {row.id: row for row in entries}
    sheets = [sheet for sheet in submitted_sheets(session, call=call, round_no=round_no) if sheet.entry_id in facts]
    if not sheets:
        raise DomainError(_l("No submitted score sheets yet: there is nothing to compute."))
    assigned = assigned_counts(session, call=call, round_no=round_no)
    entry_means = criterion_means(session, call=call, round_no=round_no)

    totals = [
        aggregation.SheetTotal(
            s.entry_id, s.expert_id, float(s.total),
            {} if s.outcome is None else {aggregation.OUTCOME_CRITERION: float(s.outcome)}, s.submitted_at,
            s.panel_id,
        )
        for s in sheets
    ]
    calibrated = aggregation.calibrated(totals)  # for the method, the summary and the method sensitivity
    results = aggregation.aggregate(
        totals,
        method=settings.method,
        min_sheets_per_expert=settings.zscore_min_sheets,
        sd_floor=settings.zscore_sd_floor,
        entry_submitted_at={row.id: row.submitted_at for row in entries if row.submitted_at},
        calibrated_sheets=calibrated,
    )
    round_results = results
    if combining:
        runs = rounds.earlier_runs(session, call=call, round_no=round_no)
        earlier = rounds.earlier_rows(session, runs)
        figures = {number: rounds.own_figures(rows) for number, rows in earlier.items()}
        figures[round_no] = {
            item.result.entry_id: combination.RoundFigures(item.result.score, item.result.raw.n, item.position)
            for item in aggregation.rank(results)
        }
        weights = {r.number: r.weight for r in rounds_of(session, call=call)}
        results = [
            replace(r, score=combination.combined_score(
                {n: f[r.entry_id] for n, f in figures.items() if r.entry_id in f},
                weights=weights, mode=call.round_combination, last=round_no))
            for r in results
        ]
    ranked = aggregation.rank(results)
    domain_of = {row.id: str(row.domain) for row in entries}
    domain_rank = _positions(ranked, lambda entry_id: domain_of[entry_id])
    city_rank = _positions(ranked, lambda entry_id: facts[entry_id].city_code)

    by_entry: dict[int, list[SubmittedSheet]] = defaultdict(list)
    for sheet in sheets:
        by_entry[sheet.entry_id].append(sheet)
    veto_keys = {
        entry_id: sorted({key for s in entry_sheets for key in s.vetoes}) for entry_id, entry_sheets in by_entry.items()
    }
    decisions = veto_decisions(session, by_entry)
    status_of = {entry_id: veto_status(veto_keys[entry_id], decisions.get(entry_id)) for entry_id in by_entry}

    # The selection by the rule alone gives the cut lines for the bootstrap.
    ranking = [
        selection.RankedEntry(
            entry_id=item.result.entry_id,
            domain=domain_of[item.result.entry_id],
            organisation_id=facts[item.result.entry_id].organisation_id,
            score=item.result.score,
            rank=item.position,
            vetoed=status_of[item.result.entry_id] == VETO_CONFIRMED,
        )
        for item in ranked
    ]
    rule_selection = selection.select(
        ranking, target=settings.target, quotas=settings.quotas, organisation_cap=settings.organisation_cap,
        fill_quotas=settings.quota_fill,
    )
    intervals = _rank_intervals(
        totals, settings, calibrated=calibrated, rule_selection=rule_selection, domain_rank=domain_rank, domain_of=domain_of,
        overall_rank={item.result.entry_id: item.position for item in ranked},
        affine=combination.affine(figures, weights=weights, mode=call.round_combination, last=round_no)
        if combining else None,
    )
    final = select_with_overrides(session, call=call, ranking=ranking, settings=settings)
    decision_of = {d.entry_id: d for d in final.decisions}

    # Only drafts: the condition is checked again by the DELETE itself, so a
    # snapshot published meanwhile can never be removed. Its rows go with it
    # (ON DELETE CASCADE); objects of it this session holds are let go.
    drafts = set(
        session.exec(
            select(ResultRun.id).where(ResultRun.call_id == call.id, ResultRun.published_at.is_(None),
                                       ResultRun.round_no == round_no)
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
        round_no=round_no,
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
                "veto_status": status_of[entry_id],
                "selected": decision.selected,
                "decision": decision.reason,
                "chair_reason": decision.chair_reason,
            }
            | ({"shortlisted": True, "withdrawn_reason": None, "round_scores": combination.round_scores(
                {n: f[entry_id] for n, f in figures.items() if entry_id in f})} if combining else {})
        )
    ranked_rows = rows
    if combining:
        previous = {entry_id: row for entry_id, row in earlier.get(round_no - 1, {}).items() if entry_id in all_facts}
        rows = rows + rounds.left_behind_rows(previous, shortlisted_rows=rows, run_id=run.id, figures=figures)
    # Core executemany: the ORM's bulk insert costs more than the computation.
    session.connection().execute(ResultEntry.__table__.insert(), rows)
    run.summary = _summary(
        session, sheets=sheets, rows=ranked_rows, selected=final, domain_means=_domain_means(entry_means, domain_of),
        cuts=_cuts(rule_selection, settings, domain_rank=domain_rank, domain_of=domain_of,
                   overall_rank={item.result.entry_id: item.position for item in ranked}),
    )
    # Entries that reached review but have no submitted sheet cannot be ranked.
    run.summary["counts"]["unranked"] = len(facts) - len(ranked_rows)
    # A new dict, not a change inside it: the queries above may already have flushed the summary.
    run.summary = {
        **run.summary,
        "calibration": calibration_summary(session, calibrated.model),
        "sensitivity": method_sensitivity(totals, round_results, settings, calibrated=calibrated, ranking=ranking,
                                          rule_selection=rule_selection),
        "cut_ties": _cut_ties(ranked, rule_selection, settings, domain_of=domain_of),
    }
    if combining:
        run.summary = {**run.summary, "rounds": rounds.rounds_summary(
            session, call=call, runs=runs, own_summary=run.summary, round_no=round_no, shortlisted=len(ranked_rows)),
            "combination": call.round_combination}
    session.add(run)
    session.flush()
    record(
        session, actor=actor, action="results.computed", obj=call,
        after={"run_id": run.id, "method": settings.method, "entries": len(rows), "sheets": len(sheets),
               "selected": len(final.selected_ids), "inputs": fingerprint}
        | ({"round": round_no} if round_no > 1 else {}),
    )
    return run


def _rank_intervals(sheet_totals, settings: Settings, *, calibrated, rule_selection, domain_rank, domain_of, overall_rank,
                    affine=None):
    """Bootstrap rank intervals against the cut line the rule drew.

    With several rounds, ``affine`` turns this round's resampled score into
    the combined one an entry is ranked by (``combination.affine``).

    With domain quotas the cut is per domain (the domain rank of the last
    entry the rule selected there), so entries are resampled and ranked
    within their domain; without quotas, over the whole call against the
    target. Z-scores and calibrated scores resample each sheet's
    standardised or calibrated value.
    """
    values = aggregation.sheet_values(
        sheet_totals, method=settings.method, min_sheets_per_expert=settings.zscore_min_sheets,
        sd_floor=settings.zscore_sd_floor, calibrated_sheets=calibrated,
    )
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
        # The stored order (our full tie rule) gives the point ranks, which
        # the intervals contain, and breaks equal resampled scores.
        found = bootstrap.bootstrap(
            [bootstrap.EntryTotals(e, totals[e]) for e in entry_ids],
            cut=cuts.get(group, 0),
            method=method,
            resamples=settings.resamples,
            seed=settings.seed,
            order=sorted(entry_ids, key=lambda e: position[e]),
            affine=affine,
        )
        intervals.update({interval.entry_id: interval for interval in found})
    return intervals


def _cut_ties(ranked, rule_selection: selection.Selection, settings: Settings, *, domain_of) -> list[dict]:
    """Ties at the rule's cut lines (per domain with quotas, else the call's)
    with the tie-rule step that decided each, as the run's summary keeps them."""
    group_of = {entry_id: domain if settings.quotas else "" for entry_id, domain in domain_of.items()}
    return [asdict(tie) for tie in selection.cut_ties(ranked, rule_selection.decisions, group_of=group_of)]


def select_with_overrides(session: Session, *, call: Call, ranking, settings: Settings) -> selection.Selection:
    """The selection of ``ranking`` under the settings, with the chair's current overrides applied."""
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
        fill_quotas=settings.quota_fill,
    )


def _summary(session, *, sheets, rows, selected: selection.Selection, domain_means, cuts) -> dict:
    """Call-wide figures: reliability, experts, domain criterion means, selection."""
    ratings = [(s.entry_id, s.expert_id, float(s.total)) for s in sheets]
    by_panel: dict[int | None, list[tuple[int, int, float]]] = defaultdict(list)
    for s in sheets:
        by_panel[s.panel_id].append((s.entry_id, s.expert_id, float(s.total)))
    names_of_panels = panel_names(session, [p for p in by_panel if p is not None])
    panels = [
        {"panel_id": panel_id, "name": names_of_panels.get(panel_id, ""), **reliability_summary(panel_ratings)}
        for panel_id, panel_ratings in sorted(by_panel.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]

    stats = expert_statistics(
        [
            ExpertSheet(s.expert_id, s.entry_id, float(s.total), {}, s.opened_at, s.submitted_at,
                        straight_lined=s.straight_lined)
            for s in sheets
        ]
    )
    names = user_names(session, [x.expert_id for x in stats])

    return {
        "call": reliability_summary(ratings),
        "panels": panels,
        "experts": [{**x.as_dict(), "name": names.get(x.expert_id, "")} for x in stats],
        "criterion_means": domain_means,
        "selection": selection_summary(selected),
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


def selection_summary(selected: selection.Selection) -> dict:
    """The selection as the run's summary keeps it: counts per domain, warnings,
    and why each entry taken by quota fill-up was (the domains that left places)."""
    return {
        "selected": len(selected.selected_ids),
        "domains": [{"domain": c.domain, "selected": c.selected, "quota": c.quota, "filled": c.filled}
                    for c in selected.domain_counts],
        "fills": [
            {"entry_id": f.entry_id, "domain": f.domain,
             "unfilled": [{"domain": s.domain, "quota": s.quota, "selected": s.selected} for s in f.shortfalls]}
            for f in selected.fills
        ],
        "warnings": [
            {
                "key": w.key, "domain": w.domain, "organisation_id": w.organisation_id, "entry_id": w.entry_id,
                "count": w.count, "limit": w.limit,
            }
            for w in selected.warnings
        ],
    }


def _positions(ranked: list[aggregation.RankedEntry], key) -> dict[int, int]:
    """Rank within each group (domain, city) following the overall order."""
    counters: dict[Any, int] = defaultdict(int)
    positions = {}
    for item in ranked:
        group = key(item.result.entry_id)
        counters[group] += 1
        positions[item.result.entry_id] = counters[group]
    return positions


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


def _cuts(rule_selection, settings: Settings, *, domain_rank, domain_of, overall_rank) -> dict[str, int]:
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


SENSITIVITY_METHODS = ("mean", "trimmed_mean", "calibrated")


def calibration_summary(session: Session, model: calibration.Calibration) -> dict:
    """Each panel's calibration model (strength, connectedness, offsets with
    their standard errors) as the run's summary keeps it, whatever the method."""
    names = panel_names(session, [p.panel_id for p in model.panels if p.panel_id is not None])
    return {"panels": [{**p.as_dict(), "name": names.get(p.panel_id, "")} for p in model.panels]}


def method_sensitivity(
    totals, results, settings: Settings, *, calibrated: aggregation.CalibratedResult, ranking, rule_selection
) -> dict:
    """How many entries change rank (and by how many places, in the median),
    and how many change selection (by the rule, before the chair's overrides),
    between mean, trimmed mean and calibrated: what the chair weighs when
    choosing the method. Only the score differs between the methods, so the
    results are ranked again with each method's scores swapped in; the
    method in use keeps the rule's selection already made (``rule_selection``)."""
    own = {r.entry_id: r.score for r in results}
    scores = {"mean": {r.entry_id: r.raw.mean for r in results}, "calibrated": calibrated.entries}
    if settings.method == "trimmed_mean":
        scores["trimmed_mean"] = own
    else:
        by_entry: dict[int, list[float]] = defaultdict(list)
        for sheet in totals:
            by_entry[sheet.entry_id].append(float(sheet.total))
        scores["trimmed_mean"] = {entry_id: aggregation.trimmed_mean(v).value for entry_id, v in by_entry.items()}
    positions = dict(zip(SENSITIVITY_METHODS, aggregation.rank_positions(
        results, scores=[scores[method] for method in SENSITIVITY_METHODS]), strict=True))
    chosen = {}
    for method in SENSITIVITY_METHODS:
        if method == settings.method:
            chosen[method] = set(rule_selection.selected_ids)
            continue
        chosen[method] = set(selection.select(
            [selection.RankedEntry(item.entry_id, item.domain, item.organisation_id, scores[method][item.entry_id],
                                   positions[method][item.entry_id], item.vetoed) for item in ranking],
            target=settings.target, quotas=settings.quotas, organisation_cap=settings.organisation_cap,
        ).selected_ids)
    pairs = []
    for index, first in enumerate(SENSITIVITY_METHODS):
        for second in SENSITIVITY_METHODS[index + 1:]:
            shifts = [abs(position - positions[second][entry_id]) for entry_id, position in positions[first].items()]
            pairs.append({
                "from": first, "to": second,
                "ranks_changed": sum(1 for shift in shifts if shift),
                "median_shift": statistics.median(shifts) if shifts else 0,
                "selection_changed": len(chosen[first] ^ chosen[second]),
            })
    return {"entries": len(ranking), "pairs": pairs}
