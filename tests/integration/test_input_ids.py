"""Huge ids and page numbers: a 404 (an id no row can have) or the last page,
a 400 with a message for garbage — never a 500 (OverflowError on SQLite,
NumericValueOutOfRange on PostgreSQL). ``app.web.BoundedInt`` is every
route's ``int`` converter; ``app.web.query_id`` and ``query_page`` read the
query string."""
import re

import pytest
from werkzeug.routing import AnyConverter

from app.enums import Phase, Role
from app.input_rules import MAX_ID
from app.web import BoundedInt

HUGE = (MAX_ID + 1, 2**63, 10**30, int("9" * 200))


def _routes_with_ids(app):
    rules = [rule for rule in app.url_map.iter_rules()
             if any(isinstance(converter, BoundedInt) for converter in rule._converters.values())]
    assert len(rules) > 60  # every <int:…> route of the app
    return rules


def _path(rule, number: int) -> str:
    """The rule's path with ``number`` for every id and the first choice of every ``any``."""
    path = rule.rule
    for name, converter in rule._converters.items():
        value = str(number) if isinstance(converter, BoundedInt) else (
            sorted(converter.items)[0] if isinstance(converter, AnyConverter) else "x")
        path = re.sub(rf"<(?:[^>]*:)?{name}>", value, path)
    return path


def test_every_int_converter_is_bounded(app):
    for rule in _routes_with_ids(app):
        for name, converter in rule._converters.items():
            if isinstance(converter, BoundedInt):
                assert converter.max == MAX_ID, (rule.rule, name)


@pytest.mark.parametrize("number", HUGE, ids=["max+1", "2^63", "1e30", "200 digits"])
def test_an_id_no_row_can_have_is_a_404_on_every_route(app, client, make, login, number):
    login(make.chair())
    for rule in _routes_with_ids(app):
        path = _path(rule, number)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)


def test_the_largest_id_is_an_ordinary_missing_row(client, make, login):
    login(make.chair())
    for path in (f"/entries/{MAX_ID}", f"/library/2025/{MAX_ID}", f"/library/photos/{MAX_ID}/{MAX_ID}",
                 f"/results/runs/{MAX_ID}", f"/calls/{MAX_ID}"):
        assert client.get(path).status_code == 404, path


def test_unicode_digits_are_no_id(client, make, login):
    entry = make.entry()
    login(make.chair())
    arabic = "".join(chr(0x0660 + int(digit)) for digit in str(entry.id))
    assert client.get(f"/entries/{entry.id}").status_code == 200
    assert client.get(f"/entries/{arabic}").status_code == 404


# --- query arguments ---------------------------------------------------------------


PAGED = ("/library/cases", "/library/manage/", "/check/", "/admin/organisations", "/admin/audit")


@pytest.fixture
def chair(make, login):
    return login(make.chair())


def test_a_page_past_the_end_is_the_last_page(client, chair, library, english):
    for path in PAGED:
        # A NUL is removed from every query value before anything reads it ("1\x002" is page 12).
        for page in ("3", str(MAX_ID), str(2**63), "9" * 60, "%00", "1%002"):
            response = client.get(f"{path}?page={page}")
            assert response.status_code == 200, (path, page, response.status_code)
    # The library's 5 cases fit on one page: page 1 is shown.
    page = client.get(f"/library/cases?page={2**63}").get_data(as_text=True)
    assert all(entry.title in page for entry in library.entries[:5])
    document = client.get(f"/library/data/cases.json?page={2**63}&per_page=2").json
    assert document["meta"]["page"] == document["meta"]["pages"] == 3 and len(document["data"]) == 1
    assert document["links"]["self"] == document["links"]["last"] and document["links"]["next"] is None


def test_the_rankings_and_progress_pages_take_any_page(client, chair, make):
    scored = make.scored_call(totals=[[80.0], [70.0]])
    run = scored.compute()
    for path in (f"/results/runs/{run.id}", f"/review/manage/calls/{scored.call.id}/progress"):
        for page in (str(2**63), "9" * 60):
            assert client.get(f"{path}?page={page}").status_code == 200, path


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "1e3", "٣", "%EF%BC%91"])
def test_a_page_that_is_no_number_is_a_400_with_a_message(client, chair, make, english, page):
    make.call()  # the formal check shows its table (and reads the page) for a call
    for path in PAGED:
        response = client.get(f"{path}?page={page}")
        assert response.status_code == 400, (path, page)
        assert "The page must be a whole number from 1." in response.get_data(as_text=True)
    response = client.get(f"/library/data/cases.json?page={page}")
    assert response.status_code == 400 and response.json["error"]["field"] == "page"


def test_a_call_no_row_can_have_is_a_404_and_garbage_a_400(client, make, login, english):
    make.call(open_phase=Phase.REVIEW)
    login(make.staff(Role.CHAIR, Role.PUBLICITY, Role.EXPERT))
    for path in ("/results/", "/brochure/", "/review/manage/", "/review/"):
        for call in (str(MAX_ID + 1), str(2**63), "9" * 60):
            assert client.get(f"{path}?call={call}").status_code == 404, (path, call)
        response = client.get(f"{path}?call=abc")
        assert response.status_code == 400, path
        assert "The address is not valid: “call” must be a number." in response.get_data(as_text=True)
    # The formal check's filter form ignores a call it does not know.
    assert client.get(f"/check/?call={2**63}").status_code == 200
