"""Aggregation of sheet totals, disagreement flags and the tie rule."""
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.results.aggregation import (
    FLAG_RANGE,
    FLAG_SD,
    NOTE_NOT_TRIMMED_TOO_FEW,
    NOTE_TRIMMED,
    NOTE_ZSCORE_GUARDED,
    EntryResult,
    SheetTotal,
    aggregate,
    describe,
    disagreement,
    flag_disagreement,
    rank,
    rank_positions,
    tie_break_key,
    trimmed_mean,
    zscore_adjusted,
)

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def sheet(entry_id, expert_id, total, outcome=None, minutes=0):
    scores = {} if outcome is None else {"measured_outcomes": outcome}
    return SheetTotal(entry_id, expert_id, float(total), scores, T0 + timedelta(minutes=minutes))


def test_describe_hand_computed():
    stats = describe([80, 70, 90, 60])

    assert stats.n == 4
    assert stats.mean == 75.0
    assert stats.median == 75.0
    assert (stats.min, stats.max, stats.range) == (60.0, 90.0, 30.0)
    assert stats.sd == pytest.approx(math.sqrt(500 / 3))


def test_describe_small_inputs():
    assert describe([]).mean is None and describe([]).n == 0
    one = describe([72.5])
    assert (one.n, one.mean, one.median, one.sd, one.range) == (1, 72.5, 72.5, None, 0.0)


def test_mean_method():
    results = aggregate([sheet(1, 10, 80), sheet(1, 11, 70), sheet(1, 12, 90), sheet(2, 10, 60)], method="mean")

    assert [(r.entry_id, r.score, r.notes) for r in results] == [(1, 80.0, ()), (2, 60.0, ())]
    assert results[0].raw.sd == pytest.approx(10.0)


def test_trimmed_mean_with_five_sheets_drops_one_high_and_one_low():
    result = trimmed_mean([99, 50, 80, 70, 90])

    assert (result.value, result.trimmed, result.reason) == (80.0, True, NOTE_TRIMMED)
    assert (result.dropped_low, result.dropped_high) == (50.0, 99.0)


def test_trimmed_mean_drops_only_one_of_equal_extremes():
    assert trimmed_mean([70, 70, 80, 90, 90]).value == pytest.approx(80.0)


def test_trimmed_mean_with_four_sheets_is_not_trimmed():
    result = trimmed_mean([60, 70, 80, 90])

    assert (result.value, result.trimmed, result.reason) == (75.0, False, NOTE_NOT_TRIMMED_TOO_FEW)
    assert result.dropped_low is None


def test_trimmed_method_notes_and_raw_stats():
    sheets = [sheet(1, e, t) for e, t in enumerate([99, 50, 80, 70, 90])]
    sheets += [sheet(2, e, t) for e, t in enumerate([60, 70, 80, 90])]

    first, second = aggregate(sheets, method="trimmed_mean")

    assert (first.score, first.notes, first.raw.mean) == (80.0, (NOTE_TRIMMED,), pytest.approx(77.8))
    assert (second.score, second.notes, second.raw.n) == (75.0, (NOTE_NOT_TRIMMED_TOO_FEW,), 4)


def zscore_sheets():
    # Experts 1–3 score entries 1–3: z-scores ±1/0 by construction.
    # Expert 4 has a single sheet: guarded.
    return [
        sheet(1, 1, 80), sheet(2, 1, 70), sheet(3, 1, 60),  # mean 70, SD 10
        sheet(1, 2, 90), sheet(2, 2, 85), sheet(3, 2, 80),  # mean 85, SD 5
        sheet(1, 3, 50), sheet(2, 3, 60), sheet(3, 3, 70),  # mean 60, SD 10
        sheet(1, 4, 75),
    ]


# The z-score tests below check the arithmetic on three sheets per expert: with
# the guards of the old rule (3 sheets, no SD floor), as the defaults would guard everyone.
OLD_GUARDS = {"min_sheets_per_expert": 3, "sd_floor": None}


