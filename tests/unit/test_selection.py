"""Showcase selection on plain data: rank order, quotas, organisation cap,
vetoes, chair overrides, the unfillable target, determinism, and quota
fill-up (places a short domain leaves go to the other domains)."""
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.results.selection import (
    ChairOverride,
    Decision,
    DomainCount,
    QuotaFill,
    RankedEntry,
    SelectionWarning,
    Shortfall,
    select,
)


def _ranking(*rows):
    """rows: (entry_id, domain, organisation_id[, vetoed]); rank = position."""
    return [
        RankedEntry(row[0], row[1], row[2], score=100.0 - rank, rank=rank, vetoed=bool(row[3:] and row[3]))
        for rank, row in enumerate(rows, start=1)
    ]


def _reasons(selection):
    return [(d.entry_id, d.selected, d.reason) for d in selection.decisions]


def test_target_is_filled_in_rank_order():
    ranking = _ranking(*[(i, "city", i) for i in range(1, 6)])
    result = select(list(reversed(ranking)), target=3, quotas={"city": 10})
    assert _reasons(result) == [
        (1, True, "selected"),
        (2, True, "selected"),
        (3, True, "selected"),
        (4, False, "target_reached"),
        (5, False, "target_reached"),
    ]
    assert [d.rank for d in result.decisions] == [1, 2, 3, 4, 5]
    assert result.selected_ids == [1, 2, 3]
    assert result.domain_counts == [DomainCount("city", 3, 10)]
    assert result.warnings == []


def test_quotas_are_respected_with_skip_reasons():
    ranking = _ranking((1, "city", 1), (2, "city", 2), (3, "city", 3), (4, "finance", 4), (5, "finance", 5))
    result = select(ranking, target=4, quotas={"city": 2, "finance": 2})
    assert _reasons(result) == [
        (1, True, "selected"),
        (2, True, "selected"),
        (3, False, "quota_full"),
        (4, True, "selected"),
        (5, True, "selected"),
    ]
    assert result.domain_counts == [DomainCount("city", 2, 2), DomainCount("finance", 2, 2)]


def test_domain_without_quota_is_unlimited_and_quota_domains_are_listed():
    ranking = _ranking((1, "city", 1), (2, "city", 2))
    result = select(ranking, target=2, quotas={"finance": 5})
    assert result.selected_ids == [1, 2]
    assert result.domain_counts == [DomainCount("city", 2, None), DomainCount("finance", 0, 5)]


def test_organisation_cap():
    ranking = _ranking((1, "city", 7), (2, "city", 7), (3, "city", 7), (4, "city", 8))
    result = select(ranking, target=3, quotas={}, organisation_cap=2)
    assert _reasons(result) == [
        (1, True, "selected"),
        (2, True, "selected"),
        (3, False, "organisation_cap"),
        (4, True, "selected"),
    ]


def test_vetoed_entry_is_skipped():
    ranking = _ranking((1, "city", 1, True), (2, "city", 2), (3, "city", 3))
    result = select(ranking, target=2, quotas={"city": 5})
    assert _reasons(result) == [(1, False, "veto"), (2, True, "selected"), (3, True, "selected")]


def test_chair_exclude_and_include_with_reasons():
    ranking = _ranking((1, "city", 1), (2, "city", 2), (3, "city", 3), (4, "city", 4))
    overrides = [
        ChairOverride(1, include=False, reason="conflict of interest"),
        ChairOverride(4, include=True, reason="unique rural deployment"),
    ]
    result = select(ranking, target=2, quotas={"city": 5}, overrides=overrides)
    assert result.decisions == [
        Decision(1, False, "excluded_by_chair", 1, "conflict of interest"),
        Decision(2, True, "selected", 2),
        Decision(3, False, "target_reached", 3),
        Decision(4, True, "included_by_chair", 4, "unique rural deployment"),
    ]
    assert result.warnings == []


