"""Reliability coefficients against published values and a reference package."""
import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.results.reliability import (
    ICC_FORMS,
    icc,
    interpret_alpha,
    interpret_icc,
    krippendorff_alpha_interval,
)

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
