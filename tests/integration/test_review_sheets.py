"""The expert's scoring: queue, conflict declaration, blind sheets, autosave,
validation, submit (weighted total, idempotent, concurrent), locking, access."""
import http.cookiejar
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from flask_babel import gettext
from sqlalchemy.orm import selectinload
from sqlmodel import func, select

from app import create_app
from app.db import utcnow, write_intent
from app.enums import (
    AssignmentSource,
    ConflictSource,
    EntryStatus,
    Phase,
    Role,
    SheetStatus,
)
from app.models import (
    Assignment,
    AuditEvent,
    CallPhase,
    CallRubric,
    Conflict,
    RubricVersion,
    Score,
    ScoreSheet,
    User,
)
from app.review.sheets import services as sheets
from tests.conftest import make_test_config
from tests.databases import ON_POSTGRES, fresh_database
from tests.factories import PASSWORD, Factories, credit_code, write_rubric
from tests.live import served

# A small rubric with different maxima, so that weighting is really tested.
RUBRIC = """\
key: default
name: {zh: 测试评审标准, en: Test rubric}
aggregation: mean
criteria:
  - key: quality
    name: {zh: 质量, en: Quality}
    description: {zh: 方案质量。, en: How good the solution is.}
    weight: 50
    max_score: 100
    levels:
      - {min: 80, max: 100, zh: 优秀, en: Excellent}
      - {min: 0, max: 79.5, zh: 一般, en: Ordinary}
  - key: impact
    name: {zh: 成效, en: Impact}
    weight: 30
    max_score: 10
    comment_required: true
    levels:
      - {min: 0, max: 10, zh: 按成效打分, en: By impact}
  - key: novelty
    name: {zh: 新颖性, en: Novelty}
    weight: 20
    max_score: 20
    levels:
      - {min: 0, max: 20, zh: 按新颖程度打分, en: By novelty}
vetoes:
  - key: fraud
    question: {zh: 是否存在弄虚作假？, en: "Is any information false?"}
"""
# 50 × 87.5/100 + 30 × 7/10 + 20 × 15.5/20 = 43.75 + 21 + 15.5
GOOD = {"score-quality": "87.5", "score-impact": "7", "score-novelty": "15.5", "comment-impact": "节能效果有数据支撑",
        "veto-fraud": "no", "comment": "整体较好"}
GOOD_TOTAL = 80.25

ORGANISATION = "云智视觉科技有限公司"
CREDIT_CODE = credit_code(777001)
PARTNER, PARTNER_CODE = "华南智造研究院", credit_code(777002)
CONTACT = {"contact_name": "欧阳娜娜", "contact_phone": "13912345678", "contact_email": "ouyang@yunzhi-vision.example.com"}
ATTACHMENT_NAME = "云智视觉-技术方案.pdf"
SECRETS = [ORGANISATION, CREDIT_CODE, PARTNER, PARTNER_CODE, *CONTACT.values(), ATTACHMENT_NAME, "技术方案"]


@pytest.fixture(autouse=True)
def rubrics(rubric_folder):
    """This test's rubric folder, with RUBRIC as the default rubric."""
    write_rubric(rubric_folder, text=RUBRIC)
    return rubric_folder


@pytest.fixture
def login(client, login):
    """Log in as ``user``, logging out whoever was logged in first."""

    def _login(user):
        client.post("/account/logout")
        return login(user)

    return _login


@pytest.fixture
def call(make):
    return make.call(open_phase=Phase.REVIEW)


def entry_with_secrets(make, call, *, attachment=True, **fields):
    """An entry in review carrying every identifying detail in SECRETS (unless another organisation is given)."""
    organisation = make.organisation(name=ORGANISATION, credit_code=CREDIT_CODE) if "organisation" not in fields else fields.pop("organisation")
    entry = make.entry(call=call, organisation=organisation, status=EntryStatus.IN_REVIEW,
                       partners=[{"name": PARTNER, "credit_code": PARTNER_CODE}], **CONTACT, **fields)
    if attachment:
        make.attachment(entry, filename=ATTACHMENT_NAME)
    return entry


@pytest.fixture
def entry(make, call):
    return entry_with_secrets(make, call)


@pytest.fixture
def expert(make, login):
    return login(make.expert(name="李专家"))


@pytest.fixture
def assignment(make, entry, expert):
    return make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)


def open_sheet(client, session, assignment) -> ScoreSheet:
    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    return session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()


@pytest.fixture
def sheet(client, session, assignment):
    return open_sheet(client, session, assignment)


def reload(session, sheet) -> ScoreSheet:
    session.expire_all()
    return session.get(ScoreSheet, sheet.id)


