"""Numbers: every numeric field takes only finite numbers in its documented
range (``app.forms.NumberField``, ``app.input_rules.Bounds``), with a message
naming the field and the range; and rows stored before these checks (∞, NaN,
1e308) still render on every page and PDF that shows them."""
import io
import math
import types

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlmodel import select

from app.brochure.content import outcome_figure
from app.enums import Domain, Phase, Role
from app.models import Call, Entry, EntryOutcome, ExpertProfile, LibraryCase
from tests.databases import ON_POSTGRES
from tests.integration.test_calls import _form as call_form
from tests.integration.test_review_manage import _profile_form

OUTCOME_MESSAGE = "After: enter a number from -1,000,000,000,000 to 1,000,000,000,000."
NOT_NUMBERS = ["1e308", "1e27", "inf", "-inf", "Infinity", "nan", "NaN", "1000000000001", "0x1F", "1,5", "9" * 400]


def reload(session, model, row_id):
    session.expire_all()
    return session.get(model, row_id)


@pytest.fixture
def applicant(make, login):
    return login(make.applicant())


@pytest.fixture
def draft(make, applicant):
    return make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=applicant.organisation)


# --- refused with a message ----------------------------------------------------------


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_an_outcome_value_out_of_range_is_refused_and_nothing_saved(client, session, draft, english, value):
    version = draft.version
    data = {"version": version, "outcomes-0-metric": "检出率", "outcomes-0-before": "92", "outcomes-0-after": value,
            "outcomes-0-unit": "%", "replicability": "可推广"}
    response = client.post(f"/entries/{draft.id}/edit/outcomes", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and OUTCOME_MESSAGE in page
    entry = reload(session, Entry, draft.id)
    assert (entry.version, [(o.before, o.after) for o in entry.outcomes]) == (version, [(92.0, 99.5)])

    response = client.post(f"/entries/{draft.id}/autosave/outcomes", data=data)
    assert response.status_code == 422 and response.json["ok"] is False
    assert response.json["errors"]["outcomes"][0]["after"] == [OUTCOME_MESSAGE]
    assert reload(session, Entry, draft.id).version == version


def test_the_range_ends_are_accepted(client, session, draft):
    data = {"version": draft.version, "outcomes-0-metric": "产值", "outcomes-0-before": "-1000000000000",
            "outcomes-0-after": "１" + "０" * 12, "outcomes-0-unit": "元"}
    assert client.post(f"/entries/{draft.id}/edit/outcomes", data=data).status_code == 302
    assert [(o.before, o.after) for o in reload(session, Entry, draft.id).outcomes] == [(-1e12, 1e12)]


def test_investment_out_of_range_is_refused(client, session, draft, english):
    for value in ("1e308", "inf", "nan", "-1", "10000001"):
        response = client.post(f"/entries/{draft.id}/edit/solution", data={"version": draft.version, "investment": value})
        assert "Investment (10,000 yuan): enter a number from 0 to 10,000,000." in response.get_data(as_text=True)
    assert reload(session, Entry, draft.id).investment == 850.0


def test_a_photo_move_that_is_no_small_number_changes_nothing(client, session, draft):
    photo = draft.photos[0]
    for value in ("9" * 400, "1e9", "inf", "2"):
        response = client.post(f"/entries/{draft.id}/photos/{photo.id}",
                               data={f"photo{photo.id}-version": draft.version, f"photo{photo.id}-move": value,
                                     f"photo{photo.id}-caption": "新说明"})
        assert response.status_code == 302
    assert reload(session, Entry, draft.id).photos[0].caption == "现场照片1"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("year", "1e3", "Year: enter a whole number from 2,000 to 2,100."),
     ("year", "2025.5", "Year: enter a whole number from 2,000 to 2,100."),
     ("target_count", "9" * 40, "Target number of showcase scenarios: enter a whole number from 1 to 10,000."),
     ("experts_per_entry", "inf", "Experts per entry: enter a whole number from 1 to 15."),
     ("quota_finance", "nan", "Smart finance: enter a whole number from 0 to 10,000.")],
)
def test_call_numbers_out_of_range(client, session, make, login, english, field, value, message):
    login(make.chair())
    response = client.post("/calls/new", data=call_form(**{field: value}))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert session.exec(select(Call)).all() == []


def test_expert_profile_years_and_cap_out_of_range(client, session, make, login, english):
    login(make.chair())
    expert = make.expert()
    response = client.post(f"/review/manage/experts/{expert.id}/profile", data=_profile_form(**{
        "employments-0-start_year": "1e4", "max_assignments": "9" * 50}))
    page = response.get_data(as_text=True)
    assert "From (year): enter a whole number from 1,950 to 2,100." in page
    assert "Most entries per call: enter a whole number from 1 to 1,000." in page
    assert session.get(ExpertProfile, expert.id) is None


def test_results_thresholds_refuse_nan(client, session, make, login, english):
    scored = make.scored_call(totals=[[80.0, 70.0]])
    before = scored.call.disagreement_sd
    login(scored.chair)
    for value in ("nan", "sNaN", "inf", "1e308", "0"):
        response = client.post(f"/results/calls/{scored.call.id}/settings",
                               data={"method": "mean", "sd_threshold": value}, follow_redirects=True)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Disagreement threshold: standard deviation (points): enter a number from 0.1 to 100." in page
    assert reload(session, Call, scored.call.id).disagreement_sd == before


def test_assignment_seed_out_of_range(client, make, login, english):
    call = make.call(open_phase=Phase.REVIEW)
    login(make.chair())
    response = client.post(f"/review/assign/calls/{call.id}/run", data={"per_entry": "3", "seed": "9" * 30})
    assert "Seed: enter a whole number from 0 to 2,147,483,647." in response.get_data(as_text=True)