def test_forced_include_that_overfills_a_quota_is_kept_with_a_warning():
    ranking = _ranking((1, "city", 1), (2, "city", 2), (3, "finance", 3), (4, "city", 4))
    overrides = [ChairOverride(i, include=True, reason="chair") for i in (1, 2, 4)]
    result = select(ranking, target=4, quotas={"city": 2, "finance": 2}, overrides=overrides)
    assert _reasons(result) == [
        (1, True, "included_by_chair"),
        (2, True, "included_by_chair"),
        (3, True, "selected"),
        (4, True, "included_by_chair"),
    ]
    assert result.warnings == [SelectionWarning("quota_overfilled", domain="city", count=3, limit=2)]
    assert DomainCount("city", 3, 2) in result.domain_counts


def test_forced_include_beyond_cap_target_and_veto_warns():
    ranking = _ranking((1, "city", 9, True), (2, "city", 9), (3, "city", 3))
    overrides = [ChairOverride(i, include=True, reason="chair") for i in (1, 2)]
    result = select(ranking, target=1, quotas={}, organisation_cap=1, overrides=overrides)
    assert result.selected_ids == [1, 2]
    assert result.decisions[2] == Decision(3, False, "target_reached", 3)
    assert result.warnings == [
        SelectionWarning("vetoed_included_by_chair", entry_id=1),
        SelectionWarning("organisation_cap_exceeded", organisation_id=9, count=2, limit=1),
        SelectionWarning("target_overfilled", count=2, limit=1),
    ]


def test_target_that_cannot_be_filled_is_reported():
    ranking = _ranking((1, "city", 1), (2, "city", 2, True), (3, "city", 3))
    result = select(ranking, target=5, quotas={"city": 2})
    assert _reasons(result) == [(1, True, "selected"), (2, False, "veto"), (3, True, "selected")]
    assert result.warnings == [SelectionWarning("target_not_filled", count=2, limit=5)]


def test_bad_overrides_are_refused():
    ranking = _ranking((1, "city", 1))
    with pytest.raises(ValueError, match="unknown entry"):
        select(ranking, target=1, quotas={}, overrides=[ChairOverride(9, include=True, reason="x")])
    both = [ChairOverride(1, include=True, reason="x"), ChairOverride(1, include=False, reason="y")]
    with pytest.raises(ValueError, match="both included and excluded"):
        select(ranking, target=1, quotas={}, overrides=both)


def test_selection_is_deterministic_and_breaks_equal_ranks_by_entry_id():
    ranking = [
        RankedEntry(5, "city", 1, 80.0, rank=1),
        RankedEntry(3, "city", 2, 80.0, rank=1),
        RankedEntry(4, "finance", 3, 70.0, rank=3),
    ]
    first = select(ranking, target=2, quotas={"city": 1, "finance": 1})
    second = select(list(reversed(ranking)), target=2, quotas={"city": 1, "finance": 1})
    assert first == second
    assert _reasons(first) == [(3, True, "selected"), (5, False, "quota_full"), (4, True, "selected")]


# --- quota fill-up ---------------------------------------------------------------


def _short_third_domain():
    """The issue's case: 120 entries in each of two domains (alternating in the
    ranking, each from its own organisation), then only 10 in the third."""
    rows = [(i, "manufacturing" if i % 2 else "city", i) for i in range(1, 241)]
    rows += [(i, "healthcare", i) for i in range(241, 251)]
    return _ranking(*rows)


QUOTAS = {"manufacturing": 80, "city": 80, "healthcare": 40}


def test_without_fill_up_a_short_domain_leaves_its_places_empty():
    result = select(_short_third_domain(), target=200, quotas=QUOTAS)
    assert len(result.selected_ids) == 170
    assert result.domain_counts == [
        DomainCount("city", 80, 80), DomainCount("healthcare", 10, 40), DomainCount("manufacturing", 80, 80),
    ]
    assert result.fills == []
    assert result.warnings == [
        SelectionWarning("quota_not_filled", domain="healthcare", count=10, limit=40),
        SelectionWarning("target_not_filled", count=170, limit=200),
    ]


