"""Cut-line stability: how sure is an entry's rank, given its few sheets?

Pure and deterministic: plain data in, plain data out, no database, no Flask.

Every entry gets uncertainty of its own
---------------------------------------
In each resample every entry's score is drawn again, in one of two ways:

- **From its own sheets** when it has at least :data:`MIN_SHEETS_TO_JUDGE`
  (3) sheets that are not all equal: its totals are drawn with replacement
  (same count) and aggregated — the nonparametric bootstrap.
- **From the group's noise** otherwise (one or two sheets, or sheets that all
  agree, show too little of their own spread): a parametric draw
  ``score = point score + N(0, σ² / n)``. σ² is the pooled within-entry
  variance of the group being ranked: the within-entries mean square of a
  one-way ANOVA over its entries with two sheets or more,
  ``Σ_e Σ_j (x_ej − x̄_e)² / Σ_e (m_e − 1)``; ``n`` is the number of sheets the
  aggregate averages (m; m − 2 once the trimmed mean trims). A caller with a
  better estimate of one sheet's noise (e.g. a fitted model's residual
  variance) passes it as ``within_variance``. Where σ² cannot be estimated or
  comes out as zero (no entry with two sheets, or every entry's experts agree
  exactly), the variance of all the group's values stands in: it holds the
  spread between entries too, so intervals come out wider, never narrower.

Without this an entry with one sheet, or with identical sheets, kept its
score in every resample and looked certain. Resampling experts within panels
as well was considered and left out: the intervals here rank one domain (or
the call) and their width is dominated by the few sheets per entry, which
both draws above capture; an expert's leniency belongs to the calibrated
aggregation, whose residual variance can be passed in as σ².

Ranking and the interval
------------------------
In each resample all entries are ranked: the higher score first, compared
rounded to 4 decimals as the tie rule compares them
(``aggregation.TIE_DECIMALS``), equal scores by ascending entry id — or, when
the caller passes ``order`` (its ranking under the full tie rule), in that
order. Each entry gets the 5th and 95th percentile of its rank over the
resamples (a 90 % percentile interval), widened where needed to its *point
rank* (its place in ``order``, else the rank of the scores aggregated from
all its sheets): ``lo = min(p5, rank)`` and ``hi = max(p95, rank)``. The
reported rank therefore always lies inside its interval, by construction; a
percentile interval alone misses it for a few percent of entries. An entry is
*borderline* when its interval crosses the cut: ``lo ≤ cut < hi``.

An entry with fewer than :data:`MIN_SHEETS_TO_JUDGE` sheets has an interval
that rests on the group's noise, not on its own evidence: the pages mark it
"too few sheets to judge" (:func:`too_few_sheets`) rather than certain.

The work is vectorised with numpy: entries resampled from their own sheets
are grouped by their number of sheets into 2-D arrays, all resample indices
of a group are drawn at once (laid out sheets first, so the aggregation
reduces contiguous slabs), the parametric draws of all other entries come
from one normal array, and the ranks of all resamples come from one
sort of the score matrix (each score rounded and packed with its column
into one 64-bit key, so a plain sort is also the tie rule). Resamples are processed in fixed-size chunks
to bound memory; the chunk size depends only on the input, so a seed always
gives the same result.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.results.aggregation import TIE_DECIMALS

MEAN = "mean"
TRIMMED_MEAN = "trimmed_mean"
METHODS = (MEAN, TRIMMED_MEAN)

#: Trimmed mean drops one highest and one lowest total from this many sheets on.
TRIM_FROM = 5
#: Lower and upper percentile of the rank interval (a 90 % interval).
LOWER_PERCENTILE = 5.0
UPPER_PERCENTILE = 95.0
#: Fewer sheets than this cannot show an entry's own spread: its draws come
#: from the group's noise, and the pages say "too few sheets to judge".
MIN_SHEETS_TO_JUDGE = 3
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
    """An entry's rank on its own totals and its bootstrap rank interval (which contains it)."""

    entry_id: int
    rank: int
    lo: int
    hi: int
    borderline: bool


def too_few_sheets(sheets: int) -> bool:
    """Whether an entry has too few sheets for its rank interval to rest on its own evidence."""
    return sheets < MIN_SHEETS_TO_JUDGE


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
    """Ranks (1 = best) of each row of ``scores``; columns must be in tie-rule order.

    Higher scores rank first, compared rounded to 4 decimals; equal rounded
    scores keep their column order (ascending entry id, or the caller's order).
    """
    scores = np.atleast_2d(scores)
    rows, n = scores.shape
    bits = max(1, (n - 1).bit_length())
    quantised = np.rint(scores * -(10.0**TIE_DECIMALS))  # lower sorts first
    if np.abs(quantised).max(initial=0.0) < 2.0 ** (62 - bits):
        # One int64 key per score, its column in the low bits: a plain sort
        # (much faster than a stable argsort) orders by score, then column.
        keys = (quantised.astype(np.int64) << bits) | np.arange(n, dtype=np.int64)
        keys.sort(axis=1)
        order = keys & ((1 << bits) - 1)
    else:  # scores too large to pack: sort them as they are, stably
        order = np.argsort(quantised, axis=1, kind="stable")
    ranks = np.empty((rows, n), dtype=np.int32)
    ranks[np.arange(rows)[:, None], order] = np.arange(1, n + 1, dtype=np.int32)
    return ranks


def pooled_within_variance(totals: Iterable[Sequence[float]]) -> float | None:
    """The within-entries mean square of a one-way ANOVA (entries as groups).

    Over the entries with two values or more: the sum of squared deviations
    from each entry's own mean, divided by Σ (m − 1). None when no entry has
    two values.
    """
    arrays: dict[int, list[Sequence[float]]] = {}
    for values in totals:
        arrays.setdefault(len(values), []).append(values)
    return _within_variance([np.array(rows, dtype=float) for rows in arrays.values()])