def scores_of(sheet) -> dict:
    return {row.criterion_key: row.score for row in sheet.scores}


def autosave(client, sheet, version=None, **fields):
    data = {"version": sheet.version if version is None else version} | fields
    return client.post(f"/review/sheets/{sheet.id}/autosave", data=data)


# --- the queue ------------------------------------------------------------------


def test_queue_order_is_random_per_expert_and_stable(client, session, make, app, call, login):
    entries = [make.entry(call=call, status=EntryStatus.IN_REVIEW, photos=0) for _ in range(8)]
    first, second = make.expert(), make.expert()
    for expert in (first, second):
        for entry in entries:
            make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)

    def order(expert):
        return [item.entry.id for item in sheets.expert_queue(session, expert=expert, call=call).items]

    assert order(first) == order(first) and sorted(order(first)) == sorted(e.id for e in entries)
    assert order(first) != order(second)
    expected = sorted((e.id for e in entries), key=lambda i: sheets.queue_key(call_id=call.id, expert_id=first.id, entry_id=i))
    assert order(first) == expected

    # The page lists them in that order, with the progress.
    login(first)
    page = client.get("/review/").get_data(as_text=True)
    titles = {entry.id: entry.title for entry in entries}
    positions = [page.index(titles[entry_id]) for entry_id in order(first)]
    assert positions == sorted(positions)
    assert 'value="0" max="8"' in page


def test_queue_shows_states_progress_and_the_deadline(client, session, make, call, expert, english):
    opened, submitted, fresh = (entry_with_secrets(make, call, attachment=False, organisation=make.organisation()) for _ in range(3))
    assignments = [make.assignment(entry=e, expert=expert, source=AssignmentSource.MANUAL) for e in (opened, submitted, fresh)]
    open_sheet(client, session, assignments[0])
    done = open_sheet(client, session, assignments[1])
    assert client.post(f"/review/sheets/{done.id}/submit", data={"version": done.version, **GOOD}).status_code == 302

    session.expire_all()
    queue = sheets.expert_queue(session, expert=expert, call=call)
    assert (queue.total, queue.submitted, queue.drafts, queue.not_opened) == (3, 1, 1, 1)
    page = client.get("/review/").get_data(as_text=True)
    assert "1 of 3 submitted" in page and "1 draft ·" in page and "1 not opened" in page
    assert 'value="1" max="3"' in page
    assert "Deadline for submitting your score sheets" in page
    assert page.count('data-state="submitted"') == 1 and page.count('data-state="draft"') == 1
    assert "80.25" in page
    # The navigation leads experts here.
    assert 'href="/review/"' in client.get("/dashboard").get_data(as_text=True)


def test_the_queue_opens_on_the_call_in_review_where_the_expert_has_work(client, make, call, expert, login):
    """While one call is in review the next one may already take entries (and
    be the current call): the queue still opens on the call with the expert's work."""
    entry = entry_with_secrets(make, call, attachment=False)
    make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
    later = make.call(open_phase=Phase.SUBMISSION, year=call.year + 1, name="下一批次")
    make.call(open_phase=Phase.REVIEW, year=call.year + 1, name="另一评审批次")  # in review, no work for this expert
    page = client.get("/review/").get_data(as_text=True)
    assert f'<h2 class="h5 card-title">{call.name}</h2>' in page and entry.title in page
    assert f'<h2 class="h5 card-title">{later.name}</h2>' in client.get(f"/review/?call={later.id}").get_data(as_text=True)
    # An expert without work anywhere sees the current call.
    login(make.expert())
    assert '<h2 class="h5 card-title">另一评审批次</h2>' in client.get("/review/").get_data(as_text=True)


# --- declaring conflicts ----------------------------------------------------------


def test_opening_an_assignment_asks_about_conflicts_first(client, session, assignment, entry, english):
    response = client.get(f"/review/assignments/{assignment.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "I declare that I have no conflict of interest with this entry." in page
    assert "Declare a conflict" in page
    assert entry.solution not in page  # the entry itself comes after the declaration
    assert session.exec(select(ScoreSheet)).all() == []

    # Without ticking the declaration, no sheet.
    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={})
    assert response.status_code == 422 and "Tick the declaration" in response.get_data(as_text=True)
    assert session.exec(select(ScoreSheet)).all() == []

    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"})
    sheet = session.exec(select(ScoreSheet)).one()
    assert response.headers["Location"] == f"/review/sheets/{sheet.id}"
    assert sorted(row.criterion_key for row in sheet.scores) == ["impact", "novelty", "quality"]
    assert all(row.score is None for row in sheet.scores)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "sheet.opened")).one()
    assert event.object_id == sheet.id and event.after["no_conflict_declared"] is True
    # Opening again goes straight to the same sheet.
    assert client.get(f"/review/assignments/{assignment.id}").headers["Location"] == f"/review/sheets/{sheet.id}"
    assert open_sheet(client, session, assignment).id == sheet.id
    assert session.exec(select(func.count()).select_from(ScoreSheet)).one() == 1


