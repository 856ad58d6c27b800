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

Each entry is scored by its own subset of experts, so a panel's or a call's
reliability is computed on all submitted sheets (``reliability_summary``, for
a list of (entry, expert, total) ratings, as the results store it per call
and per panel):

- the one-way random-effects ICC(1,1) and ICC(1,k) for unequal numbers of
  sheets per entry, with analytic intervals (``one_way_icc``);
- a crossed decomposition of the variance into entries, experts (leniency)
  and residual by Henderson's method III, with a seeded bootstrap over
  entries (``app.results.variance``);
- Krippendorff's alpha with an interval from the same bootstrap;
- ICC(2) and ICC(3) only on a complete block of at least ten entries, the
  one with the most ratings (``largest_complete_block``);
- one verdict, the Koo & Li (2016) band of ICC(1,k)'s interval (``verdict``).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from app.results.variance import (
    COMPONENTS,
    CONFIDENCE,
    REASON_NO_SHEETS,
    REASON_NO_VARIANCE,
    REASON_SINGLE_ENTRY,
    REASON_TOO_FEW_REPEATED,
    RESAMPLES,
    SEED,
    RatingSheets,
    decompose,
    percentile_interval,
    resample_counts,
)

#: The forms :func:`icc` computes, in Shrout & Fleiss's order.
ICC_FORMS = ("icc1_1", "icc2_1", "icc3_1", "icc1_k", "icc2_k", "icc3_k")


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


def _f_quantile(df1: float, df2: float, p: float) -> float:
    """The F distribution's ``p`` quantile. scipy.special, not scipy.stats (35 MB
    more), imported here, not at the top: scipy is 40 MB in every process that
    loads the app, and only a results computation needs it."""
    from scipy.special import fdtri

    return float(fdtri(df1, df2, p))


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
        return float(_f_quantile(df1, df2, tail))

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


# --- reliability on all sheets -------------------------------------------------

#: The verdict when it cannot be reached.
NOT_COMPUTABLE = "not_computable"
#: What a verdict means for the chair, by the Koo & Li bands of its interval's ends.
EXPLAIN_SEPARATES_WELL = "separates_well"  # the low end good or excellent
EXPLAIN_SEPARATES_MODERATELY = "separates_moderately"  # the low end moderate
EXPLAIN_MAY_NOT_SEPARATE = "may_not_separate"  # poor, at most moderate
EXPLAIN_TOO_UNCERTAIN = "too_uncertain"  # from poor to good or excellent
#: Koo & Li's bands, lowest first.
ICC_BANDS = ("poor", "moderate", "good", "excellent")

#: ICC(2)/(3) is reported on a complete block of at least this many entries.
MIN_BLOCK_ENTRIES = 10
#: The block search enumerates subsets of an entry's experts; an entry with
#: more experts than this contributes subsets of its most active ones only.
MAX_BLOCK_SEARCH_EXPERTS = 12


def _figure(value: float | None, interval: tuple[float, float] | None) -> dict[str, float | None] | None:
    """A reported estimate with its 95 % interval, as JSON."""
    if value is None:
        return None
    low, high = interval if interval is not None else (None, None)
    return {"value": float(value),
            "low": None if low is None else float(low),
            "high": None if high is None else float(high)}


def _spearman_brown(rho: float, k: float) -> float:
    """The reliability of the mean of ``k`` sheets from that of one (ICC(1,1)).

    Increasing in ``rho`` above −1/(k − 1); below, and for values under −1, the
    average-measure coefficient means nothing and is given as −1 (monotone, so
    an interval stays an interval).
    """
    denominator = 1 + (k - 1) * rho
    if denominator <= 0:
        return -1.0
    return float(min(max(k * rho / denominator, -1.0), 1.0))


@dataclass(frozen=True)
class OneWayICC:
    """ICC(1,1) and ICC(1,k) of a one-way random-effects model on all sheets.

    ``reason`` says why they are None when they cannot be computed.
    """
    entries: int
    sheets: int
    k0: float | None  # the "average" group size of the unbalanced ANOVA
    k: float | None  # harmonic mean of sheets per entry, the k of ICC(1,k)
    ms_between: float | None
    ms_within: float | None
    icc1_1: float | None
    icc1_k: float | None
    intervals: dict[str, tuple[float, float] | None]
    reason: str | None = None


