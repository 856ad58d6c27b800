"""Inter-rater reliability: intraclass correlations and Krippendorff's alpha.

Pure numpy; None wherever a coefficient is undefined (too few targets, units or
raters, or no variance). Interpretations return keys, not sentences.

- ICC per Shrout, P. E. & Fleiss, J. L. (1979), "Intraclass correlations: uses
  in assessing rater reliability", Psychological Bulletin 86(2), 420–428,
  from the two-way ANOVA mean squares of a complete n × k matrix (targets ×
  raters): ICC(2,1), ICC(2,k) (random raters) and ICC(3,1), ICC(3,k) (fixed
  raters).
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


@dataclass(frozen=True)
class ICCResult:
    n: int  # targets
    k: int  # raters
    ms_rows: float
    ms_cols: float
    ms_error: float
    icc2_1: float | None
    icc2_k: float | None
    icc3_1: float | None
    icc3_k: float | None


def _ratio(numerator: float, denominator: float) -> float | None:
    if denominator == 0 or not np.isfinite(denominator):
        return None
    return float(numerator / denominator)


def icc(matrix: Sequence[Sequence[float]]) -> ICCResult | None:
    """ICC(2,1), ICC(2,k), ICC(3,1), ICC(3,k) of a complete targets × raters matrix.

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
    return ICCResult(
        n=n,
        k=k,
        ms_rows=msr,
        ms_cols=msc,
        ms_error=mse,
        icc2_1=_ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n),
        icc2_k=_ratio(msr - mse, msr + (msc - mse) / n),
        icc3_1=_ratio(msr - mse, msr + (k - 1) * mse),
        icc3_k=_ratio(msr - mse, msr),
    )


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
