"""Showcase selection on plain data: rank order, quotas, organisation cap,
vetoes, chair overrides, the unfillable target and determinism."""
import pytest

from app.results.selection import (
    ChairOverride,
    Decision,
    DomainCount,
    RankedEntry,
    SelectionWarning,
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