def test_zscore_hand_computed_with_guard():
    result = zscore_adjusted(zscore_sheets(), **OLD_GUARDS)
    call_sd = math.sqrt(1410 / 9)  # totals sum to 720 (mean 72); squared deviations sum to 1410

    assert result.call_mean == pytest.approx(72.0)
    assert result.call_sd == pytest.approx(call_sd)
    assert result.guarded_experts == (4,)
    e1, e2, e3 = result.entries[1], result.entries[2], result.entries[3]
    assert e1.mean_z == pytest.approx((1 + 1 - 1 + 3 / call_sd) / 4)
    assert e1.score == pytest.approx(72 + call_sd * e1.mean_z)
    assert e1.guarded_experts == (4,)
    assert (e2.mean_z, e2.score, e2.guarded_experts) == (pytest.approx(0.0), pytest.approx(72.0), ())
    assert e3.score == pytest.approx(72 - call_sd / 3)


def test_zscore_guards_an_expert_without_spread():
    sheets = [sheet(e, 1, t) for e, t in [(1, 80), (2, 60), (3, 70)]]
    sheets += [sheet(e, 2, 65) for e in (1, 2, 3)]

    result = zscore_adjusted(sheets, **OLD_GUARDS)

    assert result.guarded_experts == (2,)
    assert result.entries[1].guarded_experts == (2,)


def test_zscore_method_notes_guarded_experts():
    results = {r.entry_id: r for r in aggregate(zscore_sheets(), method="zscore", **OLD_GUARDS)}

    assert results[1].notes == (NOTE_ZSCORE_GUARDED,)
    assert results[1].guarded_experts == (4,)
    assert results[2].notes == ()
    assert results[2].raw.mean == pytest.approx(215 / 3)


def quoted_case(*, third_sheet: bool):
    """The issue's case: expert 1 gave 80.0, 80.5 and (with ``third_sheet``) 81.0."""
    sheets = [sheet(1, 2, 85), sheet(2, 2, 55), sheet(3, 3, 55), sheet(4, 3, 90), sheet(4, 2, 70), sheet(5, 3, 60),
              sheet(5, 2, 95), sheet(1, 1, 80.0), sheet(2, 1, 80.5)]
    return sheets + [sheet(3, 1, 81.0)] if third_sheet else sheets


def test_the_old_rule_turned_80_into_60_8_and_one_more_sheet_moved_an_entry_by_9_5_points():
    before = zscore_adjusted(quoted_case(third_sheet=False), **OLD_GUARDS)
    after = zscore_adjusted(quoted_case(third_sheet=True), **OLD_GUARDS)

    assert after.sheet_scores[(1, 1)] == pytest.approx(60.8, abs=0.05)
    assert before.entries[1].score - after.entries[1].score == pytest.approx(9.5, abs=0.05)


def test_the_guards_keep_an_expert_with_three_close_sheets_on_the_call():
    before = zscore_adjusted(quoted_case(third_sheet=False))
    after = zscore_adjusted(quoted_case(third_sheet=True))

    assert 1 in after.guarded_experts and after.entries[1].guarded_experts == (1, 2)
    # A guarded sheet standardised on the call and put back on its scale is its own total.
    assert after.sheet_scores[(1, 1)] == pytest.approx(80.0)
    assert abs(after.entries[1].score - before.entries[1].score) < 1e-9
    results = {r.entry_id: r for r in aggregate(quoted_case(third_sheet=True), method="zscore")}
    assert results[1].notes == (NOTE_ZSCORE_GUARDED,) and results[1].guarded_experts == (1, 2)


def test_the_sd_floor_guards_an_expert_with_enough_sheets_but_little_spread():
    # Expert 1: 8 sheets within 3 points (SD ≈ 1.1); expert 2: 8 sheets spread widely.
    sheets = [sheet(e, 1, 70 + (e % 4)) for e in range(8)] + [sheet(e, 2, 50 + 6 * e) for e in range(8)]

    assert zscore_adjusted(sheets).guarded_experts == (1,)
    assert zscore_adjusted(sheets, sd_floor=1.0).guarded_experts == ()
    assert zscore_adjusted(sheets, sd_floor=None).guarded_experts == ()
    assert zscore_adjusted(sheets, min_sheets_per_expert=9, sd_floor=None).guarded_experts == (1, 2)