def _one_way_from_counts(counts: np.ndarray, sums: np.ndarray, within: np.ndarray) -> OneWayICC:
    """The unbalanced one-way ANOVA from each entry's sheet count, sum of totals
    and within-entry sum of squares (see :func:`one_way_icc`)."""
    n, total_sheets = int(counts.size), int(counts.sum())

    def not_computable(reason: str) -> OneWayICC:
        return OneWayICC(n, total_sheets, None, None, None, None, None, None,
                         {"icc1_1": None, "icc1_k": None}, reason)

    if n == 0:
        return not_computable(REASON_NO_SHEETS)
    if n == 1:
        return not_computable(REASON_SINGLE_ENTRY)
    if int((counts >= 2).sum()) < 2:
        return not_computable(REASON_TOO_FEW_REPEATED)
    means = sums / counts
    grand = float(sums.sum() / total_sheets)
    ss_between = float((counts * (means - grand) ** 2).sum())
    ss_within = float(within.sum())
    # Totals are decimals: "equal" sheets may differ by a rounding error.
    tolerance = total_sheets * (1e-9 * max(1.0, abs(grand))) ** 2
    if ss_between + ss_within <= tolerance:
        return not_computable(REASON_NO_VARIANCE)
    df_between, df_within = n - 1, total_sheets - n
    msb, msw = ss_between / df_between, ss_within / df_within
    k0 = float((total_sheets - float((counts**2).sum()) / total_sheets) / df_between)
    k = float(n / (1.0 / counts).sum())
    if ss_within <= tolerance:  # every entry's sheets agree exactly
        single, single_interval = 1.0, (1.0, 1.0)
    else:
        tail = 1 - (1 - CONFIDENCE) / 2
        f_obs = msb / msw
        f_low = f_obs / float(_f_quantile(df_between, df_within, tail))
        f_high = f_obs * float(_f_quantile(df_within, df_between, tail))

        def icc_of(f: float) -> float:
            return float((f - 1) / (f + k0 - 1))

        single, single_interval = icc_of(f_obs), (icc_of(f_low), icc_of(f_high))
    return OneWayICC(
        entries=n, sheets=total_sheets, k0=k0, k=k, ms_between=msb, ms_within=msw,
        icc1_1=single, icc1_k=_spearman_brown(single, k),
        intervals={"icc1_1": single_interval,
                   "icc1_k": (_spearman_brown(single_interval[0], k), _spearman_brown(single_interval[1], k))},
    )


def one_way_icc(groups: Sequence[Sequence[float]]) -> OneWayICC:
    """ICC(1,1) and ICC(1,k) of entries scored by unequal numbers of sheets.

    ``groups``: each entry's sheet totals (any number of them, each entry by
    its own experts: Shrout & Fleiss's case 1). From the unbalanced one-way
    ANOVA, ICC(1,1) = (MSB − MSW) / (MSB + (k0 − 1) MSW) with
    k0 = (N − Σ kᵢ² / N) / (n − 1) (Searle, S. R., Casella, G. & McCulloch,
    C. E. (1992), *Variance Components*, Wiley: the unbalanced one-way
    classification), and its 95 % interval from the F ratio
    MSB / MSW on (n − 1, N − n) degrees of freedom with k0 in place of the
    balanced k — the standard approximation reviewed by Donner, A. (1986), "A
    review of inference procedures for the intraclass correlation coefficient
    in the one-way random effects model", International Statistical Review
    54(1), 67–82; exact when every entry has the same number of sheets
    (McGraw & Wong's case 1). ICC(1,k) is the reliability of the mean of k
    sheets, k the harmonic mean of the entries' sheet counts (the mean's
    error variance is σ²ₑ times the mean of 1/kᵢ), by Spearman–Brown from
    ICC(1,1) and its bounds.

    Not computable (``reason``) without entries, with a single entry, with
    fewer than two entries of two or more sheets, or without variance.
    """
    counts = np.array([len(group) for group in groups if len(group)], dtype=float)
    values = [np.asarray(group, dtype=float) for group in groups if len(group)]
    sums = np.array([v.sum() for v in values])
    within = np.array([float(((v - v.mean()) ** 2).sum()) for v in values])
    return _one_way_from_counts(counts, sums, within)


# --- Krippendorff's alpha over resampled entries ------------------------------------


def _alpha_resampled(counts: np.ndarray, sums: np.ndarray, squares: np.ndarray,
                     weights: np.ndarray) -> np.ndarray:
    """Krippendorff's alpha (interval) per row of ``weights`` (entry counts), from
    each entry's number of sheets, sum and sum of squares of centred totals —
    every term is a weighted sum over pairable entries, so all resamples cost
    one matrix product.
    """
    pairable = counts >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        disagreement = np.where(pairable, 2 * (counts * squares - sums**2) / (counts - 1), 0.0)
    terms = np.column_stack([counts, disagreement, sums, squares]) * pairable[:, None]
    values, observed, total, total_squares = (weights @ terms).T
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = 2 * (values * total_squares - total**2) / (values * (values - 1))
        return np.where(expected > 0, 1 - observed / values / expected, np.nan)


