"""From submitted sheets' weighted totals to per-entry scores and a ranking.

Pure functions: no database, no Flask. Inputs are `SheetTotal` rows (one per
submitted sheet); outputs are small frozen dataclasses with plain floats.
Sums use `math.fsum` (correctly rounded), so results do not depend on the order
of the input sheets. Notes are keys (see the ``NOTE_*`` constants), never
sentences: the views translate them.

Aggregation methods (the rubric's ``aggregation``):

- ``mean``: the mean of the entry's sheet totals.
- ``trimmed_mean``: with 5 or more sheets, exactly one highest and one lowest
  total are dropped and the rest averaged; with fewer, the plain mean is used
  and the result says it was not trimmed.
- ``zscore``: each sheet's total is standardised against all of its expert's
  sheets in the call, z = (total − expert mean) / expert SD; the entry's mean z
  is rescaled to the call's scale, score = call mean + call SD × mean z (call
  mean and SD over all sheet totals in the call). An expert with fewer than
  ``ZSCORE_MIN_SHEETS`` [8] sheets, or whose totals spread less than
  ``ZSCORE_SD_FLOOR`` [4 points of SD] (or not at all), is "guarded": their
  sheets use z = (total − call mean) / call SD instead, and the entry lists
  them. (Standardising an expert on three sheets of 80.0, 80.5 and 81.0 turned
  80.0 into a full SD below the call's mean.)
- ``calibrated``: per panel, sheet total = entry effect + expert offset with
  the offsets shrunk towards zero (see ``app.results.calibration``); the score
  is the mean of (total − the sheet's expert offset). A panel whose experts are
  not linked by common entries, or that has too few sheets, is not calibrated:
  its sheets count as they are and its entries say so.

Tie rule
--------

Entries are ranked by, in order:

1. the higher adjusted score (the aggregation method's result);
2. then the higher raw mean of the sheet totals;
3. then the higher mean score on the "measured outcomes" criterion
   (``measured_outcomes``; an entry without it comes after those with it);
4. then the earlier submission of the entry (an unknown time comes last);
5. then the lower entry id, so no two entries ever share a place.

Scores are compared rounded to 4 decimal places, as sheet totals are stored.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

from app.results import calibration

Method = Literal["mean", "trimmed_mean", "zscore", "calibrated"]
METHODS: tuple[str, ...] = ("mean", "trimmed_mean", "zscore", "calibrated")

TRIM_MIN_SHEETS = 5
#: The z-score method's guards (the call's settings; these are the defaults).
ZSCORE_MIN_SHEETS = 8
ZSCORE_SD_FLOOR = 4.0
OUTCOME_CRITERION = "measured_outcomes"
TIE_DECIMALS = 4

NOTE_TRIMMED = "trimmed"
NOTE_NOT_TRIMMED_TOO_FEW = "not_trimmed_too_few_sheets"
NOTE_NO_SHEETS = "no_sheets"
NOTE_ZSCORE_GUARDED = "zscore_guarded_experts"
NOTE_ZSCORE_NO_CALL_SPREAD = "zscore_no_call_spread"
NOTE_NOT_CALIBRATED_UNLINKED = "not_calibrated_unlinked"
NOTE_NOT_CALIBRATED_TOO_FEW = "not_calibrated_too_few_sheets"
_NOT_CALIBRATED_NOTES = {
    calibration.REASON_NOT_CONNECTED: NOTE_NOT_CALIBRATED_UNLINKED,
    calibration.REASON_TOO_FEW_SHEETS: NOTE_NOT_CALIBRATED_TOO_FEW,
}

FLAG_SD = "sd_at_or_above_threshold"
FLAG_RANGE = "range_at_or_above_threshold"


@dataclass(frozen=True)
class SheetTotal:
    entry_id: int
    expert_id: int
    total: float
    criterion_scores: dict[str, float]
    submitted_at: datetime
    panel_id: int | None = None


@dataclass(frozen=True)
class Stats:
    """Raw descriptive statistics of some totals; None where undefined."""

    n: int
    mean: float | None
    median: float | None
    min: float | None
    max: float | None
    sd: float | None  # sample SD (ddof=1); None for n < 2
    range: float | None


@dataclass(frozen=True)
class TrimmedMean:
    value: float | None
    trimmed: bool
    reason: str  # NOTE_TRIMMED, NOTE_NOT_TRIMMED_TOO_FEW or NOTE_NO_SHEETS
    dropped_low: float | None = None
    dropped_high: float | None = None


@dataclass(frozen=True)
class ZScoreEntry:
    entry_id: int
    score: float
    mean_z: float | None  # None when the call has no spread
    guarded_experts: tuple[int, ...]


@dataclass(frozen=True)
class ZScoreResult:
    call_mean: float | None
    call_sd: float | None
    entries: dict[int, ZScoreEntry]
    guarded_experts: tuple[int, ...]
    # (entry id, expert id) → the sheet's z-score on the call's scale, whose
    # mean per entry is the entry's score (what the bootstrap resamples).
    sheet_scores: dict[tuple[int, int], float] = field(default_factory=dict)


@dataclass(frozen=True)
class CalibratedResult:
    model: calibration.Calibration
    entries: dict[int, float]  # entry id → calibrated score
    notes: dict[int, tuple[str, ...]]  # entry id → why its sheets were not calibrated (empty when they were)
    # (entry id, expert id) → the sheet's calibrated value, whose mean per
    # entry is the entry's score (what the bootstrap resamples).
    sheet_scores: dict[tuple[int, int], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Disagreement:
    sd: float | None
    range: float | None


@dataclass(frozen=True)
class EntryResult:
    entry_id: int
    method: str
    score: float
    raw: Stats
    notes: tuple[str, ...] = ()
    guarded_experts: tuple[int, ...] = ()
    outcome_mean: float | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class RankedEntry:
    position: int
    result: EntryResult = field(repr=False)


def _mean(values: Sequence[float]) -> float:
    # The division can round one step outside the values (three equal values
    # whose sum is not exact): a mean never lies outside its inputs.
    return min(max(math.fsum(values) / len(values), min(values)), max(values))


def _sample_sd(values: Sequence[float], mean: float) -> float:
    if max(values) == min(values):
        return 0.0
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def describe(totals: Sequence[float]) -> Stats:
    """Mean, median, min, max, sample SD (None for n < 2), range and n."""
    values = sorted(float(t) for t in totals)
    n = len(values)
    if n == 0:
        return Stats(n=0, mean=None, median=None, min=None, max=None, sd=None, range=None)
    mean = _mean(values)
    return Stats(
        n=n,
        mean=mean,
        median=float(statistics.median(values)),
        min=values[0],
        max=values[-1],
        sd=_sample_sd(values, mean) if n >= 2 else None,
        range=values[-1] - values[0],
    )


def trimmed_mean(totals: Sequence[float], *, min_sheets: int = TRIM_MIN_SHEETS) -> TrimmedMean:
    """Drop exactly one highest and one lowest total when n ≥ 5; else the plain mean."""
    values = sorted(float(t) for t in totals)
    if not values:
        return TrimmedMean(value=None, trimmed=False, reason=NOTE_NO_SHEETS)
    if len(values) < min_sheets:
        return TrimmedMean(value=_mean(values), trimmed=False, reason=NOTE_NOT_TRIMMED_TOO_FEW)
    return TrimmedMean(
        value=_mean(values[1:-1]),
        trimmed=True,
        reason=NOTE_TRIMMED,
        dropped_low=values[0],
        dropped_high=values[-1],
    )


def zscore_adjusted(
    sheets: Sequence[SheetTotal],
    *,
    min_sheets_per_expert: int = ZSCORE_MIN_SHEETS,
    sd_floor: float | None = ZSCORE_SD_FLOOR,
) -> ZScoreResult:
    """Per entry: mean of per-expert z-scores, rescaled to the call's mean and SD.

    Experts with fewer than `min_sheets_per_expert` sheets, zero spread, or a
    sample SD below `sd_floor` points (None: no floor) are guarded: their
    sheets use z = (total − call mean) / call SD. When the call
    itself has no spread (fewer than 2 sheets, or all totals equal), scores are
    the raw means and `mean_z` is None.
    """
    if not sheets:
        return ZScoreResult(call_mean=None, call_sd=None, entries={}, guarded_experts=())
    all_totals = [float(s.total) for s in sheets]
    call_mean = _mean(all_totals)
    call_sd = _sample_sd(all_totals, call_mean) if len(all_totals) >= 2 else None

    by_expert: dict[int, list[float]] = {}
    for sheet in sheets:
        by_expert.setdefault(sheet.expert_id, []).append(float(sheet.total))
    expert_params: dict[int, tuple[float, float]] = {}
    guarded: set[int] = set()
    for expert_id, totals in by_expert.items():
        mean = _mean(totals)
        sd = _sample_sd(totals, mean) if len(totals) >= 2 else 0.0
        if len(totals) < min_sheets_per_expert or sd == 0.0 or (sd_floor is not None and sd < sd_floor):
            guarded.add(expert_id)
        else:
            expert_params[expert_id] = (mean, sd)

    by_entry: dict[int, list[SheetTotal]] = {}
    for sheet in sheets:
        by_entry.setdefault(sheet.entry_id, []).append(sheet)

    entries: dict[int, ZScoreEntry] = {}
    sheet_scores: dict[tuple[int, int], float] = {}
    for entry_id in sorted(by_entry):
        entry_sheets = by_entry[entry_id]
        entry_guarded = tuple(sorted({s.expert_id for s in entry_sheets} & guarded))
        if not call_sd:
            sheet_scores.update({(entry_id, s.expert_id): float(s.total) for s in entry_sheets})
            entries[entry_id] = ZScoreEntry(
                entry_id=entry_id,
                score=_mean([float(s.total) for s in entry_sheets]),
                mean_z=None,
                guarded_experts=entry_guarded,
            )
            continue
        zs = []
        for sheet in entry_sheets:
            mean, sd = expert_params.get(sheet.expert_id, (call_mean, call_sd))
            z = (float(sheet.total) - mean) / sd
            zs.append(z)
            sheet_scores[(entry_id, sheet.expert_id)] = call_mean + call_sd * z
        mean_z = _mean(zs)
        entries[entry_id] = ZScoreEntry(
            entry_id=entry_id,
            score=call_mean + call_sd * mean_z,
            mean_z=mean_z,
            guarded_experts=entry_guarded,
        )
    return ZScoreResult(
        call_mean=call_mean,
        call_sd=call_sd,
        entries=entries,
        guarded_experts=tuple(sorted(guarded)),
        sheet_scores=sheet_scores,
    )


def calibrated(sheets: Sequence[SheetTotal]) -> CalibratedResult:
    """Per entry: the mean of its sheets' totals minus their experts' offsets
    (fitted per panel, ``app.results.calibration``)."""
    fitted = calibration.calibrate(
        panel_ids=[s.panel_id for s in sheets],
        entry_ids=[s.entry_id for s in sheets],
        expert_ids=[s.expert_id for s in sheets],
        totals=[float(s.total) for s in sheets],
    )
    reason_of = {p.panel_id: p.reason for p in fitted.panels if not p.calibrated}
    notes: dict[int, tuple[str, ...]] = dict.fromkeys(fitted.scores, ())
    for sheet in sheets:
        # Only sheets of panels that could not be calibrated (usually none) say so.
        if sheet.panel_id in reason_of:
            note = _NOT_CALIBRATED_NOTES[reason_of[sheet.panel_id]]
            if note not in notes[sheet.entry_id]:
                notes[sheet.entry_id] = tuple(sorted(notes[sheet.entry_id] + (note,)))
    return CalibratedResult(
        model=fitted,
        entries=fitted.scores,
        notes=notes,
        sheet_scores={(s.entry_id, s.expert_id): value for s, value in zip(sheets, fitted.adjusted, strict=True)},
    )


def sheet_values(
    sheets: Sequence[SheetTotal],
    *,
    method: Method,
    min_sheets_per_expert: int = ZSCORE_MIN_SHEETS,
    sd_floor: float | None = ZSCORE_SD_FLOOR,
    calibrated_sheets: CalibratedResult | None = None,
) -> dict[tuple[int, int], float]:
    """(entry id, expert id) → the value of each sheet the method averages:
    the standardised or calibrated value, else the total (what the bootstrap resamples).
    `calibrated_sheets` is ``calibrated(sheets)`` when the caller has it already."""
    if method == "zscore":
        return zscore_adjusted(sheets, min_sheets_per_expert=min_sheets_per_expert, sd_floor=sd_floor).sheet_scores
    if method == "calibrated":
        return (calibrated_sheets or calibrated(sheets)).sheet_scores
    return {(s.entry_id, s.expert_id): float(s.total) for s in sheets}


def aggregate(
    sheets: Sequence[SheetTotal],
    *,
    method: Method,
    min_sheets_per_expert: int = ZSCORE_MIN_SHEETS,
    sd_floor: float | None = ZSCORE_SD_FLOOR,
    entry_submitted_at: Mapping[int, datetime] | None = None,
    calibrated_sheets: CalibratedResult | None = None,
) -> list[EntryResult]:
    """One result per entry that has sheets, ordered by entry id.

    `min_sheets_per_expert` and `sd_floor` are the z-score method's guards;
    `calibrated_sheets` is ``calibrated(sheets)`` when the caller has it already.
    `entry_submitted_at` (entry id → when the applicant submitted it) feeds the
    tie rule; without it that step of the rule is skipped.
    """
    if method not in METHODS:
        raise ValueError(f"unknown aggregation method: {method!r}")
    by_entry: dict[int, list[SheetTotal]] = {}
    for sheet in sheets:
        by_entry.setdefault(sheet.entry_id, []).append(sheet)
    zscores = (
        zscore_adjusted(sheets, min_sheets_per_expert=min_sheets_per_expert, sd_floor=sd_floor)
        if method == "zscore" else None
    )
    calibrated_scores = (calibrated_sheets or calibrated(sheets)) if method == "calibrated" else None

    results = []
    for entry_id in sorted(by_entry):
        entry_sheets = by_entry[entry_id]
        totals = [float(s.total) for s in entry_sheets]
        raw = describe(totals)
        notes: tuple[str, ...] = ()
        guarded: tuple[int, ...] = ()
        if method == "mean":
            score = raw.mean
        elif method == "trimmed_mean":
            trimmed = trimmed_mean(totals)
            score = trimmed.value
            notes = (trimmed.reason,)
        elif method == "calibrated":
            assert calibrated_scores is not None
            score = calibrated_scores.entries[entry_id]
            notes = calibrated_scores.notes[entry_id]
        else:
            assert zscores is not None
            z_entry = zscores.entries[entry_id]
            score = z_entry.score
            guarded = z_entry.guarded_experts
            if z_entry.mean_z is None:
                notes += (NOTE_ZSCORE_NO_CALL_SPREAD,)
            if guarded:
                notes += (NOTE_ZSCORE_GUARDED,)
        outcome_scores = [
            float(s.criterion_scores[OUTCOME_CRITERION])
            for s in entry_sheets
            if s.criterion_scores.get(OUTCOME_CRITERION) is not None
        ]
        results.append(
            EntryResult(
                entry_id=entry_id,
                method=method,
                score=float(score),
                raw=raw,
                notes=notes,
                guarded_experts=guarded,
                outcome_mean=_mean(sorted(outcome_scores)) if outcome_scores else None,
                submitted_at=(entry_submitted_at or {}).get(entry_id),
            )
        )
    return results


def disagreement(totals: Sequence[float]) -> Disagreement:
    """How far an entry's experts disagree: sample SD (None for n < 2) and range."""
    stats = describe(totals)
    return Disagreement(sd=stats.sd, range=stats.range)