def test_declaring_a_conflict_closes_the_assignment_and_everything_behind_it(client, session, make, call, expert, english):
    entry = entry_with_secrets(make, call)
    assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
    sheet = open_sheet(client, session, assignment)  # a conflict can still be declared from a draft
    photo, attachment = entry.photos[0], entry.attachments[0]

    response = client.post(f"/review/assignments/{assignment.id}/conflict", data={"reason": ""})
    assert response.status_code == 422 and "Say briefly what the conflict of interest is." in response.get_data(as_text=True)

    response = client.post(f"/review/assignments/{assignment.id}/conflict", data={"reason": "去年为该单位提供过咨询"}, follow_redirects=True)
    assert "Your conflict of interest has been recorded" in response.get_data(as_text=True)
    conflict = session.exec(select(Conflict)).one()
    assert (conflict.expert_id, conflict.entry_id, conflict.source, conflict.reason) == (expert.id, entry.id, ConflictSource.DECLARED, "去年为该单位提供过咨询")
    session.expire_all()
    assert session.get(Assignment, assignment.id).removed_at is not None
    assert sheets.expert_queue(session, expert=expert, call=call).total == 0
    assert entry.title not in client.get("/review/").get_data(as_text=True)
    for path in (
        f"/review/assignments/{assignment.id}",
        f"/review/sheets/{sheet.id}",
        f"/review/sheets/{sheet.id}/photos/{photo.id}/display.jpg",
        f"/review/sheets/{sheet.id}/attachments/{attachment.id}",
    ):
        assert client.get(path).status_code == 403, path
    assert autosave(client, sheet, **{"score-quality": "90"}).status_code == 403
    assert client.post(f"/review/sheets/{sheet.id}/submit", data={"version": sheet.version, **GOOD}).status_code == 403
    assert client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"}).status_code == 403
    # The expert's own entry pages stay closed too.
    assert client.get(f"/entries/{entry.id}").status_code == 403


def test_an_automatic_conflict_cannot_be_declared_away(client, session, make, call, expert, english):
    make.expert_profile(expert, affiliation=ORGANISATION, code=CREDIT_CODE)
    entry = entry_with_secrets(make, call, attachment=False)
    assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
    page = client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    assert "for the organisation or a partner of this entry" in page
    assert "Open the score sheet" not in page
    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"}, follow_redirects=True)
    assert "You cannot score this entry" in response.get_data(as_text=True)
    assert session.exec(select(ScoreSheet)).all() == []


# --- blind review -----------------------------------------------------------------


def responses_seen_by_the_expert(client, assignment, sheet, entry):
    paths = ["/review/", f"/review/sheets/{sheet.id}"]
    paths += [f"/review/sheets/{sheet.id}/photos/{photo.id}/{size}.jpg" for photo in entry.photos for size in ("thumb", "display", "master")]
    paths += [f"/review/sheets/{sheet.id}/attachments/{a.id}" for a in entry.attachments]
    responses = []
    for path in paths:
        with client.get(path) as response:
            assert response.status_code == 200, path
            responses.append((path, response.get_data(), response.headers))
    return responses


def test_blind_review_hides_who_applied_everywhere(client, session, make, call, expert, english):
    entry = entry_with_secrets(make, call)
    assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
    declaration = client.get(f"/review/assignments/{assignment.id}")
    sheet = open_sheet(client, session, assignment)
    responses = [("declaration", declaration.get_data(), declaration.headers)]
    responses += responses_seen_by_the_expert(client, assignment, sheet, entry)

    for path, body, headers in responses:
        for secret in SECRETS:
            assert secret.encode() not in body, (path, secret)
            assert secret not in urllib.parse.unquote(str(headers)), (path, secret)
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert "Attachment 1" in page and entry.solution in page and entry.title in page
    _path, body, headers = responses[-1]
    assert headers["Content-Disposition"] == 'attachment; filename="Attachment 1.pdf"'
    assert body.startswith(b"%PDF-") and "sandbox" in headers["Content-Security-Policy"]


def test_blind_review_in_chinese_names_the_attachment_generically(app, client, session, sheet, entry):
    with app.test_request_context(headers={"Cookie": "lang=zh"}):
        generic = gettext("Attachment %(n)s", n=1)  # “附件1” once translated
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert generic in page
    with client.get(f"/review/sheets/{sheet.id}/attachments/{entry.attachments[0].id}") as response:
        disposition = urllib.parse.unquote(response.headers["Content-Disposition"])
    assert f"{generic}.pdf" in disposition and ATTACHMENT_NAME not in disposition


