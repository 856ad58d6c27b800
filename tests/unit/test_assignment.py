"""The assignment algorithm on plain data: hard constraints, balance, caps,
technology tags, determinism, the infeasibility report and top-ups."""
import random
from collections import Counter, defaultdict

import pytest

from app.review.assignment.solver import (
    CAPS,
    NO_PANEL,
    TOO_FEW_EXPERTS,
    EntryFacts,
    ExpertFacts,
    PanelFacts,
    Shortfall,
    assign,
    normalise_tags,
    panel_loads,
)


def _experts(*ids, cap=None, keys=(), tags=()):
    return [ExpertFacts(i, frozenset(keys), frozenset(tags), cap) for i in ids]


def _entries(ids, domain="manufacturing", keys=(), tags=()):
    return [EntryFacts(i, domain, frozenset(keys), frozenset(tags)) for i in ids]


def _by_entry(plan):
    result = defaultdict(set)
    for pair in plan.pairs:
        result[pair.entry_id].add(pair.expert_id)
    return result


def _random_case(rng: random.Random, *, conflicts=True, caps=True, existing=True):
    """A random call: 1–4 panels over 3 domains (a domain may have 0–2
    panels, an expert may sit on two), organisations shared at random."""
    domains = ["manufacturing", "city", "healthcare"]
    organisations = [f"org{n}" for n in range(rng.randint(3, 30))]
    tags = ["computer_vision", "nlp", "robotics", "large_models"]
    experts = [
        ExpertFacts(
            id=100 + n,
            keys=frozenset(rng.sample(organisations, rng.randint(0, 2))) if conflicts else frozenset(),
            tech_tags=frozenset(rng.sample(tags, rng.randint(0, 2))),
            cap=rng.choice([None, None, None, rng.randint(0, 6)]) if caps else None,
        )
        for n in range(rng.randint(0, 25))
    ]
    ids = [expert.id for expert in experts]
    panels = []
    for n in range(rng.randint(1, 4)):
        members = tuple(rng.sample(ids, rng.randint(0, len(ids)))) if ids else ()
        panels.append(PanelFacts(n + 1, frozenset(rng.sample(domains, rng.randint(1, 2))), members))
    entries = [
        EntryFacts(
            id=n + 1,
            domain=rng.choice(domains + [None] if rng.random() < 0.05 else domains),
            keys=frozenset(rng.sample(organisations, rng.randint(1, 3))) if conflicts else frozenset(),
            tech_tags=frozenset(rng.sample(tags, rng.randint(0, 2))),
        )
        for n in range(rng.randint(0, 40))
    ]
    pairs = [(entry.id, expert) for entry in entries for expert in ids]
    existing = rng.sample(pairs, min(len(pairs), rng.randint(0, 10))) if existing and pairs else []
    rest = [pair for pair in pairs if pair not in existing]
    forbidden = rng.sample(rest, min(len(rest), rng.randint(0, 15))) if conflicts and rest else []
    return entries, experts, panels, existing, forbidden


