"""Showcase selection: fill the call's target from the ranking under quotas.

Pure and deterministic: plain data in, plain data out, no database, no Flask.

The rule:

1. The chair's forced includes are selected first, in rank order. They count
   against the target, the domain quotas and the organisation cap; when they
   overfill one of these a warning says so (nothing is silently dropped).
2. Then the ranking is walked in order (rank, then entry id) until the target
   is met. An entry is skipped, with its reason, when it is excluded by the
   chair ("excluded_by_chair"), vetoed ("veto"), its domain quota is full
   ("quota_full") or its organisation has reached the cap ("organisation_cap").
3. Fill-up (when asked for): if the walk ends short of the target because some
   domains could not fill their quotas (too few entries left after vetoes,
   exclusions and the cap), the places those domains left unfilled go to the
   entries skipped as "quota_full", best ranked first, whatever their domain
   ("selected_quota_fill"), until the target is reached or the places run
   out. The organisation cap, vetoes and exclusions still hold: an entry
   passed over because of the cap gets "organisation_cap". A domain whose
   quota is 0 is closed to the call and takes no such places. Quotas summing
   to less than the target leave the difference empty: only places a domain
   left unfilled are handed on. Each entry taken this way is listed in
   ``Selection.fills`` with the domains that left places and how many.
   Without fill-up, each domain left short gets a "quota_not_filled" warning.
4. Entries left once the target is met get "target_reached". If the ranking
   runs out first, a "target_not_filled" warning gives the shortfall.

Where the rule stops, two entries may share the adjusted score (to 4
decimals): :func:`cut_ties` finds them, with the step of the tie rule that
decided between them, so the chair can say why one is in and the other out.

Every entry gets exactly one decision. Reasons and warnings are keys only; the
interface translates them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.results import aggregation

# Decision reasons.
SELECTED = "selected"
INCLUDED_BY_CHAIR = "included_by_chair"
EXCLUDED_BY_CHAIR = "excluded_by_chair"
VETO = "veto"
QUOTA_FULL = "quota_full"
ORGANISATION_CAP = "organisation_cap"
TARGET_REACHED = "target_reached"
QUOTA_FILL = "selected_quota_fill"
#: Never returned by :func:`select`: on an official list after a public notice,
#: an entry of the proposed list withdrawn by an upheld objection (app.notices).
WITHDRAWN = "withdrawn_after_objection"

# Warning keys.
QUOTA_OVERFILLED = "quota_overfilled"
ORGANISATION_CAP_EXCEEDED = "organisation_cap_exceeded"
TARGET_OVERFILLED = "target_overfilled"
TARGET_NOT_FILLED = "target_not_filled"
VETOED_INCLUDED_BY_CHAIR = "vetoed_included_by_chair"
QUOTA_NOT_FILLED = "quota_not_filled"


@dataclass(frozen=True)
class RankedEntry:
    """One entry of the ranking (rank 1 is best)."""

    entry_id: int
    domain: str
    organisation_id: int
    score: float
    rank: int
    vetoed: bool = False


@dataclass(frozen=True)
class ChairOverride:
    """The chair forces an entry in (``include=True``) or out, with a reason."""

    entry_id: int
    include: bool
    reason: str


@dataclass(frozen=True)
class Decision:
    """Whether an entry is selected and why; ``chair_reason`` is the chair's text."""

    entry_id: int
    selected: bool
    reason: str
    rank: int
    chair_reason: str | None = None


@dataclass(frozen=True)
class DomainCount:
    """Selected entries of a domain against its quota (None: no quota);
    ``filled`` of them took places other domains left unfilled."""

    domain: str
    selected: int
    quota: int | None
    filled: int = 0


@dataclass(frozen=True)
class Shortfall:
    """A domain that could not fill its quota: ``selected`` of ``quota`` places
    when the walk of the ranking ended."""

    domain: str
    quota: int
    selected: int

    @property
    def places(self) -> int:
        return self.quota - self.selected


@dataclass(frozen=True)
class QuotaFill:
    """An entry selected into a place that the ``shortfalls`` domains left unfilled."""

    entry_id: int
    domain: str
    shortfalls: tuple[Shortfall, ...]