def test_calibrated_method_removes_a_lenient_experts_offset():
    # Four experts score overlapping pairs of entries; expert 4 adds 10 points to every sheet.
    quality = {1: 60, 2: 70, 3: 80, 4: 65, 5: 75, 6: 85}
    pairs = [(1, 2), (2, 3), (3, 4), (4, 1), (1, 3), (2, 4)]
    noise = [0.5, -0.5, 0.3, -0.2, 0.1, -0.4, 0.2, 0.6, -0.3, 0.4, -0.1, -0.6]
    sheets = [sheet(entry, expert, quality[entry] + (10 if expert == 4 else 0) + noise[(2 * entry + i) % 12],
                    minutes=entry)
              for entry in quality for i, expert in enumerate(pairs[entry - 1])]
    sheets = [SheetTotal(s.entry_id, s.expert_id, s.total, {}, s.submitted_at, 7) for s in sheets]

    results = {r.entry_id: r for r in aggregate(sheets, method="calibrated")}
    means = {r.entry_id: r for r in aggregate(sheets, method="mean")}

    assert [r.result.entry_id for r in rank(list(results.values()))] == [6, 3, 5, 2, 4, 1]
    assert [r.result.entry_id for r in rank(list(means.values()))] != [6, 3, 5, 2, 4, 1]
    assert all(r.notes == () for r in results.values())
    # Calibration keeps the panel's average.
    assert math.fsum(r.score * r.raw.n for r in results.values()) == pytest.approx(
        math.fsum(s.total for s in sheets))


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        aggregate([sheet(1, 1, 50)], method="median")


def test_disagreement_and_flags():
    stats = disagreement([60, 90, 75])

    assert stats.sd == pytest.approx(15.0)
    assert stats.range == 30.0
    assert flag_disagreement(stats, sd_threshold=15, range_threshold=30) == (FLAG_SD, FLAG_RANGE)
    assert flag_disagreement(stats, sd_threshold=15.1, range_threshold=25) == (FLAG_RANGE,)
    assert flag_disagreement(stats, sd_threshold=20, range_threshold=None) == ()
    assert flag_disagreement(disagreement([70]), sd_threshold=0, range_threshold=1) == ()


def result(entry_id, score, raw_mean, outcome=None, submitted=None):
    raw = describe([raw_mean])
    return EntryResult(entry_id=entry_id, method="mean", score=score, raw=raw,
                       outcome_mean=outcome, submitted_at=submitted)


def test_tie_rule_order():
    entries = [
        result(9, 80.0, 70.0, 85, T0),
        result(1, 80.0, 70.0, 85, T0),  # same as 9 except the lower id
        result(5, 80.0, 70.0, 85, T0 - timedelta(days=1)),  # earlier submission
        result(4, 80.0, 70.0, 90, None),  # higher outcome mean beats submission time
        result(7, 80.0, 72.0, None, None),  # higher raw mean beats outcomes
        result(3, 80.00001, 60.0),  # equal to 80.0 at 4 decimals: raw mean decides
        result(8, 81.0, 10.0),  # higher adjusted score first
        result(6, 80.0, 70.0, 85, None),  # unknown submission comes last
        result(2, 80.0, 70.0, None, T0),  # no outcome comes after those with one
    ]

    ranked = rank(entries)

    assert [r.result.entry_id for r in ranked] == [8, 7, 4, 5, 1, 9, 6, 2, 3]
    assert [r.position for r in ranked] == list(range(1, 10))


def test_tie_break_key_is_deterministic():
    key = {"score": 80.0, "raw_mean": 70.0, "outcome_mean": None, "submitted_at": None}
    assert tie_break_key(**key, entry_id=1) < tie_break_key(**key, entry_id=2)


# Property tests ---------------------------------------------------------------

totals = st.integers(min_value=0, max_value=100)


