"""Reliability coefficients against published values and a reference package."""
import json
from collections import defaultdict

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.results.reliability import (
    ICC_FORMS,
    VERDICT_BANDS,
    icc,
    interpret_alpha,
    interpret_icc,
    krippendorff_alpha_interval,
    largest_complete_block,
    one_way_icc,
    reliability_summary,
    verdict,
)
from app.results.variance import variance_components

SHROUT_FLEISS_TABLE_2 = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

KRIPPENDORFF_2011_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_icc_matches_shrout_fleiss_1979_table_2():
    """Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in
    assessing rater reliability. Psychological Bulletin 86(2), 420–428.
    Table 2 (6 targets × 4 judges); published: ICC(1,1)=.17, ICC(2,1)=.29,
    ICC(3,1)=.71, ICC(1,4)=.44, ICC(2,4)=.62, ICC(3,4)=.91.
    """
    result = icc(SHROUT_FLEISS_TABLE_2)

    assert (result.n, result.k) == (6, 4)
    assert round(result.icc1_1, 2) == 0.17
    assert round(result.icc1_k, 2) == 0.44
    assert round(result.icc2_1, 2) == 0.29
    assert round(result.icc3_1, 2) == 0.71
    assert round(result.icc2_k, 2) == 0.62
    assert round(result.icc3_k, 2) == 0.91
    assert result.ms_rows == pytest.approx(11.2417, abs=1e-4)
    assert result.ms_cols == pytest.approx(32.4861, abs=1e-4)
    assert result.ms_error == pytest.approx(1.0194, abs=1e-4)


@pytest.mark.parametrize(
    "matrix",
    [
        [[1, 2, 3]],  # one target
        [[1], [2], [3]],  # one rater
        [[4, 4], [4, 4], [4, 4]],  # no variance
        [[1, 2], [3, None]],  # missing value
        [],
    ],
)
def test_icc_is_none_when_undefined(matrix):
    matrix = [[np.nan if v is None else v for v in row] for row in matrix]
    assert icc(matrix) is None


def test_icc_perfect_agreement_is_one():
    result = icc([[1, 1, 1], [5, 5, 5], [3, 3, 3]])
    assert result.icc2_1 == pytest.approx(1.0)
    assert result.icc3_k == pytest.approx(1.0)


def test_alpha_matches_krippendorff_2011_worked_example():
    """Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability.
    Section C (4 observers × 12 units, missing values); published interval
    alpha = 0.849.
    """
    assert round(krippendorff_alpha_interval(KRIPPENDORFF_2011_C), 3) == 0.849


# A sheet total as stored (0–100, four decimals), or missing (None) about three times in ten.
_total = st.integers(-430_000, 1_000_000).map(lambda v: None if v < 0 else v / 10_000)


@st.composite
def ratings(draw):
    """A raters × units matrix: 2–6 raters, 5–39 units, some totals missing."""
    raters, units = draw(st.integers(2, 6)), draw(st.integers(5, 39))
    return draw(st.lists(st.lists(_total, min_size=units, max_size=units), min_size=raters, max_size=raters))


def _pairable_values(data) -> list[float]:
    """The values of the units that at least two raters scored."""
    return [value for unit in zip(*data, strict=True) if sum(v is not None for v in unit) >= 2
            for value in unit if value is not None]


@settings(max_examples=25)
@given(data=ratings())
def test_alpha_matches_krippendorff_package(data):
    assume(len(set(_pairable_values(data))) >= 2)  # defined: a pairable unit, and variation among pairable values
    array = np.array([[np.nan if v is None else v for v in row] for row in data])

    expected = krippendorff.alpha(reliability_data=array, level_of_measurement="interval")

    assert krippendorff_alpha_interval(data) == pytest.approx(expected, abs=1e-9)
    assert krippendorff_alpha_interval(array.tolist()) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "data",
    [
        [],
        [[1, 2, 3]],  # one rater: nothing pairable
        [[1, None, None], [None, 2, None]],  # no unit with two values
        [[3, 3, 3], [3, 3, 3]],  # no variation
    ],
)
def test_alpha_is_none_when_undefined(data):
    assert krippendorff_alpha_interval(data) is None


@pytest.mark.parametrize(
    "value, key",
    [(None, None), (0.2, "poor"), (0.5, "moderate"), (0.74, "moderate"), (0.75, "good"),
     (0.9, "good"), (0.91, "excellent")],
)
def test_interpret_icc(value, key):
    assert interpret_icc(value) == key


