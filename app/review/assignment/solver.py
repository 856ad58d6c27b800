"""Assigning experts to entries: the algorithm, on plain data.

No database and no Flask here: :func:`assign` takes frozen dataclasses and
returns an :class:`AssignmentPlan`; :mod:`app.review.assignment.loaders`
loads the facts from the database and :mod:`app.review.assignment.services`
stores the plan.

The rules, in order of strength:

1. **Hard constraints.** An expert is only given entries of a panel they sit
   on that covers the entry's domain, never an entry they conflict with (an
   organisation key shared with the entry, or a ``forbidden`` pair: a stored
   conflict, a removed assignment), never the same entry twice, and never
   more entries than their cap (existing assignments included).
2. **One panel per entry.** All experts of an entry come from one panel: the
   panel of its existing experts, else — when several panels cover the
   domain — the one with the least work per member that has enough eligible
   experts for it.
3. **Balance.** Each pick takes the least-loaded eligible experts (load =
   active assignments in the call, existing ones included), then a repair
   pass moves new assignments from the most to the least loaded members, so
   that within a panel max − min ≤ 1 whenever the conflicts allow it.
   Experts at their cap are left out of the minimum.
4. **Technology tags.** Among experts of equal load, those sharing more
   technology tags with the entry come first.
5. **Ties** are broken by a ranking drawn from ``seed``: the same input and
   seed always give the same plan; another seed gives another one.

Entries the rules cannot fill are reported (:class:`Shortfall`), never
dropped: no panel for the domain, too few eligible experts in the panel, or
experts' caps used up. They still get every expert that could be found.
"""
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

NO_PANEL = "no_panel"
TOO_FEW_EXPERTS = "too_few_experts"
CAPS = "caps"
REASONS = (NO_PANEL, TOO_FEW_EXPERTS, CAPS)


@dataclass(frozen=True)
class EntryFacts:
    """What assignment needs to know about an entry.

    ``keys``: credit codes and normalised names of its organisation and
    partners (``app.review.conflicts.entry_keys``).
    """

    id: int
    domain: str | None
    keys: frozenset[str] = frozenset()
    tech_tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExpertFacts:
    """What assignment needs to know about an expert.

    ``keys``: codes and names of their current and recent organisations
    (``app.review.conflicts.organisation_keys``); ``cap``: the most
    assignments they take in the call (None: no limit).
    """

    id: int
    keys: frozenset[str] = frozenset()
    tech_tags: frozenset[str] = frozenset()
    cap: int | None = None


@dataclass(frozen=True)
class PanelFacts:
    id: int
    domains: frozenset[str]
    member_ids: tuple[int, ...]


@dataclass(frozen=True, order=True)
class Pair:
    entry_id: int
    expert_id: int
    panel_id: int


@dataclass(frozen=True)
class Shortfall:
    """An entry left with fewer experts than ``needed``.

    ``found``: the experts it has after the plan (existing ones included);
    ``eligible``: the experts of its panel it does not conflict with
    (including those already on it); ``reason``: one of :data:`REASONS`.
    """

    entry_id: int
    panel_id: int | None
    needed: int
    found: int
    eligible: int
    reason: str


@dataclass(frozen=True)
class PanelLoad:
    """Loads of a panel's members after the plan. ``spread`` is max − min,
    the minimum taken over the members still below their cap."""

    panel_id: int
    members: int
    minimum: int
    maximum: int
    spread: int


@dataclass
class AssignmentPlan:
    pairs: list[Pair]  # the new assignments, by entry then expert
    infeasible: list[Shortfall]  # by entry
    loads: dict[int, int]  # expert id → active assignments after the plan
    panels: dict[int, PanelLoad]


def normalise_tags(tags: Iterable[str]) -> frozenset[str]:
    """Tags compared without case or surrounding space."""
    return frozenset(tag.strip().casefold() for tag in tags if tag and tag.strip())


