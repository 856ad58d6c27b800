"""The programme's arithmetic: shares of the target, gaps, and the quota suggestion."""
from app.programme.quotas import apportion, domain_targets, gaps, suggest_quotas

DOMAINS = ["manufacturing", "government", "city", "healthcare", "education", "finance", "security", "unmanned"]


def test_the_target_is_shared_evenly_with_the_remainder_to_the_first_domains():
    assert domain_targets(200, DOMAINS) == dict.fromkeys(DOMAINS, 25)
    assert list(domain_targets(203, DOMAINS).values()) == [26, 26, 26, 25, 25, 25, 25, 25]
    assert domain_targets(5, ["a", "b"]) == {"a": 3, "b": 2} and domain_targets(5, []) == {}


def test_gaps_never_go_below_zero():
    assert gaps({"a": 25, "b": 25, "c": 25}, {"a": 30, "b": 10}) == {"a": 0, "b": 15, "c": 25}


def test_apportion_follows_the_weights_and_adds_up_exactly():
    assert apportion(10, {"a": 1, "b": 1, "c": 2}) == {"a": 3, "b": 2, "c": 5}  # tie of remainders: first listed
    assert apportion(7, {"a": 0, "b": 15, "c": 25}) == {"a": 0, "b": 3, "c": 4}
    assert apportion(0, {"a": 3}) == {"a": 0} and apportion(5, {"a": 0, "b": 0}) == {"a": 0, "b": 0}
    for total in range(1, 60):
        parts = apportion(total, {"a": 7, "b": 11, "c": 0, "d": 3})
        assert sum(parts.values()) == total and parts["c"] == 0


def test_the_suggestion_spreads_the_next_calls_target_in_proportion_to_the_gaps():
    domain_gaps = {"manufacturing": 0, "government": 20, "city": 10, "healthcare": 10}
    assert suggest_quotas(40, domain_gaps) == {"manufacturing": 0, "government": 20, "city": 10, "healthcare": 10}
    assert suggest_quotas(20, domain_gaps) == {"manufacturing": 0, "government": 10, "city": 5, "healthcare": 5}
    assert suggest_quotas(9, domain_gaps) == {"manufacturing": 0, "government": 5, "city": 2, "healthcare": 2}
