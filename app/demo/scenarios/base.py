"""The shapes of the demo vocabulary (see ``app.demo.scenarios``)."""
from dataclasses import dataclass

from app.enums import Technology


@dataclass(frozen=True)
class Outcome:
    metric: str
    before: tuple[float, float] | None  # None: the capability did not exist before
    after: tuple[float, float]
    unit: str
    digits: int = 0
    # True: ``after`` is a factor of the drawn ``before`` (costs, headcounts, totals).
    relative: bool = False


@dataclass(frozen=True)
class Scenario:
    titles: tuple[str, ...]
    objects: tuple[str, ...]
    lead: str  # opens the summary: the problem in one clause
    core: str  # the solution in one clause, after the organisation's name
    problems: tuple[str, ...]
    solutions: tuple[str, ...]  # in a sensible order; a subset is used in order
    scales: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    techs: tuple[Technology, ...]  # the first is always tagged
    free_tags: tuple[str, ...]
    investment: tuple[int, int]  # 万元
    photos: tuple[tuple[str, tuple[str, ...]], ...]  # (picture name in pictures.PICTURES, captions)


@dataclass(frozen=True)
class DomainText:
    peers: str  # where the scenario could be replicated
    security: tuple[str, ...]  # domain-specific data security and ethics measures
    partners: tuple[str, ...]  # likely partner organisations (names in ``entries.PARTNERS``)