def _check_plan(plan, entries, experts, panels, *, per_entry, existing, forbidden):
    """Every hard rule, for any plan."""
    experts_by_id = {expert.id: expert for expert in experts}
    panels_by_id = {panel.id: panel for panel in panels}
    entries_by_id = {entry.id: entry for entry in entries}
    assert plan.pairs == sorted(set(plan.pairs)), "pairs are sorted and unique"
    on_entry = defaultdict(set)
    for entry_id, expert_id in existing:
        on_entry[entry_id].add(expert_id)
    new_panels = defaultdict(set)
    for pair in plan.pairs:
        entry, expert, panel = entries_by_id[pair.entry_id], experts_by_id[pair.expert_id], panels_by_id[pair.panel_id]
        assert entry.domain in panel.domains, "the panel covers the entry's domain"
        assert expert.id in panel.member_ids, "the expert sits on the panel"
        assert not (expert.keys & entry.keys), "never an automatic conflict"
        assert (entry.id, expert.id) not in set(forbidden), "never a forbidden pair"
        assert expert.id not in on_entry[entry.id], "never twice on an entry"
        on_entry[entry.id].add(expert.id)
        new_panels[entry.id].add(panel.id)
    assert all(len(ids) == 1 for ids in new_panels.values()), "one panel per entry"
    loads = Counter(expert_id for ids in on_entry.values() for expert_id in ids)
    for expert in experts:
        assert plan.loads[expert.id] == loads[expert.id]
        if expert.cap is not None:
            new = sum(1 for pair in plan.pairs if pair.expert_id == expert.id)
            assert new == 0 or loads[expert.id] <= expert.cap, "caps hold"
    short = {shortfall.entry_id: shortfall for shortfall in plan.infeasible}
    for entry in entries:
        found = len(on_entry[entry.id])
        assert found <= max(per_entry, len({e for e_id, e in existing if e_id == entry.id}))
        if entry.id in short:
            shortfall = short[entry.id]
            assert shortfall.found == found < per_entry and shortfall.needed == per_entry
            assert shortfall.found <= shortfall.eligible or shortfall.reason == NO_PANEL
            if shortfall.reason == TOO_FEW_EXPERTS:
                assert shortfall.eligible < per_entry
            elif shortfall.reason == CAPS:
                assert shortfall.eligible >= per_entry
        else:
            assert found >= per_entry, "an entry left short is always reported"


# --- hard constraints, property style -------------------------------------------


@pytest.mark.parametrize("seed", range(300))
def test_random_calls_never_break_a_hard_rule(seed):
    rng = random.Random(seed)
    entries, experts, panels, existing, forbidden = _random_case(rng)
    per_entry = rng.randint(1, 6)
    plan = assign(entries, experts, panels, per_entry=per_entry, existing=existing, forbidden=forbidden, seed=seed)
    _check_plan(plan, entries, experts, panels, per_entry=per_entry, existing=existing, forbidden=forbidden)


def test_conflicts_by_shared_key_are_never_assigned():
    experts = _experts(1, 2, 3, 4, 5, 6) + [
        ExpertFacts(7, frozenset({"91440300MA5XXXXX1A"})),
        ExpertFacts(8, frozenset({"华南理工大学"})),
    ]
    panel = PanelFacts(1, frozenset({"manufacturing"}), tuple(range(1, 9)))
    entries = _entries(range(1, 31), keys={"91440300MA5XXXXX1A", "华南理工大学"})
    for seed in range(20):
        plan = assign(entries, experts, [panel], per_entry=5, seed=seed)
        assert {pair.expert_id for pair in plan.pairs} == {1, 2, 3, 4, 5, 6}
        assert not plan.infeasible


# --- balance ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(100))
def test_balance_is_within_one_without_conflicts_or_caps(seed):
    rng = random.Random(seed)
    entries, experts, panels, existing, forbidden = _random_case(rng, conflicts=False, caps=False, existing=False)
    per_entry = rng.randint(1, 5)
    plan = assign(entries, experts, panels, per_entry=per_entry, seed=seed)
    # Panels sharing members may not all be balanced at once; separate ones are.
    shared = Counter(m for panel in panels for m in set(panel.member_ids))
    for panel in panels:
        if all(shared[m] == 1 for m in panel.member_ids):
            assert plan.panels[panel.id].spread <= 1, plan.panels[panel.id]


@pytest.mark.parametrize("seed", range(50))
def test_balance_is_repaired_around_sparse_conflicts(seed):
    rng = random.Random(seed)
    experts = [ExpertFacts(i, frozenset({f"org{i}"})) for i in range(1, 13)]
    panel = PanelFacts(1, frozenset({"city"}), tuple(range(1, 13)))
    # Each entry conflicts with one or two experts.
    entries = [
        EntryFacts(n, "city", frozenset(f"org{i}" for i in rng.sample(range(1, 13), rng.randint(1, 2))))
        for n in range(1, 61)
    ]
    plan = assign(entries, experts, [panel], per_entry=5, seed=seed)
    assert not plan.infeasible and len(plan.pairs) == 300
    assert plan.panels[1].spread <= 1
    assert {plan.panels[1].minimum, plan.panels[1].maximum} == {25}


