"""Pure functions over a frozen rubric's content and a sheet's scores."""
from typing import Any


def criteria(rubric: dict[str, Any]) -> list[dict[str, Any]]:
    return rubric["criteria"]


def weighted_total(rubric: dict[str, Any], scores: dict[str, float | None]) -> float | None:
    """The sheet's total on 0–100: Σ weight × score / max_score (weights sum to 100).

    None while any criterion is unscored.
    """
    total = 0.0
    for criterion in criteria(rubric):
        score = scores.get(criterion["key"])
        if score is None:
            return None
        total += criterion["weight"] * score / criterion["max_score"]
    return round(total, 4)


def level_for(criterion: dict[str, Any], score: float | None) -> dict[str, Any] | None:
    """The level descriptor a score falls in (the highest whose range holds it)."""
    if score is None:
        return None
    matches = [level for level in criterion["levels"] if level["min"] <= score <= level["max"]]
    return max(matches, key=lambda level: level["min"]) if matches else None