@pytest.mark.parametrize(
    "value, key",
    [(None, None), (0.5, "unreliable"), (0.666, "unreliable"), (0.667, "tentative"),
     (0.79, "tentative"), (0.8, "reliable"), (0.95, "reliable")],
)
def test_interpret_alpha(value, key):
    assert interpret_alpha(value) == key


# pingouin's names of the six forms (McGraw & Wong's A for absolute agreement, C for consistency).
PINGOUIN_TYPES = {"icc1_1": "ICC(1,1)", "icc2_1": "ICC(A,1)", "icc3_1": "ICC(C,1)",
                  "icc1_k": "ICC(1,k)", "icc2_k": "ICC(A,k)", "icc3_k": "ICC(C,k)"}


def _pingouin_iccs(matrix):
    """pingouin's table of the six forms: Type → (ICC, [low, high]); pingouin
    rounds its intervals to two decimals."""
    import warnings

    import pandas as pd
    import pingouin

    rows = [(target, rater, value) for target, row in enumerate(matrix) for rater, value in enumerate(row)]
    with warnings.catch_warnings():  # pingouin's own use of pandas is not ours to fix
        warnings.simplefilter("ignore")
        table = pingouin.intraclass_corr(pd.DataFrame(rows, columns=["target", "rater", "score"]),
                                         targets="target", raters="rater", ratings="score")
    return {row.Type: (row.ICC, row.CI95) for row in table.itertuples()}


@pytest.mark.parametrize("seed", range(6))
def test_icc_forms_and_intervals_agree_with_pingouin(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 30)), int(rng.integers(2, 7))
    # Scores on a 100-point scale: a target's quality, a rater's leniency, noise.
    matrix = (70 + rng.normal(0, 8, (n, 1)) + rng.normal(0, 3, (1, k)) + rng.normal(0, 5, (n, k))).round(1)
    matrix = matrix.tolist() if seed else SHROUT_FLEISS_TABLE_2
    result = icc(matrix)
    reference = _pingouin_iccs(matrix)
    for form, pingouin_type in PINGOUIN_TYPES.items():
        value, (low, high) = reference[pingouin_type]
        assert getattr(result, form) == pytest.approx(value, abs=1e-12), form
        ours = result.intervals[form]
        assert ours == pytest.approx((low, high), abs=0.005 + 1e-9), form  # pingouin's rounding


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 1)), min_size=3, max_size=3),
                min_size=3, max_size=12))
def test_every_icc_lies_in_its_interval(matrix):
    result = icc(matrix)
    assume(result is not None)
    for form in ICC_FORMS:
        value, interval = getattr(result, form), result.intervals[form]
        if value is None or interval is None:
            continue
        low, high = interval
        assert low <= value + 1e-9 and value <= high + 1e-9, (form, value, interval)


# --- reliability on all sheets (issue 15 §1) ----------------------------------------


def test_one_way_icc_on_unequal_sheet_counts_matches_the_hand_computation():
    """Three entries with 2, 3 and 1 sheets: means 3, 8, 9, grand mean 6.5;
    SSB = 2·3.5² + 3·1.5² + 2.5² = 37.5 (MSB 18.75 on 2 df), SSW = 2 + 8 = 10
    (MSW 10/3 on 3 df); k0 = (6 − 14/6) / 2 = 11/6; ICC(1,1) = (18.75 − 10/3) /
    (18.75 + (5/6)(10/3)) = 555/775; k = 3 / (1/2 + 1/3 + 1) = 18/11 and
    ICC(1,k) = 1998/2482 by Spearman–Brown. Interval: F = 5.625 with the
    tabulated F.975(2, 3) = 16.044 and F.975(3, 2) = 39.165.
    """
    result = one_way_icc([[2, 4], [6, 8, 10], [9]])
    assert result.reason is None
    assert result.k0 == pytest.approx(11 / 6)
    assert result.k == pytest.approx(18 / 11)
    assert result.icc1_1 == pytest.approx(555 / 775)
    assert result.icc1_k == pytest.approx(1998 / 2482)
    f_low, f_high = 5.625 / 16.044, 5.625 * 39.165
    low, high = result.intervals["icc1_1"]
    assert low == pytest.approx((f_low - 1) / (f_low + 5 / 6), abs=1e-3)
    assert high == pytest.approx((f_high - 1) / (f_high + 5 / 6), abs=1e-4)


