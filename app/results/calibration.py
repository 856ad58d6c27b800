"""Expert calibration: entry effects and expert offsets, fitted per panel.

Pure and deterministic: plain data in, plain data out, no database, no Flask.

The model, per panel (sheets without a panel form one group of their own)::

    sheet total = entry effect + expert offset + residual

fitted by least squares with the expert offsets shrunk towards zero (ridge
regression, which is the empirical-Bayes estimate when the offsets are drawn
from N(0, σ²_experts) and the residuals from N(0, σ²_residual)). The entry
effects are free (not shrunk): they are profiled out, which leaves an
m × m system for the m experts of the panel::

    (Z'MZ + λI) offsets = Z'My

where Z is the sheets × experts indicator matrix and M removes each entry's
mean (the within-entry projection). Z'MZ is singular along "every expert one
point higher, every entry one point lower": the offsets are reported relative
to the panel's average expert (they sum to zero), so calibration never moves
a panel's average and keeps real differences between panels (domains).

The strength λ = σ²_residual / σ²_experts is estimated from the data by the
method of moments on the unpenalised fit: σ²_residual = residual sum of
squares / (sheets − entries − experts + 1); σ²_experts = (‖offsets₀‖² −
σ²_residual · tr((Z'MZ)⁺)) / (experts − 1), offsets₀ being the unpenalised
offsets. When σ²_experts is zero or negative (the experts are no more
different than the noise lets one see), λ is capped at ``MAX_STRENGTH``:
the offsets are then practically zero. No difference is invented.

An offset's standard error is σ_residual · √(diagonal of (Z'MZ + λI)⁻¹),
restricted to offsets that sum to zero (the shift common to all experts is
not identified and is not part of an expert's own uncertainty).

Offsets are only identified when the panel's expert–entry graph is connected
(every expert is linked to every other through entries they scored in
common). Otherwise the panel is not calibrated: no offsets are applied in it
and ``unlinked_experts`` lists the experts outside the largest connected part.
A connected panel with no residual degrees of freedom (for instance one sheet
per entry) is not calibrated either.

The calibrated value of a sheet is its total minus its expert's offset in its
panel; an entry's calibrated score is the mean of its sheets' calibrated
values. The work is numpy on arrays; only the m × m system is dense.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Cap on λ, used when the experts' variance is estimated at (or below) zero:
#: an expert with 30 sheets keeps about 30 / 10⁶ of their unpenalised offset.
MAX_STRENGTH = 1e6

REASON_NOT_CONNECTED = "not_connected"
REASON_TOO_FEW_SHEETS = "too_few_sheets"


@dataclass(frozen=True)
class ExpertOffset:
    """One expert's offset in one panel (points; positive: lenient)."""

    expert_id: int
    offset: float
    se: float | None  # None when the panel is not calibrated
    sheets: int


@dataclass(frozen=True)
class PanelCalibration:
    """The fitted model of one panel (``panel_id`` None: sheets without a panel)."""

    panel_id: int | None
    calibrated: bool
    reason: str | None  # REASON_* when not calibrated
    strength: float | None  # λ
    residual_sd: float | None
    expert_sd: float | None  # √σ²_experts (0 when estimated at or below zero)
    unlinked_experts: tuple[int, ...]
    offsets: tuple[ExpertOffset, ...]  # by expert id; all 0 when not calibrated

    def as_dict(self) -> dict[str, Any]:
        """Plain ints, floats, None and lists, ready for JSON."""
        return {
            "panel_id": self.panel_id,
            "calibrated": self.calibrated,
            "reason": self.reason,
            "strength": self.strength,
            "residual_sd": self.residual_sd,
            "expert_sd": self.expert_sd,
            "unlinked_experts": list(self.unlinked_experts),
            "offsets": [
                {"expert_id": o.expert_id, "offset": o.offset, "se": o.se, "sheets": o.sheets} for o in self.offsets
            ],
        }


@dataclass(frozen=True)
class Calibration:
    """Every panel's model, and the calibrated value of every input sheet (input order)."""

    panels: tuple[PanelCalibration, ...]  # panels by id, the group without a panel last
    adjusted: tuple[float, ...]
    scores: dict[int, float]  # entry id → the mean of its sheets' calibrated values

    def panel(self, panel_id: int | None) -> PanelCalibration | None:
        return next((p for p in self.panels if p.panel_id == panel_id), None)


def calibrate(
    *,
    panel_ids: Sequence[int | None],
    entry_ids: Sequence[int],
    expert_ids: Sequence[int],
    totals: Sequence[float],
) -> Calibration:
    """Fit the model of the module docstring in each panel; one row per sheet.

    The four sequences are parallel (one position per submitted sheet); an
    expert has at most one sheet per entry. Deterministic for a given set of
    sheets, whatever their order.
    """
    n = len(totals)
    if not (len(panel_ids) == len(entry_ids) == len(expert_ids) == n):
        raise ValueError("panel_ids, entry_ids, expert_ids and totals must have the same length")
    entries = np.asarray(entry_ids, dtype=np.int64)
    experts = np.asarray(expert_ids, dtype=np.int64)
    values = np.asarray(totals, dtype=np.float64)
    adjusted = values.copy()
    groups: dict[int | None, list[int]] = {}
    for index, panel_id in enumerate(panel_ids):
        groups.setdefault(panel_id, []).append(index)

    panels = []
    for panel_id in sorted(groups, key=lambda p: (p is None, p or 0)):
        rows = np.asarray(groups[panel_id], dtype=np.int64)
        # A canonical order (entry, then expert): the fit does not depend on the input's order.
        rows = rows[np.lexsort((experts[rows], entries[rows]))]
        fitted, offsets_by_row = _fit_panel(panel_id, entries[rows], experts[rows], values[rows])
        panels.append(fitted)
        adjusted[rows] -= offsets_by_row
    return Calibration(panels=tuple(panels), adjusted=tuple(adjusted.tolist()), scores=_entry_means(entries, experts, adjusted))


