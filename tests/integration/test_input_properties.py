"""Properties of every form that takes free input: whatever text and numbers
are posted — controls, NUL, bidi marks, emoji, 1e308, nan, huge integers,
garbage — the answer is never a 500, what was stored renders on every page
that shows it, and the entry's application PDF builds.

Forms: the entry wizard's four steps and their autosave, registration, the
score sheet and its autosave, library curation (summary, hiding, headline),
the call form and the results settings. Hypothesis draws the posts; the
examples are the same on every run (the conftest's profile derandomizes) and
bounded per form (``EXAMPLES``) so that the suite stays fast. Each test runs
in its one rolled-back transaction, like every test here, on SQLite and on
PostgreSQL.
"""
import io
import itertools
import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, EntryStatus, Phase, Role
from app.extensions import limiter
from app.models import Call, Entry, LibraryCase, Organisation, ScoreSheet, User
from tests.factories import PASSWORD, credit_code, write_rubric

EXAMPLES = int(os.environ.get("SHOWCASE_INPUT_EXAMPLES", "12"))  # more for a deeper local run
PROPERTY = settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
OK = {200, 302}  # a page (refused with messages, or the form again) or a redirect (saved)
JSON_OK = {200, 409, 422}  # autosave: saved, a stale version, or the fields' errors

TRICKY = [
    "\x00", "a\x00b", "\x01\x1b[31m\x7f", "\u202e反转\u202c", "\u2066隔离\u2069", "\u200f", "👨\u200d👩\u200d👧",
    "🇨🇳", "❤\ufe0f", "\r\n第二行\r", "\t", "   ", "<script>alert(1)</script>", "{{ 7*7 }}", "%00", "' OR 1=1 --",
    "=cmd|' /C calc'!A0", "\ufeff", "\u0000\u0000\u0000", "مرحبا", "𠀋𡈽", "é" * 3, "\\", "1e308", "nan", "inf",
]
NUMBERS = [
    "1e308", "-1e308", "1e27", "inf", "-inf", "Infinity", "nan", "NaN", "sNaN", "-0", "0", "99.5", "1" + "0" * 12,
    "1" + "0" * 13, "9" * 400, "0x10", "1,5", "１２", "٣", "²", "", " ", "2025", "-1", "1.0000000001",
]
text = st.one_of(st.text(max_size=60), st.sampled_from(TRICKY),
                 st.lists(st.sampled_from(TRICKY), min_size=2, max_size=4).map("".join))
long_text = st.one_of(text, st.builds(lambda part, times: (part * times)[:4100], st.text(min_size=1, max_size=8),
                                      st.integers(100, 800)))
number = st.one_of(st.sampled_from(NUMBERS), st.floats().map(repr), st.integers(-10**40, 10**40).map(str), text)
choice = st.one_of(text, st.sampled_from([d.value for d in Domain] + ["440300", "440100", "computer_vision", ""]))
date = st.one_of(text, st.dates().map(str), st.sampled_from(["2024-02-30", "0001-01-01", "9999-12-31", "2024-13-01"]))


def _ok(response, allowed=OK) -> str:
    assert response.status_code in allowed, (response.status_code, response.get_data(as_text=True)[:2000])
    return response.get_data(as_text=True)


def _pages_render(client, paths):
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:2000])


