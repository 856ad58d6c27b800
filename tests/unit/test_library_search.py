"""How PostgreSQL's library search decides to walk the order index, from the gram statistics."""
from app.library.matching import GramShares
from app.library.search import WALK_ROWS, _walk_within

SHARES = GramShares(shares={"智": 0.8, "vis": 0.3, "isi": 0.2, "sio": 0.3, "ion": 0.6}, cases=50000)


def test_a_term_is_as_common_as_its_rarest_trigram_and_an_unlisted_one_is_rare():
    assert SHARES.of("智") == 0.8
    assert SHARES.of("visi") == 0.2  # "vis" 0.3, "isi" 0.2
    assert SHARES.of("vision") == 0.2
    assert SHARES.of("能") == 0.0 and SHARES.of("智能") == 0.0  # not listed: rarer than any listed gram
    assert GramShares(shares={}, cases=0).of("智") == 0.0  # no statistics yet


def test_a_walk_reads_three_times_the_cases_a_page_is_likely_in():
    assert _walk_within(20, 0.25) == 240
    assert _walk_within(40, 0.25) == 480  # twice the hits, twice the cases
    assert _walk_within(1000, 0.75) == WALK_ROWS  # the last a walk can serve
    assert _walk_within(1001, 0.75) == 0  # past it, sorting costs less
