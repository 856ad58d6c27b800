"""Review rounds, pure parts: combining round scores, and the shortlist rule."""
from types import SimpleNamespace

import pytest

from app.results import bootstrap
from app.results.combination import (
    FINAL_ROUND,
    WEIGHTED,
    RoundFigures,
    affine,
    combined_score,
    group_positions,
    round_scores,
)
from app.review.rounds.shortlist import BORDERLINE, TOP_DOMAIN, TOP_OVERALL, rule_picks


def test_weighted_combination_uses_the_rounds_weights():
    figures = {1: RoundFigures(90.0, 5, 1), 2: RoundFigures(70.0, 7, 3)}
    assert combined_score(figures, weights={1: 40, 2: 60}, mode=WEIGHTED, last=2) == pytest.approx(78.0)


def test_weighted_combination_over_the_rounds_an_entry_has():
    # An entry without an earlier round's figure is weighted over the rounds it has.
    assert combined_score({2: RoundFigures(70.0, 7, 3)}, weights={1: 40, 2: 60}, mode=WEIGHTED, last=2) == 70.0
    # All weights zero: the last round decides.
    figures = {1: RoundFigures(90.0, 5, 1), 2: RoundFigures(70.0, 7, 3)}
    assert combined_score(figures, weights={1: 0, 2: 0}, mode=WEIGHTED, last=2) == 70.0


def test_final_round_ignores_the_earlier_rounds():
    figures = {1: RoundFigures(99.0, 5, 1), 2: RoundFigures(61.5, 7, 4)}
    assert combined_score(figures, weights={1: 40, 2: 60}, mode=FINAL_ROUND, last=2) == 61.5


@pytest.mark.parametrize("mode, weights", [(WEIGHTED, {1: 40, 2: 60}), (WEIGHTED, {1: 100, 2: 0}),
                                           (WEIGHTED, {1: 0, 2: 0}), (FINAL_ROUND, {1: 40, 2: 60})])
def test_the_affine_map_gives_the_combined_score_from_the_last_rounds_score(mode, weights):
    figures = {1: {7: RoundFigures(90.0, 5, 1), 8: RoundFigures(60.0, 5, 9)},
               2: {7: RoundFigures(70.0, 7, 3), 8: RoundFigures(95.0, 7, 1), 9: RoundFigures(80.0, 7, 2)}}
    maps = affine(figures, weights=weights, mode=mode, last=2)
    assert set(maps) == {7, 8, 9}
    for entry_id, (offset, scale) in maps.items():
        own = {n: rows[entry_id] for n, rows in figures.items() if entry_id in rows}
        for last_score in (0.0, 70.0, 100.0):
            moved = {**own, 2: RoundFigures(last_score, 7, 1)}
            assert offset + scale * last_score == pytest.approx(
                combined_score(moved, weights=weights, mode=mode, last=2))


def test_rank_intervals_of_a_combined_score_rank_by_it():
    # Entry 1 scores lower in the last round but far higher in the first: the combined score
    # (offset + scale × last round) ranks it first, and so do all its resamples.
    entries = [bootstrap.EntryTotals(1, [70, 71, 69, 70, 72]), bootstrap.EntryTotals(2, [80, 81, 79, 80, 82])]
    plain = bootstrap.bootstrap(entries, cut=1, resamples=200, seed=3)
    assert [(i.entry_id, i.lo, i.hi) for i in plain] == [(1, 2, 2), (2, 1, 1)]
    combined = bootstrap.bootstrap(entries, cut=1, resamples=200, seed=3, order=[1, 2],
                                   affine={1: (0.4 * 98, 0.6), 2: (0.4 * 60, 0.6)})
    assert [(i.entry_id, i.rank, i.lo, i.hi) for i in combined] == [(1, 1, 1, 1), (2, 2, 2, 2)]
    # A last round without weight leaves nothing to resample: the intervals are the points.
    fixed = bootstrap.bootstrap(entries, cut=1, resamples=50, seed=3, order=[2, 1], affine={1: (50, 0), 2: (60, 0)})
    assert [(i.entry_id, i.lo, i.hi) for i in fixed] == [(2, 1, 1), (1, 2, 2)]
    with pytest.raises(ValueError):
        bootstrap.bootstrap(entries, cut=1, resamples=5, affine={1: (0, -1)})