@pytest.mark.parametrize("seed", range(4))
def test_one_way_icc_agrees_with_pingouin_when_every_entry_has_the_same_sheets(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 30)), int(rng.integers(2, 7))
    matrix = (70 + rng.normal(0, 8, (n, 1)) + rng.normal(0, 5, (n, k))).round(1).tolist()
    result = one_way_icc(matrix)
    reference = _pingouin_iccs(matrix)
    for form, pingouin_type in (("icc1_1", "ICC(1,1)"), ("icc1_k", "ICC(1,k)")):
        value, (low, high) = reference[pingouin_type]
        assert getattr(result, form) == pytest.approx(value, abs=1e-12), form
        assert result.intervals[form] == pytest.approx((low, high), abs=0.005 + 1e-9), form


@pytest.mark.parametrize(("groups", "reason"), [
    ([], "no_sheets"),
    ([[80, 85, 90]], "single_entry"),
    ([[80, 85], [70], [60]], "too_few_repeated_entries"),
    ([[80.1, 80.1, 80.1], [80.1, 80.1]], "no_variance"),
])
def test_one_way_icc_says_why_it_is_not_computable(groups, reason):
    result = one_way_icc(groups)
    assert result.reason == reason and result.icc1_1 is None and result.icc1_k is None


def _ratings(matrix):
    """(entry, expert, total) of a targets × raters matrix, None for no sheet."""
    return [(entry, expert, total) for entry, row in enumerate(matrix)
            for expert, total in enumerate(row) if total is not None]


def test_variance_components_equal_the_two_way_anova_on_a_complete_matrix():
    rng = np.random.default_rng(7)
    matrix = (70 + rng.normal(0, 8, (20, 1)) + rng.normal(0, 4, (1, 5)) + rng.normal(0, 3, (20, 5))).round(1)
    anova = icc(matrix)
    result = variance_components(_ratings(matrix.tolist()))
    assert result.reason is None and result.truncated == () and result.linked_sets == 1
    assert result.variances["residual"] == pytest.approx(anova.ms_error)
    assert result.variances["experts"] == pytest.approx((anova.ms_cols - anova.ms_error) / 20)
    assert result.variances["entries"] == pytest.approx((anova.ms_rows - anova.ms_error) / 5)


def _unbalanced_design(rng, entries, experts, per_entry, sd_entries=8.0, sd_experts=4.0, sd_residual=5.0):
    quality, leniency = rng.normal(0, sd_entries, entries), rng.normal(0, sd_experts, experts)
    return [(entry, int(expert), float(70 + quality[entry] + leniency[expert] + rng.normal(0, sd_residual)))
            for entry in range(entries)
            for expert in rng.choice(experts, int(rng.integers(per_entry[0], per_entry[1] + 1)), replace=False)]


def test_residual_variance_is_that_of_the_additive_least_squares_fit():
    """σ²ₑ = SSE / (N − n − m + c): SSE from an independent dense fit of
    entry + expert dummies, on two linked sets of experts (c = 2)."""
    rng = np.random.default_rng(11)
    first = _unbalanced_design(rng, 30, 6, (1, 4))
    second = [(entry + 100, expert + 100, total) for entry, expert, total in _unbalanced_design(rng, 25, 5, (2, 3))]
    ratings = first + second
    entries = sorted({r[0] for r in ratings})
    experts = sorted({r[1] for r in ratings})
    design = np.zeros((len(ratings), len(entries) + len(experts)))
    for row, (entry, expert, _) in enumerate(ratings):
        design[row, entries.index(entry)] = design[row, len(entries) + experts.index(expert)] = 1
    y = np.array([r[2] for r in ratings])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    sse = float(((y - fitted) ** 2).sum())
    result = variance_components(ratings)
    assert result.linked_sets == 2
    assert result.variances["residual"] == pytest.approx(sse / (len(ratings) - len(entries) - len(experts) + 2))


def test_variance_components_recover_known_components_on_simulated_sheets():
    """Entries σ 8, experts σ 4, residual σ 5 (variances 64, 16, 25), each entry
    scored by 2 to 6 of 20 experts: unbiased over 60 simulated calls."""
    estimates = np.array([
        [variance_components(_unbalanced_design(np.random.default_rng(seed), 300, 20, (2, 6)),
                             resamples=0).variances[name] for name in ("entries", "experts", "residual")]
        for seed in range(60)
    ])
    mean, standard_error = estimates.mean(axis=0), estimates.std(axis=0) / np.sqrt(60)
    assert np.all(np.abs(mean - [64, 16, 25]) < 3 * standard_error + 0.5), (mean, standard_error)


