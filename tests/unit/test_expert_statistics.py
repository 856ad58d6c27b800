"""Per-expert statistics: leniency, spread, straight-lining, speed and flags."""
import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.results.experts import (
    FLAG_FAST,
    FLAG_LENIENT,
    FLAG_NARROW_SPREAD,
    FLAG_SEVERE,
    FLAG_STRAIGHT_LINING,
    FLAGS,
    ExpertSheet,
    ExpertStatistic,
    expert_statistics,
    flag_counts,
    robust_z,
)

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
VARIED = {"a": 70.0, "b": 80.0}


def sheet(expert_id, entry_id, total, scores=VARIED, minutes=30.0):
    return ExpertSheet(
        expert_id=expert_id,
        entry_id=entry_id,
        total=float(total),
        criterion_scores=scores,
        opened_at=T0,
        submitted_at=T0 + timedelta(minutes=minutes),
    )


def by_id(stats):
    return {s.expert_id: s for s in stats}


def crossed_panel(offsets):
    """Every expert scores entries 1–10; expert i gives (60 + entry) + offsets[i - 1].

    The leave-one-out consensus of expert i on every entry is the entry's base
    plus the mean of the other offsets, so expert i's leniency is
    o_i − (S − o_i)/(k − 1) = (k·o_i − S)/(k − 1), with S the sum and k the
    number of offsets.
    """
    return [
        sheet(expert_id, entry_id, 60 + entry_id + offset)
        for expert_id, offset in enumerate(offsets, start=1)
        for entry_id in range(1, 11)
    ]


# Leniency, leave one out -----------------------------------------------------


def test_leave_one_out_leniency_worked_example():
    # Entry 1: A=80, B=70, C=60.  Entry 2: A=90, B=80.  Entry 3: A=50 (alone).
    # A: entry 1 consensus (70+60)/2 = 65 → +15; entry 2 consensus 80 → +10;
    #    entry 3 not counted.  leniency (15+10)/2 = 12.5, m = 2;
    #    SD of (15, 10) = √((2.5² + 2.5²)/1) = √12.5, SE = √12.5/√2 = 2.5.
    # B: entry 1 consensus (80+60)/2 = 70 → 0; entry 2 consensus 90 → −10.
    #    leniency −5; SD of (0, −10) = √50, SE = √50/√2 = 5.
    # C: entry 1 consensus (80+70)/2 = 75 → −15.  leniency −15, m = 1, SE None.
    sheets = [
        sheet(1, 1, 80), sheet(2, 1, 70), sheet(3, 1, 60),
        sheet(1, 2, 90), sheet(2, 2, 80),
        sheet(1, 3, 50),
    ]

    stats = by_id(expert_statistics(sheets))

    a, b, c = stats[1], stats[2], stats[3]
    assert (a.leniency, a.leniency_sheets, a.leniency_se) == (12.5, 2, pytest.approx(2.5))
    assert (b.leniency, b.leniency_sheets, b.leniency_se) == (-5.0, 2, pytest.approx(5.0))
    assert (c.leniency, c.leniency_sheets, c.leniency_se) == (-15.0, 1, None)
    # A's totals 80, 90, 50: mean 220/3; squared deviations (20/3)², (50/3)², (70/3)²
    # sum to 7800/9, over n − 1 = 2 gives 1300/3.
    assert a.sheets == 3
    assert a.mean_total == pytest.approx(220 / 3)
    assert a.sd_total == pytest.approx(math.sqrt(1300 / 3))
    assert c.sd_total is None


def test_expert_alone_on_every_entry_has_no_leniency():
    stats = by_id(expert_statistics([sheet(1, 1, 80), sheet(1, 2, 70), sheet(2, 3, 60)]))

    assert (stats[1].leniency, stats[1].leniency_sheets, stats[1].leniency_se) == (None, 0, None)
    assert stats[1].leniency_z is None
    assert stats[1].flags == ()


def test_ordered_by_expert_id_and_empty_input():
    stats = expert_statistics([sheet(9, 1, 80), sheet(2, 1, 70), sheet(5, 1, 60)])

    assert [s.expert_id for s in stats] == [2, 5, 9]
    assert expert_statistics([]) == []


def test_two_sheets_of_one_expert_on_one_entry_are_refused():
    with pytest.raises(ValueError, match="expert 1 has two sheets on entry 4"):
        expert_statistics([sheet(1, 4, 80), sheet(1, 4, 70)])


# Straight-lining --------------------------------------------------------------


def test_straight_lining_detection():
    sheets = [
        sheet(1, 1, 70, {"a": 70.0, "b": 70.0, "c": 70}),  # all equal: counted
        sheet(1, 2, 70, {"a": 70.0, "b": None, "c": 70.0}),  # one missing: not counted
        sheet(1, 3, 70, {"a": 70.0}),  # a single criterion: not counted
        sheet(1, 4, 70, {"a": 70.0, "b": 71.0}),  # not all equal
    ]

    stat = expert_statistics(sheets)[0]

    assert (stat.straight_lined, stat.straight_share) == (1, 0.25)
    assert FLAG_STRAIGHT_LINING not in stat.flags