def _pdf_builds(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf", path
    assert len(PdfReader(io.BytesIO(response.data)).pages) >= 1


def _client(app, user):
    client = app.test_client()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- the entry wizard ---------------------------------------------------------------------


def _steps(draw_text, draw_long, draw_number, draw_choice, draw_date):
    return {
        "basics": {
            "title": draw_text, "domain": draw_choice, "city_code": draw_choice, "summary": draw_long,
            "tech_tags": st.lists(draw_choice, max_size=3), "free_tags": draw_text,
            "partners-0-name": draw_text, "partners-0-credit_code": draw_text,
        },
        "solution": {
            "problem": draw_long, "solution": draw_long, "deployment_scale": draw_text, "deployment_start": draw_date,
            "deployment_end": draw_date, "investment": draw_number, "investment_note": draw_text,
        },
        "outcomes": {
            "outcomes-0-metric": draw_text, "outcomes-0-before": draw_number, "outcomes-0-after": draw_number,
            "outcomes-0-unit": draw_text, "outcomes-1-metric": st.sampled_from(["检出率", ""]),
            "outcomes-1-before": draw_number, "outcomes-1-after": draw_number, "outcomes-1-unit": draw_text,
            "replicability": draw_long, "data_security": draw_long,
        },
        "contacts": {
            "contact_name": draw_text, "contact_position": draw_text, "contact_phone": draw_text,
            "contact_email": st.one_of(draw_text, st.emails().map(str)),
        },
    }


WIZARD = st.fixed_dictionaries({step: st.fixed_dictionaries(fields)
                                for step, fields in _steps(text, long_text, number, choice, date).items()})


@pytest.fixture
def wizard(app, make):
    applicant = make.applicant()
    call = make.call(open_phase=Phase.SUBMISSION)
    draft = make.entry(call=call, organisation=applicant.organisation)
    return _client(app, applicant), _client(app, make.chair()), draft


@PROPERTY
@given(posts=WIZARD)
def test_the_entry_wizard_and_its_autosave_take_anything(session, wizard, posts):
    owner, chair, draft = wizard
    for step, fields in posts.items():
        for path, allowed in ((f"/entries/{draft.id}/autosave/{step}", JSON_OK), (f"/entries/{draft.id}/edit/{step}", OK)):
            session.expire_all()
            version = session.get(Entry, draft.id).version
            response = owner.post(path, data={"version": version, **fields})
            _ok(response, allowed)
            if allowed is JSON_OK:
                assert response.is_json and response.json["ok"] is (response.status_code == 200)
    steps = ("basics", "solution", "outcomes", "media", "contacts", "review")
    _pages_render(owner, [f"/entries/{draft.id}", *(f"/entries/{draft.id}/edit/{step}" for step in steps), "/entries/"])
    _pages_render(chair, [f"/entries/{draft.id}", f"/check/?call={draft.call_id}"])
    _pdf_builds(owner, f"/entries/{draft.id}/application.pdf")


# --- registration ---------------------------------------------------------------------------


@pytest.fixture
def chair_client(app, make):
    return _client(app, make.chair())


_numbers = itertools.count(880_000)


@PROPERTY
@given(fields=st.fixed_dictionaries({
    "organisation_name": st.one_of(text, st.just("云智视觉科技有限公司")),
    "contact_name": st.one_of(text, st.just("王芳")),
    "phone": st.one_of(text, st.just("13800138000")),
    "city": choice,
    "password": st.one_of(text, st.just("A-long-password-7")),
}), valid_code=st.booleans())
@example(fields={"organisation_name": "云智\x00视觉\u202e科技有限公司", "contact_name": "王芳", "phone": "13800138000",
                 "city": "440300", "password": "A-long-password-7"}, valid_code=True)  # one that registers
def test_registration_takes_anything(app, session, outbox, chair_client, fields, valid_code):
    client, chair = app.test_client(), chair_client
    limiter.reset()  # registrations per address are limited
    n = next(_numbers)
    data = {"email": f"applicant{n}@example.com", "credit_code": credit_code(n) if valid_code else fields["contact_name"],
            "confirm": fields["password"], **fields}
    response = client.post("/account/register", data=data)
    _ok(response)
    mails = outbox.to(data["email"])
    if mails:  # the form was accepted: the account is made from the mailed link
        link = outbox.link(mails[0], "/account/register/confirm/")
        _ok(client.get(link))
        response = client.post(link)
        _ok(response)
    if response.status_code == 302 and mails:
        user = session.exec(select(User).where(User.email == data["email"])).one()
        _pages_render(client, ["/dashboard", "/account/organisation"])
        _pages_render(chair, ["/admin/organisations", f"/admin/organisations/{user.organisation_id}",
                              f"/admin/organisations?q={session.get(Organisation, user.organisation_id).name[:5]}"])


# --- the score sheet -------------------------------------------------------------------------


@pytest.fixture
def scoring(app, make, session, rubric_folder):
    write_rubric(rubric_folder)
    call = make.call(open_phase=Phase.REVIEW)
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW)
    expert = make.expert()
    assignment = make.assignment(entry=entry, expert=expert)
    client = _client(app, expert)
    assert client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"}).status_code == 302
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()
    return client, _client(app, make.chair()), sheet, [row.criterion_key for row in sheet.scores]


