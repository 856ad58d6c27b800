"""How fast is the pure results pipeline at the scale of a call?

Builds seeded synthetic data: 5,000 entries in the 8 domains from 2,500
organisations, 5 sheets each (25,000 sheets) by 250 experts, 8 criteria with
weights summing to 100, 1 % of the entries vetoed. Then times, on plain data:

1. weighted totals from the criterion scores (numpy),
2. trimmed aggregation (drop one highest and one lowest of the 5 totals),
3. z-score adjustment: ``app.results.aggregation.zscore_adjusted`` when it
   exists, otherwise inline numpy (the output says which),
4. :func:`app.results.bootstrap.bootstrap` with 1,000 resamples, cut 200,
5. :func:`app.results.selection.select` (target 200, per-domain quotas,
   organisation cap 3).

Each figure is the median of N runs. Baseline in the same run: a plain numpy
mean of the 25,000 totals. Target: the whole pipeline within 3 s.

    .venv/bin/python bench/bench_results.py [--entries 5000] [--runs 3] [--seed 0]
"""
import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.enums import Domain
from app.results.bootstrap import EntryTotals, bootstrap, rank_scores
from app.results.selection import RankedEntry, select

try:
    from app.results.aggregation import SheetTotal, zscore_adjusted
except ImportError:
    SheetTotal = zscore_adjusted = None

SHEETS = 5
CRITERIA = 8
EXPERTS = 250
ORGANISATIONS = 2500
TARGET = 200
ORGANISATION_CAP = 3
TARGET_SECONDS = 3.0
DOMAINS = [d.value for d in Domain]
DOMAIN_SHARES = [25, 10, 15, 14, 10, 9, 9, 8]


def build(entries, seed):
    rng = np.random.default_rng(seed)
    weights = rng.integers(5, 20, CRITERIA).astype(float)
    weights = np.round(weights / weights.sum() * 100, 0)
    weights[-1] += 100 - weights.sum()  # exactly 100
    quality = rng.normal(72, 8, entries)
    severity = rng.normal(0, 5, EXPERTS)  # lenient and strict experts
    experts = rng.integers(0, EXPERTS, (entries, SHEETS))
    noise = rng.normal(0, 6, (entries, SHEETS, CRITERIA))
    scores = quality[:, None, None] + severity[experts][:, :, None] + noise
    scores = np.clip(np.round(scores), 0, 100)  # criterion scores on 0..100
    domains = rng.choice(len(DOMAINS), entries, p=np.array(DOMAIN_SHARES) / 100)
    organisations = rng.integers(1, ORGANISATIONS + 1, entries)
    vetoed = rng.random(entries) < 0.01
    return weights, scores, experts, domains, organisations, vetoed


def quotas_for(domains):
    counts = np.bincount(domains, minlength=len(DOMAINS))
    raw = counts / counts.sum() * TARGET
    quotas = np.floor(raw).astype(int)
    quotas[np.argsort(-(raw - quotas), kind="stable")[: TARGET - quotas.sum()]] += 1
    return {DOMAINS[i]: int(q) for i, q in enumerate(quotas)}


def zscore_inline(totals, experts):
    """Mean of per-expert z-scores per entry, rescaled to the call's mean and SD."""
    flat, who = totals.ravel(), experts.ravel()
    n = np.bincount(who, minlength=EXPERTS)
    mean = np.bincount(who, flat, EXPERTS) / np.maximum(n, 1)
    var = np.bincount(who, (flat - mean[who]) ** 2, EXPERTS) / np.maximum(n - 1, 1)
    call_mean, call_sd = flat.mean(), flat.std(ddof=1)
    ok = (n >= 3) & (var > 0)
    mu = np.where(ok, mean, call_mean)
    sd = np.where(ok, np.sqrt(var), call_sd)
    z = (totals - mu[experts]) / sd[experts]
    return call_mean + call_sd * z.mean(axis=1)


