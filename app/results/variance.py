"""The crossed decomposition of sheet totals into entries, experts (leniency)
and residual, by Henderson's method III, with a seeded bootstrap over
entries; and the ratings as index arrays that it and ``reliability`` share.

Pure numpy and scipy: plain data in, plain data out, no database, no Flask.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The confidence level of the intervals.
CONFIDENCE = 0.95
#: Why a verdict could not be reached.
REASON_NO_SHEETS = "no_sheets"
REASON_SINGLE_ENTRY = "single_entry"
REASON_TOO_FEW_REPEATED = "too_few_repeated_entries"
REASON_NO_VARIANCE = "no_variance"

#: Resamples of the seeded bootstraps over entries (the variance shares, alpha).
RESAMPLES = 200
#: Their seed: the same sheets always give the same intervals.
SEED = 20261206
#: Bootstrap intervals need this share of resamples where the figure is defined.
MIN_DEFINED_SHARE = 0.9
#: Bound on the floats held at once by the variance bootstrap's m × m matrices.
_CHUNK_FLOATS = 4_000_000
#: Up to this many experts in a linked set, every resample is solved densely
#: (exactly, linked sets counted); above, by conjugate gradients.
DENSE_LINKED_EXPERTS = 64
CG_TOLERANCE = 1e-10  # relative to |q|
CG_MAX_ITERATIONS = 500

# --- the crossed decomposition: entries, experts, residual ---------------------------


@dataclass(frozen=True)
class VarianceComponents:
    """A crossed random-effects decomposition of the sheet totals.

    ``variances``: σ² of entries, experts and residual (negative estimates
    truncated at 0, their names in ``truncated``); ``shares``: each as a share
    of their sum, with a 95 % bootstrap interval in ``intervals``. The experts'
    share is the share of variance due to expert leniency. ``linked_sets``:
    the connected parts of the expert–entry graph. None values and ``reason``
    when the design does not allow the decomposition.
    """
    variances: dict[str, float] | None
    shares: dict[str, float] | None
    intervals: dict[str, tuple[float, float] | None]
    truncated: tuple[str, ...]
    linked_sets: int
    reason: str | None = None


#: The decomposition's parts, in the order they are shown.
COMPONENTS = ("entries", "experts", "residual")


@dataclass(frozen=True)
class RatingSheets:
    """Ratings as index arrays, sorted by entry then expert, one per pair."""
    entry: np.ndarray  # entry index of each sheet, 0..n−1
    expert: np.ndarray  # expert index of each sheet, 0..m−1
    total: np.ndarray
    n: int
    m: int

    @classmethod
    def of(cls, ratings: Sequence[tuple[int, int, float]]) -> "RatingSheets":
        if not ratings:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, np.zeros(0), 0, 0)
        # fromiter: no temporary Python objects (a zip(*ratings) of a whole
        # call's sheets wakes the garbage collector, which costs more than the rest).
        size = len(ratings)
        entries, entry = np.unique(np.fromiter((r[0] for r in ratings), np.int64, size), return_inverse=True)
        experts, expert = np.unique(np.fromiter((r[1] for r in ratings), np.int64, size), return_inverse=True)
        totals = np.fromiter((r[2] for r in ratings), float, size)
        n, m = int(entries.size), int(experts.size)
        pairs, pair = np.unique(entry * m + expert, return_inverse=True)
        if pairs.size < totals.size:
            # Two sheets of one expert for one entry (not expected): their mean,
            # so that the incidence stays 0/1 as the decomposition assumes.
            totals = np.bincount(pair, totals) / np.bincount(pair)
        else:
            totals = totals[np.argsort(pair, kind="stable")]
        return cls(pairs // m, pairs % m, totals, n, m)

    def per_entry(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each entry's sheet count, sum of totals and within-entry sum of squares."""
        counts = np.bincount(self.entry, minlength=self.n).astype(float)
        sums = np.bincount(self.entry, self.total, minlength=self.n)
        deviations = self.total - (sums / np.maximum(counts, 1))[self.entry]
        return counts, sums, np.bincount(self.entry, deviations**2, minlength=self.n)


def _linked_sets(sheets: RatingSheets) -> tuple[int, np.ndarray]:
    """The connected parts of the bipartite expert–entry graph: their number and
    each entry's part."""
    # scipy is imported where it is used: 40 MB in every process that loads the
    # app (web workers, brochure builds), and only a results computation needs it.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(sheets.entry.size), (sheets.entry, sheets.n + sheets.expert)),
                       shape=(sheets.n + sheets.m,) * 2)
    count, labels = connected_components(graph, directed=False)
    return int(count), labels[: sheets.n]