@PROPERTY
@given(scores=st.lists(number, min_size=6, max_size=6), comments=st.lists(long_text, min_size=7, max_size=7),
       veto=choice, version=st.one_of(st.none(), number))
def test_the_score_sheet_and_its_autosave_take_anything(session, scoring, scores, comments, veto, version):
    expert, chair, sheet, keys = scoring
    data = {f"score-{key}": score for key, score in zip(keys, scores, strict=False)}
    data |= {f"comment-{key}": comment for key, comment in zip(keys, comments, strict=False)}
    data |= {"comment": comments[-1], "veto-data_security": veto}
    for path, allowed in ((f"/review/sheets/{sheet.id}/autosave", JSON_OK | {400}), (f"/review/sheets/{sheet.id}", OK | {400, 422})):
        session.expire_all()
        current = session.get(ScoreSheet, sheet.id).version
        response = expert.post(path, data=data | {"version": current if version is None else version})
        _ok(response, allowed)
        if "autosave" in path:
            assert response.is_json and response.json["ok"] is (response.status_code == 200)
    _pages_render(expert, [f"/review/sheets/{sheet.id}", "/review/"])
    _pages_render(chair, [f"/review/manage/entries/{sheet.entry_id}"])


# --- library curation --------------------------------------------------------------------------


@pytest.fixture
def curation(app, make, session, library):
    case = session.exec(select(LibraryCase).order_by(LibraryCase.id)).first()
    return _client(app, make.staff(Role.PUBLICITY)), case


@PROPERTY
@given(summary=long_text, reason=long_text, headline=long_text, query=text)
def test_library_curation_takes_anything(app, session, curation, summary, reason, headline, query):
    staff, case = curation
    public = app.test_client()
    _ok(staff.post(f"/library/manage/{case.id}/summary", data={"text": summary}))
    _ok(staff.post("/library/manage/headline", data={"text": headline}))
    _pages_render(public, ["/library/", f"/library/{case.year}/{case.entry_id}", "/library/cases",
                           "/library/data/cases.csv"])
    document = public.get("/library/data/cases.json")
    assert document.status_code == 200 and document.json["meta"]["total"] >= 1
    for path in ("/library/cases", "/library/data/cases.json", "/library/data/cases.csv", "/library/manage/"):
        client = staff if "manage" in path else public
        assert client.get(path, query_string={"q": query}).status_code in (200, 400), path
    _ok(staff.post(f"/library/manage/{case.id}/hide", data={"reason": reason}))
    _pages_render(staff, ["/library/manage/", f"/library/manage/{case.id}/summary"])
    _ok(staff.post(f"/library/manage/{case.id}/unhide"))


# --- the call and its results settings ------------------------------------------------------------


def _call_form(fields):
    start = utcnow().replace(tzinfo=None, second=0, microsecond=0) + timedelta(days=1)
    data = {}
    for index, phase in enumerate(Phase):
        starts = start + timedelta(days=11 * index)
        data[f"{phase.value}_starts"] = starts.strftime("%Y-%m-%dT%H:%M")
        data[f"{phase.value}_ends"] = (starts + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    return data | fields


CALL_FORM = st.fixed_dictionaries({
    "name": text, "year": number, "target_count": number, "experts_per_entry": number, "blind_review": choice,
    **{f"quota_{domain.value}": st.one_of(number, st.just("25")) for domain in Domain},
    "submission_starts": st.one_of(st.just("2027-03-01T09:00"), date),
})


@PROPERTY
@given(fields=CALL_FORM, settings_fields=st.fixed_dictionaries({
    "method": choice, "sd_threshold": number, "range_threshold": number, "organisation_cap": number}))
def test_the_call_form_and_results_settings_take_anything(session, chair_client, fields, settings_fields):
    response = chair_client.post("/calls/new", data=_call_form(fields))
    _ok(response)
    calls = session.exec(select(Call)).all()
    _pages_render(chair_client, ["/calls/", "/", "/dashboard", *(f"/calls/{call.id}" for call in calls),
                                 *(f"/calls/{call.id}/edit" for call in calls)])
    if calls:
        call = calls[-1]
        _ok(chair_client.post(f"/calls/{call.id}/edit", data=_call_form(fields)))
        _ok(chair_client.post(f"/results/calls/{call.id}/settings", data=settings_fields))
        _pages_render(chair_client, [f"/results/?call={call.id}", f"/calls/{call.id}"])