def test_without_blind_review_the_expert_sees_the_applicant(client, session, make, expert, english):
    call = make.call(open_phase=Phase.REVIEW, blind_review=False)
    entry = entry_with_secrets(make, call)
    assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
    assert ORGANISATION in client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    sheet = open_sheet(client, session, assignment)
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    for secret in (ORGANISATION, PARTNER, CONTACT["contact_name"], ATTACHMENT_NAME):
        assert secret in page
    with client.get(f"/review/sheets/{sheet.id}/attachments/{entry.attachments[0].id}") as response:
        assert urllib.parse.quote(ATTACHMENT_NAME) in response.headers["Content-Disposition"]


# --- the sheet: rubric, autosave, validation ------------------------------------------


def test_the_sheet_shows_the_rubric_in_the_ui_language(client, sheet, english):
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert "Quality" in page and "How good the solution is." in page and "Excellent" in page
    assert 'name="score-impact"' in page and 'max="10"' in page and 'step="0.5"' in page
    assert f'data-autosave-url="/review/sheets/{sheet.id}/autosave"' in page
    assert "/static/js/score_sheet.js" in page and "/static/js/entry_form.js" in page
    assert "Is any information false?" in page
    assert 'data-confirm="Submit your scores? The sheet is locked afterwards."' in page
    assert "<script>" not in page  # no inline script (CSP)
    client.set_cookie("lang", "zh")
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert "质量" in page and "方案质量。" in page and "优秀" in page and "How good the solution is." not in page


def test_autosave_keeps_the_draft_and_returns_the_new_version(client, session, sheet):
    version = sheet.version
    response = autosave(client, sheet, **{"score-quality": "87.5", "comment-impact": "有数据", "veto-fraud": "no", "comment": "较好"})
    assert response.status_code == 200 and response.json["ok"] is True
    assert response.json["version"] == version + 1 and response.json["total"] is None
    sheet = reload(session, sheet)
    assert scores_of(sheet) == {"quality": 87.5, "impact": None, "novelty": None}
    assert ({r.criterion_key: r.comment for r in sheet.scores}["impact"], sheet.comment, sheet.vetoes) == ("有数据", "较好", {"fraud": False})
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "sheet.autosaved")).one()
    assert event.after == {"score-quality": 87.5, "comment-impact": "有数据", "comment": "较好", "vetoes": {"fraud": False}}
    # A reload shows what was saved.
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert 'value="87.5"' in page and "有数据" in page and 'value="no" checked' in page
    # Saving the same again changes nothing.
    response = autosave(client, sheet, **{"score-quality": "87.5"})
    assert response.json["changed"] == [] and response.json["version"] == version + 1