def test_the_leniency_share_has_a_bootstrap_interval_around_it():
    rng = np.random.default_rng(2026)
    result = variance_components(_unbalanced_design(rng, 800, 40, (3, 6)))
    assert result.variances["entries"] == pytest.approx(64, rel=0.15)
    assert result.variances["experts"] == pytest.approx(16, rel=0.25)
    assert result.variances["residual"] == pytest.approx(25, rel=0.05)
    # Over entries: the interval is conditional on these 40 experts.
    low, high = result.intervals["experts"]
    assert low < result.shares["experts"] < high and high - low < 0.05


def test_variance_components_truncate_a_negative_estimate_and_say_so():
    """Every expert's mean is the same (each meets each residual equally often):
    the experts' estimate is −MSE / n, reported as 0 and named."""
    deviations = (1.0, -1.0, 2.0, -2.0)
    matrix = [[60 + 10 * entry + deviations[(entry + expert) % 4] for expert in range(4)] for entry in range(12)]
    result = variance_components(_ratings(matrix))
    assert result.truncated == ("experts",)
    assert result.variances["experts"] == 0 and result.shares["experts"] == 0
    assert sum(result.shares.values()) == pytest.approx(1)


def test_variance_components_are_deterministic():
    rng = np.random.default_rng(5)
    ratings = _unbalanced_design(rng, 60, 8, (2, 5))
    assert variance_components(ratings) == variance_components(ratings)
    assert variance_components(ratings, seed=1).intervals != variance_components(ratings, seed=2).intervals


def test_the_block_search_prefers_29_by_3_to_9_by_5():
    rng = np.random.default_rng(1)
    five = [[float(v) for v in 70 + rng.normal(0, 5, 5)] + [None] * 3 for _ in range(9)]
    three = [[None] * 5 + [float(v) for v in 70 + rng.normal(0, 5, 3)] for _ in range(29)]
    experts, entries = largest_complete_block(_ratings(five + three))
    assert experts == [5, 6, 7] and entries == list(range(9, 38))


def test_the_block_search_finds_a_block_hidden_in_distinct_sets_of_experts():
    """23 entries scored by experts 0, 1, 2 and one more expert each, all
    different: no two entries share their set of experts, yet 0, 1, 2 scored
    all 23 (the old search, by exact sets, found nothing)."""
    ratings = [(entry, expert, float(60 + entry + expert)) for entry in range(23) for expert in (0, 1, 2, 10 + entry)]
    experts, entries = largest_complete_block(ratings)
    assert experts == [0, 1, 2] and entries == list(range(23))
    assert largest_complete_block(ratings[: 9 * 4]) is None  # 9 entries are too few


def test_a_single_entry_call_is_not_computable():
    summary = reliability_summary([(1, 10, 80.0), (1, 11, 85.0), (1, 12, 90.0)])
    assert summary["verdict"] == {"band": "not_computable", "explanation": "single_entry"}
    assert summary["alpha"] is None and summary["one_way"] is None and summary["variance"] is None
    assert summary["block"] is None


@pytest.mark.parametrize(("interval", "band", "explanation"), [
    ((0.42, 0.61), "poor_to_moderate", "may_not_separate"),
    ((0.10, 0.45), "poor", "may_not_separate"),
    ((0.30, 0.80), "poor_to_good", "too_uncertain"),
    ((0.60, 0.74), "moderate", "separates_moderately"),
    ((0.70, 0.95), "moderate_to_excellent", "separates_moderately"),
    ((0.76, 0.90), "good", "separates_well"),
    ((0.80, 0.95), "good_to_excellent", "separates_well"),
])
def test_the_verdict_is_judged_on_the_interval(interval, band, explanation):
    assert verdict(interval) == {"band": band, "explanation": explanation}
    assert band in VERDICT_BANDS


def test_the_summary_reports_everything_on_all_sheets():
    rng = np.random.default_rng(4)
    ratings = _unbalanced_design(rng, 120, 12, (2, 6))
    summary = reliability_summary(ratings)
    assert summary["ratings"] == len(ratings) and summary["entries"] == 120 and summary["experts"] == 12
    groups = defaultdict(list)
    for entry, _, total in ratings:
        groups[entry].append(total)
    one_way = one_way_icc(list(groups.values()))
    assert summary["one_way"]["icc1_k"]["value"] == pytest.approx(one_way.icc1_k)
    assert summary["one_way"]["sheets_per_entry"] == pytest.approx(one_way.k)
    assert summary["verdict"] == verdict(one_way.intervals["icc1_k"])
    experts = sorted({expert for _, expert, _ in ratings})
    matrix = [[None] * 12 for _ in range(120)]
    for entry, expert, total in ratings:
        matrix[entry][experts.index(expert)] = total
    assert summary["alpha"] == pytest.approx(krippendorff_alpha_interval(np.array(matrix, dtype=float).T))
    assert sum(summary["variance"][name]["value"] for name in ("entries", "experts", "residual")) == pytest.approx(1)
    assert summary == reliability_summary(list(reversed(ratings)))  # order does not matter, nor chance


