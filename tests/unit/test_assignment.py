"""The assignment algorithm on plain data: hard constraints, balance, caps,
technology tags, determinism, the infeasibility report and top-ups."""
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

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


@dataclass(frozen=True)
class Problem:
    """The input of one call's assignment, as ``assign`` takes it."""

    entries: list[EntryFacts]
    experts: list[ExpertFacts]
    panels: list[PanelFacts]
    existing: list[tuple[int, int]] = field(default_factory=list)
    forbidden: list[tuple[int, int]] = field(default_factory=list)

    def plan(self, *, per_entry, seed):
        return assign(self.entries, self.experts, self.panels, per_entry=per_entry, existing=self.existing,
                      forbidden=self.forbidden, seed=seed)


DOMAINS = ["manufacturing", "city", "healthcare"]
PANEL_DOMAINS = [frozenset({domain}) for domain in DOMAINS] + [
    frozenset({first, second}) for first in DOMAINS for second in DOMAINS if first < second]
TAGS = ["computer_vision", "nlp", "robotics", "large_models"]
ORGANISATIONS, MAX_EXPERTS, MAX_ENTRIES = 30, 25, 40

seeds = st.integers(min_value=0, max_value=2**32 - 1)

# A call is drawn as a few integers per row: cheap to draw, and each shrinks
# towards 0, the simplest call. Organisation keys are a count (the code modulo
# 3) and digits in base 30 (modulo the call's number of organisations), tags
# and panel members bit masks; caps and domains are codes with the odds of the
# seeded cases this replaced (a quarter of the experts capped at 0–6; one entry
# in 24 without a domain); existing and forbidden pairs are entry × expert numbers.
_expert_keys = st.integers(0, 3 * ORGANISATIONS**2 - 1)  # 0–2 organisations
_entry_keys = st.integers(0, 3 * ORGANISATIONS**3 - 1)  # 1–3 organisations
_tags = st.integers(0, 2 ** len(TAGS) - 1)
_cap = st.integers(0, 27)  # 0–20: no cap, 21–27: a cap of 0–6
_domain = st.integers(0, 23)  # 23: no domain
_expert = st.tuples(_expert_keys, _tags, _cap)
_entry = st.tuples(_domain, _entry_keys, _tags)
_panel = st.tuples(st.integers(0, len(PANEL_DOMAINS) - 1), st.integers(0, 2**MAX_EXPERTS - 1))
_pair = st.integers(0, MAX_ENTRIES * MAX_EXPERTS - 1)