@dataclass(frozen=True)
class SelectionWarning:
    """Something the chair must see; ``count`` against ``limit`` where relevant."""

    key: str
    domain: str | None = None
    organisation_id: int | None = None
    entry_id: int | None = None
    count: int | None = None
    limit: int | None = None


@dataclass(frozen=True)
class Selection:
    decisions: list[Decision]
    domain_counts: list[DomainCount]
    warnings: list[SelectionWarning]
    fills: list[QuotaFill] = field(default_factory=list)  # in the order they were taken (rank order)

    @property
    def selected_ids(self) -> list[int]:
        """Selected entry ids in rank order."""
        return [d.entry_id for d in self.decisions if d.selected]


def select(
    ranking: Sequence[RankedEntry],
    *,
    target: int,
    quotas: Mapping[str, int],
    organisation_cap: int | None = None,
    overrides: Iterable[ChairOverride] = (),
    fill_quotas: bool = False,
) -> Selection:
    """Select up to ``target`` entries; see the module docstring for the rule.

    A domain missing from ``quotas`` has no quota. An override naming an
    unknown entry, or an entry both included and excluded, is refused.
    ``fill_quotas`` hands the places short domains leave unfilled to the best
    entries of the other domains (step 3).
    """
    if target < 0:
        raise ValueError("target must not be negative")
    entries = sorted(ranking, key=lambda e: (e.rank, e.entry_id))
    known = {e.entry_id for e in entries}
    if len(known) != len(entries):
        raise ValueError("duplicate entry ids in the ranking")
    includes: dict[int, str] = {}
    excludes: dict[int, str] = {}
    for override in overrides:
        if override.entry_id not in known:
            raise ValueError(f"override for unknown entry {override.entry_id}")
        (includes if override.include else excludes)[override.entry_id] = override.reason
    both = sorted(includes.keys() & excludes.keys())
    if both:
        raise ValueError(f"entries both included and excluded by the chair: {both}")

    by_domain: Counter[str] = Counter()
    by_organisation: Counter[int] = Counter()
    decided: dict[int, Decision] = {}
    warnings: list[SelectionWarning] = []

    # 1. Forced includes, in rank order.
    for entry in entries:
        if entry.entry_id not in includes:
            continue
        by_domain[entry.domain] += 1
        by_organisation[entry.organisation_id] += 1
        decided[entry.entry_id] = Decision(
            entry.entry_id, True, INCLUDED_BY_CHAIR, entry.rank, includes[entry.entry_id]
        )
        if entry.vetoed:
            warnings.append(SelectionWarning(VETOED_INCLUDED_BY_CHAIR, entry_id=entry.entry_id))
    for domain in sorted(by_domain):
        quota = quotas.get(domain)
        if quota is not None and by_domain[domain] > quota:
            warnings.append(
                SelectionWarning(QUOTA_OVERFILLED, domain=domain, count=by_domain[domain], limit=quota)
            )
    if organisation_cap is not None:
        for organisation in sorted(by_organisation):
            if by_organisation[organisation] > organisation_cap:
                warnings.append(
                    SelectionWarning(
                        ORGANISATION_CAP_EXCEEDED,
                        organisation_id=organisation,
                        count=by_organisation[organisation],
                        limit=organisation_cap,
                    )
                )
    if len(includes) > target:
        warnings.append(SelectionWarning(TARGET_OVERFILLED, count=len(includes), limit=target))

    # 2. Walk the ranking.
    chosen = len(includes)
    for entry in entries:
        if entry.entry_id in decided:
            continue
        reason = _skip_reason(entry, excludes, quotas, organisation_cap, by_domain, by_organisation)
        if reason is None and chosen >= target:
            reason = TARGET_REACHED
        if reason is None:
            chosen += 1
            by_domain[entry.domain] += 1
            by_organisation[entry.organisation_id] += 1
            decided[entry.entry_id] = Decision(entry.entry_id, True, SELECTED, entry.rank)
        else:
            decided[entry.entry_id] = Decision(
                entry.entry_id, False, reason, entry.rank, excludes.get(entry.entry_id)
            )

    # 3. Places short domains left: handed on (fill-up) or reported empty.
    shortfalls = tuple(
        Shortfall(domain, quotas[domain], by_domain[domain])
        for domain in sorted(quotas)
        if chosen < target and by_domain[domain] < quotas[domain]
    )
    fills: list[QuotaFill] = []
    if fill_quotas and shortfalls:
        places = min(target - chosen, sum(s.places for s in shortfalls))
        for entry in entries:
            if len(fills) == places:
                break
            # Only entries turned away by a full quota; a closed domain (quota 0) stays closed.
            if decided[entry.entry_id].reason != QUOTA_FULL or quotas[entry.domain] == 0:
                continue
            if organisation_cap is not None and by_organisation[entry.organisation_id] >= organisation_cap:
                decided[entry.entry_id] = Decision(entry.entry_id, False, ORGANISATION_CAP, entry.rank)
                continue
            chosen += 1
            by_domain[entry.domain] += 1
            by_organisation[entry.organisation_id] += 1
            decided[entry.entry_id] = Decision(entry.entry_id, True, QUOTA_FILL, entry.rank)
            fills.append(QuotaFill(entry.entry_id, entry.domain, shortfalls))
    elif shortfalls:
        warnings.extend(
            SelectionWarning(QUOTA_NOT_FILLED, domain=s.domain, count=s.selected, limit=s.quota) for s in shortfalls
        )
    if chosen < target:
        warnings.append(SelectionWarning(TARGET_NOT_FILLED, count=chosen, limit=target))

    filled = Counter(f.domain for f in fills)
    domains = sorted(set(quotas) | {e.domain for e in entries})
    return Selection(
        decisions=[decided[e.entry_id] for e in entries],
        domain_counts=[DomainCount(d, by_domain[d], quotas.get(d), filled[d]) for d in domains],
        warnings=warnings,
        fills=fills,
    )