def test_a_stale_version_is_refused_instead_of_overwriting(client, session, sheet, english):
    opened = sheet.version
    assert autosave(client, sheet, version=opened, **{"score-quality": "80"}).status_code == 200
    response = autosave(client, sheet, version=opened, **{"score-quality": "60"})
    assert response.status_code == 409 and "changed in another window" in response.json["message"]
    assert scores_of(reload(session, sheet))["quality"] == 80


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("score-quality", "100.5", "Quality: enter a number from 0 to 100."),
        ("score-impact", "11", "Impact: enter a number from 0 to 10."),
        ("score-novelty", "-1", "Novelty: enter a number from 0 to 20."),
        ("score-quality", "很好", "Quality: enter a number from 0 to 100."),
        ("score-quality", "nan", "Quality: enter a number from 0 to 100."),
        ("score-quality", "1e400", "Quality: enter a number from 0 to 100."),
        ("score-quality", "1e2", "Quality: enter a number from 0 to 100."),
        ("score-quality", "inf", "Quality: enter a number from 0 to 100."),
        ("score-quality", "87.3", "Quality: scores go in steps of 0.5."),
    ],
    ids=["above-max", "above-small-max", "negative", "text", "nan", "huge", "exponent", "infinite", "step"],
)
def test_invalid_scores_are_refused_with_a_message_and_nothing_changes(client, session, sheet, english, field, value, message):
    autosave(client, sheet, **{"score-quality": "50", "score-impact": "5", "score-novelty": "10"})
    before = reload(session, sheet)
    version, saved = before.version, scores_of(before)
    response = autosave(client, sheet, version=version, **{field: value, "comment": "新的意见"})
    assert response.status_code == 422 and response.json["errors"] == {field: message}
    after = reload(session, sheet)
    assert (after.version, scores_of(after), after.comment) == (version, saved, "")

    # Without JavaScript: the page comes back with the message beside the field and the typed value.
    response = client.post(f"/review/sheets/{sheet.id}", data={"version": version, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and "nothing was saved" in page
    assert f'value="{value}"' in page
    assert reload(session, sheet).version == version


def test_comments_have_limits(client, session, sheet, english):
    response = autosave(client, sheet, **{"comment-quality": "字" * (sheets.COMMENT_LIMIT + 1)})
    assert response.status_code == 422 and "at most 2000 characters" in response.json["errors"]["comment-quality"]


def test_saving_without_javascript(client, session, sheet, english):
    response = client.post(f"/review/sheets/{sheet.id}", data={"version": sheet.version, "score-novelty": "12"}, follow_redirects=True)
    assert "The draft has been saved." in response.get_data(as_text=True)
    assert scores_of(reload(session, sheet))["novelty"] == 12


# --- submitting -------------------------------------------------------------------------


def test_submit_computes_the_weighted_total_and_locks_the_sheet(client, session, sheet, english):
    response = client.post(f"/review/sheets/{sheet.id}/submit", data={"version": sheet.version, **GOOD}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your scores have been submitted." in page
    sheet = reload(session, sheet)
    assert sheet.status == SheetStatus.SUBMITTED and sheet.submitted_at is not None
    assert sheet.total == GOOD_TOTAL == 50 * 87.5 / 100 + 30 * 7 / 10 + 20 * 15.5 / 20
    assert scores_of(sheet) == {"quality": 87.5, "impact": 7, "novelty": 15.5}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "sheet.submitted")).one()
    assert event.after["total"] == GOOD_TOTAL and event.object_id == sheet.id
    # Read-only from now on.
    assert 'name="score-quality"' not in page and "The sheet is locked" in page and "80.25" in page
    response = autosave(client, sheet, **{"score-quality": "10"})
    assert response.status_code == 403 and "submitted and is locked" in response.json["message"]
    assert scores_of(reload(session, sheet))["quality"] == 87.5


def test_submitting_twice_is_harmless(client, session, sheet, english):
    version = sheet.version
    client.post(f"/review/sheets/{sheet.id}/submit", data={"version": version, **GOOD})
    submitted = reload(session, sheet)
    # The same click again (a double click, or a second tab with other values).
    response = client.post(f"/review/sheets/{sheet.id}/submit", data={"version": version, **GOOD, "score-quality": "20"}, follow_redirects=True)
    assert response.status_code == 200 and "already been submitted" in response.get_data(as_text=True)
    again = reload(session, sheet)
    assert (again.version, again.total, again.submitted_at, scores_of(again)) == (submitted.version, GOOD_TOTAL, submitted.submitted_at, scores_of(submitted))
    assert session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "sheet.submitted")).one() == 1
    # The service itself is idempotent too.
    expert = session.get(User, again.expert_id)
    assert sheets.submit_sheet(session, sheet=again, expert=expert, now=utcnow()).total == GOOD_TOTAL
    session.flush()
    assert reload(session, again).version == submitted.version


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"score-novelty": ""}, "Score “Novelty”."),
        ({"comment-impact": ""}, "Comment on “Impact” (required)."),
        ({"veto-fraud": None}, "Answer the question “Is any information false?”."),
        ({"veto-fraud": "yes", "comment": ""}, "Explain the veto in the overall comment."),
    ],
    ids=["score", "required-comment", "veto-unanswered", "veto-unexplained"],
)
def test_an_incomplete_sheet_is_not_submitted(client, session, sheet, english, missing, message):
    data = {"version": sheet.version, **GOOD, **missing}
    data = {key: value for key, value in data.items() if value is not None}
    response = client.post(f"/review/sheets/{sheet.id}/submit", data=data)
    # Back to the sheet's own address (issue 16, item 9: the address stayed on
    # .../submit, and a reload posted again), which lists what is missing.
    assert response.status_code == 302 and response.headers["Location"] == f"/review/sheets/{sheet.id}?check=1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page and "Before you can submit:" in page
    assert "The sheet has been saved as a draft but not submitted yet." in page
    sheet = reload(session, sheet)
    assert (sheet.status, sheet.total, sheet.submitted_at) == (SheetStatus.DRAFT, None, None)
    assert scores_of(sheet)["quality"] == 87.5  # what was typed is kept as the draft