def test_an_expert_conflicting_with_most_entries_keeps_the_spread_as_small_as_possible():
    experts = _experts(1, 2, 3, 4) + [ExpertFacts(5, frozenset({"big"}))]
    panel = PanelFacts(1, frozenset({"city"}), (1, 2, 3, 4, 5))
    entries = _entries(range(1, 11), domain="city", keys={"big"}) + _entries([11], domain="city")
    plan = assign(entries, experts, [panel], per_entry=2, seed=3)
    loads = plan.loads
    # Expert 5 can only take entry 11; the other 21 slots spread over four.
    assert loads[5] == 1 and sorted(loads[i] for i in (1, 2, 3, 4)) == [5, 5, 5, 6]
    assert plan.panels[1].spread == 5  # reported honestly: not feasible here


def test_existing_assignments_count_toward_loads():
    experts = _experts(1, 2, 3, 4)
    panel = PanelFacts(1, frozenset({"city"}), (1, 2, 3, 4))
    # Expert 1 already scores four entries of another status (not in `entries`).
    existing = [(100 + n, 1) for n in range(4)]
    plan = assign(_entries(range(1, 9), domain="city"), experts, [panel], per_entry=2, existing=existing, seed=0)
    assert plan.loads == {1: 5, 2: 5, 3: 5, 4: 5}
    assert sum(1 for pair in plan.pairs if pair.expert_id == 1) == 1


# --- caps -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_caps_are_respected_and_the_others_share_the_rest_evenly(seed):
    experts = _experts(1, 2, cap=3) + _experts(3, 4, 5, 6)
    panel = PanelFacts(1, frozenset({"education"}), (1, 2, 3, 4, 5, 6))
    plan = assign(_entries(range(1, 21), domain="education"), experts, [panel], per_entry=3, seed=seed)
    assert not plan.infeasible
    assert plan.loads[1] == plan.loads[2] == 3
    assert sorted(plan.loads[i] for i in (3, 4, 5, 6)) == [13, 13, 14, 14]
    assert plan.panels[1].spread == 1  # capped experts are left out of the minimum


def test_a_cap_counts_existing_assignments_and_zero_means_none():
    experts = [ExpertFacts(1, cap=2), ExpertFacts(2, cap=0), ExpertFacts(3), ExpertFacts(4)]
    panel = PanelFacts(1, frozenset({"city"}), (1, 2, 3, 4))
    plan = assign(_entries(range(1, 7), domain="city"), experts, [panel], per_entry=2,
                  existing=[(99, 1)], seed=1)
    assert plan.loads[1] == 2 and plan.loads[2] == 0
    assert not plan.infeasible


@pytest.mark.parametrize("seed", range(30))
def test_an_expert_at_their_cap_hands_over_an_entry_to_fill_a_short_one(seed):
    # Entry 1 can only have expert 1 (cap 1); entry 2 can have 1 or 3.
    # Whatever the order, both get an expert.
    experts = [ExpertFacts(1, cap=1), ExpertFacts(2, frozenset({"x"})), ExpertFacts(3, frozenset({"y"}))]
    panel = PanelFacts(1, frozenset({"city"}), (1, 2, 3))
    entries = [EntryFacts(1, "city", frozenset({"x", "y"})), EntryFacts(2, "city", frozenset({"x"}))]
    plan = assign(entries, experts, [panel], per_entry=1, seed=seed)
    assert not plan.infeasible
    assert {(pair.entry_id, pair.expert_id) for pair in plan.pairs} == {(1, 1), (2, 3)}