def pipeline(data, sheet_objects, quotas):
    weights, scores, experts, domains, organisations, vetoed = data
    times = {}
    t = time.perf_counter()
    totals = scores @ weights / 100.0  # (entries, sheets)
    times["weighted totals"] = time.perf_counter() - t

    t = time.perf_counter()
    trimmed = (totals.sum(axis=1) - totals.max(axis=1) - totals.min(axis=1)) / (SHEETS - 2)
    times["trimmed aggregation"] = time.perf_counter() - t

    t = time.perf_counter()
    if zscore_adjusted is not None:
        result = zscore_adjusted(sheet_objects)
        adjusted = np.array([result.entries[i].score for i in range(len(totals))])
    else:
        adjusted = zscore_inline(totals, experts)
    times["z-score adjustment"] = time.perf_counter() - t

    t = time.perf_counter()
    intervals = bootstrap(
        [EntryTotals(i, tuple(row)) for i, row in enumerate(totals.tolist())],
        cut=TARGET, method="trimmed_mean", resamples=1000, seed=0,
    )
    times["bootstrap (1,000 resamples)"] = time.perf_counter() - t

    t = time.perf_counter()
    ranks = rank_scores(adjusted)[0]
    ranking = [
        RankedEntry(i, DOMAINS[domains[i]], int(organisations[i]), float(adjusted[i]), int(ranks[i]), bool(vetoed[i]))
        for i in range(len(totals))
    ]
    selection = select(ranking, target=TARGET, quotas=quotas, organisation_cap=ORGANISATION_CAP)
    times["selection"] = time.perf_counter() - t
    return times, trimmed, intervals, selection


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = build(args.entries, args.seed)
    weights, scores, experts = data[0], data[1], data[2]
    quotas = quotas_for(data[3])
    sheet_objects = None
    if zscore_adjusted is not None:  # input shape of the domain function, built outside the timing
        totals = scores @ weights / 100.0
        stamp = datetime(2026, 11, 27, tzinfo=UTC)
        keys = [f"c{k}" for k in range(CRITERIA)]
        sheet_objects = [
            SheetTotal(e, int(experts[e, s]), float(totals[e, s]), dict(zip(keys, scores[e, s].tolist())), stamp)
            for e in range(args.entries) for s in range(SHEETS)
        ]

    baseline_runs = []
    for _ in range(max(args.runs, 5)):
        totals = scores @ weights / 100.0
        t = time.perf_counter()
        float(np.mean(totals))
        baseline_runs.append(time.perf_counter() - t)
    baseline = statistics.median(baseline_runs)

    runs = []
    for _ in range(args.runs):
        times, _trimmed, intervals, selection = pipeline(data, sheet_objects, quotas)
        runs.append(times)
    stages = {name: statistics.median(r[name] for r in runs) for name in runs[0]}
    total = sum(stages.values())

    print(f"{args.entries:,} entries x {SHEETS} sheets x {CRITERIA} criteria "
          f"(weights {', '.join(f'{w:g}' for w in weights)}), median of {args.runs} runs")
    print("z-score: " + ("app.results.aggregation.zscore_adjusted" if zscore_adjusted is not None
                         else "inline numpy (app.results.aggregation.zscore_adjusted not available)"))
    print(f"baseline: numpy mean of {scores.shape[0] * SHEETS:,} totals: {baseline * 1e3:.3f} ms")
    for name, seconds in stages.items():
        print(f"  {name:<28} {seconds:8.3f} s")
    print(f"  {'total':<28} {total:8.3f} s  ({total / baseline:,.0f} x the baseline)")
    print(f"target {TARGET_SECONDS:g} s: {'within' if total <= TARGET_SECONDS else 'NOT within'}")
    borderline = sum(r.borderline for r in intervals)
    print(f"borderline entries at cut {TARGET}: {borderline}; selected {len(selection.selected_ids)}"
          f" of target {TARGET}; warnings: {[w.key for w in selection.warnings]}")


if __name__ == "__main__":
    main()