def test_a_submit_with_an_invalid_score_keeps_what_was_typed_under_the_sheets_address(client, session, sheet, english):
    """Nothing is saved, so the page answers the POST itself (what was typed must
    stay) and names the sheet's address for the script to put in the address bar."""
    response = client.post(f"/review/sheets/{sheet.id}/submit",
                           data={"version": sheet.version, **GOOD, "score-quality": "101"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Quality: enter a number from 0 to 100." in page
    assert 'value="101"' in page and f'data-address="/review/sheets/{sheet.id}"' in page
    assert reload(session, sheet).status == SheetStatus.DRAFT


def test_others_scores_only_after_own_submit_and_when_the_call_allows(client, session, make, login, english):
    for allowed in (False, True):
        call = make.call(open_phase=Phase.REVIEW, show_others_scores=allowed)
        entry = entry_with_secrets(make, call, attachment=False, organisation=make.organisation())
        other = login(make.expert(name="王其他专家", email=f"other-{int(allowed)}@example.com"))
        other_sheet = open_sheet(client, session, make.assignment(entry=entry, expert=other, source=AssignmentSource.MANUAL))
        client.post(f"/review/sheets/{other_sheet.id}/submit", data={"version": other_sheet.version, **GOOD, "score-quality": "20"})
        assert reload(session, other_sheet).total == 10 + 21 + 15.5

        me = login(make.expert())
        mine = open_sheet(client, session, make.assignment(entry=entry, expert=me, source=AssignmentSource.MANUAL))
        page = client.get(f"/review/sheets/{mine.id}").get_data(as_text=True)
        assert "Other experts" not in page and "46.5" not in page
        assert sheets.visible_other_sheets(session, sheet=reload(session, mine), call=call) == []

        client.post(f"/review/sheets/{mine.id}/submit", data={"version": mine.version, **GOOD})
        page = client.get(f"/review/sheets/{mine.id}").get_data(as_text=True)
        assert "王其他专家" not in page and other.email not in page
        if allowed:
            assert "Other experts" in page and "Expert 1" in page and "46.5" in page
            [seen] = sheets.visible_other_sheets(session, sheet=reload(session, mine), call=call)
            assert (seen.number, seen.total, seen.vetoed) == (1, 46.5, False)
        else:
            assert "Other experts" not in page and "46.5" not in page


# --- locking after the review phase -------------------------------------------------------


def end_review(session, call):
    session.expire_all()
    window = session.exec(select(CallPhase).where(CallPhase.call_id == call.id, CallPhase.phase == Phase.REVIEW)).one()
    window.starts_at, window.ends_at = utcnow() - timedelta(days=20), utcnow() - timedelta(minutes=1)
    session.add(window)
    session.commit()


def test_after_the_review_phase_sheets_are_locked(client, session, make, call, expert, sheet, english):
    autosave(client, sheet, **{k: v for k, v in GOOD.items() if k != "score-novelty"})
    fresh = make.assignment(entry=entry_with_secrets(make, call, attachment=False, organisation=make.organisation()),
                            expert=expert, source=AssignmentSource.MANUAL)
    end_review(session, call)
    sheet = reload(session, sheet)

    assert "score sheets are locked" in client.get("/review/").get_data(as_text=True)
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert "This sheet is locked" in page and 'name="score-quality"' not in page and "87.5" in page
    response = autosave(client, sheet, **{"score-novelty": "10"})
    assert response.status_code == 403 and "The review phase has ended" in response.json["message"]
    response = client.post(f"/review/sheets/{sheet.id}/submit", data={"version": sheet.version, "score-novelty": "10"}, follow_redirects=True)
    assert "The review phase has ended" in response.get_data(as_text=True)
    response = client.post(f"/review/sheets/{sheet.id}", data={"version": sheet.version, "score-novelty": "10"}, follow_redirects=True)
    assert "The review phase has ended" in response.get_data(as_text=True)
    locked = reload(session, sheet)
    assert (locked.status, locked.version, scores_of(locked)["novelty"]) == (SheetStatus.DRAFT, sheet.version, None)
    # No new sheets either.
    page = client.get(f"/review/assignments/{fresh.id}").get_data(as_text=True)
    assert "Open the score sheet" not in page and "score sheets are locked" in page
    client.post(f"/review/assignments/{fresh.id}/no-conflict", data={"confirm": "y"})
    assert session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == fresh.id)).first() is None


# --- access -------------------------------------------------------------------------------