def _figures(summary):
    """Every {"value", "low", "high"} in a summary, with its path."""
    for path, item in (("one_way", summary["one_way"]), ("variance", summary["variance"]),
                       ("block", summary["block"])):
        for name, figure in (item or {}).items():
            if isinstance(figure, dict):
                yield f"{path}.{name}", figure
    if summary["alpha"] is not None:
        yield "alpha", {"value": summary["alpha"], "low": (summary["alpha_interval"] or [None])[0],
                        "high": (summary["alpha_interval"] or [None, None])[1]}


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 14), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_every_estimate_lies_in_its_interval_and_the_summary_is_json(entries, experts, seed):
    rng = np.random.default_rng(seed)
    ratings = [(entry, int(expert), float(round(rng.uniform(40, 100), 1)))
               for entry in range(entries)
               for expert in rng.choice(experts, int(rng.integers(1, experts + 1)), replace=False)]
    summary = reliability_summary(ratings)
    json.dumps(summary, allow_nan=False)
    assert summary["verdict"]["band"] in VERDICT_BANDS
    for path, figure in _figures(summary):
        if figure["low"] is None:
            continue
        assert figure["low"] - 1e-9 <= figure["value"] <= figure["high"] + 1e-9, (path, figure)


@pytest.mark.parametrize("seed", range(12))
def test_a_bootstrap_resample_is_computed_as_the_resampled_sheets_written_out(seed):
    """The bootstrap weights each entry by how often it was drawn; that must
    equal the decomposition of the resample written out, a drawn-twice entry
    as two entries — also when the resample splits the experts into more
    linked sets than the data (sparse designs) or drops experts altogether."""
    from app.results.variance import RatingSheets, decompose  # the weighted core itself

    rng = np.random.default_rng(seed)
    if seed % 2:  # sparse: one or two sheets per entry among many experts
        ratings = _unbalanced_design(rng, int(rng.integers(10, 20)), int(rng.integers(8, 14)), (1, 2))
    else:
        ratings = _unbalanced_design(rng, int(rng.integers(8, 40)), int(rng.integers(4, 9)), (1, 4))
    sheets = RatingSheets.of(ratings)
    draws = np.bincount(rng.integers(0, sheets.n, sheets.n), minlength=sheets.n)
    written_out = [(entry * 100 + copy, expert, total) for entry, expert, total in ratings
                   for copy in range(draws[sorted({r[0] for r in ratings}).index(entry)])]
    weighted = decompose(sheets, draws[None, :].astype(float))
    expected = variance_components(written_out, resamples=0)
    assert weighted.reason == expected.reason
    if expected.reason is None:
        for name in ("entries", "experts", "residual"):
            assert weighted.variances[name] == pytest.approx(expected.variances[name], rel=1e-9, abs=1e-9), name
        assert weighted.truncated == expected.truncated


def test_large_linked_sets_resampled_by_conjugate_gradients_agree_with_the_dense_solution():
    """Above DENSE_LINKED_EXPERTS experts in one linked set, resamples are
    solved iteratively: the same resample solved both ways agrees."""
    from app.results.variance import DENSE_LINKED_EXPERTS, RatingSheets, _henderson_statistics

    rng = np.random.default_rng(9)
    sheets = RatingSheets.of(_unbalanced_design(rng, 400, DENSE_LINKED_EXPERTS + 16, (1, 6)))
    draws = np.bincount(rng.integers(0, sheets.n, sheets.n), minlength=sheets.n).astype(float)
    # Row 0 is always solved densely, the others iteratively.
    stats = _henderson_statistics(sheets, np.arange(sheets.n), np.vstack([draws, draws, np.ones(sheets.n)]))
    assert stats["expert_reduction"][1] == pytest.approx(stats["expert_reduction"][0], rel=1e-8)
    assert stats["linked"][1] == stats["linked"][0] == 1
    full = _henderson_statistics(sheets, np.arange(sheets.n), np.ones((1, sheets.n)))
    assert stats["expert_reduction"][2] == pytest.approx(full["expert_reduction"][0], rel=1e-8)
