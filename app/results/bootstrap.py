"""Cut-line stability: how sure is an entry's rank, given its few sheets?

Pure and deterministic: plain data in, plain data out, no database, no Flask.

For every resample each entry's sheet totals are drawn again with replacement
(same count), aggregated, and all entries are ranked: the higher score comes
first, and equal scores are ordered by ascending entry id (the tie rule).
Each entry gets the 5th and 95th percentile of its rank over the resamples (a
90 % interval) and is *borderline* when that interval crosses the cut: it is
inside the selection (rank ≤ cut) in some resamples and outside in others.

The work is vectorised with numpy: entries are grouped by their number of
sheets into 2-D arrays, all resample indices of a group are drawn at once
(laid out sheets first, so the aggregation reduces contiguous slabs), and the
ranks of all resamples come from one ``argsort`` of the score matrix.
Resamples are processed in fixed-size chunks to bound memory; the chunk size
depends only on the input, so a seed always gives the same result.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

MEAN = "mean"
TRIMMED_MEAN = "trimmed_mean"
METHODS = (MEAN, TRIMMED_MEAN)

#: Trimmed mean drops one highest and one lowest total from this many sheets on.
TRIM_FROM = 5
#: Lower and upper percentile of the rank interval (a 90 % interval).
LOWER_PERCENTILE = 5.0
UPPER_PERCENTILE = 95.0
#: Upper bound on resampled values held in memory at once (per chunk).
_CHUNK_VALUES = 1_000_000

#: An aggregation over the last axis: (rows, sheets) array -> (rows,) array.
Aggregate = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class EntryTotals:
    """One entry and the weighted totals of its submitted sheets."""

    entry_id: int
    totals: Sequence[float]


@dataclass(frozen=True)
class RankInterval:
    """An entry's rank on its own totals and its bootstrap rank interval."""

    entry_id: int
    rank: int
    lo: int
    hi: int
    borderline: bool


def mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean along ``axis`` (the sheets)."""
    return values.mean(axis=axis)


def trimmed_mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Mean without one highest and one lowest value when there are ≥ 5 values.

    Computed as (sum − max − min) / (n − 2), which equals sorting and dropping
    both ends without the cost of a sort.
    """
    n = values.shape[axis]
    if n < TRIM_FROM:
        return values.mean(axis=axis)
    total = values.sum(axis=axis) - values.max(axis=axis) - values.min(axis=axis)
    return total / (n - 2)


def resolve_aggregate(method: str | Aggregate) -> Aggregate:
    """Return the aggregation for a method name, or the callable itself."""
    if callable(method):
        return method
    if method == MEAN:
        return mean
    if method == TRIMMED_MEAN:
        return trimmed_mean
    raise ValueError(f"unknown aggregation method {method!r}; expected one of {METHODS}")


def rank_scores(scores: np.ndarray) -> np.ndarray:
    """Ranks (1 = best) of each row of ``scores``; columns must be in entry-id order.

    Higher scores rank first; the stable sort keeps equal scores in column
    order, i.e. by ascending entry id.
    """
    scores = np.atleast_2d(scores)
    rows, n = scores.shape
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty((rows, n), dtype=np.int32)
    ranks[np.arange(rows)[:, None], order] = np.arange(1, n + 1, dtype=np.int32)
    return ranks


def bootstrap(
    entries: Sequence[EntryTotals],
    *,
    cut: int,
    method: str | Aggregate = MEAN,
    resamples: int = 1000,
    seed: int = 0,
) -> list[RankInterval]:
    """Bootstrap rank intervals for all entries, in entry-id order.

    ``method`` is "mean", "trimmed_mean" or a callable reducing the last axis
    of a 2-D array. ``cut`` is the last rank inside the selection (e.g. the
    target of 200). Every entry needs at least one total.
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    aggregate = resolve_aggregate(method)
    entries = sorted(entries, key=lambda e: e.entry_id)
    ids = [e.entry_id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate entry ids")
    empty = [e.entry_id for e in entries if len(e.totals) == 0]
    if empty:
        raise ValueError(f"entries without totals: {empty}")
    n = len(entries)
    if n == 0:
        return []

    # Group entry positions by their number of sheets: one 2-D array per count.
    groups: dict[int, list[int]] = {}
    for position, entry in enumerate(entries):
        groups.setdefault(len(entry.totals), []).append(position)
    arrays = {
        m: (np.asarray(positions), np.array([entries[p].totals for p in positions], dtype=float))
        for m, positions in sorted(groups.items())
    }

    point = np.empty(n)
    for positions, values in arrays.values():
        point[positions] = aggregate(values)
    point_rank = rank_scores(point)[0]

    rng = np.random.default_rng(seed)
    total_values = sum(len(e.totals) for e in entries)
    chunk = max(1, min(resamples, _CHUNK_VALUES // total_values))
    ranks = np.empty((resamples, n), dtype=np.int32)
    for start in range(0, resamples, chunk):
        r = min(chunk, resamples - start)
        scores = np.empty((r, n))
        for m, (positions, values) in arrays.items():
            k = len(positions)
            # Sheets first: drawn[j, i, e] is draw j of resample i for entry
            # e, so the reductions run over whole contiguous (r, k) slabs,
            # much faster than over a short last axis.
            idx = rng.integers(0, m, size=(m, r, k), dtype=np.int8 if m <= 127 else np.intp)
            drawn = values.ravel()[np.arange(k) * m + idx]
            if aggregate in (mean, trimmed_mean):
                scores[:, positions] = aggregate(drawn, axis=0)
            else:  # a caller's function reduces the last axis
                scores[:, positions] = aggregate(np.moveaxis(drawn, 0, -1).reshape(r * k, m)).reshape(r, k)
        ranks[start:start + r] = rank_scores(scores)

    lo = np.percentile(ranks, LOWER_PERCENTILE, axis=0, method="lower")
    hi = np.percentile(ranks, UPPER_PERCENTILE, axis=0, method="higher")
    return [
        RankInterval(
            entry_id=ids[i],
            rank=int(point_rank[i]),
            lo=int(lo[i]),
            hi=int(hi[i]),
            borderline=bool(lo[i] <= cut < hi[i]),
        )
        for i in range(n)
    ]