def test_straight_lining_flag_by_share_and_by_count():
    same = {"a": 60.0, "b": 60.0}
    by_share = [sheet(1, 1, 60, same), sheet(1, 2, 60, same), sheet(1, 3, 60)]  # 2 of 3
    by_count = [sheet(2, e, 60, same) for e in (1, 2, 3)] + [sheet(2, e, 60) for e in (4, 5, 6, 7)]  # 3 of 7
    too_few = [sheet(3, 1, 60, same), sheet(3, 2, 60, same)]  # 2 of 2, but only 2 sheets

    stats = by_id(expert_statistics(by_share + by_count + too_few))

    assert stats[1].straight_share == pytest.approx(2 / 3)
    assert FLAG_STRAIGHT_LINING in stats[1].flags
    assert stats[2].straight_share == pytest.approx(3 / 7)
    assert FLAG_STRAIGHT_LINING in stats[2].flags
    assert stats[3].straight_share == 1.0
    assert FLAG_STRAIGHT_LINING not in stats[3].flags


# Spread and time -----------------------------------------------------------------


def test_median_minutes_even_number_of_sheets():
    sheets = [sheet(1, e, 70, minutes=m) for e, m in ((1, 30), (2, 2), (3, 10), (4, 4.5))]

    # Sorted 2, 4.5, 10, 30: the median is (4.5 + 10) / 2.
    assert expert_statistics(sheets)[0].median_minutes == 7.25


def test_fast_flag_needs_enough_sheets():
    fast = [sheet(1, e, 60 + e * 10, minutes=m) for e, m in ((1, 2), (2, 3), (3, 4))]
    fast_but_few = [sheet(2, e, 60 + e * 10, minutes=1) for e in (1, 2)]

    stats = by_id(expert_statistics(fast + fast_but_few))

    assert stats[1].median_minutes == 3.0
    assert stats[1].flags == (FLAG_FAST,)
    assert stats[2].median_minutes == 1.0
    assert stats[2].flags == ()


def test_narrow_spread_needs_five_sheets():
    narrow = [sheet(1, e, t) for e, t in enumerate((70, 71, 72, 71, 70), start=1)]
    narrow_but_few = [sheet(2, e, t) for e, t in enumerate((70, 71, 72, 71), start=1)]
    wide = [sheet(3, e, t) for e, t in enumerate((50, 60, 70, 80, 90), start=1)]

    stats = by_id(expert_statistics(narrow + narrow_but_few + wide))

    # Totals 70, 71, 72, 71, 70: mean 70.8, squared deviations sum to 2.8, SD √0.7.
    assert stats[1].sd_total == pytest.approx(math.sqrt(0.7))
    assert FLAG_NARROW_SPREAD in stats[1].flags
    assert FLAG_NARROW_SPREAD not in stats[2].flags
    assert FLAG_NARROW_SPREAD not in stats[3].flags


# Robust z and the leniency flags ---------------------------------------------------


def test_clear_lenient_outlier_among_ten_experts():
    # Offsets −2, −1, −1, 0, 0, 0, 1, 1, 2 and 20 (S = 20, k = 10): leniency
    # (10·o − 20)/9, i.e. −40/9, −30/9 (×2), −20/9 (×3), −10/9 (×2), 0 and 20.
    # Median −20/9; absolute deviations 0 (×3), 10/9 (×4), 20/9 (×2), 200/9:
    # MAD 10/9.  The outlier's z = (20 + 20/9) / (1.4826 · 10/9) = 200/14.826.
    stats = expert_statistics(crossed_panel([-2, -1, -1, 0, 0, 0, 1, 1, 2, 20]))

    outlier = stats[-1]
    assert outlier.leniency == pytest.approx(20.0)
    assert outlier.leniency_sheets == 10
    assert outlier.leniency_z == pytest.approx(200 / 14.826)
    assert outlier.flags == (FLAG_LENIENT,)
    assert stats[0].leniency == pytest.approx(-40 / 9)
    assert stats[0].leniency_z == pytest.approx((-20 / 9) / (1.4826 * 10 / 9))
    assert [s.flags for s in stats[:-1]] == [()] * 9
    assert flag_counts(stats) == {
        FLAG_LENIENT: 1, FLAG_SEVERE: 0, FLAG_NARROW_SPREAD: 0, FLAG_STRAIGHT_LINING: 0, FLAG_FAST: 0,
    }


def test_clear_severe_outlier_among_ten_experts():
    stats = expert_statistics(crossed_panel([2, 1, 1, 0, 0, 0, -1, -1, -2, -20]))

    assert stats[-1].leniency == pytest.approx(-20.0)
    assert stats[-1].flags == (FLAG_SEVERE,)
    assert flag_counts(stats)[FLAG_SEVERE] == 1
    assert [s.flags for s in stats[:-1]] == [()] * 9


def test_nobody_flagged_when_experts_are_alike():
    identical = expert_statistics(crossed_panel([0] * 10))
    similar = expert_statistics(crossed_panel([-2, -1, -1, 0, 0, 0, 1, 1, 2, 1]))

    assert [s.leniency for s in identical] == [0.0] * 10
    assert [s.leniency_z for s in identical] == [None] * 10
    assert [s.flags for s in identical + similar] == [()] * 20