@st.composite
def full_design(draw):
    """Every expert scores every entry; totals are whole numbers."""
    n_experts = draw(st.integers(2, 4))
    n_entries = draw(st.integers(3, 6))
    grid = draw(st.lists(st.lists(totals, min_size=n_entries, max_size=n_entries),
                         min_size=n_experts, max_size=n_experts))
    return [sheet(entry, expert, grid[expert][entry], outcome=grid[expert][entry] % 7, minutes=entry)
            for expert in range(n_experts) for entry in range(n_entries)]


@st.composite
def any_sheets(draw):
    """Entries scored by a varying subset of experts (some guarded)."""
    n_experts = draw(st.integers(1, 5))
    n_entries = draw(st.integers(1, 6))
    sheets = []
    for entry in range(n_entries):
        experts = draw(st.lists(st.integers(0, n_experts - 1), min_size=1, max_size=n_experts, unique=True))
        sheets += [sheet(entry, expert, draw(totals), outcome=draw(totals)) for expert in experts]
    return sheets


@settings(max_examples=60, deadline=None)
@given(full_design(), st.integers(-30, 30))
def test_shifting_one_expert_leaves_zscores_unchanged(sheets, constant):
    before = zscore_adjusted(sheets, **OLD_GUARDS)
    assume(before.guarded_experts == ())
    shifted = [sheet(s.entry_id, s.expert_id, s.total + constant) if s.expert_id == 0 else s for s in sheets]

    after = zscore_adjusted(shifted, **OLD_GUARDS)

    assert after.guarded_experts == ()
    for entry_id, entry in before.entries.items():
        assert after.entries[entry_id].mean_z == pytest.approx(entry.mean_z, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(any_sheets(), st.randoms(use_true_random=False), st.sampled_from(["mean", "trimmed_mean", "zscore"]))
def test_permuting_sheets_and_relabelling_experts_changes_nothing(sheets, rnd, method):
    expert_ids = sorted({s.expert_id for s in sheets})
    relabel = dict(zip(expert_ids, rnd.sample([100 + i for i in range(len(expert_ids))], len(expert_ids))))
    permuted = [SheetTotal(s.entry_id, relabel[s.expert_id], s.total, s.criterion_scores, s.submitted_at)
                for s in sheets]
    rnd.shuffle(permuted)

    before = aggregate(sheets, method=method)
    after = aggregate(permuted, method=method)

    assert [(r.entry_id, r.score, r.raw, r.notes, r.outcome_mean) for r in before] == [
        (r.entry_id, r.score, r.raw, r.notes, r.outcome_mean) for r in after
    ]
    assert [tuple(sorted(relabel[e] for e in r.guarded_experts)) for r in before] == [
        r.guarded_experts for r in after
    ]
    assert [r.result.entry_id for r in rank(before)] == [r.result.entry_id for r in rank(after)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=5, max_size=12))
def test_trimming_drops_exactly_one_high_and_one_low(values):
    result = trimmed_mean(values)
    rest = sorted(values)
    rest.remove(min(values))
    rest.remove(max(values))

    assert result.trimmed
    assert (result.dropped_low, result.dropped_high) == (min(values), max(values))
    assert result.value == pytest.approx(math.fsum(rest) / len(rest), abs=1e-9)
    assert min(values) <= result.value <= max(values)


@settings(max_examples=60, deadline=None)
@given(any_sheets(), st.lists(st.lists(st.sampled_from([50.0, 50.00001, 61.5, 70.0, 88.25]), min_size=6, max_size=6),
                              min_size=1, max_size=3))
def test_rank_positions_rank_as_rank_does_with_the_score_swapped(sheets, draws):
    """Scores drawn from a few values (some equal to 4 decimals), so the rest of the tie rule decides often."""
    results = aggregate(sheets, method="mean")
    scores = [{r.entry_id: draw[i % len(draw)] for i, r in enumerate(results)} for draw in draws]

    found = rank_positions(results, scores=scores)

    for method_scores, positions in zip(scores, found, strict=True):
        expected = rank([replace(r, score=method_scores[r.entry_id]) for r in results])
        assert positions == {item.result.entry_id: item.position for item in expected}