def _skip_reason(entry, excludes, quotas, organisation_cap, by_domain, by_organisation):
    """Why an entry reached in the walk cannot be selected, or None."""
    if entry.entry_id in excludes:
        return EXCLUDED_BY_CHAIR
    if entry.vetoed:
        return VETO
    quota = quotas.get(entry.domain)
    if quota is not None and by_domain[entry.domain] >= quota:
        return QUOTA_FULL
    if organisation_cap is not None and by_organisation[entry.organisation_id] >= organisation_cap:
        return ORGANISATION_CAP
    return None


# Decisions that leave an entry out for lack of room: the cut line lies above it.
_NO_ROOM = (QUOTA_FULL, TARGET_REACHED)


@dataclass(frozen=True)
class CutTie:
    """Two entries tied at a cut line: the same adjusted score to 4 decimals,
    the last entry the rule selected in ``group`` and the next one it left out
    for lack of room. ``step`` is the step of the tie rule (2–5) that put the
    selected one first."""

    group: str  # the domain where quotas apply, "" for the whole call
    score: float
    selected_id: int
    left_out_id: int
    step: int


def cut_ties(
    ranked: Sequence[aggregation.RankedEntry],
    decisions: Iterable[Decision],
    *,
    group_of: Mapping[int, str],
) -> list[CutTie]:
    """The ties at the cut line of each group, in rank order of the cut.

    ``ranked`` is the ranking (``aggregation.rank``), ``decisions`` the
    selection by the rule and ``group_of`` the cut group of each entry (its
    domain with quotas, "" otherwise). A group's cut lies between the last
    entry the rule selected and the first one left out because the quota or
    the target was full ("quota_full", "target_reached"); entries skipped for
    another reason (veto, cap, the chair) in between do not move it. The
    chair's forced includes are not the rule's and are passed over.
    """
    decision_of = {d.entry_id: d for d in decisions}
    above: dict[str, aggregation.RankedEntry] = {}
    done: set[str] = set()
    ties = []
    for item in sorted(ranked, key=lambda item: item.position):
        entry_id = item.result.entry_id
        group = group_of[entry_id]
        decision = decision_of[entry_id]
        if group in done:
            continue
        if decision.selected and decision.reason != INCLUDED_BY_CHAIR:
            above[group] = item
        elif not decision.selected and decision.reason in _NO_ROOM:
            done.add(group)
            last = above.get(group)
            if last is None:
                continue
            step = aggregation.deciding_step(last.result, item.result)
            if step > 1:
                ties.append(CutTie(group, round(item.result.score, aggregation.TIE_DECIMALS),
                                   last.result.entry_id, entry_id, step))
    return ties