# --- ICC(2) and ICC(3) on the largest complete block ---------------------------------


def largest_complete_block(ratings: Sequence[tuple[int, int, float]], *,
                           min_entries: int = MIN_BLOCK_ENTRIES) -> tuple[list[int], list[int]] | None:
    """The complete block with the most ratings: (expert ids, entry ids), or None.

    A complete block is a set of at least two experts and every entry all of
    them scored. Each candidate set of experts is a subset of some entry's
    experts, so every subset (of size ≥ 2) of every entry's experts is
    counted — the count of a subset is the number of entries it completes.
    Of the blocks of at least ``min_entries`` entries, the one with most
    entries × experts wins; ties go to more entries, then to the smaller ids.
    An entry scored by more than ``MAX_BLOCK_SEARCH_EXPERTS`` experts offers
    the subsets of its most active experts only (the enumeration doubles with
    each expert).
    """
    sheets = RatingSheets.of(ratings)
    found = _largest_block(sheets, min_entries)
    if found is None:
        return None
    entry_ids = sorted({entry for entry, _, _ in ratings})
    expert_ids = sorted({expert for _, expert, _ in ratings})
    return [expert_ids[i] for i in found[0]], [entry_ids[i] for i in found[1]]


def _largest_block(sheets: RatingSheets, min_entries: int) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`largest_complete_block` on indices: (experts, entries)."""
    if sheets.n == 0:
        return None
    counts = np.bincount(sheets.entry, minlength=sheets.n)
    activity = np.bincount(sheets.expert, minlength=sheets.m)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    by_size: dict[int, list[np.ndarray]] = defaultdict(list)
    for k in np.unique(counts[counts >= 2]):
        of_size = np.flatnonzero(counts == k)
        experts = sheets.expert[starts[of_size][:, None] + np.arange(k)]  # ascending per row
        if k > MAX_BLOCK_SEARCH_EXPERTS:
            # The most active experts (then the smaller index), in ascending order.
            order = np.lexsort((-experts, activity[experts]), axis=1)[:, ::-1][:, :MAX_BLOCK_SEARCH_EXPERTS]
            experts = np.sort(np.take_along_axis(experts, order, axis=1), axis=1)
            k = MAX_BLOCK_SEARCH_EXPERTS
        for size in range(2, int(k) + 1):
            chosen = np.array(list(combinations(range(int(k)), size)))
            by_size[size].append(experts[:, chosen].reshape(-1, size))
    best = None  # ((ratings, entries), experts)
    for size, subsets in sorted(by_size.items()):
        rows = np.concatenate(subsets)
        if sheets.m ** size < 2**62:  # a base-m code per subset sorts like the subset
            codes = rows @ (sheets.m ** np.arange(size - 1, -1, -1, dtype=np.int64))
            _, first, completes = np.unique(codes, return_index=True, return_counts=True)
            unique_rows = rows[first]
        else:
            unique_rows, completes = np.unique(rows, axis=0, return_counts=True)
        eligible = np.flatnonzero(completes >= min_entries)
        if eligible.size == 0:
            continue
        # np.unique sorts: the first maximum has the smallest indices.
        winner = eligible[np.argmax(completes[eligible])]
        key = (int(completes[winner]) * size, int(completes[winner]))
        if best is None or key > best[0]:
            best = (key, unique_rows[winner])
    if best is None:
        return None
    members = best[1]
    scored_by_members = np.bincount(sheets.entry[np.isin(sheets.expert, members)], minlength=sheets.n)
    return members, np.flatnonzero(scored_by_members == members.size)


# --- the verdict --------------------------------------------------------------------------


def verdict(interval: tuple[float, float] | None, *, reason: str | None = None) -> dict[str, str]:
    """One verdict from the 95 % interval of the headline coefficient, ICC(1,k).

    Koo & Li (2016) ask for the band to be judged on the interval, not the
    estimate: both ends in one band give that band; otherwise the span, such as
    "poor_to_moderate". ``explanation`` keys the sentence that says what the
    verdict means for the chair; without an interval, ``reason`` says why.
    Koo, T. K. & Li, M. Y. (2016), "A guideline of selecting and reporting
    intraclass correlation coefficients for reliability research", Journal
    of Chiropractic Medicine 15(2), 155–163.
    """
    if interval is None:
        return {"band": NOT_COMPUTABLE, "explanation": reason or REASON_TOO_FEW_REPEATED}
    low, high = interpret_icc(interval[0]), interpret_icc(interval[1])
    band = low if low == high else f"{low}_to_{high}"
    if low in ("good", "excellent"):
        explanation = EXPLAIN_SEPARATES_WELL
    elif low == "moderate":
        explanation = EXPLAIN_SEPARATES_MODERATELY
    elif high in ("poor", "moderate"):
        explanation = EXPLAIN_MAY_NOT_SEPARATE
    else:
        explanation = EXPLAIN_TOO_UNCERTAIN
    return {"band": band, "explanation": explanation}


#: Every verdict band, lowest first (the labels cover exactly these).
VERDICT_BANDS = tuple(
    [ICC_BANDS[i] if i == j else f"{ICC_BANDS[i]}_to_{ICC_BANDS[j]}"
     for i in range(len(ICC_BANDS)) for j in range(i, len(ICC_BANDS))]
) + (NOT_COMPUTABLE,)


# --- everything for a panel or a call ----------------------------------------------


def reliability_summary(ratings: list[tuple[int, int, float]]) -> dict[str, Any]:
    """Reliability of a panel's or a call's scores on all its sheets, as JSON.

    ``ratings``: (entry id, expert id, total), every submitted sheet. Holds:

    - ``one_way``: ICC(1,1) and ICC(1,k) (k: the harmonic mean of sheets per
      entry), with 95 % intervals (:func:`one_way_icc`);
    - ``variance``: the shares of entries, experts (leniency) and residual,
      with 95 % bootstrap intervals (:func:`app.results.variance.variance_components`);
    - ``alpha`` and ``alpha_interval``: Krippendorff's alpha (interval) with a
      95 % interval from the same bootstrap over entries (units; Zapf, A. et
      al. (2016), BMC Medical Research Methodology 16:93);
    - ``block``: ICC(2,·) and ICC(3,·) with intervals on the largest complete
      block of at least ``MIN_BLOCK_ENTRIES`` entries
      (:func:`largest_complete_block`), or None;
    - ``verdict``: the Koo & Li band of ICC(1,k)'s interval (:func:`verdict`).

    Figures are {"value", "low", "high"} or None; no NaN. Deterministic: the
    bootstrap is seeded.
    """
    sheets = RatingSheets.of(ratings)
    counts, sums, within = sheets.per_entry()
    one_way = _one_way_from_counts(counts, sums, within)
    weights = resample_counts(sheets.n, RESAMPLES, SEED)
    variance = decompose(sheets, weights)

    alpha, alpha_interval = None, None
    if int((counts >= 2).sum()) >= 2:  # one entry's sheets say nothing of agreement on entries
        centre = float(sheets.total.mean())
        centred = sheets.total - centre
        resampled = _alpha_resampled(counts, np.bincount(sheets.entry, centred, minlength=sheets.n),
                                     np.bincount(sheets.entry, centred**2, minlength=sheets.n), weights)
        if np.isfinite(resampled[0]):
            alpha = float(resampled[0])
            alpha_interval = percentile_interval(alpha, resampled[1:])

    block = None
    found = _largest_block(sheets, MIN_BLOCK_ENTRIES)
    if found is not None:
        block_experts, block_entries = found
        in_block = np.isin(sheets.entry, block_entries) & np.isin(sheets.expert, block_experts)
        # Sorted by entry, then expert: the block's totals fill its matrix row by row.
        result = icc(sheets.total[in_block].reshape(block_entries.size, block_experts.size))
        if result is not None:
            block = {"entries": result.n, "experts": result.k}
            block |= {form: _figure(getattr(result, form), result.intervals[form])
                      for form in ("icc2_1", "icc2_k", "icc3_1", "icc3_k")}

    return {
        "entries": sheets.n,
        "experts": sheets.m,
        "ratings": int(sheets.total.size),
        "verdict": verdict(one_way.intervals["icc1_k"], reason=one_way.reason),
        "one_way": None if one_way.reason else {
            "entries": one_way.entries,
            "sheets_per_entry": one_way.k,
            "icc1_1": _figure(one_way.icc1_1, one_way.intervals["icc1_1"]),
            "icc1_k": _figure(one_way.icc1_k, one_way.intervals["icc1_k"]),
        },
        "variance": None if variance.reason else {
            **{name: _figure(variance.shares[name], variance.intervals[name]) for name in COMPONENTS},
            "truncated": list(variance.truncated),
            "linked_sets": variance.linked_sets,
        },
        "alpha": alpha,
        "alpha_interval": list(alpha_interval) if alpha_interval else None,
        "block": block,
        "bootstrap": {"resamples": RESAMPLES, "seed": SEED},
    }
