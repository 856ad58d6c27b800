"""How fast is the automatic expert assignment at the scale of a call?

Builds, in memory, a call of 5,000 entries in the 8 domains (unevenly, as
real calls are) from 2,500 organisations with partners (often one of 40
universities and institutes), and 300 experts in 8 panels sized to their
domain's entries (some experts sit on two panels). Most experts work at a
university, some at an applicant organisation; a third have a former
employer, left in the last few years or longer ago; 15 % have a cap. So
conflicts of interest are frequent, as they are in a real province.

Times the pure :func:`app.review.assignment.solver.assign` (5 experts per entry,
median of N runs) against a baseline measured in the same run: a
round-robin over each domain's panel that ignores conflicts, caps and tags.
Prints seconds, the ratio, the load spread per panel, and the infeasible
entries (target: ≤ 2 s).

    .venv/bin/python bench/bench_assignment.py [--entries 5000] [--experts 300] [--runs 5] [--seed 0]
"""
import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.enums import Domain, Technology  # noqa: E402
from app.review.assignment.solver import EntryFacts, ExpertFacts, PanelFacts, assign  # noqa: E402

YEAR = 2026
FORMER_EMPLOYER_YEARS = 3  # as app.review.conflicts
DOMAIN_SHARES = {
    Domain.MANUFACTURING: 25, Domain.GOVERNMENT: 10, Domain.CITY: 15, Domain.HEALTHCARE: 14,
    Domain.EDUCATION: 10, Domain.FINANCE: 9, Domain.SECURITY: 9, Domain.UNMANNED: 8,
}
TAGS = [technology.value for technology in Technology]


def build(entries: int, experts: int, rng: random.Random):
    organisations = [f"91440300{n:09d}X" for n in range(2500)]
    universities = [f"12440000{n:09d}U" for n in range(40)]
    domains = [domain.value for domain in DOMAIN_SHARES]
    weights = list(DOMAIN_SHARES.values())

    entry_facts = []
    for n in range(entries):
        keys = {rng.choice(organisations)}
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            keys.add(rng.choice(universities) if rng.random() < 0.7 else rng.choice(organisations))
        entry_facts.append(
            EntryFacts(n + 1, rng.choices(domains, weights)[0], frozenset(keys), frozenset(rng.sample(TAGS, rng.randint(1, 3))))
        )

    expert_facts = []
    for n in range(experts):
        roll = rng.random()
        keys = set()
        if roll < 0.6:
            keys.add(rng.choice(universities))
        elif roll < 0.85:
            keys.add(rng.choice(organisations))
        if rng.random() < 0.33:  # a former employer, left `ago` years ago
            ago = rng.randint(0, 8)
            if ago <= FORMER_EMPLOYER_YEARS:
                keys.add(rng.choice(organisations + universities))
        cap = rng.randint(40, 80) if rng.random() < 0.15 else None
        expert_facts.append(ExpertFacts(1000 + n, frozenset(keys), frozenset(rng.sample(TAGS, rng.randint(1, 4))), cap))

    # Panels sized to their domain's share of the entries; 10 % of experts also
    # sit on a second panel.
    ids = [expert.id for expert in expert_facts]
    rng.shuffle(ids)
    panels, start = [], 0
    for index, (domain, share) in enumerate(DOMAIN_SHARES.items()):
        size = round(experts * share / 100) if index < len(DOMAIN_SHARES) - 1 else experts - start
        panels.append([domain.value, ids[start:start + size]])
        start += size
    for expert_id in rng.sample(ids, experts // 10):
        panel = rng.choice(panels)
        if expert_id not in panel[1]:
            panel[1].append(expert_id)
    panel_facts = [PanelFacts(n + 1, frozenset({domain}), tuple(members)) for n, (domain, members) in enumerate(panels)]
    return entry_facts, expert_facts, panel_facts


def round_robin(entries, panels, per_entry):
    """The baseline: each domain's panel members in turn, nothing checked."""
    members = {domain: panel.member_ids for panel in panels for domain in panel.domains}
    turn = Counter()
    pairs = []
    for entry in entries:
        ring = members[entry.domain]
        for _ in range(per_entry):
            pairs.append((entry.id, ring[turn[entry.domain] % len(ring)]))
            turn[entry.domain] += 1
    return pairs


def median_seconds(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--experts", type=int, default=300)
    parser.add_argument("--per-entry", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    entries, experts, panels = build(args.entries, args.experts, random.Random(args.seed))
    baseline, baseline_pairs = median_seconds(lambda: round_robin(entries, panels, args.per_entry), args.runs)
    seconds, plan = median_seconds(
        lambda: assign(entries, experts, panels, per_entry=args.per_entry, seed=args.seed), args.runs
    )

    experts_by_id = {expert.id: expert for expert in experts}
    entries_by_id = {entry.id: entry for entry in entries}

    def conflicted(pairs):
        return sum(1 for e, x in pairs if entries_by_id[e].keys & experts_by_id[x].keys)

    print(f"{args.entries} entries × {args.per_entry} experts, {args.experts} experts in {len(panels)} panels "
          f"({sum(1 for e in experts if e.cap is not None)} capped), median of {args.runs} runs")
    print(f"  baseline round-robin (no checks)  {baseline:8.3f} s   {conflicted(baseline_pairs):5d} conflicted pairs")
    planned = conflicted((p.entry_id, p.expert_id) for p in plan.pairs)
    print(f"  assign()                          {seconds:8.3f} s   {planned:5d} "
          f"conflicted pairs   ratio {seconds / baseline:6.1f}×   target ≤ 2 s: {'ok' if seconds <= 2 else 'MISSED'}")
    print(f"  pairs assigned {len(plan.pairs)}; infeasible entries {len(plan.infeasible)}"
          + (f" ({dict(Counter(s.reason for s in plan.infeasible))})" if plan.infeasible else ""))
    matched = sum(1 for p in plan.pairs if experts_by_id[p.expert_id].tech_tags & entries_by_id[p.entry_id].tech_tags)
    print(f"  pairs sharing a technology tag {matched / max(1, len(plan.pairs)):.0%}")
    print("  load per panel; spread = max − min over experts below their cap, all members / members of this panel only:")
    panels_of = Counter(m for panel in panels for m in panel.member_ids)
    for panel in panels:
        load = plan.panels[panel.id]
        own = [plan.loads[m] for m in panel.member_ids if panels_of[m] == 1]
        own_room = [plan.loads[m] for m in panel.member_ids
                    if panels_of[m] == 1 and (experts_by_id[m].cap is None or plan.loads[m] < experts_by_id[m].cap)]
        own_spread = max(own) - min(own_room) if own_room else 0
        print(f"    {next(iter(panel.domains)):<14} {load.members:3d} experts ({load.members - len(own)} shared)  "
              f"min {load.minimum:3d}  max {load.maximum:3d}  spread {load.spread:2d} / {own_spread}")


if __name__ == "__main__":
    main()