def flag_disagreement(
    stats: Stats | Disagreement,
    *,
    sd_threshold: float | None,
    range_threshold: float | None,
) -> tuple[str, ...]:
    """Flag keys for an SD or range at or above its threshold (None disables one)."""
    flags: tuple[str, ...] = ()
    if sd_threshold is not None and stats.sd is not None and stats.sd >= sd_threshold:
        flags += (FLAG_SD,)
    if range_threshold is not None and stats.range is not None and stats.range >= range_threshold:
        flags += (FLAG_RANGE,)
    return flags


def _higher_first(value: float | None) -> tuple:
    return (1,) if value is None else (0, -round(value, TIE_DECIMALS))


def tie_break_key(
    *,
    score: float,
    raw_mean: float | None,
    outcome_mean: float | None,
    submitted_at: datetime | None,
    entry_id: int,
) -> tuple:
    """Sort key of the tie rule (see the module docstring): smaller sorts first."""
    return (
        _higher_first(score),
        _higher_first(raw_mean),
        _higher_first(outcome_mean),
        (1,) if submitted_at is None else (0, submitted_at),
        entry_id,
    )


def result_key(result: EntryResult) -> tuple:
    return tie_break_key(
        score=result.score,
        raw_mean=result.raw.mean,
        outcome_mean=result.outcome_mean,
        submitted_at=result.submitted_at,
        entry_id=result.entry_id,
    )


