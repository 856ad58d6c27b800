"""Cut-line stability on plain data: determinism, borderline entries,
intervals, aggregation methods and single-sheet entries."""
import numpy as np
import pytest

from app.results.bootstrap import (
    EntryTotals,
    RankInterval,
    bootstrap,
    rank_scores,
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
    entries = _field()
    assert bootstrap(entries, cut=10, seed=3, resamples=300) == bootstrap(
        entries, cut=10, seed=3, resamples=300
    )


def test_input_order_does_not_matter():
    entries = _field()
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
    # Twenty steady entries with scores 80, 79, ..., 61; the cut is rank 12.
    entries += [EntryTotals(i, (82.0 - i,) * 5) for i in range(2, 22)]
    # Entry 100 averages 70.5 (rank 12 at the point estimate) but its totals range widely.
    entries.append(EntryTotals(100, (40.0, 100.0, 50.0, 90.0, 72.5)))
    result = _by_id(bootstrap(entries, cut=12, seed=5, resamples=500))

    assert result[1] == RankInterval(1, rank=1, lo=1, hi=1, borderline=False)
    wide = result[100]
    assert wide.rank == 12
    assert wide.lo <= 12 < wide.hi
    assert wide.borderline
    assert not result[2].borderline  # steady and far above the cut


def test_interval_contains_the_point_estimate_rank():
    for r in bootstrap(_field(), cut=10, seed=11, resamples=400):
        assert r.lo <= r.rank <= r.hi


def test_ties_are_broken_by_entry_id():
    ranks = rank_scores(np.array([[70.0, 80.0, 70.0, 80.0]]))
    assert ranks.tolist() == [[3, 1, 4, 2]]


def test_trimmed_mean_drops_one_highest_and_one_lowest_from_five_values():
    assert trimmed_mean(np.array([[0.0, 50.0, 60.0, 70.0, 100.0]])).tolist() == [60.0]
    # Fewer than five values: the plain mean.
    assert trimmed_mean(np.array([[0.0, 60.0, 90.0, 100.0]])).tolist() == [62.5]


def test_trimmed_mean_ignores_an_outlier_that_the_mean_does_not():
    # Entry 1 has one very low sheet; entry 2 is steady at 75.
    entries = [EntryTotals(1, (80.0, 80.0, 80.0, 80.0, 0.0)), EntryTotals(2, (75.0,) * 5)]
    by_mean = _by_id(bootstrap(entries, cut=1, method="mean", seed=1, resamples=200))
    by_trim = _by_id(bootstrap(entries, cut=1, method="trimmed_mean", seed=1, resamples=200))
    assert by_mean[1].rank == 2  # mean 64 < 75
    assert by_trim[1].rank == 1  # trimmed mean 80 > 75
    assert by_mean[1].borderline  # in when the 0 is not drawn, out when it is
    # Trimmed: drawing the 0 more than once keeps it in the sample; the 80s still win often.
    assert by_trim[1].lo == 1


def test_a_callable_aggregation_is_accepted():
    entries = _field(n=10)
    by_name = bootstrap(entries, cut=3, method="mean", seed=4, resamples=100)
    by_callable = bootstrap(entries, cut=3, method=lambda v: v.mean(axis=-1), seed=4, resamples=100)
    assert by_name == by_callable


def test_single_sheet_entries_keep_their_score_in_every_resample():
    entries = [EntryTotals(i, (100.0 - i,)) for i in range(1, 11)]
    result = bootstrap(entries, cut=5, seed=9, resamples=200)
    assert [(r.rank, r.lo, r.hi, r.borderline) for r in result] == [
        (i, i, i, False) for i in range(1, 11)
    ]


def test_mixed_sheet_counts():
    # Entry 2 (mean 82.3) beats entry 1's single 90 whenever its 60 is not drawn (30 %).
    entries = [EntryTotals(1, (90.0,)), EntryTotals(2, (95.0, 92.0, 60.0)), EntryTotals(3, (50.0,) * 7)]
    result = _by_id(bootstrap(entries, cut=1, seed=2, resamples=300))
    assert result[1] == RankInterval(1, rank=1, lo=1, hi=2, borderline=True)
    assert result[2] == RankInterval(2, rank=2, lo=1, hi=2, borderline=True)
    assert result[3] == RankInterval(3, rank=3, lo=3, hi=3, borderline=False)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown aggregation"):
        bootstrap(_field(n=3), cut=1, method="median")
    with pytest.raises(ValueError, match="without totals"):
        bootstrap([EntryTotals(1, ())], cut=1)
    assert bootstrap([], cut=1) == []