def test_fill_up_gives_the_unfilled_places_to_the_best_remaining_entries_in_rank_order():
    result = select(_short_third_domain(), target=200, quotas=QUOTAS, fill_quotas=True)
    assert len(result.selected_ids) == 200
    # The walk takes ranks 1–160 and the ten of the third domain; the 30
    # places it leaves go to ranks 161–190, whatever their domain.
    decisions = {d.entry_id: d for d in result.decisions}
    assert [d.entry_id for d in result.decisions if d.reason == "selected_quota_fill"] == list(range(161, 191))
    assert {decisions[i].reason for i in range(191, 241)} == {"quota_full"}
    assert [f.entry_id for f in result.fills] == list(range(161, 191))
    short = (Shortfall("healthcare", quota=40, selected=10),)
    assert result.fills[0] == QuotaFill(161, "manufacturing", short)
    assert result.fills[1] == QuotaFill(162, "city", short)
    assert short[0].places == 30
    assert result.domain_counts == [
        DomainCount("city", 95, 80, filled=15),
        DomainCount("healthcare", 10, 40),
        DomainCount("manufacturing", 95, 80, filled=15),
    ]
    assert result.warnings == []


def test_fill_up_respects_the_organisation_cap():
    # Organisation 7 already has two selected (its cap) when the fill starts:
    # its next entry is passed over for the cap and the place goes further down.
    ranking = _ranking((1, "city", 7), (2, "city", 7), (3, "city", 7), (4, "city", 8), (5, "finance", 9))
    result = select(ranking, target=4, quotas={"city": 2, "finance": 2}, organisation_cap=2, fill_quotas=True)
    assert _reasons(result) == [
        (1, True, "selected"),
        (2, True, "selected"),
        (3, False, "organisation_cap"),
        (4, True, "selected_quota_fill"),
        (5, True, "selected"),
    ]
    assert result.fills == [QuotaFill(4, "city", (Shortfall("finance", 2, 1),))]


def test_vetoed_and_excluded_entries_are_never_filled_in():
    ranking = _ranking((1, "city", 1), (2, "city", 2, True), (3, "city", 3), (4, "city", 4), (5, "finance", 5))
    overrides = [ChairOverride(3, include=False, reason="申报材料存疑")]
    result = select(ranking, target=3, quotas={"city": 1, "finance": 2}, overrides=overrides, fill_quotas=True)
    assert _reasons(result) == [
        (1, True, "selected"),
        (2, False, "veto"),
        (3, False, "excluded_by_chair"),
        (4, True, "selected_quota_fill"),
        (5, True, "selected"),
    ]


def test_fill_up_stops_at_the_target_and_hands_on_only_the_places_left_unfilled():
    # Quotas 2 + 1 for a target of 4: only the one place the short domain
    # left is handed on; the fourth place was never a quota's, so it stays empty.
    ranking = _ranking((1, "city", 1), (2, "city", 2), (3, "city", 3), (4, "city", 4), (5, "city", 5))
    result = select(ranking, target=4, quotas={"city": 2, "finance": 1}, fill_quotas=True)
    assert result.selected_ids == [1, 2, 3]
    assert [f.entry_id for f in result.fills] == [3]
    assert result.warnings == [SelectionWarning("target_not_filled", count=3, limit=4)]
    # With enough quota the fill stops at the target, the rest keep their reason.
    result = select(ranking, target=3, quotas={"city": 2, "finance": 5}, fill_quotas=True)
    assert _reasons(result)[2:] == [(3, True, "selected_quota_fill"), (4, False, "quota_full"), (5, False, "quota_full")]


def test_a_domain_with_quota_zero_takes_no_filled_places():
    ranking = _ranking((1, "finance", 1), (2, "city", 2), (3, "city", 3), (4, "healthcare", 4))
    result = select(ranking, target=3, quotas={"finance": 0, "city": 1, "healthcare": 3}, fill_quotas=True)
    assert _reasons(result) == [
        (1, False, "quota_full"),
        (2, True, "selected"),
        (3, True, "selected_quota_fill"),
        (4, True, "selected"),
    ]