def _henderson_statistics(sheets: RatingSheets, entries: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """Henderson III's sums of squares for one linked set of entries, once per
    row of ``weights`` (resample counts of its entries: a row of ones is the
    data itself, a duplicated entry counts as another entry with the same experts).

    The expert effects are solved after absorbing the entries' (0/1 incidence):
    C = diag(n·ⱼ) − Σᵢ wᵢ bᵢbᵢᵀ / kᵢ and q = Σᵢ wᵢ Bᵢᵀ(yᵢ − ȳᵢ), so that
    R(experts | μ, entries) = qᵀC⁺q, solved densely for sets of up to
    ``DENSE_LINKED_EXPERTS`` experts (which also counts the resample's linked
    sets exactly), by conjugate gradients for the resamples of larger ones.
    """
    from scipy.sparse import csr_matrix  # here, not at the top: see _linked_sets

    in_set = np.isin(sheets.entry, entries)
    local_entry = np.searchsorted(entries, sheets.entry[in_set])
    experts, local_expert = np.unique(sheets.expert[in_set], return_inverse=True)
    total = sheets.total[in_set]
    n, m = entries.size, experts.size
    counts = np.bincount(local_entry, minlength=n).astype(float)
    sums = np.bincount(local_entry, total, minlength=n)
    residual = total - (sums / counts)[local_entry]
    within = np.bincount(local_entry, residual**2, minlength=n)
    incidence = csr_matrix((np.ones(total.size), (local_entry, local_expert)), shape=(n, m))
    residuals = csr_matrix((residual, (local_entry, local_expert)), shape=(n, m))
    # Every ordered pair of sheets of an entry (with itself): the Gram term.
    k_of_sheet = counts[local_entry].astype(np.int64)
    first = np.repeat(np.arange(total.size), k_of_sheet)
    starts = np.cumsum(k_of_sheet) - k_of_sheet
    entry_start = np.concatenate(([0], np.cumsum(counts.astype(np.int64))[:-1]))
    second = entry_start[local_entry[first]] + (np.arange(first.size) - np.repeat(starts, k_of_sheet))
    pairs = csr_matrix((1.0 / counts[local_entry[first]], (local_entry[first],
                        local_expert[first] * m + local_expert[second])), shape=(n, m * m))

    w = weights[:, entries]
    n_dot_j = np.asarray(w @ incidence)
    q = np.asarray(w @ residuals)
    if m <= DENSE_LINKED_EXPERTS:
        reduction, linked = _expert_reduction_dense(w, pairs, n_dot_j, q)
    else:
        # The data itself exactly; the resamples by conjugate gradients.
        reduction, linked = np.empty(w.shape[0]), np.empty(w.shape[0])
        reduction[:1], linked[:1] = _expert_reduction_dense(w[:1], pairs, n_dot_j[:1], q[:1])
        reduction[1:] = _expert_reduction_iterative(w[1:] / counts, incidence, n_dot_j[1:], q[1:])
        # A resample is taken to keep the set linked (a split of a set this
        # large would change the residual degrees of freedom by a few in thousands).
        linked[1:] = (n_dot_j[1:] > 0).any(axis=1)
    return {
        "sheets": w @ counts,
        "entries": w.sum(axis=1),
        "entry_squares": w @ counts**2,  # Σ nᵢ²
        "expert_squares": (n_dot_j**2).sum(axis=1),  # Σ n·ⱼ²
        "experts": (n_dot_j > 0).sum(axis=1).astype(float),
        "linked": linked,
        "sum": w @ sums,
        "entry_reduction": w @ (sums**2 / counts),  # R(μ, entries)
        "within": w @ within,
        "expert_reduction": reduction,  # R(experts | μ, entries)
    }


def _expert_reduction_dense(w: np.ndarray, pairs, n_dot_j: np.ndarray,
                            q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """qᵀC⁺q and the number of linked sets of present experts, per row of
    ``w``, exactly: C⁺q = (C + Z)⁻¹q with Z the projector on C's null space —
    the indicators of the row's linked sets of experts, found by label
    propagation — since q is orthogonal to it."""
    rows, m = q.shape
    reduction, linked = np.empty(rows), np.empty(rows)
    chunk = max(1, _CHUNK_FLOATS // (m * m))
    for begin in range(0, rows, chunk):
        block = slice(begin, min(begin + chunk, rows))
        gram = np.asarray(w[block] @ pairs).reshape(-1, m, m)
        present = n_dot_j[block] > 0
        # Label propagation: each expert takes the smallest index it is linked to.
        adjacent = gram > 0
        labels = np.broadcast_to(np.arange(m, dtype=np.int32), present.shape).copy()
        while True:
            spread = np.minimum(labels, np.where(adjacent, labels[:, None, :], m).min(axis=2))
            if np.array_equal(spread, labels):
                break
            labels = spread
        same = labels[:, :, None] == labels[:, None, :]
        size = same.sum(axis=2)
        linked[block] = np.rint((present / size).sum(axis=1))  # a count, summed as fractions
        matrix = same * (1.0 / size)[:, :, None]
        matrix -= gram
        matrix[:, np.arange(m), np.arange(m)] += n_dot_j[block]
        solution = np.linalg.solve(matrix, q[block][..., None])[..., 0]
        reduction[block] = (q[block] * solution).sum(axis=1)
    return reduction, linked


def _expert_reduction_iterative(w_over_k: np.ndarray, incidence, n_dot_j: np.ndarray,
                                q: np.ndarray) -> np.ndarray:
    """qᵀC⁺q per row by conjugate gradients, all rows at once, for linked sets
    too large to solve densely resample by resample: C v = n·ⱼ v − Pᵀ((w/k) P v)
    costs two sparse products, and the system is consistent (q ⟂ null(C)), so
    CG from 0 converges to a solution; preconditioned by C's diagonal. A row
    that has not converged after ``CG_MAX_ITERATIONS`` is NaN (left out of the
    interval)."""
    transposed = incidence.T.tocsr()
    diagonal = np.where(n_dot_j > 0, n_dot_j, 1.0)
    weights = w_over_k.T  # entries × rows: each entry's count over its sheets

    def product(v: np.ndarray) -> np.ndarray:
        return n_dot_j * v - (transposed @ (weights * (incidence @ v.T))).T

    x, residual = np.zeros_like(q), q.copy()
    z = residual / diagonal
    direction, rz = z.copy(), (residual * z).sum(axis=1)
    target = CG_TOLERANCE * np.linalg.norm(q, axis=1)
    converged = np.linalg.norm(residual, axis=1) <= target
    for _ in range(CG_MAX_ITERATIONS):
        if converged.all():
            break
        image = product(direction)
        curvature = (direction * image).sum(axis=1)
        step = np.where(converged | (curvature <= 0), 0.0, rz / np.where(curvature > 0, curvature, 1.0))
        x += step[:, None] * direction
        residual -= step[:, None] * image
        converged |= np.linalg.norm(residual, axis=1) <= target
        z = residual / diagonal
        rz_next = (residual * z).sum(axis=1)
        direction = z + np.where(rz > 0, rz_next / np.where(rz > 0, rz, 1.0), 0.0)[:, None] * direction
        rz = rz_next
    return np.where(converged, (q * x).sum(axis=1), np.nan)


def _henderson_components(stats: dict[str, np.ndarray]) -> np.ndarray:
    """σ² of entries, experts and residual (rows × 3, NaN where undefined) from
    Henderson's method III, by equating each reduction to its expectation:

    - SSE = Σ(within) − R(experts | μ, entries), E = (N − n − m + c) σ²ₑ;
    - E[R(experts | μ, entries)] = (m − c) σ²ₑ + (N − n) σ²_experts;
    - E[R(entries | μ)] = (n − 1) σ²ₑ + (n − Σⱼ n·ⱼ² / N) σ²_experts + (N − Σᵢ nᵢ² / N) σ²_entries.
    """
    N, n, m, c = stats["sheets"], stats["entries"], stats["experts"], stats["linked"]
    with np.errstate(divide="ignore", invalid="ignore"):
        residual_df = N - n - m + c
        sse = np.maximum(stats["within"] - stats["expert_reduction"], 0.0)
        residual = np.where(residual_df > 0, sse / residual_df, np.nan)
        experts = np.where(N - n > 0, (stats["expert_reduction"] - (m - c) * residual) / (N - n), np.nan)
        between = stats["entry_reduction"] - stats["sum"] ** 2 / N
        entry_coefficient = N - stats["entry_squares"] / N
        entries = np.where(entry_coefficient > 0,
                           (between - (n - 1) * residual - (n - stats["expert_squares"] / N) * experts)
                           / entry_coefficient, np.nan)
    return np.column_stack([entries, experts, residual])


def _shares(variances: np.ndarray) -> np.ndarray:
    """Each truncated component as a share of their sum (NaN where undefined)."""
    truncated = np.maximum(variances, 0.0)
    total = truncated.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, truncated / total, np.nan)


def percentile_interval(estimate: float, resampled: np.ndarray) -> tuple[float, float] | None:
    """The 95 % percentile interval of the resampled figure, widened to hold the
    estimate when all resamples fall on one side of it (a bias the interval
    should not hide); None when the figure is undefined in too many resamples."""
    defined = resampled[np.isfinite(resampled)]
    if resampled.size == 0 or defined.size < MIN_DEFINED_SHARE * resampled.size:
        return None
    low, high = np.quantile(defined, [(1 - CONFIDENCE) / 2, 1 - (1 - CONFIDENCE) / 2])
    return float(min(low, estimate)), float(max(high, estimate))


def resample_counts(n: int, resamples: int, seed: int) -> np.ndarray:
    """How often each of ``n`` entries is drawn in each resample (resamples × n),
    after a first row of ones: the data itself."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n)) + (np.arange(resamples) * n)[:, None]
    counts = np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n)
    return np.vstack([np.ones((1, n)), counts.astype(float)])


def decompose(sheets: RatingSheets, weights: np.ndarray) -> VarianceComponents:
    linked_sets, part = _linked_sets(sheets) if sheets.n else (0, np.zeros(0, dtype=np.int64))
    if sheets.n < 2:
        return VarianceComponents(None, None, dict.fromkeys(COMPONENTS), (), linked_sets,
                                  REASON_SINGLE_ENTRY if sheets.n else REASON_NO_SHEETS)
    # The linked sets are independent blocks of C in every resample (a
    # resample's sets only split them): solve them one by one, add the sums.
    totals: dict[str, np.ndarray] = {}
    for label in range(linked_sets):
        stats = _henderson_statistics(sheets, np.flatnonzero(part == label), weights)
        totals = {key: totals.get(key, 0) + value for key, value in stats.items()}
    variances = _henderson_components(totals)
    estimate = variances[0]
    if not np.isfinite(estimate).all():
        return VarianceComponents(None, None, dict.fromkeys(COMPONENTS), (), linked_sets, REASON_TOO_FEW_REPEATED)
    shares = _shares(variances)
    if not np.isfinite(shares[0]).all():
        return VarianceComponents(None, None, dict.fromkeys(COMPONENTS), (), linked_sets, REASON_NO_VARIANCE)
    return VarianceComponents(
        variances={name: float(max(value, 0.0)) for name, value in zip(COMPONENTS, estimate)},
        shares={name: float(value) for name, value in zip(COMPONENTS, shares[0])},
        intervals={name: percentile_interval(float(shares[0, i]), shares[1:, i]) for i, name in enumerate(COMPONENTS)},
        truncated=tuple(name for name, value in zip(COMPONENTS, estimate) if value < 0),
        linked_sets=linked_sets,
    )


def variance_components(ratings: Sequence[tuple[int, int, float]], *, resamples: int = RESAMPLES,
                        seed: int = SEED) -> VarianceComponents:
    """Entries, experts and residual: a crossed random-effects decomposition of
    all sheet totals, for any assignment of experts to entries.

    Model: total = μ + entry + expert + residual, each random. Estimated by
    Henderson's method III (Henderson, C. R. (1953), "Estimation of variance
    and covariance components", Biometrics 9(2), 226–252; Searle, Casella &
    McCulloch 1992 on the two-way crossed classification), closed form for a 0/1 incidence: the additive
    least-squares fit entry + expert gives the residual sum of squares, the
    reductions R(experts | μ, entries) and R(entries | μ) their expectations
    (see :func:`_henderson_components`). Negative estimates are truncated at 0
    and named. The experts' share of the sum is the share of variance due to
    expert leniency; every share has a 95 % percentile interval from
    ``resamples`` bootstrap resamples of the entries (seeded: deterministic).
    Resampling entries keeps the experts: the interval says how much the
    shares depend on which entries were scored, for these experts.
    """
    sheets = RatingSheets.of(ratings)
    return decompose(sheets, resample_counts(sheets.n, resamples, seed))