def test_an_expert_cannot_reach_another_experts_assignment_or_sheet(client, session, make, app, call, entry, login):
    owner = make.expert()
    theirs = make.assignment(entry=entry, expert=owner, source=AssignmentSource.MANUAL)
    login(owner)
    their_sheet = open_sheet(client, session, theirs)
    login(make.expert())
    photo, attachment = entry.photos[0], entry.attachments[0]
    for method, path in [
        ("GET", f"/review/assignments/{theirs.id}"),
        ("POST", f"/review/assignments/{theirs.id}/no-conflict"),
        ("POST", f"/review/assignments/{theirs.id}/conflict"),
        ("GET", f"/review/sheets/{their_sheet.id}"),
        ("POST", f"/review/sheets/{their_sheet.id}"),
        ("POST", f"/review/sheets/{their_sheet.id}/autosave"),
        ("POST", f"/review/sheets/{their_sheet.id}/submit"),
        ("GET", f"/review/sheets/{their_sheet.id}/photos/{photo.id}/thumb.jpg"),
        ("GET", f"/review/sheets/{their_sheet.id}/attachments/{attachment.id}"),
    ]:
        response = client.open(path, method=method, data={"version": their_sheet.version, "confirm": "y", "reason": "x", **GOOD})
        assert response.status_code == 403, (method, path)
    assert scores_of(reload(session, their_sheet)) == {"quality": None, "impact": None, "novelty": None}
    assert session.exec(select(Conflict)).all() == []
    for path in ("/review/assignments/999999", "/review/sheets/999999", f"/review/sheets/{their_sheet.id + 999}/photos/1/thumb.jpg"):
        assert client.get(path).status_code == 404, path


def test_files_of_other_entries_are_not_served_through_a_sheet(client, session, make, call, sheet):
    other = entry_with_secrets(make, call, organisation=make.organisation())
    assert client.get(f"/review/sheets/{sheet.id}/photos/{other.photos[0].id}/thumb.jpg").status_code == 404
    assert client.get(f"/review/sheets/{sheet.id}/attachments/{other.attachments[0].id}").status_code == 404


@pytest.mark.parametrize("who", ["applicant", "publicity", "chair"])
def test_only_experts_reach_the_review_pages(client, session, make, app, call, entry, login, who):
    expert = make.expert()
    assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
    login(expert)
    sheet = open_sheet(client, session, assignment)
    users = {
        "applicant": lambda: make.applicant(organisation=entry.organisation),
        "publicity": lambda: make.staff(Role.PUBLICITY),
        "chair": lambda: make.chair(),
    }
    login(users[who]())
    for method, path in [
        ("GET", "/review/"),
        ("GET", f"/review/assignments/{assignment.id}"),
        ("POST", f"/review/assignments/{assignment.id}/no-conflict"),
        ("GET", f"/review/sheets/{sheet.id}"),
        ("POST", f"/review/sheets/{sheet.id}/autosave"),
        ("POST", f"/review/sheets/{sheet.id}/submit"),
        ("GET", f"/review/sheets/{sheet.id}/attachments/{entry.attachments[0].id}"),
    ]:
        assert client.open(path, method=method, data={"confirm": "y"}).status_code == 403, (method, path)


def test_visitors_are_sent_to_log_in(app):
    response = app.test_client().get("/review/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login?next=")


# --- the frozen rubric ------------------------------------------------------------------


def test_the_rubric_is_frozen_on_first_open_and_later_file_edits_change_nothing(client, session, make, call, login, rubrics, english):
    entry = entry_with_secrets(make, call, attachment=False)
    first = login(make.expert())
    sheet = open_sheet(client, session, make.assignment(entry=entry, expert=first, source=AssignmentSource.MANUAL))
    version = session.get(RubricVersion, sheet.rubric_version_id)
    assert session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).one().rubric_version_id == version.id
    assert [c["key"] for c in version.content["criteria"]] == ["quality", "impact", "novelty"]

    # The file changes: other weights, another criterion, other names.
    edited = RUBRIC.replace("weight: 50", "weight: 40").replace("weight: 20", "weight: 30").replace("en: Quality", "en: Workmanship")
    write_rubric(rubrics, text=edited)

    second = login(make.expert())
    other = open_sheet(client, session, make.assignment(entry=entry, expert=second, source=AssignmentSource.MANUAL))
    assert other.rubric_version_id == sheet.rubric_version_id
    login(first)
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert "Quality" in page and "Workmanship" not in page
    client.post(f"/review/sheets/{sheet.id}/submit", data={"version": sheet.version, **GOOD})
    assert reload(session, sheet).total == GOOD_TOTAL
    assert session.exec(select(func.count()).select_from(RubricVersion)).one() == 1


# --- concurrency, against a live server on its own database -------------------------------


