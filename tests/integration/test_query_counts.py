"""Each main page loads what it shows in a fixed number of queries.

The count of one request through the test client (login session and user
included, transaction control left out: ``tests/queries.py``) is pinned to
an exact number, and is the same with 2 and with 10 rows on the page: a
query per row (an N+1) or a new query anywhere fails here. When a change
adds a query on purpose, update the number in ``EXPECTED`` and say why in the
commit. Unplanned lazy loads fail everywhere else too (``RAISE_ON_LAZY_LOAD``).
"""
import pytest
from sqlmodel import select

from app.enums import AssignmentSource, EntryStatus, Membership, Phase, SheetStatus
from app.models import EntryOutcome, ScoreSheet
from tests.queries import count_queries

ROWS = [2, 10]

# The queries of one request, per page. A logged-in page starts with the
# login session, its user, the roles and the organisation (1 query); every
# page reads the current call with its phases (1) and the site's settings
# for the layout.
EXPECTED = {
    "queue": 8,
    "sheet_draft": 13,
    "sheet_submitted": 15,  # the other experts' sheets and their scores
    "autosave": 10,  # 7 reads, the sheet's and the score's UPDATE, the audit INSERT
    "dashboard_applicant": 15,
    "dashboard_chair": 13,
    "formal_check": 7,
    "rankings": 8,
    "library_list": 8,
    "library_case": 7,
    "session_status": 1,  # the expiry warning's poll: the login session's row, as the user loader found it
}


def _count(app, client, method: str, path: str, **kwargs):
    with count_queries(app.extensions["db"].engine) as queries:
        response = getattr(client, method)(path, **kwargs)
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:2000]
    return response, queries


def _assert_count(page: str, queries) -> None:
    assert queries.count == EXPECTED[page], f"{page}: {queries.count} queries\n{queries}"


# --- the expert's pages ---------------------------------------------------------


@pytest.fixture
def review_call(make):
    return make.call(open_phase=Phase.REVIEW, show_others_scores=True)


def _assignments(make, call, expert, rows: int):
    """``rows`` assignments of ``expert``: a third without a sheet, a third drafts, a third submitted."""
    states = [None, SheetStatus.DRAFT, SheetStatus.SUBMITTED]
    return [
        make.assignment(entry=make.entry(call=call, status=EntryStatus.IN_REVIEW, photos=0), expert=expert,
                        source=AssignmentSource.MANUAL, sheet=states[index % 3])
        for index in range(rows)
    ]


@pytest.mark.parametrize("rows", ROWS)
def test_expert_queue(app, client, make, login, review_call, rows):
    expert = login(make.expert())
    _assignments(make, review_call, expert, rows)

    response, queries = _count(app, client, "get", f"/review/?call={review_call.id}")

    assert response.get_data(as_text=True).count('href="/review/assignments/') + \
        response.get_data(as_text=True).count('href="/review/sheets/') >= rows
    _assert_count("queue", queries)


def _sheet_with_others(make, call, rows: int, *, status: SheetStatus):
    """An expert's sheet of an entry with ``rows`` outcomes, ``rows`` photos and
    ``rows`` other experts' submitted sheets."""
    expert = make.expert()
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, photos=rows)
    entry.outcomes = [EntryOutcome(position=index, metric=f"产能指标Q{index}", before=1.0, after=2.0, unit="%")
                      for index in range(rows)]
    make.save(entry)
    for _ in range(rows):
        make.assignment(entry=entry, expert=make.expert(), sheet=SheetStatus.SUBMITTED)
    assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL, sheet=status)
    return expert, assignment


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("status", [SheetStatus.DRAFT, SheetStatus.SUBMITTED])
def test_score_sheet(app, client, make, session, login, review_call, rows, status):
    expert, assignment = _sheet_with_others(make, review_call, rows, status=status)
    login(expert)
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()

    response, queries = _count(app, client, "get", f"/review/sheets/{sheet.id}")

    page = response.get_data(as_text=True)
    assert page.count("产能指标Q") == rows
    _assert_count(f"sheet_{status.value}", queries)