def _within_variance(arrays: Iterable[np.ndarray]) -> float | None:
    """:func:`pooled_within_variance` of (entries, sheets) arrays, one per sheet count."""
    squares, freedom = 0.0, 0
    for values in arrays:
        entries, m = values.shape
        if m < 2 or entries == 0:
            continue
        squares += float(((values - values.mean(axis=1, keepdims=True)) ** 2).sum())
        freedom += entries * (m - 1)
    return squares / freedom if freedom else None


def _noise_variance(arrays: dict[int, tuple[np.ndarray, np.ndarray]], within_variance: float | None) -> float:
    """σ² of one sheet for the parametric draws (see the module docstring)."""
    if within_variance is not None:
        if not within_variance >= 0:
            raise ValueError("within_variance must be a non-negative number")
        return float(within_variance)
    pooled = _within_variance(values for _positions, values in arrays.values())
    if pooled:
        return pooled
    # Nothing to pool, or every entry's experts agree exactly: the spread of
    # all values (between entries too) is an upper bound on one sheet's noise.
    everything = np.concatenate([values.ravel() for _positions, values in arrays.values()])
    return float(everything.var(ddof=1)) if everything.size > 1 else 0.0


def _averaged(m: int, aggregate: Aggregate) -> int:
    """How many sheets the aggregate of m sheets averages."""
    return m - 2 if aggregate is trimmed_mean and m >= TRIM_FROM else m


def bootstrap(
    entries: Sequence[EntryTotals],
    *,
    cut: int,
    method: str | Aggregate = MEAN,
    resamples: int = 1000,
    seed: int = 0,
    within_variance: float | None = None,
    order: Sequence[int] | None = None,
    affine: Mapping[int, tuple[float, float]] | None = None,
) -> list[RankInterval]:
    """Rank intervals for all entries (see the module docstring), in entry-id
    order, or in ``order`` when given.

    ``method`` is "mean", "trimmed_mean" or a callable reducing the last axis
    of a 2-D array. ``cut`` is the last rank inside the selection (e.g. the
    target of 200). Every entry needs at least one total. ``within_variance``
    is one sheet's noise variance σ² for the entries drawn parametrically;
    by default the pooled within-entry variance of ``entries``. ``order``
    lists every entry id once, in the caller's ranking (its full tie rule):
    the point ranks are the places in it, and it breaks equal scores.
    ``affine`` maps an entry id to (offset, scale ≥ 0): the score it is ranked
    by is offset + scale × its aggregate, every resample alike (a later review
    round's combined score: the earlier rounds' weighted scores are the
    offset, held fixed, and this round's weight the scale).
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    aggregate = resolve_aggregate(method)
    ids = [e.entry_id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate entry ids")
    if order is None:
        entries = sorted(entries, key=lambda e: e.entry_id)
    else:
        place = {entry_id: i for i, entry_id in enumerate(order)}
        if len(place) != len(order) or place.keys() != set(ids):
            raise ValueError("order must list every entry id once")
        entries = sorted(entries, key=lambda e: place[e.entry_id])
    ids = [e.entry_id for e in entries]
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
    own: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # m -> entries drawn from their own sheets
    drawn_positions, drawn_sd = [], []  # the others, with the SD of their aggregate
    sigma2 = _noise_variance(arrays, within_variance)
    for m, (positions, values) in arrays.items():
        point[positions] = aggregate(values)
        spread = values.max(axis=1) > values.min(axis=1)
        if m >= MIN_SHEETS_TO_JUDGE and spread.any():
            own[m] = (positions[spread], values[spread])
        others = positions if m < MIN_SHEETS_TO_JUDGE else positions[~spread]
        drawn_positions.append(others)
        drawn_sd.append(np.full(len(others), np.sqrt(sigma2 / _averaged(m, aggregate))))
    parametric = np.concatenate(drawn_positions)
    parametric_sd = np.concatenate(drawn_sd)
    offset, scale = np.zeros(n), np.ones(n)
    for position, entry_id in enumerate(ids):
        if affine and entry_id in affine:
            offset[position], scale[position] = affine[entry_id]
    if (scale < 0).any():
        raise ValueError("affine scales must not be negative")
    point_rank = np.arange(1, n + 1) if order is not None else rank_scores(offset + scale * point)[0]

    rng = np.random.default_rng(seed)
    drawn_values = sum(values.size for _positions, values in own.values()) + parametric.size
    chunk = max(1, min(resamples, _CHUNK_VALUES // drawn_values))
    ranks = np.empty((resamples, n), dtype=np.int32)
    for start in range(0, resamples, chunk):
        r = min(chunk, resamples - start)
        scores = np.empty((r, n))
        for m, (positions, values) in own.items():
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
        if parametric.size:
            scores[:, parametric] = point[parametric] + rng.standard_normal((r, parametric.size)) * parametric_sd
        ranks[start:start + r] = rank_scores(offset + scale * scores)

    # The percentile interval (numpy's "lower" and "higher" percentiles, from
    # one partial sort), widened to the point rank where it misses it.
    k_lo = int(np.floor(LOWER_PERCENTILE / 100 * (resamples - 1)))
    k_hi = int(np.ceil(UPPER_PERCENTILE / 100 * (resamples - 1)))
    ranks.partition((k_lo, k_hi), axis=0)
    lo = np.minimum(ranks[k_lo], point_rank)
    hi = np.maximum(ranks[k_hi], point_rank)
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
