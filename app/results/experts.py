"""Per-expert statistics of a call: leniency, spread, straight-lining, speed.

Pure and deterministic: plain data in, plain data out, no database, no Flask.
Inputs are `ExpertSheet` rows (one per submitted sheet, at most one per expert
and entry); the output is one `ExpertStatistic` per expert, ordered by expert
id. Sums use `math.fsum` and medians sort their values, so the result does not
depend on the order of the input sheets. Flags are keys (the ``FLAG_*``
constants), never sentences: the views translate them. A flag only points an
outlier out to the chair; no sheet is ever removed or changed because of it.

What is computed, per expert:

- ``sheets``: the number of submitted sheets.
- ``mean_total`` and ``sd_total``: mean and sample SD (None for fewer than 2
  sheets) of the expert's sheet totals (the weighted 0–100 totals): the spread.
- ``leniency``: the mean over the expert's sheets of (sheet total − consensus),
  where the consensus is the mean of the *other* experts' totals on the same
  entry (leave one out, so an expert does not pull the consensus toward
  themself). A sheet whose entry has no other sheet is not counted;
  ``leniency_sheets`` says how many were. Positive is lenient, negative severe;
  None when no sheet counted. ``leniency_se`` is its standard error, the sample
  SD of the deviations / √m (None for m < 2 counted sheets).
- ``leniency_z``: the robust z-score of the leniency among the experts with at
  least ``min_leniency_sheets`` counted sheets (None for the others, and for
  everybody when those experts' leniencies have no spread):
  z = (x − median) / (1.4826 × MAD), MAD being the median absolute deviation
  from the median; when the MAD is 0 the scale is 1.2533 × the mean absolute
  deviation from the median instead; when that is 0 too there is no z.
- ``straight_lined``: sheets on which every criterion score is present, there
  are at least 2 criteria, and all the scores are equal (compared as given, each
  on its criterion's own scale); ``straight_share`` = straight_lined / sheets.
- ``median_minutes``: the median time from opening a sheet to submitting it.

The flag rule (every threshold is a keyword argument of `expert_statistics`,
defaults in brackets):

- ``lenient``: leniency_z ≥ ``z_threshold`` [2.5] and leniency ≥
  ``min_leniency_points`` [5 points];
- ``severe``: leniency_z ≤ −``z_threshold`` [−2.5] and leniency ≤
  −``min_leniency_points`` [−5 points];
- ``narrow_spread``: sd_total < ``narrow_sd`` [3 points] with at least
  ``min_narrow_sheets`` [5] sheets;
- ``straight_lining``: straight_share ≥ ``min_straight_share`` [0.5] with at least
  ``min_straight_sheets`` [3] sheets, or straight_lined ≥ ``straight_count``
  [3] whatever the share;
- ``fast``: median_minutes < ``fast_minutes`` [5 minutes] with at least
  ``min_fast_sheets`` [3] sheets.

An expert's flags come in the order of ``FLAGS``.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

FLAG_LENIENT = "lenient"
FLAG_SEVERE = "severe"
FLAG_NARROW_SPREAD = "narrow_spread"
FLAG_STRAIGHT_LINING = "straight_lining"
FLAG_FAST = "fast"
FLAGS: tuple[str, ...] = (FLAG_LENIENT, FLAG_SEVERE, FLAG_NARROW_SPREAD, FLAG_STRAIGHT_LINING, FLAG_FAST)

#: MAD × this estimates the SD of normally distributed values.
MAD_SCALE = 1.4826
#: Mean absolute deviation × this estimates the SD (the fallback when MAD = 0).
MEAN_AD_SCALE = 1.2533

MIN_LENIENCY_SHEETS = 3
Z_THRESHOLD = 2.5
MIN_LENIENCY_POINTS = 5.0
NARROW_SD = 3.0
MIN_NARROW_SHEETS = 5
MIN_STRAIGHT_SHARE = 0.5
MIN_STRAIGHT_SHEETS = 3
STRAIGHT_COUNT = 3
FAST_MINUTES = 5.0
MIN_FAST_SHEETS = 3

_FLOAT_FIELDS = (
    "mean_total",
    "sd_total",
    "leniency",
    "leniency_se",
    "leniency_z",
    "straight_share",
    "median_minutes",
)


@dataclass(frozen=True)
class ExpertSheet:
    """One submitted sheet: its weighted 0–100 total and its criterion scores."""

    expert_id: int
    entry_id: int
    total: float
    criterion_scores: Mapping[str, float | None]
    opened_at: datetime
    submitted_at: datetime
    # Known in advance (the database counted it); None: decided from criterion_scores.
    straight_lined: bool | None = None


@dataclass(frozen=True)
class ExpertStatistic:
    """One expert's statistics in a call; None where undefined (see the module docstring)."""

    expert_id: int
    sheets: int
    mean_total: float
    sd_total: float | None  # sample SD; None for fewer than 2 sheets
    leniency: float | None  # mean deviation from the leave-one-out consensus
    leniency_sheets: int
    leniency_se: float | None  # None for fewer than 2 counted sheets
    leniency_z: float | None  # robust z among experts with enough counted sheets
    straight_lined: int
    straight_share: float
    median_minutes: float | None
    flags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain ints, floats, None and a list of flag keys, ready for JSON."""
        data = asdict(self)
        data["flags"] = list(self.flags)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpertStatistic:
        """Rebuild a statistic from `as_dict` output (for instance read back from JSON)."""
        values = {f.name: data[f.name] for f in fields(cls)}
        for name in _FLOAT_FIELDS:
            if values[name] is not None:
                values[name] = float(values[name])
        values["flags"] = tuple(values["flags"])
        return cls(**values)


def _mean(values: Sequence[float]) -> float:
    # A mean never lies outside its inputs, even when the division rounds.
    return min(max(math.fsum(values) / len(values), min(values)), max(values))


def _sample_sd(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    if max(values) == min(values):
        return 0.0
    mean = _mean(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _is_straight_lined(criterion_scores: Mapping[str, float | None]) -> bool:
    scores = list(criterion_scores.values())
    if len(scores) < 2 or any(s is None for s in scores):
        return False
    return len({float(s) for s in scores}) == 1


def robust_z(values: Sequence[float]) -> list[float] | None:
    """Robust z-scores of `values`, in their order; None when they have no spread.

    z = (x − median) / (1.4826 × MAD); when the MAD is 0, the scale is
    1.2533 × the mean absolute deviation from the median.
    """
    if not values:
        return None
    median = statistics.median(sorted(values))
    deviations = sorted(abs(v - median) for v in values)
    mad = statistics.median(deviations)
    if mad > 0:
        scale = MAD_SCALE * mad
    else:
        mean_ad = math.fsum(deviations) / len(deviations)
        if mean_ad == 0:
            return None
        scale = MEAN_AD_SCALE * mean_ad
    return [(v - median) / scale for v in values]


def expert_statistics(
    sheets: Iterable[ExpertSheet],
    *,
    min_leniency_sheets: int = MIN_LENIENCY_SHEETS,
    z_threshold: float = Z_THRESHOLD,
    min_leniency_points: float = MIN_LENIENCY_POINTS,
    narrow_sd: float = NARROW_SD,
    min_narrow_sheets: int = MIN_NARROW_SHEETS,
    min_straight_share: float = MIN_STRAIGHT_SHARE,
    min_straight_sheets: int = MIN_STRAIGHT_SHEETS,
    straight_count: int = STRAIGHT_COUNT,
    fast_minutes: float = FAST_MINUTES,
    min_fast_sheets: int = MIN_FAST_SHEETS,
) -> list[ExpertStatistic]:
    """One statistic per expert with sheets, ordered by expert id.

    The statistics and the flag rule are those of the module docstring. Two
    sheets of the same expert on the same entry are refused.
    """
    by_expert: dict[int, list[ExpertSheet]] = {}
    by_entry: dict[int, dict[int, float]] = {}
    for sheet in sheets:
        entry_totals = by_entry.setdefault(sheet.entry_id, {})
        if sheet.expert_id in entry_totals:
            raise ValueError(f"expert {sheet.expert_id} has two sheets on entry {sheet.entry_id}")
        entry_totals[sheet.expert_id] = float(sheet.total)
        by_expert.setdefault(sheet.expert_id, []).append(sheet)

    described = [_describe(expert_id, by_expert[expert_id], by_entry) for expert_id in sorted(by_expert)]
    eligible = [s for s in described if s.leniency_sheets >= min_leniency_sheets]
    zs = robust_z([s.leniency for s in eligible]) or [None] * len(eligible)
    z_by_expert = {s.expert_id: z for s, z in zip(eligible, zs, strict=True)}

    results = []
    for stat in described:
        z = z_by_expert.get(stat.expert_id)
        flags: tuple[str, ...] = ()
        if z is not None and z >= z_threshold and stat.leniency >= min_leniency_points:
            flags += (FLAG_LENIENT,)
        if z is not None and z <= -z_threshold and stat.leniency <= -min_leniency_points:
            flags += (FLAG_SEVERE,)
        if stat.sheets >= min_narrow_sheets and stat.sd_total is not None and stat.sd_total < narrow_sd:
            flags += (FLAG_NARROW_SPREAD,)
        if (stat.sheets >= min_straight_sheets and stat.straight_share >= min_straight_share) or (
            stat.straight_lined >= straight_count
        ):
            flags += (FLAG_STRAIGHT_LINING,)
        if stat.sheets >= min_fast_sheets and stat.median_minutes is not None and stat.median_minutes < fast_minutes:
            flags += (FLAG_FAST,)
        results.append(replace(stat, leniency_z=z, flags=flags))
    return results


def _describe(expert_id: int, own: Sequence[ExpertSheet], by_entry: Mapping[int, Mapping[int, float]]) -> ExpertStatistic:
    """An expert's statistics without the robust z and the flags (they need every expert)."""
    totals = sorted(float(s.total) for s in own)
    deviations = []
    for sheet in own:
        others = [t for e, t in by_entry[sheet.entry_id].items() if e != expert_id]
        if others:
            # fsum is correctly rounded: the consensus does not depend on the sheets' order.
            deviations.append(float(sheet.total) - math.fsum(others) / len(others))
    deviations.sort()
    m = len(deviations)
    deviation_sd = _sample_sd(deviations)
    straight = sum(
        1 for s in own if (s.straight_lined if s.straight_lined is not None else _is_straight_lined(s.criterion_scores))
    )
    minutes = sorted((s.submitted_at - s.opened_at).total_seconds() / 60 for s in own)
    return ExpertStatistic(
        expert_id=expert_id,
        sheets=len(own),
        mean_total=_mean(totals),
        sd_total=_sample_sd(totals),
        leniency=math.fsum(deviations) / m if m else None,
        leniency_sheets=m,
        leniency_se=deviation_sd / math.sqrt(m) if deviation_sd is not None else None,
        leniency_z=None,
        straight_lined=straight,
        straight_share=straight / len(own),
        median_minutes=float(statistics.median(minutes)),
    )


def flag_counts(stats: Iterable[ExpertStatistic]) -> dict[str, int]:
    """How many experts carry each flag: every key of ``FLAGS``, in that order."""
    counts = dict.fromkeys(FLAGS, 0)
    for stat in stats:
        for flag in stat.flags:
            counts[flag] = counts.get(flag, 0) + 1
    return counts
