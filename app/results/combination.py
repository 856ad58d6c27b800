"""Combining the scores of a call's review rounds into one (pure).

The last round's results rank the entries on its shortlist by a combined
score: ``weighted`` — every round's score times the round's weight (percent),
over the weights of the rounds the entry has a score in; ``final_round`` —
the last round's score alone. Entries that did not reach the last round are
ranked after every shortlisted one, in the order the previous round left
them, and are never selected.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WEIGHTED = "weighted"
FINAL_ROUND = "final_round"
#: The decision of an entry that did not reach the last round.
NOT_SHORTLISTED = "not_shortlisted"


@dataclass(frozen=True)
class RoundFigures:
    """An entry's figures in one round: its score, its sheets and its rank there."""

    score: float
    sheets: int
    rank: int

    def as_dict(self) -> dict:
        return {"score": round(self.score, 4), "sheets": self.sheets, "rank": self.rank}


def combined_score(figures: Mapping[int, RoundFigures], *, weights: Mapping[int, float], mode: str, last: int) -> float:
    """The entry's combined score from its ``figures`` per round number.

    ``final_round``: the last round's score. ``weighted``: the weighted mean
    over the rounds the entry has figures in (the weights of all rounds add up
    to 100, so for an entry scored in every round it is Σ wᵢ·sᵢ / 100). A
    weight of 0 for every round it has leaves the last round's score.
    """
    if mode == FINAL_ROUND:
        return figures[last].score
    total = sum(weights.get(number, 0.0) for number in figures)
    if total <= 0:
        return figures[last].score
    return sum(weights.get(number, 0.0) * item.score for number, item in figures.items()) / total


def affine(figures: Mapping[int, Mapping[int, RoundFigures]], *, weights: Mapping[int, float], mode: str,
           last: int) -> dict[int, tuple[float, float]]:
    """Entry id → (offset, scale) such that the entry's combined score is
    offset + scale × its score in the ``last`` round, for every entry scored
    there (``figures``: round number → entry id → figures). The rank
    intervals resample the last round's sheets through it, holding the
    earlier rounds' scores fixed."""
    result = {}
    for entry_id in figures.get(last, {}):
        own = {number: rows[entry_id] for number, rows in figures.items() if entry_id in rows}
        total = sum(weights.get(number, 0.0) for number in own)
        if mode == FINAL_ROUND or total <= 0:  # combined_score is then the last round's score itself
            result[entry_id] = (0.0, 1.0)
            continue
        offset = sum(weights.get(n, 0.0) * item.score for n, item in own.items() if n != last) / total
        result[entry_id] = (offset, weights.get(last, 0.0) / total)
    return result


def round_scores(figures: Mapping[int, RoundFigures]) -> dict[str, dict]:
    """The figures as ``ResultEntry.round_scores`` keeps them: keys are the round numbers as text."""
    return {str(number): item.as_dict() for number, item in sorted(figures.items())}


def group_positions(entry_ids: Sequence[int], group_of: Mapping[int, object], *,
                    start: Mapping[object, int] | None = None) -> dict[int, int]:
    """Positions within each group (domain, city) in the order of ``entry_ids``,
    continuing after ``start`` (the places the groups' earlier entries took)."""
    counters = dict(start or {})
    positions = {}
    for entry_id in entry_ids:
        group = group_of[entry_id]
        counters[group] = counters.get(group, 0) + 1
        positions[entry_id] = counters[group]
    return positions