def assign(
    entries: Iterable[EntryFacts],
    experts: Iterable[ExpertFacts],
    panels: Iterable[PanelFacts],
    *,
    per_entry: int,
    existing: Iterable[tuple[int, int]] = (),
    forbidden: Iterable[tuple[int, int]] = (),
    seed: int = 0,
) -> AssignmentPlan:
    """Plan new assignments so each entry has ``per_entry`` experts.

    ``existing``: the call's active ``(entry id, expert id)`` pairs — they
    count toward entries' numbers and experts' loads, also for entries not
    in ``entries``. ``forbidden``: pairs never to plan (stored conflicts,
    removed assignments). Panel members missing from ``experts`` are ignored.
    """
    if per_entry < 1:
        raise ValueError("per_entry must be at least 1")
    return _Planner(list(entries), list(experts), list(panels), per_entry, existing, forbidden, seed).plan()


class _Planner:
    def __init__(self, entries, experts, panels, per_entry, existing, forbidden, seed):
        self.per_entry = per_entry
        self.entries = {entry.id: entry for entry in entries}
        self.experts = {expert.id: expert for expert in experts}
        self.rng = random.Random(seed)
        ranking = sorted(self.experts)
        self.rng.shuffle(ranking)
        self.rank = {expert_id: position for position, expert_id in enumerate(ranking)}

        self.members: dict[int, tuple[int, ...]] = {}
        self.panels_of_domain: dict[str, list[int]] = defaultdict(list)
        for panel in sorted(panels, key=lambda panel: panel.id):
            self.members[panel.id] = tuple(sorted({m for m in panel.member_ids if m in self.experts}))
            for domain in sorted(panel.domains):
                self.panels_of_domain[domain].append(panel.id)

        self.by_key: dict[str, set[int]] = defaultdict(set)
        for expert in self.experts.values():
            for key in expert.keys:
                self.by_key[key].add(expert.id)

        self.load: dict[int, int] = dict.fromkeys(self.experts, 0)
        self.on_entry: dict[int, set[int]] = defaultdict(set)  # experts on the entry (existing + new)
        for entry_id, expert_id in existing:
            if expert_id not in self.on_entry[entry_id]:
                self.on_entry[entry_id].add(expert_id)
                if expert_id in self.load:
                    self.load[expert_id] += 1
        self.forbidden: dict[int, set[int]] = defaultdict(set)
        for entry_id, expert_id in forbidden:
            self.forbidden[entry_id].add(expert_id)

        self.blocked: dict[int, set[int]] = {}  # entry → experts it may never get
        self.panel_of: dict[int, int] = {}  # entry → its panel
        self.new_of: dict[int, set[int]] = defaultdict(set)  # expert → entries newly given to them

    # --- constraints ------------------------------------------------------

    def _blocked(self, entry: EntryFacts) -> set[int]:
        blocked = set(self.forbidden.get(entry.id, ()))
        for key in entry.keys:
            blocked |= self.by_key.get(key, set())
        return blocked

    def _has_room(self, expert_id: int) -> bool:
        cap = self.experts[expert_id].cap
        return cap is None or self.load[expert_id] < cap

    def _may_take(self, expert_id: int, entry_id: int) -> bool:
        """May ``expert_id`` be given ``entry_id`` now (panel membership aside)?"""
        return (
            expert_id not in self.blocked[entry_id]
            and expert_id not in self.on_entry[entry_id]
            and self._has_room(expert_id)
        )

    def _eligible(self, entry_id: int, panel_id: int) -> list[int]:
        """Members of the panel the entry does not conflict with (caps aside)."""
        blocked = self.blocked[entry_id]
        return [m for m in self.members[panel_id] if m not in blocked]

    def _missing(self, entry_id: int) -> int:
        return max(0, self.per_entry - len(self.on_entry[entry_id]))

    # --- the plan ---------------------------------------------------------

    def plan(self) -> AssignmentPlan:
        to_fill = []
        no_panel = []
        for entry_id in sorted(self.entries):
            entry = self.entries[entry_id]
            if not self._missing(entry_id):
                continue
            if not self.panels_of_domain.get(entry.domain):
                no_panel.append(entry_id)
                continue
            self.blocked[entry_id] = self._blocked(entry)
            to_fill.append(entry_id)

        order = self._order(to_fill)
        self._route(order)
        for entry_id in order:
            self._pick(entry_id)
        self._augment(order)
        # Experts on several panels link the panels' loads: repeat until no
        # panel moves anything (each move lowers Σ load², so this ends).
        while any([self._rebalance(panel_id) for panel_id in sorted(self.members)]):
            pass
        return self._result(to_fill, no_panel)

    def _order(self, entry_ids: list[int]) -> list[int]:
        """Most constrained first (fewest spare eligible experts), ties at random."""
        tiebreak = list(entry_ids)
        self.rng.shuffle(tiebreak)
        position = {entry_id: index for index, entry_id in enumerate(tiebreak)}

        def slack(entry_id: int) -> int:
            domain = self.entries[entry_id].domain
            best = max(len(self._eligible(entry_id, p)) for p in self.panels_of_domain[domain])
            return best - self._missing(entry_id)

        return sorted(entry_ids, key=lambda entry_id: (slack(entry_id), position[entry_id]))

    def _route(self, order: list[int]) -> None:
        """Give each entry its panel (see rule 2 in the module docstring)."""
        work: dict[int, float] = {p: sum(self.load[m] for m in self.members[p]) for p in self.members}
        for entry_id in order:
            candidates = self.panels_of_domain[self.entries[entry_id].domain]
            current = self.on_entry[entry_id]
            if len(candidates) == 1:
                panel_id = candidates[0]
            elif current and any(current & set(self.members[p]) for p in candidates):
                panel_id = max(candidates, key=lambda p: (len(current & set(self.members[p])), -p))
            else:
                missing = self._missing(entry_id)

                def per_member(p: int) -> float:
                    return work[p] / max(1, len(self.members[p]))

                free = {p: sum(1 for m in self._eligible(entry_id, p) if m not in current) for p in candidates}
                enough = [p for p in candidates if free[p] >= missing]
                if enough:
                    panel_id = min(enough, key=lambda p: (per_member(p), p))
                else:
                    panel_id = min(candidates, key=lambda p: (-free[p], per_member(p), p))
            self.panel_of[entry_id] = panel_id
            work[panel_id] += self._missing(entry_id)

    def _preference(self, entry_id: int):
        tags = self.entries[entry_id].tech_tags
        experts, load, rank = self.experts, self.load, self.rank
        return lambda m: (load[m], -len(experts[m].tech_tags & tags), rank[m])

    def _give(self, entry_id: int, expert_id: int) -> None:
        self.on_entry[entry_id].add(expert_id)
        self.new_of[expert_id].add(entry_id)
        self.load[expert_id] += 1

    def _take_back(self, entry_id: int, expert_id: int) -> None:
        self.on_entry[entry_id].discard(expert_id)
        self.new_of[expert_id].discard(entry_id)
        self.load[expert_id] -= 1

    def _pick(self, entry_id: int) -> None:
        """Give the entry its least-loaded eligible experts (tags break ties)."""
        candidates = [m for m in self.members[self.panel_of[entry_id]] if self._may_take(m, entry_id)]
        candidates.sort(key=self._preference(entry_id))
        for expert_id in candidates[: self._missing(entry_id)]:
            self._give(entry_id, expert_id)

    def _augment(self, order: list[int]) -> None:
        """Fill entries left short by caps: an eligible expert at their cap
        hands one of their new entries to a colleague with room, and takes
        the short entry instead."""
        for entry_id in order:
            panel_id = self.panel_of[entry_id]
            for expert_id in sorted(self._eligible(entry_id, panel_id), key=self.rank.__getitem__):
                if not self._missing(entry_id):
                    break
                if expert_id in self.on_entry[entry_id] or self._has_room(expert_id):
                    continue
                for other in sorted(self.new_of[expert_id]):
                    members = self.members[self.panel_of[other]]
                    if not any(self._has_room(m) for m in members):
                        continue
                    stand_ins = [m for m in members if m != expert_id and self._may_take(m, other)]
                    if stand_ins:
                        stand_in = min(stand_ins, key=self._preference(other))
                        self._take_back(other, expert_id)
                        self._give(other, stand_in)
                        self._give(entry_id, expert_id)
                        break

    def _rebalance(self, panel_id: int) -> bool:
        """Move new assignments from the most to the least loaded members of
        the panel until max − min ≤ 1, or no move is possible; True if any moved."""
        members = self.members[panel_id]
        load = self.load
        moved = False
        while members:
            with_room = [m for m in members if self._has_room(m)]
            if not with_room:
                break
            low = min(load[m] for m in with_room)
            if max(load[m] for m in members) - low <= 1:
                break
            if not self._move_one(panel_id, members, with_room):
                break
            moved = True
        return moved

    def _move_one(self, panel_id: int, members, with_room) -> bool:
        load = self.load
        givers = sorted(members, key=lambda m: (-load[m], self.rank[m]))
        takers = sorted(with_room, key=lambda m: (load[m], self.rank[m]))
        for giver in givers:
            for taker in takers:
                if load[giver] - load[taker] < 2:
                    break
                for entry_id in sorted(self.new_of[giver]):
                    if self.panel_of[entry_id] == panel_id and self._may_take(taker, entry_id):
                        self._take_back(entry_id, giver)
                        self._give(entry_id, taker)
                        return True
        return False

    def _result(self, to_fill: list[int], no_panel: list[int]) -> AssignmentPlan:
        pairs = sorted(
            Pair(entry_id, expert_id, self.panel_of[entry_id])
            for expert_id, entry_ids in self.new_of.items()
            for entry_id in entry_ids
        )
        shortfalls = []
        for entry_id in no_panel:
            shortfalls.append(Shortfall(entry_id, None, self.per_entry, len(self.on_entry[entry_id]), 0, NO_PANEL))
        for entry_id in to_fill:
            found = len(self.on_entry[entry_id])
            if found >= self.per_entry:
                continue
            panel_id = self.panel_of[entry_id]
            eligible = len(set(self._eligible(entry_id, panel_id)) | self.on_entry[entry_id])
            reason = TOO_FEW_EXPERTS if eligible < self.per_entry else CAPS
            shortfalls.append(Shortfall(entry_id, panel_id, self.per_entry, found, eligible, reason))
        shortfalls.sort(key=lambda shortfall: shortfall.entry_id)
        return AssignmentPlan(
            pairs=pairs,
            infeasible=shortfalls,
            loads=dict(self.load),
            panels=_load_rows(self.members, self.experts, self.load),
        )


def panel_loads(panels: Iterable[PanelFacts], experts: Iterable[ExpertFacts], loads: dict[int, int]) -> dict[int, PanelLoad]:
    """Per-panel loads for the given expert loads (as a plan reports them)."""
    experts = {expert.id: expert for expert in experts}
    members = {panel.id: tuple(sorted({m for m in panel.member_ids if m in experts})) for panel in panels}
    return _load_rows(members, experts, loads)


def _load_rows(members: dict[int, tuple[int, ...]], experts: dict[int, ExpertFacts], loads: dict[int, int]):
    result = {}
    for panel_id, ids in sorted(members.items()):
        values = [loads.get(m, 0) for m in ids]
        with_room = [loads.get(m, 0) for m in ids if experts[m].cap is None or loads.get(m, 0) < experts[m].cap]
        high = max(values, default=0)
        spread = high - min(with_room) if with_room else 0
        result[panel_id] = PanelLoad(panel_id, len(ids), min(values, default=0), high, max(0, spread))
    return result