def test_minimum_size_keeps_tiny_deviations_unflagged():
    # The outlier example scaled by 1/10: z is unchanged (200/14.826 ≈ 13.5), leniency only 2 points.
    sheets = crossed_panel([-0.2, -0.1, -0.1, 0, 0, 0, 0.1, 0.1, 0.2, 2.0])

    default = expert_statistics(sheets)[-1]
    relaxed = expert_statistics(sheets, min_leniency_points=1.0)[-1]

    assert default.leniency == pytest.approx(2.0)
    assert default.leniency_z == pytest.approx(200 / 14.826)
    assert default.flags == ()
    assert relaxed.flags == (FLAG_LENIENT,)


def test_mad_zero_falls_back_to_mean_absolute_deviation():
    # Offsets 0 (×9) and 30: S = 30, leniency (10·o − 30)/9, so −10/3 (×9) and 30.
    # Median −10/3 and MAD 0; mean absolute deviation (30 + 10/3)/10 = 10/3.
    # z = (100/3) / (1.2533 · 10/3) = 10/1.2533; the other experts' z is 0.
    stats = expert_statistics(crossed_panel([0] * 9 + [30]))

    assert stats[-1].leniency == pytest.approx(30.0)
    assert stats[-1].leniency_z == pytest.approx(10 / 1.2533)
    assert stats[-1].flags == (FLAG_LENIENT,)
    assert [s.leniency_z for s in stats[:-1]] == [pytest.approx(0.0)] * 9


def test_robust_z_directly():
    assert robust_z([]) is None
    assert robust_z([4.0, 4.0, 4.0]) is None
    # Median 2, absolute deviations 1, 0, 1: MAD 1.
    assert robust_z([1.0, 2.0, 3.0]) == [pytest.approx(-1 / 1.4826), 0.0, pytest.approx(1 / 1.4826)]


def test_experts_with_too_few_counted_sheets_get_no_z():
    sheets = crossed_panel([-2, -1, -1, 0, 0, 0, 1, 1, 2, 20])
    # Expert 11 is far more lenient, but only two of their sheets have a consensus.
    sheets += [sheet(11, 1, 100), sheet(11, 2, 100), sheet(11, 99, 100)]

    stats = by_id(expert_statistics(sheets))

    assert stats[11].leniency_sheets == 2
    assert stats[11].leniency_z is None
    assert stats[11].flags == ()


def test_thresholds_are_keyword_arguments():
    fast = [sheet(1, e, 60 + e * 10, minutes=8) for e in (1, 2, 3)]

    assert expert_statistics(fast)[0].flags == ()
    assert expert_statistics(fast, fast_minutes=10)[0].flags == (FLAG_FAST,)
    with pytest.raises(TypeError):
        expert_statistics(fast, 3)


# Order independence and storage -------------------------------------------------------

sheet_rows = st.lists(
    st.tuples(
        st.integers(1, 6),  # expert
        st.integers(1, 8),  # entry
        st.floats(0, 100, allow_nan=False),  # total
        st.lists(st.one_of(st.none(), st.sampled_from([0.0, 50.0, 70.5, 100.0])), max_size=4),
        st.floats(0, 120, allow_nan=False),  # minutes
    ),
    unique_by=lambda row: (row[0], row[1]),
    max_size=40,
)


def build(rows):
    return [
        sheet(expert, entry, total, {f"c{i}": s for i, s in enumerate(scores)}, minutes)
        for expert, entry, total, scores, minutes in rows
    ]


@settings(max_examples=150, deadline=None)
@given(rows=sheet_rows, data=st.data())
def test_input_order_does_not_change_results(rows, data):
    shuffled = data.draw(st.permutations(rows))

    assert expert_statistics(build(shuffled), min_leniency_sheets=1) == expert_statistics(
        build(rows), min_leniency_sheets=1
    )


@settings(max_examples=100, deadline=None)
@given(rows=sheet_rows)
def test_as_dict_from_dict_round_trip_through_json(rows):
    for stat in expert_statistics(build(rows), min_leniency_sheets=1):
        stored = json.loads(json.dumps(stat.as_dict()))

        assert ExpertStatistic.from_dict(stored) == stat
        assert isinstance(stored["flags"], list)


def test_as_dict_is_plain_data():
    stat = expert_statistics(crossed_panel([0] * 9 + [30]))[-1]

    data = stat.as_dict()

    assert data["flags"] == [FLAG_LENIENT]
    assert data["expert_id"] == 10 and data["sheets"] == 10
    assert all(v is None or type(v) in (int, float, list) for v in data.values())
    # JSON may hand whole numbers back as ints; from_dict makes them floats again.
    assert ExpertStatistic.from_dict({**data, "mean_total": 75, "straight_share": 0}).mean_total == 75.0


def test_flag_counts_lists_every_flag():
    assert flag_counts([]) == dict.fromkeys(FLAGS, 0)
    assert list(flag_counts([])) == list(FLAGS)