class HttpClient:
    """A logged-in HTTP client for the live server (cookies shared by threads)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def post(self, path: str, data: dict) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode(), method="POST")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review-live")
    folder = tmp / "rubrics"
    write_rubric(folder, text=RUBRIC)
    with fresh_database(tmp) as url:
        app = create_app(make_test_config(url, tmp, RUBRICS_FOLDER=str(folder), WTF_CSRF_ENABLED=False))
        try:
            with served(app) as url:
                yield app, url
        finally:
            app.extensions["db"].engine.dispose()


def run_together(count: int, action) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index):
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_first_opens_and_submits_give_one_sheet_and_one_total(live):
    app, base = live
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        call = make.call(open_phase=Phase.REVIEW)
        entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, photos=0)
        expert = make.expert()
        assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
        ids = {"assignment": assignment.id, "email": expert.email}
        session.close()

    client = HttpClient(base)
    assert client.post("/account/login", {"email": ids["email"], "password": PASSWORD})[0] == 200

    # Two tabs (and more) opening the assignment for the first time at once.
    results = run_together(6, lambda: client.post(f"/review/assignments/{ids['assignment']}/no-conflict", {"confirm": "y"}))
    assert [status for status, _body in results] == [200] * 6
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        [sheet] = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == ids["assignment"])).all()
        assert session.exec(select(func.count()).select_from(Score).where(Score.sheet_id == sheet.id)).one() == 3
        assert session.exec(select(func.count()).select_from(RubricVersion)).one() == 1
        sheet_id, version = sheet.id, sheet.version
        session.close()

    status, _body = client.post(f"/review/sheets/{sheet_id}/autosave", {"version": version, **GOOD})
    assert status == 200
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        version = session.get(ScoreSheet, sheet_id).version
        session.close()

    # A double click and a second tab: the same submit, many times at once.
    results = run_together(6, lambda: client.post(f"/review/sheets/{sheet_id}/submit", {"version": version, **GOOD}))
    assert [status for status, _body in results] == [200] * 6
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        sheet = session.get(ScoreSheet, sheet_id, options=[selectinload(ScoreSheet.scores)])
        assert (sheet.status, sheet.total) == (SheetStatus.SUBMITTED, GOOD_TOTAL)
        assert scores_of(sheet) == {"quality": 87.5, "impact": 7, "novelty": 15.5}
        assert session.exec(select(func.count()).select_from(Score).where(Score.sheet_id == sheet_id)).one() == 3
        assert session.exec(select(func.count()).select_from(ScoreSheet)).one() == 1
        submitted = session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "sheet.submitted")).one()
        assert submitted == 1
        session.close()


def test_a_submit_waits_for_the_sheet_lock_and_then_finds_it_submitted(live):
    """Two submits of one sheet in overlapping transactions: the second waits
    for the first one's row lock, then returns the submitted sheet unchanged."""
    app, _base = live
    sessionmaker = app.extensions["db"].sessionmaker
    with app.app_context():
        session = sessionmaker()
        make = Factories(session, app)
        call = make.call(open_phase=Phase.REVIEW)
        expert = make.expert()
        entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, photos=0)
        assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
        sheet = sheets.declare_no_conflict_and_open(session, assignment=assignment, expert=expert, now=utcnow())
        sheets.save_draft(session, sheet=sheet, expert=expert, now=utcnow(), version=None,
                          scores={"quality": 87.5, "impact": 7, "novelty": 15.5}, comments={"impact": "有数据"}, comment="",
                          vetoes={"fraud": False})
        session.commit()
        ids = sheet.id, expert.id
        session.close()

    first_locked, results = threading.Event(), {}

    def submit(name, *, hold: float = 0.0):
        with app.app_context(), write_intent():
            session = sessionmaker()
            started = time.monotonic()
            try:
                sheet = session.get(ScoreSheet, ids[0])
                expert = session.get(User, ids[1], options=[selectinload(User.role_rows)])  # as a login loads it
                results[f"{name}-saw"] = sheet.status
                submitted = sheets.submit_sheet(session, sheet=sheet, expert=expert, now=utcnow())
                first_locked.set()
                time.sleep(hold)
                session.commit()
                results[name] = (submitted.submitted_at, submitted.total, time.monotonic() - started)
            finally:
                session.close()

    first = threading.Thread(target=submit, args=("first",), kwargs={"hold": 0.5})
    first.start()
    assert first_locked.wait(timeout=30)
    second = threading.Thread(target=submit, args=("second",))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)

    assert results["first"][:2] == results["second"][:2]
    assert results["first"][1] == GOOD_TOTAL
    assert results["second"][2] >= 0.3  # it waited for the first one's lock
    # PostgreSQL: the second read the draft, then waited at the row lock.
    # SQLite: it waited at BEGIN IMMEDIATE, then read the submitted sheet.
    assert results["second-saw"] == (SheetStatus.DRAFT if ON_POSTGRES else SheetStatus.SUBMITTED)
    with app.app_context():
        session = sessionmaker()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "sheet.submitted", AuditEvent.object_id == ids[0])).all()
        assert len(events) == 1
        session.close()
