"""Rank intervals on plain data: determinism, borderline entries, the point
rank inside its interval, aggregation methods, and uncertainty for entries
with one sheet or identical sheets (drawn from the group's pooled noise)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.results.bootstrap import (
    MIN_SHEETS_TO_JUDGE,
    EntryTotals,
    RankInterval,
    bootstrap,
    pooled_within_variance,
    rank_scores,
    too_few_sheets,
    trimmed_mean,
)


def _field(n=40, sheets=5, seed=7):
    """Entries 1..n with means spread from 90 down to 50 and noisy totals."""
    rng = np.random.default_rng(seed)
    return [
        EntryTotals(i, tuple(float(x) for x in rng.normal(90 - i, 6, sheets)))
        for i in range(1, n + 1)
    ]


def _by_id(intervals):
    return {r.entry_id: r for r in intervals}


def test_same_seed_gives_the_same_intervals():
    entries = _field() + [EntryTotals(100, (70.0,)), EntryTotals(101, (71.0, 71.0, 71.0))]
    assert bootstrap(entries, cut=10, seed=3, resamples=300) == bootstrap(
        entries, cut=10, seed=3, resamples=300
    )


def test_input_order_does_not_matter():
    entries = _field() + [EntryTotals(100, (70.0,)), EntryTotals(101, (71.0, 72.0))]
    assert bootstrap(entries, cut=10, seed=3, resamples=200) == bootstrap(
        list(reversed(entries)), cut=10, seed=3, resamples=200
    )


def test_different_seeds_differ():
    entries = _field()
    a = bootstrap(entries, cut=10, seed=1, resamples=300)
    b = bootstrap(entries, cut=10, seed=2, resamples=300)
    assert [(r.lo, r.hi) for r in a] != [(r.lo, r.hi) for r in b]
    assert [r.rank for r in a] == [r.rank for r in b]


def test_far_above_the_cut_is_never_borderline_and_at_the_cut_with_spread_is():
    entries = [EntryTotals(1, (99.0, 98.0, 99.5, 98.5, 99.0))]
    # Twenty entries with scores 80, 79, ..., 61, each with a little spread; the cut is rank 12.
    entries += [EntryTotals(i, (82.0 - i, 82.5 - i, 81.5 - i, 82.0 - i, 82.0 - i)) for i in range(2, 22)]
    # Entry 100 averages 70.5 (rank 12 at the point estimate) but its totals range widely.
    entries.append(EntryTotals(100, (40.0, 100.0, 50.0, 90.0, 72.5)))
    result = _by_id(bootstrap(entries, cut=12, seed=5, resamples=500))

    assert result[1] == RankInterval(1, rank=1, lo=1, hi=1, borderline=False)
    wide = result[100]
    assert wide.rank == 12
    assert wide.lo <= 12 < wide.hi
    assert wide.borderline
    assert not result[2].borderline  # steady and far above the cut


def test_ties_are_broken_by_entry_id():
    ranks = rank_scores(np.array([[70.0, 80.0, 70.0, 80.0]]))
    assert ranks.tolist() == [[3, 1, 4, 2]]


def test_scores_are_compared_rounded_to_four_decimals_as_in_the_tie_rule():
    # 80.00001 and 80.00002 are equal to 4 decimals: column order decides.
    assert rank_scores(np.array([[80.00001, 80.00002, 80.0003]])).tolist() == [[2, 3, 1]]
    assert rank_scores(np.array([[-5.0, -4.99999, -4.9]])).tolist() == [[2, 3, 1]]
    # Too large to pack into one key: sorted as they are, still by column on ties.
    assert rank_scores(np.array([[1e15, 3e15, 1e15, 2e15]])).tolist() == [[3, 1, 4, 2]]


def test_the_callers_order_gives_the_point_ranks_and_breaks_ties():
    # Entries 5 and 3 share 80 to 4 decimals; the caller's tie rule puts 5 first.
    entries = [EntryTotals(3, (80.0, 80.0, 80.0)), EntryTotals(5, (80.00001,) * 3), EntryTotals(9, (90.0, 91.0, 89.0))]
    result = bootstrap(entries, cut=1, seed=1, resamples=100, order=[9, 5, 3], within_variance=0.0)
    assert result == [RankInterval(9, 1, 1, 1, False), RankInterval(5, 2, 2, 2, False), RankInterval(3, 3, 3, 3, False)]
    # Without it, the lower entry id comes first.
    assert [(r.entry_id, r.rank) for r in bootstrap(entries, cut=1, seed=1, resamples=100, within_variance=0.0)] == [
        (3, 2), (5, 3), (9, 1)
    ]
    with pytest.raises(ValueError, match="order"):
        bootstrap(entries, cut=1, order=[9, 5])
    with pytest.raises(ValueError, match="order"):
        bootstrap(entries, cut=1, order=[9, 5, 5, 3])


def test_trimmed_mean_drops_one_highest_and_one_lowest_from_five_values():
    assert trimmed_mean(np.array([[0.0, 50.0, 60.0, 70.0, 100.0]])).tolist() == [60.0]
    # Fewer than five values: the plain mean.
    assert trimmed_mean(np.array([[0.0, 60.0, 90.0, 100.0]])).tolist() == [62.5]


def test_trimmed_mean_ignores_an_outlier_that_the_mean_does_not():
    # Entry 1 has one very low sheet; entry 2 is steady around 75.
    entries = [EntryTotals(1, (80.0, 80.0, 80.0, 80.0, 0.0)), EntryTotals(2, (75.0, 74.0, 76.0, 75.0, 75.0))]
    by_mean = _by_id(bootstrap(entries, cut=1, method="mean", seed=1, resamples=200))
    by_trim = _by_id(bootstrap(entries, cut=1, method="trimmed_mean", seed=1, resamples=200))
    assert by_mean[1].rank == 2  # mean 64 < 75
    assert by_trim[1].rank == 1  # trimmed mean 80 > 75
    assert by_mean[1].borderline  # in when the 0 is not drawn, out when it is
    # Trimmed: drawing the 0 more than once keeps it in the sample; the 80s still win often.
    assert by_trim[1].lo == 1


def test_a_callable_aggregation_is_accepted():
    entries = _field(n=10) + [EntryTotals(50, (70.0,))]
    by_name = bootstrap(entries, cut=3, method="mean", seed=4, resamples=100)
    by_callable = bootstrap(entries, cut=3, method=lambda v: v.mean(axis=-1), seed=4, resamples=100)
    assert by_name == by_callable


# --- every entry has uncertainty ---------------------------------------------------


def test_one_sheet_entries_close_to_their_neighbours_get_wide_intervals():
    # Ten one-sheet entries a point apart; three entries whose experts differ by
    # about 5 points give the group's noise (pooled SD 5).
    entries = [EntryTotals(i, (100.0 - i,)) for i in range(1, 11)]
    entries += [EntryTotals(20 + i, (40.0 - i, 45.0 - i, 50.0 - i)) for i in range(3)]
    result = _by_id(bootstrap(entries, cut=5, seed=9, resamples=400))
    for i in range(1, 11):
        r = result[i]
        assert r.rank == i
        assert r.lo < r.hi, r
        assert r.lo <= r.rank <= r.hi
    # Around the cut, a one-sheet entry is no longer certain.
    assert result[5].borderline and result[6].borderline
    # Far below everything else, the three entries trade places among themselves only.
    assert [(result[20 + i].lo, result[20 + i].hi) for i in range(3)] == [(11, 13)] * 3


def test_identical_sheets_do_not_make_an_entry_certain():
    entries = [EntryTotals(1, (80.0, 80.0, 80.0)), EntryTotals(2, (80.5, 79.0, 81.0)), EntryTotals(3, (79.0, 80.0, 81.5))]
    entries += [EntryTotals(4, (60.0, 66.0, 63.0))]
    result = _by_id(bootstrap(entries, cut=1, seed=3, resamples=400))
    assert result[1].lo < result[1].hi
    assert result[1].borderline


def test_one_sheet_entries_far_apart_stay_certain():
    entries = [EntryTotals(1, (95.0,)), EntryTotals(2, (60.0,)), EntryTotals(3, (20.0, 22.0, 21.0))]
    result = bootstrap(entries, cut=1, seed=1, resamples=300)
    assert [(r.rank, r.lo, r.hi, r.borderline) for r in result] == [(1, 1, 1, False), (2, 2, 2, False), (3, 3, 3, False)]


def test_the_pooled_within_variance_is_the_anova_within_mean_square():
    # Squares: (1 + 1) + (4 + 0 + 4) = 10 over (2 − 1) + (3 − 1) = 3 degrees of freedom; one-value entries add nothing.
    assert pooled_within_variance([(1.0, 3.0), (2.0, 4.0, 6.0), (5.0,)]) == pytest.approx(10 / 3)
    assert pooled_within_variance([(1.0,), (2.0,)]) is None
    assert pooled_within_variance([(7.0, 7.0)]) == 0.0


def test_a_caller_may_give_the_noise_variance():
    entries = [EntryTotals(i, (100.0 - i,)) for i in range(1, 6)] + [EntryTotals(9, (10.0, 30.0))]
    # No noise: nobody moves.
    still = bootstrap(entries, cut=2, seed=2, resamples=200, within_variance=0.0)
    assert all(r.lo == r.rank == r.hi for r in still)
    # The pooled variance (here 200) is the default.
    assert bootstrap(entries, cut=2, seed=2, resamples=200) == bootstrap(
        entries, cut=2, seed=2, resamples=200, within_variance=200.0
    )
    with pytest.raises(ValueError, match="within_variance"):
        bootstrap(entries, cut=2, within_variance=-1.0)


def test_without_any_entry_of_two_sheets_the_spread_of_all_values_stands_in():
    entries = [EntryTotals(i, (80.0 - i,)) for i in range(1, 8)]
    result = bootstrap(entries, cut=3, seed=4, resamples=300)
    assert all(r.lo < r.hi for r in result)
    # All equal: nothing to order but the tie rule.
    same = bootstrap([EntryTotals(i, (70.0,)) for i in range(1, 4)], cut=1, seed=4, resamples=50)
    assert [(r.rank, r.lo, r.hi) for r in same] == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]


def test_too_few_sheets_to_judge_is_below_three():
    assert MIN_SHEETS_TO_JUDGE == 3
    assert too_few_sheets(1) and too_few_sheets(2)
    assert not too_few_sheets(3) and not too_few_sheets(5)


# --- the point rank always lies in its interval ----------------------------------------

SHEET_VALUES = st.one_of(st.sampled_from([60.0, 70.0, 70.00001, 80.0]), st.floats(0, 100, allow_nan=False))


@settings(max_examples=120)
@given(
    entries=st.lists(st.lists(SHEET_VALUES, min_size=1, max_size=6), min_size=1, max_size=14),
    identical=st.lists(st.tuples(st.integers(1, 6), SHEET_VALUES), max_size=3),
    cut=st.integers(0, 20),
    method=st.sampled_from(["mean", "trimmed_mean"]),
    seed=st.integers(0, 2**32 - 1),
    within_variance=st.one_of(st.none(), st.floats(0, 400)),
)
def test_the_point_rank_always_lies_in_its_interval(entries, identical, cut, method, seed, within_variance):
    data = [EntryTotals(i, tuple(totals)) for i, totals in enumerate(entries, start=1)]
    data += [EntryTotals(100 + i, (value,) * count) for i, (count, value) in enumerate(identical)]
    result = bootstrap(data, cut=cut, method=method, resamples=40, seed=seed, within_variance=within_variance)

    n = len(data)
    assert sorted(r.rank for r in result) == list(range(1, n + 1))
    for r in result:
        assert 1 <= r.lo <= r.rank <= r.hi <= n, r
        assert r.borderline == (r.lo <= cut < r.hi)


@settings(max_examples=60)
@given(
    entries=st.lists(st.lists(SHEET_VALUES, min_size=1, max_size=5), min_size=1, max_size=12),
    seed=st.integers(0, 2**32 - 1),
    shuffle=st.randoms(use_true_random=False),
)
def test_the_callers_rank_always_lies_in_its_interval(entries, seed, shuffle):
    # Whatever order the caller ranks by (here any permutation), its ranks are reported and contained.
    data = [EntryTotals(i, tuple(totals)) for i, totals in enumerate(entries, start=1)]
    order = [e.entry_id for e in data]
    shuffle.shuffle(order)
    result = bootstrap(data, cut=3, method="trimmed_mean", resamples=30, seed=seed, order=order)
    assert [r.entry_id for r in result] == order
    assert [r.rank for r in result] == list(range(1, len(data) + 1))
    assert all(r.lo <= r.rank <= r.hi for r in result)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown aggregation"):
        bootstrap(_field(n=3), cut=1, method="median")
    with pytest.raises(ValueError, match="without totals"):
        bootstrap([EntryTotals(1, ())], cut=1)
    assert bootstrap([], cut=1) == []