def test_fill_up_names_every_domain_that_left_places():
    ranking = _ranking((1, "city", 1), (2, "city", 2), (3, "city", 3), (4, "finance", 4), (5, "healthcare", 5))
    result = select(ranking, target=5, quotas={"city": 1, "finance": 2, "healthcare": 2}, fill_quotas=True)
    assert result.fills == [
        QuotaFill(2, "city", (Shortfall("finance", 2, 1), Shortfall("healthcare", 2, 1))),
        QuotaFill(3, "city", (Shortfall("finance", 2, 1), Shortfall("healthcare", 2, 1))),
    ]


def test_a_forced_include_counts_against_its_domain_before_the_fill():
    # The chair's include fills the short domain's one place: nothing is left to hand on.
    ranking = _ranking((1, "city", 1), (2, "city", 2), (3, "finance", 3))
    overrides = [ChairOverride(3, include=True, reason="示范性强")]
    result = select(ranking, target=2, quotas={"city": 1, "finance": 1}, overrides=overrides, fill_quotas=True)
    assert _reasons(result) == [(1, True, "selected"), (2, False, "quota_full"), (3, True, "included_by_chair")]
    assert result.fills == []


DOMAINS = ("city", "finance", "healthcare")


@st.composite
def selection_cases(draw):
    """A ranking (ties allowed) with vetoes and the chair's exclusions, quotas,
    a target and an organisation cap."""
    count = draw(st.integers(0, 40))
    ranks = sorted(draw(st.lists(st.integers(1, 40), min_size=count, max_size=count)))
    ranking = [
        RankedEntry(
            entry_id=i + 1,
            domain=draw(st.sampled_from(DOMAINS)),
            organisation_id=draw(st.integers(1, 8)),
            score=100.0 - rank,
            rank=rank,
            vetoed=draw(st.booleans()),
        )
        for i, rank in enumerate(ranks)
    ]
    excluded = draw(st.sets(st.sampled_from([e.entry_id for e in ranking]), max_size=5)) if ranking else set()
    overrides = [ChairOverride(entry_id, include=False, reason="x") for entry_id in sorted(excluded)]
    quotas = {domain: draw(st.integers(0, 12)) for domain in DOMAINS}
    target = draw(st.integers(1, 30))
    cap = draw(st.none() | st.integers(1, 4))
    return ranking, overrides, quotas, target, cap


@settings(max_examples=300, deadline=None)
@given(selection_cases())
def test_fill_up_properties(case):
    ranking, overrides, quotas, target, cap = case
    plain = select(ranking, target=target, quotas=quotas, organisation_cap=cap, overrides=overrides)
    filled = select(ranking, target=target, quotas=quotas, organisation_cap=cap, overrides=overrides,
                    fill_quotas=True)
    excluded = {o.entry_id for o in overrides}
    by_id = {e.entry_id: e for e in ranking}
    for result in (plain, filled):
        chosen = [by_id[i] for i in result.selected_ids]
        assert len(chosen) <= target
        assert not any(e.vetoed or e.entry_id in excluded for e in chosen)
        if cap is not None:
            assert max(Counter(e.organisation_id for e in chosen).values(), default=0) <= cap
        assert sum(c.selected for c in result.domain_counts) == len(chosen)
        assert sum(c.filled for c in result.domain_counts) == len(result.fills)
    # Fill-up only adds to what the walk chose, in rank order, never to a closed domain.
    assert set(plain.selected_ids) <= set(filled.selected_ids)
    added = [by_id[f.entry_id] for f in filled.fills]
    assert set(filled.selected_ids) - set(plain.selected_ids) == {e.entry_id for e in added}
    assert added == sorted(added, key=lambda e: (e.rank, e.entry_id))
    assert all(quotas[e.domain] > 0 for e in added)
    # When the quotas can fill the target, fill-up fills it as far as the entries allow.
    if sum(quotas.values()) >= target:
        selectable = Counter(
            e.organisation_id for e in ranking
            if not e.vetoed and e.entry_id not in excluded and quotas[e.domain] > 0
        )
        available = sum(n if cap is None else min(cap, n) for n in selectable.values())
        assert len(filled.selected_ids) == min(target, available)
