"""Reliability coefficients against published values and a reference package."""
import math

import krippendorff
import numpy as np
import pytest

from app.results.reliability import (
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
    Table 2 (6 targets × 4 judges); published: ICC(2,1)=.29, ICC(3,1)=.71,
    ICC(2,4)=.62, ICC(3,4)=.91.
    """
    result = icc(SHROUT_FLEISS_TABLE_2)

    assert (result.n, result.k) == (6, 4)
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


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 6, 7])
def test_alpha_matches_krippendorff_package(seed):
    rng = np.random.default_rng(seed)
    raters, units = rng.integers(2, 7), rng.integers(5, 40)
    truth = rng.normal(70, 10, size=units)
    data = truth + rng.normal(0, rng.uniform(1, 15), size=(raters, units))
    data[rng.random((raters, units)) < 0.3] = np.nan
    if (np.isfinite(data).sum(axis=0) >= 2).sum() == 0:
        pytest.skip("no pairable unit")

    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
    as_lists = [[None if math.isnan(v) else float(v) for v in row] for row in data]

    assert krippendorff_alpha_interval(as_lists) == pytest.approx(expected, abs=1e-9)
    assert krippendorff_alpha_interval(data.tolist()) == pytest.approx(expected, abs=1e-9)


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