def _organisation_numbers(code: int, *, least: int = 0) -> list[int]:
    digits, count = divmod(code, 3)
    return [digits // ORGANISATIONS**place % ORGANISATIONS for place in range(least + count)]


def _tag_set(mask: int) -> frozenset[str]:
    return frozenset(tag for bit, tag in enumerate(TAGS) if mask & (1 << bit))


@st.composite
def problems(draw, *, conflicts=True, caps=True, existing=True):
    """A random call: 1–4 panels over 3 domains (a domain may have no panel
    or several, an expert may sit on several panels, a panel may be empty),
    0–25 experts with 0–2 organisation keys, tags and caps (0 included),
    0–40 entries (some without a domain) with 1–3 keys, 1–30 organisations
    (with one, every expert with a key conflicts with every entry), up to 10
    existing assignments and up to 15 forbidden pairs."""
    organisations = draw(st.integers(1, ORGANISATIONS))

    def rows(row, least, most):
        count = draw(st.integers(least, most))
        return draw(st.lists(row, min_size=count, max_size=count))

    def keys(code, least=0):
        numbers = _organisation_numbers(code, least=least)
        return frozenset(f"org{n % organisations}" for n in numbers) if conflicts else frozenset()

    experts = [
        ExpertFacts(id=100 + n, keys=keys(code), tech_tags=_tag_set(tags), cap=cap - 21 if caps and cap > 20 else None)
        for n, (code, tags, cap) in enumerate(rows(_expert, 0, MAX_EXPERTS))
    ]
    panels = [
        PanelFacts(n + 1, PANEL_DOMAINS[domains], tuple(expert.id for i, expert in enumerate(experts) if members >> i & 1))
        for n, (domains, members) in enumerate(rows(_panel, 1, 4))
    ]
    entries = [
        EntryFacts(id=n + 1, domain=None if domain == 23 else DOMAINS[domain % len(DOMAINS)], keys=keys(code, least=1),
                   tech_tags=_tag_set(tags))
        for n, (domain, code, tags) in enumerate(rows(_entry, 0, MAX_ENTRIES))
    ]

    def pairs(most):
        if not (entries and experts):
            return []
        numbers = (divmod(pair, MAX_EXPERTS) for pair in rows(_pair, 0, most))
        return list(dict.fromkeys((entries[e % len(entries)].id, experts[x % len(experts)].id) for e, x in numbers))

    given = pairs(10) if existing else []
    forbidden = [pair for pair in pairs(15) if pair not in given] if conflicts else []
    return Problem(entries, experts, panels, given, forbidden)


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


CITY = frozenset({"city"})


@settings(max_examples=100)
@given(problem=problems(), per_entry=st.integers(1, 6), seed=seeds)
@example(  # no experts at all
    problem=Problem(_entries([1, 2], domain="city"), [], [PanelFacts(1, CITY, ())]), per_entry=3, seed=0)
@example(  # every cap is 0, one expert already has an entry
    problem=Problem(_entries([1, 2], domain="city"), _experts(1, 2, 3, cap=0), [PanelFacts(1, CITY, (1, 2, 3))],
                    existing=[(1, 2)]), per_entry=2, seed=0)
@example(  # every expert conflicts with every entry
    problem=Problem(_entries([1, 2, 3], domain="city", keys={"org0"}), _experts(1, 2, 3, keys={"org0"}),
                    [PanelFacts(1, CITY, (1, 2, 3))]), per_entry=1, seed=0)
@example(  # every other pair forbidden; an existing pair fills a cap, another is off the panel
    problem=Problem(_entries([1, 2], domain="city"), _experts(1, 2, 3, cap=1), [PanelFacts(1, CITY, (1, 2))],
                    existing=[(1, 1), (1, 3)], forbidden=[(1, 2), (2, 1), (2, 2)]),
    per_entry=2, seed=0)
@example(  # entries without a domain, or of a domain no panel covers
    problem=Problem([EntryFacts(1, None), EntryFacts(2, "healthcare")], _experts(1), [PanelFacts(1, CITY, (1,))]),
    per_entry=1, seed=0)
def test_random_calls_never_break_a_hard_rule(problem, per_entry, seed):
    plan = problem.plan(per_entry=per_entry, seed=seed)
    _check_plan(plan, problem.entries, problem.experts, problem.panels, per_entry=per_entry, existing=problem.existing,
                forbidden=problem.forbidden)


@settings(max_examples=20)
@given(seed=seeds)
def test_conflicts_by_shared_key_are_never_assigned(seed):
    experts = _experts(1, 2, 3, 4, 5, 6) + [
        ExpertFacts(7, frozenset({"91440300MA5XXXXX1A"})),
        ExpertFacts(8, frozenset({"华南理工大学"})),
    ]
    panel = PanelFacts(1, frozenset({"manufacturing"}), tuple(range(1, 9)))
    entries = _entries(range(1, 31), keys={"91440300MA5XXXXX1A", "华南理工大学"})
    plan = assign(entries, experts, [panel], per_entry=5, seed=seed)
    assert {pair.expert_id for pair in plan.pairs} == {1, 2, 3, 4, 5, 6}
    assert not plan.infeasible


# --- balance ----------------------------------------------------------------------


@settings(max_examples=50)
@given(problem=problems(conflicts=False, caps=False, existing=False), per_entry=st.integers(1, 5), seed=seeds)
def test_balance_is_within_one_without_conflicts_or_caps(problem, per_entry, seed):
    plan = problem.plan(per_entry=per_entry, seed=seed)
    # Panels sharing members may not all be balanced at once; separate ones are.
    shared = Counter(m for panel in problem.panels for m in set(panel.member_ids))
    for panel in problem.panels:
        if all(shared[m] == 1 for m in panel.member_ids):
            assert plan.panels[panel.id].spread <= 1, plan.panels[panel.id]


def _sparse(conflicts) -> bool:
    """No expert conflicts with more than half of the entries: each expert can still take 25 of them and
    each entry still find 5 experts, so a balance within one is possible."""
    return max(Counter(expert for experts in conflicts for expert in experts).values()) <= len(conflicts) // 2


# Each of 60 entries conflicts with one or two of the 12 experts (a first one, and a second one unless 0), sparsely.
sparse_conflicts = st.lists(
    st.tuples(st.integers(1, 12), st.integers(0, 12)).map(lambda pair: frozenset(pair) - {0}), min_size=60, max_size=60,
).filter(_sparse)


@settings(max_examples=30)
@given(conflicts=sparse_conflicts, seed=seeds)
def test_balance_is_repaired_around_sparse_conflicts(conflicts, seed):
    experts = [ExpertFacts(i, frozenset({f"org{i}"})) for i in range(1, 13)]
    panel = PanelFacts(1, frozenset({"city"}), tuple(range(1, 13)))
    entries = [EntryFacts(n, "city", frozenset(f"org{i}" for i in keys)) for n, keys in enumerate(conflicts, start=1)]
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


@settings(max_examples=20)
@given(seed=seeds)
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


@settings(max_examples=30)
@given(seed=seeds)
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


@settings(max_examples=25)
@given(seed=seeds)
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


@settings(max_examples=25)
@given(problem=problems(), per_entry=st.integers(1, 6), seed=seeds)
def test_the_same_seed_gives_the_same_plan_whatever_the_input_order(problem, per_entry, seed):
    first = problem.plan(per_entry=per_entry, seed=seed)
    again = assign(list(reversed(problem.entries)), list(reversed(problem.experts)), list(reversed(problem.panels)),
                   per_entry=per_entry, existing=list(reversed(problem.existing)),
                   forbidden=list(reversed(problem.forbidden)), seed=seed)
    assert first == again


def test_other_seeds_give_other_plans():
    """Twenty entries in two domains, twelve experts on two overlapping panels, conflicts and forbidden pairs."""
    experts = [ExpertFacts(i, frozenset({f"org{i % 4}"}), cap=None if i % 5 else 6) for i in range(1, 13)]
    panels = [PanelFacts(1, frozenset({"city"}), tuple(range(1, 8))),
              PanelFacts(2, frozenset({"healthcare", "finance"}), tuple(range(6, 13)))]
    entries = [EntryFacts(n, "city" if n % 2 else "healthcare", frozenset({f"org{n % 7}"})) for n in range(1, 21)]
    forbidden = [(1, 5), (2, 6), (3, 7)]
    first = assign(entries, experts, panels, per_entry=3, forbidden=forbidden, seed=11)
    others = {tuple(assign(entries, experts, panels, per_entry=3, forbidden=forbidden, seed=s).pairs) for s in range(12, 20)}
    assert first.pairs and len(others | {tuple(first.pairs)}) > 1


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
