"""Inter-rater reliability: intraclass correlations and Krippendorff's alpha.

Pure numpy; None wherever a coefficient is undefined (too few targets, units or
raters, or no variance). Interpretations return keys, not sentences.

- ICC per Shrout, P. E. & Fleiss, J. L. (1979), "Intraclass correlations: uses
  in assessing rater reliability", Psychological Bulletin 86(2), 420–428,
  from the ANOVA mean squares of a complete n × k matrix (targets × raters):
  ICC(1,1), ICC(1,k) (one-way: each target rated by its own raters),
  ICC(2,1), ICC(2,k) (random raters) and ICC(3,1), ICC(3,k) (fixed raters),
  each with its 95 % confidence interval from the F distribution as given by
  McGraw, K. O. & Wong, S. P. (1996), "Forming inferences about some
  intraclass correlation coefficients", Psychological Methods 1(1), 30–46
  (the ICC(2) interval by Satterthwaite's approximation of the degrees of
  freedom) — the formulas pingouin and R's ``psych::ICC`` use.
- Krippendorff's alpha for interval data, from a raters × units reliability
  matrix with missing values (None or NaN), per Krippendorff, K. (2011),
  "Computing Krippendorff's Alpha-Reliability".

``reliability_summary`` puts both together for a list of (entry, expert,
total) ratings, as the results store them per call and per panel.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import f as f_distribution

#: The forms :func:`icc` computes, in Shrout & Fleiss's order.
ICC_FORMS = ("icc1_1", "icc2_1", "icc3_1", "icc1_k", "icc2_k", "icc3_k")
#: The confidence level of the intervals.
CONFIDENCE = 0.95


@dataclass(frozen=True)
class ICCResult:
    n: int  # targets
    k: int  # raters
    ms_rows: float  # between targets
    ms_cols: float  # between raters
    ms_error: float  # residual of the two-way model
    ms_within: float  # within targets (the one-way model's error)
    icc1_1: float | None
    icc2_1: float | None
    icc3_1: float | None
    icc1_k: float | None
    icc2_k: float | None
    icc3_k: float | None
    #: Each form's 95 % confidence interval (low, high); None where undefined
    #: (ICC(2)'s approximation where the estimate is negative or degenerate).
    intervals: dict[str, tuple[float, float] | None]


def _ratio(numerator: float, denominator: float) -> float | None:
    if denominator == 0 or not np.isfinite(denominator):
        return None
    return float(numerator / denominator)


def icc(matrix: Sequence[Sequence[float]]) -> ICCResult | None:
    """The six ICC forms of a complete targets × raters matrix, with their
    95 % confidence intervals (see the module).

    None when the matrix has fewer than 2 targets or raters, holds a missing
    value, or has no variance at all.
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        return None
    n, k = x.shape
    if n < 2 or k < 2 or not np.all(np.isfinite(x)):
        return None
    grand = x.mean()
    ss_total = float(((x - grand) ** 2).sum())
    if ss_total == 0:
        return None
    ss_rows = float(k * ((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = float(n * ((x.mean(axis=0) - grand) ** 2).sum())
    ss_error = max(ss_total - ss_rows - ss_cols, 0.0)
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_error) / (n * (k - 1))
    icc2_1 = _ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n)
    return ICCResult(
        n=n,
        k=k,
        ms_rows=msr,
        ms_cols=msc,
        ms_error=mse,
        ms_within=msw,
        icc1_1=_ratio(msr - msw, msr + (k - 1) * msw),
        icc2_1=icc2_1,
        icc3_1=_ratio(msr - mse, msr + (k - 1) * mse),
        icc1_k=_ratio(msr - msw, msr),
        icc2_k=_ratio(msr - mse, msr + (msc - mse) / n),
        icc3_k=_ratio(msr - mse, msr),
        intervals=_icc_intervals(n, k, msr=msr, msc=msc, mse=mse, msw=msw, icc2_1=icc2_1),
    )


def _icc_intervals(n: int, k: int, *, msr: float, msc: float, mse: float, msw: float,
                   icc2_1: float | None) -> dict[str, tuple[float, float] | None]:
    """McGraw & Wong's (1996) intervals, table 7 (cases 1, 2A and 3A)."""
    tail = 1 - (1 - CONFIDENCE) / 2

    def quantile(df1: float, df2: float) -> float:
        return float(f_distribution.ppf(tail, df1, df2))

    def one_and_k(f_obs: float | None, df1: float, df2: float):
        """ICC(·,1) and ICC(·,k) bounds from an observed F ratio."""
        if f_obs is None:
            return None, None
        low, high = f_obs / quantile(df1, df2), f_obs * quantile(df2, df1)
        single = ((low - 1) / (low + k - 1), (high - 1) / (high + k - 1))
        average = (1 - 1 / low, 1 - 1 / high) if low > 0 and high > 0 else None
        return single, average

    intervals: dict[str, tuple[float, float] | None] = {}
    intervals["icc1_1"], intervals["icc1_k"] = one_and_k(_ratio(msr, msw), n - 1, n * (k - 1))
    intervals["icc3_1"], intervals["icc3_k"] = one_and_k(_ratio(msr, mse), n - 1, (n - 1) * (k - 1))
    intervals["icc2_1"] = intervals["icc2_k"] = None
    f_raters = _ratio(msc, mse)
    if icc2_1 is not None and f_raters is not None:
        # Satterthwaite's degrees of freedom for the denominator.
        a = k * icc2_1 / (n * (1 - icc2_1)) if icc2_1 != 1 else None
        b = 1 + k * icc2_1 * (n - 1) / (n * (1 - icc2_1)) if icc2_1 != 1 else None
        if a is not None:
            v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
            upper_f, lower_f = quantile(n - 1, v), quantile(v, n - 1)
            low = n * (msr - upper_f * mse) / (upper_f * (k * msc + (k * n - k - n) * mse) + n * msr)
            high = n * (lower_f * msr - mse) / (k * msc + (k * n - k - n) * mse + n * lower_f * msr)
            icc2_k = _ratio(msr - mse, msr + (msc - mse) / n)
            average = (low * k / (1 + low * (k - 1)), high * k / (1 + high * (k - 1)))
            # The approximation breaks down for a negative or degenerate ICC
            # (bounds crossed, or not around the estimate): then no interval.
            for form, estimate, bounds in (("icc2_1", icc2_1, (low, high)), ("icc2_k", icc2_k, average)):
                if estimate is not None and np.isfinite(bounds).all() and bounds[0] <= estimate <= bounds[1]:
                    intervals[form] = bounds
    return {form: (tuple(float(bound) for bound in bounds) if bounds is not None else None)
            for form, bounds in intervals.items()}


def krippendorff_alpha_interval(reliability_data: Sequence[Sequence[float | None]]) -> float | None:
    """Krippendorff's alpha, interval metric, from a raters × units matrix.

    Missing values are None or NaN (a numpy array may be passed as it is). Only units with at least two values are
    pairable. None when fewer than two pairable values exist or the expected
    disagreement is zero (no variation).
    """
    if isinstance(reliability_data, np.ndarray):  # already numeric, NaN for missing
        x = reliability_data.astype(float, copy=False)
    else:
        rows = [[np.nan if v is None else float(v) for v in row] for row in reliability_data]
        if not rows or not rows[0]:
            return None
        x = np.asarray(rows, dtype=float)
    if x.size == 0:
        return None
    if x.ndim != 2:
        return None
    present = np.isfinite(x)
    m_u = present.sum(axis=0)
    pairable = m_u >= 2
    if not pairable.any():
        return None
    x = x[:, pairable]
    present = present[:, pairable]
    m_u = m_u[pairable].astype(float)
    values = x[present]
    n = values.size
    if n < 2:
        return None
    centre = values.mean()
    filled = np.where(present, x - centre, 0.0)
    s1 = filled.sum(axis=0)
    s2 = (filled**2).sum(axis=0)
    # Σ over ordered pairs i≠j of (v_i − v_j)² = 2 (m Σv² − (Σv)²)
    observed = float((2 * (m_u * s2 - s1**2) / (m_u - 1)).sum()) / n
    v = values - centre
    expected = 2 * (n * float((v**2).sum()) - float(v.sum()) ** 2) / (n * (n - 1))
    if expected <= 0:
        return None
    return float(1 - observed / expected)


def interpret_icc(value: float | None) -> str | None:
    """Koo & Li (2016): <0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, >0.9 excellent."""
    if value is None:
        return None
    if value < 0.5:
        return "poor"
    if value < 0.75:
        return "moderate"
    if value <= 0.9:
        return "good"
    return "excellent"


def interpret_alpha(value: float | None) -> str | None:
    """Krippendorff: ≥0.8 reliable, 0.667–0.8 tentative, <0.667 unreliable."""
    if value is None:
        return None
    if value >= 0.8:
        return "reliable"
    if value >= 0.667:
        return "tentative"
    return "unreliable"


#: ICC is reported on a complete block of at least this many entries.
MIN_BLOCK_ENTRIES = 5
#: How many of the most common sets of experts are tried as ICC blocks.
BLOCK_CANDIDATES = 20


def reliability_summary(ratings: list[tuple[int, int, float]]) -> dict[str, Any]:
    """Alpha over all ratings and ICC on the largest complete block, as JSON.

    ``ratings``: (entry id, expert id, total). A complete block is a set of
    experts and every entry all of them scored; ICC needs every expert to
    score every entry. Blocks are tried for the most common sets of experts
    (at most ``BLOCK_CANDIDATES``); the one with most entries, then most
    experts, gives the ICCs — none below ``MIN_BLOCK_ENTRIES`` entries, where
    the coefficient means little. Krippendorff's alpha uses every rating,
    missing ones allowed.
    """
    experts = sorted({expert for _, expert, _ in ratings})
    entries = sorted({entry for entry, _, _ in ratings})
    alpha = None
    if ratings:
        column = {entry: i for i, entry in enumerate(entries)}
        row = {expert: i for i, expert in enumerate(experts)}
        matrix = np.full((len(experts), len(entries)), np.nan)
        matrix[[row[x] for _, x, _ in ratings], [column[e] for e, _, _ in ratings]] = [t for _, _, t in ratings]
        alpha = krippendorff_alpha_interval(matrix)
    raters_of: dict[int, dict[int, float]] = defaultdict(dict)
    for entry, expert, total in ratings:
        raters_of[entry][expert] = total

    # Candidate blocks: the most common exact sets of experts; each block then
    # takes every entry those experts all scored (others may have scored it too).
    common = Counter(tuple(sorted(scored)) for scored in raters_of.values() if len(scored) >= 2)
    best = None
    for experts_of_block, _count in sorted(common.items(), key=lambda item: (-item[1], item[0]))[:BLOCK_CANDIDATES]:
        members = set(experts_of_block)
        block_entries = sorted(entry for entry, scored in raters_of.items() if members <= scored.keys())
        key = (len(block_entries), len(experts_of_block))
        if best is None or key > best[0]:
            best = (key, experts_of_block, block_entries)
    best = (best[1], best[2]) if best is not None and len(best[2]) >= MIN_BLOCK_ENTRIES else None
    block_icc = None
    if best is not None:
        block_experts, block_entries = best
        result = icc([[raters_of[e][x] for x in block_experts] for e in block_entries])
        if result is not None:
            block_icc = {
                "entries": result.n,
                "experts": result.k,
                "icc2_1": result.icc2_1,
                "icc2_k": result.icc2_k,
                "icc3_1": result.icc3_1,
                "icc3_k": result.icc3_k,
                "band2_1": interpret_icc(result.icc2_1),
                "band3_1": interpret_icc(result.icc3_1),
                "band2_k": interpret_icc(result.icc2_k),
                "band3_k": interpret_icc(result.icc3_k),
            }
    return {
        "entries": len(entries),
        "experts": len(experts),
        "ratings": len(ratings),
        "alpha": alpha,
        "alpha_band": interpret_alpha(alpha),
        "icc": block_icc,
    }