def _entry_means(entries: np.ndarray, experts: np.ndarray, values: np.ndarray) -> dict[int, float]:
    """Entry id → mean of its values, summed in a canonical order (entry, expert)
    so that the result does not depend on the input's order; never outside the values."""
    if len(values) == 0:
        return {}
    order = np.lexsort((experts, entries))
    keys, ordered = entries[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[starts, len(keys)])
    means = np.add.reduceat(ordered, starts) / counts
    means = np.clip(means, np.minimum.reduceat(ordered, starts), np.maximum.reduceat(ordered, starts))
    return dict(zip(keys[starts].tolist(), means.tolist(), strict=True))


def _fit_panel(panel_id, entry_ids: np.ndarray, expert_ids: np.ndarray, y: np.ndarray):
    """The panel's calibration and the offset to subtract from each of its sheets."""
    # Imported here: scipy is 40 MB in every process that loads the app (web
    # workers, brochure builds), and only a results computation needs it.
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    expert_keys, j = np.unique(expert_ids, return_inverse=True)
    _entry_keys, e = np.unique(entry_ids, return_inverse=True)
    m, n_entries, n = len(expert_keys), int(e.max()) + 1, len(y)
    sheets_of_expert = np.bincount(j, minlength=m)

    def uncalibrated(reason: str, unlinked=()) -> tuple[PanelCalibration, np.ndarray]:
        offsets = tuple(ExpertOffset(int(x), 0.0, None, int(c)) for x, c in zip(expert_keys, sheets_of_expert, strict=True))
        return (
            PanelCalibration(panel_id, False, reason, None, None, None, tuple(int(x) for x in unlinked), offsets),
            np.zeros(n),
        )

    # Experts are nodes 0..m−1, entries m..m+n_entries−1; a sheet is an edge.
    graph = sparse.coo_matrix((np.ones(n), (j, m + e)), shape=(m + n_entries, m + n_entries))
    count, label = connected_components(graph, directed=False)
    if count > 1:
        expert_label = label[:m]
        # The largest part: most experts, then most sheets, then the lowest expert id.
        parts = np.unique(expert_label)
        best = min(
            parts,
            key=lambda p: (-int((expert_label == p).sum()), -int(sheets_of_expert[expert_label == p].sum()),
                           int(expert_keys[expert_label == p].min())),
        )
        return uncalibrated(REASON_NOT_CONNECTED, expert_keys[expert_label != best])
    df = n - n_entries - (m - 1)
    if m < 2 or df < 1:
        return uncalibrated(REASON_TOO_FEW_SHEETS)

    sheets_of_entry = np.bincount(e, minlength=n_entries).astype(np.float64)
    within = y - (np.bincount(e, weights=y, minlength=n_entries) / sheets_of_entry)[e]
    # Z'MZ = diag(sheets per expert) − N'D⁻¹N, N the entries × experts incidence, D its row sums.
    scaled = sparse.csr_matrix((1.0 / np.sqrt(sheets_of_entry[e]), (e, j)), shape=(n_entries, m))
    a = np.diag(sheets_of_expert.astype(np.float64)) - (scaled.T @ scaled).toarray()
    b = np.bincount(j, weights=within, minlength=m)
    # Adding 11'/m fixes the unidentified common shift at zero without changing the solution.
    centre = np.full((m, m), 1.0 / m)

    unpenalised_inverse = np.linalg.inv(a + centre)
    unpenalised = unpenalised_inverse @ b
    residual_ss = max(float(within @ within - b @ unpenalised), 0.0)
    residual_var = residual_ss / df
    trace_pinv = float(np.trace(unpenalised_inverse)) - 1.0  # tr((Z'MZ)⁺): drop the shift's eigenvalue 1
    expert_var = max((float(unpenalised @ unpenalised) - residual_var * trace_pinv) / (m - 1), 0.0)
    if residual_var == 0.0:
        strength = 0.0  # an exact additive fit: nothing to shrink against
    elif expert_var * MAX_STRENGTH <= residual_var:
        strength = MAX_STRENGTH
    else:
        strength = residual_var / expert_var

    inverse = np.linalg.inv(a + strength * np.eye(m) + centre)
    offsets = inverse @ b
    offsets -= offsets.mean()  # exactly zero in theory; remove the rounding
    # Covariance restricted to sum-zero offsets: the shift direction has eigenvalue 1 + λ there.
    variances = np.clip(np.diag(inverse) - 1.0 / (m * (1.0 + strength)), 0.0, None) * residual_var
    standard_errors = np.sqrt(variances)
    result = PanelCalibration(
        panel_id=panel_id,
        calibrated=True,
        reason=None,
        strength=float(strength),
        residual_sd=float(np.sqrt(residual_var)),
        expert_sd=float(np.sqrt(expert_var)),
        unlinked_experts=(),
        offsets=tuple(
            ExpertOffset(int(x), float(o), float(s), int(c))
            for x, o, s, c in zip(expert_keys, offsets, standard_errors, sheets_of_expert, strict=True)
        ),
    )
    return result, offsets[j]