def test_round_scores_are_kept_by_round_number_as_text():
    assert round_scores({2: RoundFigures(70.12345, 7, 3), 1: RoundFigures(90, 5, 1)}) == {
        "1": {"score": 90, "sheets": 5, "rank": 1}, "2": {"score": 70.1235, "sheets": 7, "rank": 3}}


def test_group_positions_continue_after_the_places_taken():
    positions = group_positions([5, 6, 7], {5: "a", 6: "b", 7: "a"}, start={"a": 2})
    assert positions == {5: 3, 6: 1, 7: 4}


def _row(entry_id, rank, domain_rank, *, lo=None, hi=None, borderline=False, veto="none", domain="manufacturing"):
    return SimpleNamespace(entry_id=entry_id, rank=rank, domain_rank=domain_rank, rank_lo=lo or domain_rank,
                           rank_hi=hi or domain_rank, borderline=borderline, veto_status=veto, domain=domain)


def _round(basis="per_domain", size=2, borderline=True):
    return SimpleNamespace(shortlist_basis=basis, shortlist_size=size, shortlist_borderline=borderline)


def test_the_top_of_each_domain():
    rows = [_row(1, 1, 1), _row(2, 2, 1), _row(3, 3, 2), _row(4, 4, 2), _row(5, 5, 3), _row(6, 6, 3)]
    assert rule_picks(_round(borderline=False), rows, intervals_per_domain=True) == {
        1: TOP_DOMAIN, 2: TOP_DOMAIN, 3: TOP_DOMAIN, 4: TOP_DOMAIN}


def test_the_top_of_the_call_and_confirmed_vetoes_never():
    rows = [_row(1, 1, 1, veto="confirmed"), _row(2, 2, 1), _row(3, 3, 2), _row(4, 4, 2)]
    assert rule_picks(_round("overall", 3, borderline=False), rows, intervals_per_domain=False) == {
        2: TOP_OVERALL, 3: TOP_OVERALL}


def test_borderline_entries_whose_interval_reaches_the_line():
    # Domain ranks 3, 4 and 5 below a line at 2, whose entry's interval reaches 4: the first's
    # interval reaches 2, the second's only 3; the third's reaches 2, but it is below the line entry's reach.
    rows = [_row(1, 1, 1), _row(2, 2, 2, hi=4), _row(3, 3, 3, lo=2), _row(4, 4, 4, lo=3), _row(5, 5, 5, lo=2)]
    picks = rule_picks(_round(), rows, intervals_per_domain=True)
    assert picks == {1: TOP_DOMAIN, 2: TOP_DOMAIN, 3: BORDERLINE}
    assert rule_picks(_round(borderline=False), rows, intervals_per_domain=True) == {1: TOP_DOMAIN, 2: TOP_DOMAIN}


def test_borderline_lines_are_drawn_per_domain():
    rows = [_row(1, 1, 1, hi=3), _row(2, 2, 1, domain="healthcare"), _row(3, 3, 2, lo=1),
            _row(4, 4, 2, lo=1, domain="healthcare")]
    # The line at 1: manufacturing's first reaches rank 2, healthcare's first only 1.
    assert rule_picks(_round(size=1), rows, intervals_per_domain=True) == {1: TOP_DOMAIN, 2: TOP_DOMAIN,
                                                                          3: BORDERLINE}


def test_borderline_falls_back_on_the_runs_flag_when_the_intervals_count_other_groups():
    # Overall line, intervals per domain: the run's own borderline flag says.
    rows = [_row(1, 1, 1), _row(2, 2, 1, lo=1, domain="healthcare"), _row(3, 3, 2, borderline=True)]
    assert rule_picks(_round("overall", 1), rows, intervals_per_domain=True) == {1: TOP_OVERALL, 3: BORDERLINE}