def test_conflict_entry_number_out_of_range(client, make, login, english):
    call = make.call(open_phase=Phase.REVIEW)
    login(make.chair())
    expert = make.expert()
    response = client.post(f"/review/manage/calls/{call.id}/conflicts",
                           data={"expert_id": str(expert.id), "entry_id": str(2**63), "reason": "顾问"})
    assert response.status_code == 200
    assert "Entry number: enter a whole number from 1 to 2,147,483,647." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "args",
    [["results", "compute", "--call", str(2**63)], ["results", "compute", "--call", "1", "--seed", "-1"],
     ["results", "compute", "--call", "1", "--resamples", "1e9"], ["review", "assign", "--call", "1", "--seed", "9" * 30],
     ["brochure", "build", "--call", "1", "--out", "x.pdf", "--snapshot", str(2**40)],
     ["storage", "prune", "--older-than-hours", str(10**12)]],
)
def test_commands_refuse_numbers_out_of_range(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and "Invalid value" in result.output and "Traceback" not in result.output


# --- rows stored before the checks still render ----------------------------------------------

NAN = float("nan")
INF = float("inf")
# (before, after) pairs the forms never accept now. SQLite stores NaN as NULL
# (so only "before" can be NaN there); PostgreSQL's double precision keeps it.
WILD = [(1e308, -1e308), (INF, -INF), (None, 1e27), (-1.5e20, 3e15), (NAN, 12.5)] + ([(5.0, NAN)] if ON_POSTGRES else [])


def _wild(session, entry, *, investment=1e300):
    entry.outcomes = [EntryOutcome(position=index, metric=f"指标{index}", before=before, after=after, unit="%")
                      for index, (before, after) in enumerate(WILD)]
    entry.investment = investment
    session.add(entry)
    session.commit()
    return entry


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages).replace("\n", "")


def test_a_draft_with_values_out_of_range_still_renders_everywhere(client, session, draft):
    _wild(session, draft)
    for step, shown in (("", "1E308"), ("/edit/outcomes", 'value="1e+308"'), ("/edit/solution", 'value="1e+300"'),
                        ("/edit/review", "1E308")):
        assert shown in _text(client.get(f"/entries/{draft.id}{step}")), step
    page = _text(client.get(f"/entries/{draft.id}"))
    assert "-1E308" in page and "∞" in page and "−∞" in page and "1E27" in page and "1E300" in page
    pdf = _pdf_text(client.get(f"/entries/{draft.id}/application.pdf"))
    assert "1E308" in pdf and "1E300" in pdf and "∞" in pdf


def test_a_scored_entry_with_values_out_of_range_renders_for_expert_chair_and_public(client, session, make, login):
    scored = make.scored_call(totals=[[80.0]], open_phase=Phase.RESULTS, target_count=1)
    entry = _wild(session, scored.entries[0])
    run = scored.publish(public_scores=True)  # the library gets the finite rows only
    sheet = scored.sheets[(entry.id, scored.experts[0].id)]

    login(scored.experts[0])
    assert "1E308" in _text(client.get(f"/review/sheets/{sheet.id}"))
    client.post("/account/logout")

    login(scored.chair)
    assert "∞" in _text(client.get(f"/entries/{entry.id}"))
    assert "1E300" in _pdf_text(client.get(f"/entries/{entry.id}/application.pdf"))
    _text(client.get(f"/results/runs/{run.id}/entries/{entry.id}"))
    for fmt in ("xlsx", "csv"):
        assert client.get(f"/check/export.{fmt}?call={scored.call.id}").status_code == 200
    client.post("/account/logout")

    case = session.exec(select(LibraryCase).where(LibraryCase.entry_id == entry.id)).one()
    stored = [(o.before, o.after) for o in reload(session, Entry, entry.id).outcomes]  # SQLite: NaN is NULL
    finite = [(b, a) for b, a in stored if math.isfinite(a) and (b is None or math.isfinite(b))]
    assert len(finite) == 3 + (not ON_POSTGRES)
    assert [(o["before"], o["after"]) for o in case.outcomes] == finite
    page = _text(client.get(f"/library/{case.year}/{entry.id}"))
    assert "1E27" in page and "-1.5E20" in page and "∞" not in page
    document = client.get("/library/data/cases.json").json
    assert [o["after"] for o in document["data"][0]["outcomes"]] == [a for _b, a in finite]
    assert client.get("/library/data/cases.csv").status_code == 200


def test_the_brochure_figure_of_values_out_of_range(app):
    with app.test_request_context(), force_locale("zh"):
        for before, after in WILD:
            figure = outcome_figure(types.SimpleNamespace(metric="指标", before=before, after=after, unit="%"))
            assert figure.value and figure.change


def test_scores_stored_out_of_range_render_on_the_sheet(client, session, make, login):
    """A sheet total or score out of range (older data) renders on the chair's and the expert's pages."""
    scored = make.scored_call(totals=[[80.0]])
    entry = scored.entries[0]
    sheet = scored.sheets[(entry.id, scored.experts[0].id)]
    sheet.total = 1e308
    sheet.scores[0].score = INF
    session.add(sheet)
    session.commit()
    login(scored.experts[0])
    assert "1E308" in _text(client.get(f"/review/sheets/{sheet.id}"))
    client.post("/account/logout")
    login(make.staff(Role.CHAIR))
    assert "1E308" in _text(client.get(f"/review/manage/entries/{entry.id}"))


def test_domains_are_all_named(app):
    # The quota message names the domain's own label: one per domain.
    with app.test_request_context(), force_locale("en"):
        assert str(Domain.FINANCE.label) == "Smart finance"