@pytest.mark.parametrize("rows", ROWS)
def test_sheet_autosave(app, client, make, session, login, review_call, rows):
    expert, assignment = _sheet_with_others(make, review_call, rows, status=SheetStatus.DRAFT)
    _assignments(make, review_call, expert, rows)
    login(expert)
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()
    key = sheet.scores[0].criterion_key

    response, queries = _count(app, client, "post", f"/review/sheets/{sheet.id}/autosave",
                               data={"version": sheet.version, f"score-{key}": "7.5"})

    assert response.get_json()["ok"] is True and response.get_json()["changed"] == [f"score-{key}"]
    _assert_count("autosave", queries)


# --- the dashboard ----------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_dashboard_of_an_applicant(app, client, make, login, rows):
    applicant = login(make.applicant())
    call = make.call(open_phase=Phase.SUBMISSION)
    for index in range(rows):
        make.entry(call=call, organisation=applicant.organisation, photos=0,
                   status=[EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.RETURNED][index % 3])
    make.applicant(organisation=applicant.organisation, membership=Membership.PENDING)

    response, queries = _count(app, client, "get", "/dashboard")

    assert response.get_data(as_text=True).count('href="/entries/') >= min(rows, 5)
    _assert_count("dashboard_applicant", queries)


@pytest.mark.parametrize("rows", ROWS)
def test_dashboard_of_the_chair(app, client, make, login, review_call, rows):
    login(make.chair())
    expert = make.expert()
    _assignments(make, review_call, expert, rows)
    for _ in range(rows):
        make.entry(call=review_call, status=EntryStatus.SUBMITTED, photos=0)

    response, queries = _count(app, client, "get", "/dashboard")

    assert 'data-role="chair"' in response.get_data(as_text=True)
    _assert_count("dashboard_chair", queries)


# --- the chair's tables -------------------------------------------------------------


@pytest.mark.parametrize("rows", ROWS)
def test_formal_check_table(app, client, make, login, rows):
    login(make.chair())
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    entries = [make.entry(call=call, status=EntryStatus.SUBMITTED, photos=1) for _ in range(rows)]

    response, queries = _count(app, client, "get", f"/check/?call={call.id}")

    page = response.get_data(as_text=True)
    assert all(f'value="{entry.id}"' in page for entry in entries)
    _assert_count("formal_check", queries)


@pytest.mark.parametrize("rows", ROWS)
def test_results_ranking_page(app, client, make, login, rows):
    scored = make.scored_call(totals=[[90 - index, 80 - index, 85 - index] for index in range(rows)])
    run = scored.compute()
    login(scored.chair)

    response, queries = _count(app, client, "get", f"/results/runs/{run.id}")

    page = response.get_data(as_text=True)
    assert all(entry.title in page for entry in scored.entries)
    _assert_count("rankings", queries)


# --- the public library -----------------------------------------------------------


def _library(make, rows: int):
    scored = make.scored_call(totals=[[95 - index, 94 - index, 96 - index] for index in range(rows)],
                              open_phase=Phase.RESULTS, target_count=rows)
    scored.publish(public_scores=True)
    return scored


@pytest.mark.parametrize("rows", ROWS)
def test_library_list(app, client, make, rows):
    scored = _library(make, rows)

    response, queries = _count(app, client, "get", "/library/cases")

    page = response.get_data(as_text=True)
    assert all(entry.title in page for entry in scored.entries)
    _assert_count("library_list", queries)


@pytest.mark.parametrize("rows", ROWS)
def test_library_case(app, client, make, rows):
    scored = _library(make, rows)
    entry = scored.entries[0]

    response, queries = _count(app, client, "get", f"/library/{scored.call.year}/{entry.id}")

    assert entry.title in response.get_data(as_text=True)
    _assert_count("library_case", queries)


def test_session_status(app, client, make, login):
    """The cheapest logged-in request (the load bench's floor): the login session's query only."""
    login(make.expert())

    response, queries = _count(app, client, "get", "/account/session")

    assert response.get_json()["authenticated"] is True
    assert 0 < response.get_json()["expires_in"] <= app.config["SESSION_IDLE_MINUTES"] * 60
    _assert_count("session_status", queries)