# --- technology tags ----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(25))
def test_experts_sharing_technology_tags_are_preferred_at_equal_load(seed):
    experts = _experts(1, 2, tags={"computer_vision"}) + _experts(3, 4, tags={"nlp"})
    panel = PanelFacts(1, frozenset({"healthcare"}), (1, 2, 3, 4))
    entries = (_entries([1, 2], domain="healthcare", tags={"computer_vision"})
               + _entries([3, 4], domain="healthcare", tags={"nlp"}))
    plan = assign(entries, experts, [panel], per_entry=1, seed=seed)
    assert {(pair.entry_id, pair.expert_id // 3) for pair in plan.pairs} == {(1, 0), (2, 0), (3, 1), (4, 1)}
    assert plan.panels[1].spread == 0


def test_tags_are_compared_without_case_or_space():
    assert normalise_tags([" Computer_Vision ", "NLP", "", "  "]) == frozenset({"computer_vision", "nlp"})


def test_tags_never_outweigh_balance():
    experts = _experts(1, tags={"nlp"}) + _experts(2, 3)
    panel = PanelFacts(1, frozenset({"city"}), (1, 2, 3))
    plan = assign(_entries(range(1, 7), domain="city", tags={"nlp"}), experts, [panel], per_entry=1, seed=0)
    assert plan.loads == {1: 2, 2: 2, 3: 2}


# --- determinism ------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_plan_and_other_seeds_other_plans():
    rng = random.Random(7)
    entries, experts, panels, existing, forbidden = _random_case(rng, existing=False)
    while len(entries) < 20 or len(experts) < 12:
        entries, experts, panels, existing, forbidden = _random_case(rng, existing=False)
    first = assign(entries, experts, panels, per_entry=3, forbidden=forbidden, seed=11)
    again = assign(list(reversed(entries)), list(reversed(experts)), list(reversed(panels)), per_entry=3,
                   forbidden=list(reversed(forbidden)), seed=11)
    assert first == again
    others = {tuple(assign(entries, experts, panels, per_entry=3, forbidden=forbidden, seed=s).pairs) for s in range(12, 20)}
    assert len(others | {tuple(first.pairs)}) > 1


def test_seeds_change_who_gets_what_in_a_symmetric_case():
    experts = _experts(*range(1, 11))
    panel = PanelFacts(1, frozenset({"city"}), tuple(range(1, 11)))
    plans = {tuple(assign(_entries(range(1, 11), domain="city"), experts, [panel], per_entry=3, seed=s).pairs)
             for s in range(10)}
    assert len(plans) == 10


# --- infeasibility ------------------------------------------------------------------------


def test_infeasible_entries_are_reported_with_the_reason():
    experts = _experts(1, 2, 3) + _experts(4, 5, 6, 7, 8, cap=1)
    panels = [
        PanelFacts(1, frozenset({"city"}), (1, 2, 3)),  # too small for 5
        PanelFacts(2, frozenset({"finance"}), (4, 5, 6, 7, 8)),  # one entry each
        PanelFacts(3, frozenset({"security"}), ()),  # nobody
    ]
    entries = [
        EntryFacts(1, "city"),
        EntryFacts(2, "finance"),
        EntryFacts(3, "finance"),
        EntryFacts(4, "security"),
        EntryFacts(5, "government"),  # no panel
        EntryFacts(6, None),  # no domain yet
    ]
    plan = assign(entries, experts, panels, per_entry=5, seed=0)
    # One finance entry takes the five experts, who then have no room left.
    served = next(pair.entry_id for pair in plan.pairs if pair.panel_id == 2)
    unserved = ({2, 3} - {served}).pop()
    assert plan.infeasible == sorted([
        Shortfall(1, 1, needed=5, found=3, eligible=3, reason=TOO_FEW_EXPERTS),
        Shortfall(unserved, 2, needed=5, found=0, eligible=5, reason=CAPS),
        Shortfall(4, 3, needed=5, found=0, eligible=0, reason=TOO_FEW_EXPERTS),
        Shortfall(5, None, needed=5, found=0, eligible=0, reason=NO_PANEL),
        Shortfall(6, None, needed=5, found=0, eligible=0, reason=NO_PANEL),
    ], key=lambda shortfall: shortfall.entry_id)
    # The short entries still got every expert there was.
    assert _by_entry(plan) == {1: {1, 2, 3}, served: {4, 5, 6, 7, 8}}


def test_conflicts_that_leave_too_few_experts_are_reported():
    experts = _experts(1, 2, 3, 4) + [ExpertFacts(5, frozenset({"acme"})), ExpertFacts(6, frozenset({"acme"}))]
    panel = PanelFacts(1, frozenset({"city"}), (1, 2, 3, 4, 5, 6))
    plan = assign([EntryFacts(1, "city", frozenset({"acme"}))], experts, [panel], per_entry=5, forbidden=[(1, 4)], seed=0)
    assert plan.infeasible == [Shortfall(1, 1, needed=5, found=3, eligible=3, reason=TOO_FEW_EXPERTS)]


def test_per_entry_must_be_positive():
    with pytest.raises(ValueError):
        assign([], [], [], per_entry=0)


def test_nothing_to_do():
    plan = assign([], _experts(1), [PanelFacts(1, frozenset({"city"}), (1,))], per_entry=3)
    assert plan.pairs == [] and plan.infeasible == [] and plan.loads == {1: 0}


# --- top-ups and existing assignments ------------------------------------------------------


def test_a_top_up_after_a_removal_fills_only_that_gap_with_someone_else():
    experts = _experts(*range(1, 9))
    panel = PanelFacts(1, frozenset({"city"}), tuple(range(1, 9)))
    entries = _entries(range(1, 11), domain="city")
    first = assign(entries, experts, [panel], per_entry=4, seed=5)
    removed = first.pairs[0]
    existing = [(pair.entry_id, pair.expert_id) for pair in first.pairs if pair != removed]

    again = assign(entries, experts, [panel], per_entry=4, existing=existing,
                   forbidden=[(removed.entry_id, removed.expert_id)], seed=5)

    assert len(again.pairs) == 1
    (pair,) = again.pairs
    assert pair.entry_id == removed.entry_id and pair.expert_id != removed.expert_id
    assert pair.expert_id not in {e for entry_id, e in existing if entry_id == removed.entry_id}
    assert not again.infeasible
    # A re-run with nothing missing changes nothing.
    existing.append((pair.entry_id, pair.expert_id))
    assert assign(entries, experts, [panel], per_entry=4, existing=existing, seed=9).pairs == []


def test_entries_with_existing_experts_stay_on_their_panel():
    experts = _experts(*range(1, 11))
    panels = [PanelFacts(1, frozenset({"city"}), (1, 2, 3, 4, 5)), PanelFacts(2, frozenset({"city"}), (6, 7, 8, 9, 10))]
    plan = assign(_entries([1], domain="city"), experts, panels, per_entry=3, existing=[(1, 8)], seed=0)
    assert {pair.panel_id for pair in plan.pairs} == {2} and len(plan.pairs) == 2


def test_two_panels_for_one_domain_share_its_entries():
    experts = _experts(*range(1, 13))
    panels = [PanelFacts(1, frozenset({"manufacturing"}), tuple(range(1, 7))),
              PanelFacts(2, frozenset({"manufacturing"}), tuple(range(7, 13)))]
    plan = assign(_entries(range(1, 41)), experts, panels, per_entry=3, seed=2)
    per_panel = Counter(pair.panel_id for pair in plan.pairs)
    assert per_panel == {1: 60, 2: 60}
    assert all(load == 10 for load in plan.loads.values())


def test_an_expert_on_two_panels_has_one_load():
    experts = _experts(1, 2, 3)
    panels = [PanelFacts(1, frozenset({"city"}), (1, 2)), PanelFacts(2, frozenset({"finance"}), (2, 3))]
    entries = _entries(range(1, 5), domain="city") + _entries(range(5, 9), domain="finance")
    plan = assign(entries, experts, panels, per_entry=1, seed=0)
    assert sum(plan.loads.values()) == 8 and max(plan.loads.values()) - min(plan.loads.values()) <= 1


def test_panel_members_unknown_to_the_planner_are_ignored():
    plan = assign(_entries([1], domain="city"), _experts(1, 2), [PanelFacts(1, frozenset({"city"}), (1, 2, 99))],
                  per_entry=3, seed=0)
    assert {pair.expert_id for pair in plan.pairs} == {1, 2}
    assert plan.infeasible == [Shortfall(1, 1, needed=3, found=2, eligible=2, reason=TOO_FEW_EXPERTS)]


def test_panel_loads_for_given_loads():
    experts = [ExpertFacts(1, cap=2), ExpertFacts(2), ExpertFacts(3)]
    table = panel_loads([PanelFacts(1, frozenset({"city"}), (1, 2, 3))], experts, {1: 2, 2: 5})
    assert table[1].members == 3 and (table[1].minimum, table[1].maximum, table[1].spread) == (0, 5, 5)
