"""Ties at the cut line on plain data: two entries with the same adjusted
score (to 4 decimals), one selected by the rule and the next left out, and
the step of the tie rule that decided between them."""
from datetime import UTC, datetime, timedelta

import pytest

from app.results.aggregation import EntryResult, deciding_step, describe, rank
from app.results.selection import ChairOverride, CutTie, RankedEntry, cut_ties, select

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _result(entry_id, score, *, raw_mean=None, outcome=None, minutes=None):
    """An entry's result; its raw mean defaults to its score."""
    return EntryResult(
        entry_id=entry_id, method="trimmed_mean", score=score, raw=describe([score if raw_mean is None else raw_mean]),
        outcome_mean=outcome, submitted_at=None if minutes is None else T0 + timedelta(minutes=minutes),
    )


def _ties(results, *, target, domains=None, quotas=None, vetoed=(), includes=()):
    """Rank, select by the rule, and find the cut ties (group: the domain with quotas, else "")."""
    ranked = rank(results)
    domain_of = {r.entry_id: (domains or {}).get(r.entry_id, "city") for r in results}
    ranking = [
        RankedEntry(item.result.entry_id, domain_of[item.result.entry_id], item.result.entry_id, item.result.score,
                    item.position, vetoed=item.result.entry_id in vetoed)
        for item in ranked
    ]
    chosen = select(ranking, target=target, quotas=quotas or {},
                    overrides=[ChairOverride(entry_id, True, "典型") for entry_id in includes])
    group_of = {entry_id: domain if quotas else "" for entry_id, domain in domain_of.items()}
    return cut_ties(ranked, chosen.decisions, group_of=group_of)


def test_step_2_the_raw_mean_decides():
    results = [_result(1, 90.0), _result(2, 80.0, raw_mean=78.0), _result(3, 80.0, raw_mean=79.0), _result(4, 70.0)]
    assert _ties(results, target=2) == [CutTie(group="", score=80.0, selected_id=3, left_out_id=2, step=2)]


def test_step_3_the_measured_outcomes_mean_decides():
    results = [_result(1, 80.0, outcome=8.0), _result(2, 80.0, outcome=9.0), _result(3, 60.0)]
    assert _ties(results, target=1) == [CutTie("", 80.0, 2, 1, 3)]


def test_step_4_the_earlier_submission_decides():
    results = [_result(1, 80.0, outcome=8.0, minutes=30), _result(2, 80.0, outcome=8.0, minutes=10)]
    assert _ties(results, target=1) == [CutTie("", 80.0, 2, 1, 4)]


def test_step_5_the_entry_number_decides():
    results = [_result(7, 80.0, minutes=5), _result(3, 80.0, minutes=5), _result(9, 79.0)]
    assert _ties(results, target=1) == [CutTie("", 80.0, 3, 7, 5)]


def test_scores_tie_when_equal_to_four_decimals_only():
    assert _ties([_result(1, 80.00001), _result(2, 80.00004, minutes=1)], target=1) == [CutTie("", 80.0, 2, 1, 4)]
    # 80.0001 and 80.0002 differ at the fourth decimal: the score decided, no tie.
    assert _ties([_result(1, 80.0001), _result(2, 80.0002)], target=1) == []


def test_no_tie_when_the_cut_falls_between_different_scores_or_nobody_is_left_out():
    results = [_result(1, 90.0), _result(2, 80.0), _result(3, 80.0)]
    assert _ties(results, target=1) == []
    assert _ties(results, target=3) == []


def test_each_domain_with_a_quota_has_its_own_cut():
    results = [_result(1, 90.0), _result(2, 85.0, minutes=2), _result(3, 85.0, minutes=1),
               _result(4, 88.0), _result(5, 70.0), _result(6, 70.0)]
    domains = {1: "city", 2: "city", 3: "city", 4: "health", 5: "health", 6: "health"}
    ties = _ties(results, target=4, domains=domains, quotas={"city": 2, "health": 2})
    assert ties == [CutTie("city", 85.0, 3, 2, 4), CutTie("health", 70.0, 5, 6, 5)]


def test_a_vetoed_entry_between_does_not_move_the_cut_and_is_not_a_tie_itself():
    results = [_result(1, 80.0, minutes=1), _result(2, 80.0, minutes=2), _result(3, 80.0, minutes=3)]
    # Entry 2 is vetoed: the tie at the cut is between 1 (in) and 3 (out of room).
    assert _ties(results, target=1, vetoed={2}) == [CutTie("", 80.0, 1, 3, 4)]
    # Only a veto keeps the runner-up out: the tie rule decided nothing.
    assert _ties(results[:2], target=2, vetoed={2}) == []


def test_the_chairs_includes_are_not_the_rules_cut():
    results = [_result(1, 90.0), _result(2, 80.0, minutes=1), _result(3, 80.0, minutes=2), _result(4, 50.0)]
    # The chair's include of entry 4 takes one of the three places: the rule's
    # cut falls between 2 and 3, not after entry 4.
    assert _ties(results, target=3, includes=[4]) == [CutTie("", 80.0, 2, 3, 4)]


def test_deciding_step_of_the_tie_rule():
    assert deciding_step(_result(1, 81.0), _result(2, 80.0)) == 1
    assert deciding_step(_result(1, 80.0, raw_mean=70.0), _result(2, 80.0, raw_mean=71.0)) == 2
    with pytest.raises(ValueError):
        deciding_step(_result(1, 80.0), _result(1, 80.0))
