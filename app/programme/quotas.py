"""The programme's arithmetic, pure: each domain's share of the programme
target, and the quotas a next call would need to close the gaps.

The rule, as the programme page states it: the next call's target is spread
over the domains in proportion to each domain's gap (its share of the
programme target minus the scenarios it already has), by largest remainders
(ties go to the domain listed first); a domain without a gap gets none.
"""
from collections.abc import Mapping, Sequence
from typing import TypeVar

K = TypeVar("K")


def domain_targets(target: int, domains: Sequence[K]) -> dict[K, int]:
    """``target`` split evenly over ``domains``; the remainder goes one each
    to the domains listed first (200 over eight domains: 25 each)."""
    if not domains:
        return {}
    share, extra = divmod(max(target, 0), len(domains))
    return {domain: share + (1 if index < extra else 0) for index, domain in enumerate(domains)}


def gaps(targets: Mapping[K, int], selected: Mapping[K, int]) -> dict[K, int]:
    """How many scenarios each domain still lacks (never below 0)."""
    return {domain: max(0, target - selected.get(domain, 0)) for domain, target in targets.items()}


def apportion(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """``total`` split in proportion to ``weights`` by largest remainders
    (Hamilton's method): the parts are whole and add up to ``total``; equal
    remainders go to the key listed first. All zero without any weight."""
    weight_sum = sum(max(weight, 0) for weight in weights.values())
    if total <= 0 or weight_sum == 0:
        return {key: 0 for key in weights}
    exact = {key: total * max(weight, 0) / weight_sum for key, weight in weights.items()}
    parts = {key: int(value) for key, value in exact.items()}
    order = list(weights)
    left = total - sum(parts.values())
    by_remainder = sorted(order, key=lambda key: (-(exact[key] - parts[key]), order.index(key)))
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts


def suggest_quotas(total: int, domain_gaps: Mapping[K, int]) -> dict[K, int]:
    """The quotas of a next call with target ``total``: ``total`` spread over
    the domains in proportion to their gaps (see the module)."""
    return apportion(total, domain_gaps)
