"""NUL, other control characters and bidi controls in any text a request
brings: removed before anything reads it (``app.web.InputRequest``), the same
on SQLite and PostgreSQL (which refuses NUL in text and JSON) — never a 500,
never a broken record. CR LF becomes LF."""
import io

import pytest
from sqlmodel import select

from app.enums import EntryStatus, Phase, Role, SheetStatus
from app.models import AuditEvent, Entry, LibraryCase, Organisation, ResultRun, ScoreSheet, User
from tests.factories import write_rubric
from tests.integration.test_registration import _register as register

DIRTY = "第一行\x00\x01\x1b\r\n第二行\r第三行\x7f\x85\u202e末尾\u202c"
CLEAN = "第一行\n第二行\n第三行末尾"


def reload(session, model, row_id):
    session.expire_all()
    return session.get(model, row_id)


# --- forms ---------------------------------------------------------------------------


@pytest.fixture
def draft(make, login):
    applicant = login(make.applicant())
    call = make.call(open_phase=Phase.SUBMISSION)
    return make.entry(call=call, organisation=applicant.organisation, complete=False)


def test_a_step_with_nul_and_control_characters_saves_clean_text(client, session, draft):
    response = client.post(f"/entries/{draft.id}/edit/solution", data={
        "version": draft.version, "problem": DIRTY, "solution": "方案\x00说明", "deployment_scale": "3\x00个工厂",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = reload(session, Entry, draft.id)
    assert (entry.problem, entry.solution, entry.deployment_scale) == (CLEAN, "方案说明", "3个工厂")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "entry.updated")).one()
    assert event.after["problem"] == CLEAN  # the audit row's JSON too (PostgreSQL refuses \u0000 there)
    page = client.get(f"/entries/{draft.id}").get_data(as_text=True)
    assert "第三行末尾" in page