def deciding_step(first: EntryResult, second: EntryResult) -> int:
    """The step of the tie rule (1–5, as numbered in the module docstring) that
    orders two entries: the first at which their sort keys differ. Step 1 means
    their scores differ; 2–5 mean they tie on the adjusted score."""
    for step, (a, b) in enumerate(zip(result_key(first), result_key(second), strict=True), start=1):
        if a != b:
            return step
    raise ValueError("an entry is not ordered against itself")


def rank(entries_results: Sequence[EntryResult]) -> list[RankedEntry]:
    """Entries in ranking order with positions 1, 2, 3, … (never shared)."""
    ordered = sorted(entries_results, key=result_key)
    return [RankedEntry(position=i, result=r) for i, r in enumerate(ordered, start=1)]


def rank_positions(
    entries_results: Sequence[EntryResult], *, scores: Sequence[Mapping[int, float]]
) -> list[dict[int, int]]:
    """For each mapping of entry id → score, every entry's position when the
    results are ranked by the tie rule with that score instead of their own:
    ``rank`` with only the score swapped, sorting the rest of the rule once
    (what comparing methods on 5,000 entries needs)."""
    ids = [r.entry_id for r in entries_results]
    # Position of each entry by the tie rule after the score (raw mean, outcomes, submission, id).
    rest = sorted(range(len(ids)), key=lambda i: result_key(entries_results[i])[1:])
    secondary = np.empty(len(ids), dtype=np.int64)
    secondary[rest] = np.arange(len(ids))
    found = []
    for method_scores in scores:
        # Python's round, as the tie rule compares: numpy's rounds half-way cases differently.
        primary = np.array([-round(method_scores[entry_id], TIE_DECIMALS) for entry_id in ids], dtype=np.float64)
        positions = np.empty(len(ids), dtype=np.int64)
        positions[np.lexsort((secondary, primary))] = np.arange(1, len(ids) + 1)
        found.append(dict(zip(ids, positions.tolist(), strict=True)))
    return found