def test_single_line_fields_lose_bidi_overrides(client, session, draft):
    response = client.post(f"/entries/{draft.id}/edit/basics", data={
        "version": draft.version, "title": "\u202e txe.质检\u202c\u2066平台\u2069\x00", "summary": "摘要\u200f",
        "partners-0-name": "华南\u202d理工\u202c", "partners-0-credit_code": "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = reload(session, Entry, draft.id)
    assert (entry.title, entry.summary, entry.partners[0]["name"]) == ("txe.质检平台", "摘要", "华南理工")


def test_a_line_break_in_a_single_line_field_is_still_refused(client, session, draft, english):
    response = client.post(f"/entries/{draft.id}/edit/basics", data={"version": draft.version, "title": "一\r\n二"})
    assert response.status_code == 200
    assert "Line breaks and control characters are not allowed here." in response.get_data(as_text=True)


def test_autosave_with_nul_answers_json_and_saves_clean_text(client, session, draft):
    response = client.post(f"/entries/{draft.id}/autosave/outcomes", data={
        "version": draft.version, "replicability": DIRTY, "data_security": "\x00",
        "outcomes-0-metric": "检出\x00率", "outcomes-0-after": "9\x009.5", "outcomes-0-unit": "%\x00",
    })
    assert response.status_code == 200 and response.json["ok"] is True, response.get_data(as_text=True)
    entry = reload(session, Entry, draft.id)
    assert (entry.replicability, entry.data_security) == (CLEAN, "")
    assert [(row.metric, row.after, row.unit) for row in entry.outcomes] == [("检出率", 99.5, "%")]


def test_registration_with_control_characters(client, session, outbox):
    response = register(client, outbox, organisation_name="云智\x00视觉\u202e科技", contact_name="王\x00芳")
    assert response.status_code == 302, response.get_data(as_text=True)
    organisation = session.exec(select(Organisation)).one()
    user = session.exec(select(User)).one()
    assert (organisation.name, user.name) == ("云智视觉科技", "王芳")


def test_curation_texts_with_nul(client, session, make, login, library):
    login(make.staff(Role.PUBLICITY))
    case = session.exec(select(LibraryCase).order_by(LibraryCase.id)).first()
    assert client.post(f"/library/manage/{case.id}/summary", data={"text": DIRTY}).status_code == 302
    assert client.post(f"/library/manage/{case.id}/hide", data={"reason": "合作方\x00要求"}).status_code == 302
    assert client.post("/library/manage/headline", data={"text": "二百个\x00场景"}).status_code == 302
    case = reload(session, LibraryCase, case.id)
    assert (case.public_summary, case.hidden_reason, case.hidden) == (CLEAN, "合作方要求", True)


def test_score_sheet_comments_with_nul(client, session, make, login, rubric_folder):
    write_rubric(rubric_folder)
    call = make.call(open_phase=Phase.REVIEW)
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW)
    expert = login(make.expert())
    assignment = make.assignment(entry=entry, expert=expert)
    assert client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"}).status_code == 302
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()
    key = sheet.scores[0].criterion_key
    response = client.post(f"/review/sheets/{sheet.id}/autosave", data={
        "version": sheet.version, f"comment-{key}": DIRTY, "comment": "总体\x00评价", f"score-{key}": "8\x00",
    })
    assert response.status_code == 200 and response.json["ok"] is True, response.get_data(as_text=True)
    sheet = reload(session, ScoreSheet, sheet.id)
    row = next(row for row in sheet.scores if row.criterion_key == key)
    assert (row.comment, sheet.comment, row.score, sheet.status) == (CLEAN, "总体评价", 8, SheetStatus.DRAFT)


# --- query strings -------------------------------------------------------------------


def test_nul_in_a_query_string_is_removed(client, session, make, login, library, english):
    login(make.chair())
    for path in ("/library/cases?q=智能%00质检", "/library/manage/?q=智能%00质检", "/check/?q=a%00b&organisation=%00",
                 "/admin/organisations?q=a%00b", "/admin/audit?action=entry.%00created", "/library/?x=%00"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    page = client.get("/library/cases?q=智能%00质检").get_data(as_text=True)
    assert "智能质检缺陷检测平台" in page and "\x00" not in page
    document = client.get("/library/data/cases.json?q=智能%00质检").json
    assert [case["title"] for case in document["data"]] == ["智能质检缺陷检测平台"]
    assert "%00" not in document["links"]["self"]
    csv = client.get("/library/data/cases.csv?q=%00智能质检%00")
    assert csv.status_code == 200 and "智能质检缺陷检测平台" in csv.get_data(as_text=True)


def test_nul_in_the_rankings_filter(client, session, make, login, library):
    login(make.chair())
    run = session.exec(select(ResultRun)).first()
    page = client.get(f"/results/runs/{run.id}?q=智能%00质检&sort=%00")
    assert page.status_code == 200 and "智能质检缺陷检测平台" in page.get_data(as_text=True)


# --- bodies over the limit, JSON errors ----------------------------------------------------


def test_a_body_over_the_limit_gets_the_translated_413_page_with_a_way_back(app, client, draft, csrf, monkeypatch):
    # CSRF protection reads the form before any view runs: the generic 413 page answers.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    form = f"http://localhost/entries/{draft.id}/edit/media"
    response = client.post(f"/entries/{draft.id}/photos", data={"photo": (io.BytesIO(b"x" * 20_000), "big.jpg")},
                           headers={"Referer": form})
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "上传内容过大" in page and "提交的数据超过了允许的上限（20 MB）。" in page
    assert f'href="{form}">返回上一页</a>' in page and 'href="/">返回首页</a>' in page
    # No way back to another site.
    response = client.post(f"/entries/{draft.id}/photos", data={"photo": (io.BytesIO(b"x" * 20_000), "big.jpg")},
                           headers={"Referer": "https://evil.example/form"})
    assert response.status_code == 413 and "evil.example" not in response.get_data(as_text=True)


def test_autosave_errors_are_json(app, client, draft, csrf, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    json = {"Accept": "application/json"}
    response = client.post(f"/entries/{draft.id}/autosave/solution", data={"problem": "长" * 20_000}, headers=json)
    assert response.status_code == 413 and response.json["ok"] is False
    assert response.json["message"] == "提交的数据超过了允许的上限（20 MB）。"
    # Without its CSRF token (an expired page), the script is told in JSON too.
    response = client.post(f"/entries/{draft.id}/autosave/solution", data={"problem": "x"}, headers=json)
    assert response.status_code == 400 and response.json["ok"] is False and "表单已过期" in response.json["message"]
