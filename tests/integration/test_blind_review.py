"""Blind review leaks nothing: experts get attachments without their document
metadata; entries that name their organisation are found on submission and
shown to the chair; applicants are told (app/entries/blind.py)."""
import io
import re
import urllib.parse
from datetime import timedelta

import pikepdf
import pytest
from pypdf import PdfReader
from sqlmodel import select

from app.db import utcnow
from app.entries import blind
from app.entries.mentions import CREDIT_CODE, NAME, SHORT_NAME
from app.entries.services import referenced_blobs
from app.enums import AssignmentSource, EntryStatus, Phase
from app.models import EntryAttachment, IdentityCheck, ScoreSheet
from app.storage import storage
from tests.factories import credit_code, pdf_bytes, write_rubric

S = EntryStatus
ORGANISATION = "广州市明珠智能科技股份有限公司"
CODE = credit_code(880001, city="440100")
INFO = {"/Author": "欧阳娜娜", "/Title": "明珠智能技术方案", "/Subject": "明珠", "/Keywords": "明珠, 质检",
        "/Creator": "明珠 WPS", "/Producer": "明珠 PDF"}
ORIGINAL = pdf_bytes(texts=[["技术方案正文"], ["实施计划"]], info=INFO, xmp={"dc:creator": ["欧阳娜娜"], "dc:title": "明珠"})
NAMING = pdf_bytes(texts=[["技术方案"], [f"申报单位：{ORGANISATION}", f"统一社会信用代码：{CODE}"]])


@pytest.fixture(autouse=True)
def rubrics(rubric_folder):
    write_rubric(rubric_folder)


@pytest.fixture
def login(client, login):
    """Log in as ``user``, logging out whoever was logged in first."""

    def _login(user):
        client.post("/account/logout")
        return login(user)

    return _login


@pytest.fixture
def organisation(make):
    return make.organisation(name=ORGANISATION, credit_code=CODE, city_code="440100")


def reviewed_entry(make, organisation, *, blind_review=True, data=ORIGINAL):
    """An entry in review with one attachment (``data``) and an expert assigned."""
    call = make.call(open_phase=Phase.REVIEW, blind_review=blind_review)
    entry = make.entry(call=call, organisation=organisation, status=S.IN_REVIEW)
    attachment = make.attachment(entry, filename="明珠-技术方案.pdf", pages=2, data=data)
    return entry, attachment


def expert_download(client, session, make, login, entry, attachment):
    """Log in a new expert assigned to ``entry``, open the sheet, download the attachment."""
    expert = login(make.expert())
    assignment = make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
    assert client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"}).status_code == 302
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()
    with client.get(f"/review/sheets/{sheet.id}/attachments/{attachment.id}") as response:
        response.body = response.get_data()
        return response


def reload(session, model, key):
    session.expire_all()
    return session.get(model, key)


# --- the expert's copy ----------------------------------------------------------


def test_experts_of_a_blind_call_get_the_attachment_without_its_metadata(client, session, make, login, organisation,
                                                                          english):
    entry, attachment = reviewed_entry(make, organisation)
    response = expert_download(client, session, make, login, entry, attachment)

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="Attachment 1.pdf"'
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.body != ORIGINAL
    reader = PdfReader(io.BytesIO(response.body))
    assert not reader.metadata and reader.xmp_metadata is None
    assert len(reader.pages) == 2 and "实施计划" in reader.pages[1].extract_text()
    with pikepdf.open(io.BytesIO(response.body)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
    for secret in ("欧阳娜娜", "明珠"):
        assert secret.encode("utf-16-be") not in response.body and secret.encode() not in response.body
    # The original did carry them.
    original = PdfReader(io.BytesIO(ORIGINAL))
    assert original.metadata.author == "欧阳娜娜" and original.xmp_metadata.dc_creator == ["欧阳娜娜"]


def test_the_copy_is_made_once_stored_and_kept_by_the_prune(app, client, session, make, login, organisation,
                                                            monkeypatch, runner):
    calls = []
    strip = blind.strip_metadata
    monkeypatch.setattr(blind, "strip_metadata", lambda data: calls.append(len(data)) or strip(data))
    entry, attachment = reviewed_entry(make, organisation)

    first = expert_download(client, session, make, login, entry, attachment).body
    key = reload(session, EntryAttachment, attachment.id).blind_blob_key
    second = expert_download(client, session, make, login, entry, attachment).body  # another expert
    third = expert_download(client, session, make, login, entry, attachment).body

    assert calls == [len(ORIGINAL)]
    assert first == second == third
    with app.app_context():
        with storage().open(key) as file:
            assert file.read() == first
        assert {key, attachment.blob_key} <= referenced_blobs(session)
    assert runner.invoke(args=["storage", "prune", "--older-than-hours", "0"]).exit_code == 0
    with app.app_context():
        assert storage().exists(key) and storage().exists(attachment.blob_key)


def test_a_lost_copy_is_made_again(app, client, session, make, login, organisation):
    entry, attachment = reviewed_entry(make, organisation)
    first = expert_download(client, session, make, login, entry, attachment).body
    key = reload(session, EntryAttachment, attachment.id).blind_blob_key
    with app.app_context():
        storage().delete(key)
    assert expert_download(client, session, make, login, entry, attachment).body == first


def test_the_chair_and_the_applicant_keep_the_original(client, session, make, login, organisation):
    entry, attachment = reviewed_entry(make, organisation)
    assert expert_download(client, session, make, login, entry, attachment).status_code == 200
    for user in (make.chair(), make.applicant(organisation)):
        login(user)
        with client.get(f"/entries/{entry.id}/attachments/{attachment.id}") as response:
            assert response.get_data() == ORIGINAL
            assert urllib.parse.quote("明珠-技术方案.pdf") in response.headers["Content-Disposition"]


def test_without_blind_review_experts_get_the_original(client, session, make, login, organisation):
    entry, attachment = reviewed_entry(make, organisation, blind_review=False)
    response = expert_download(client, session, make, login, entry, attachment)
    assert response.body == ORIGINAL
    assert urllib.parse.quote("明珠-技术方案.pdf") in response.headers["Content-Disposition"]
    assert reload(session, EntryAttachment, attachment.id).blind_blob_key is None


def test_a_damaged_attachment_is_a_clear_error_never_the_original(client, session, make, login, organisation, english):
    damaged = b"%PDF-1.7\n" + "申报单位：明珠".encode() + b"\n%%EOF"
    entry, attachment = reviewed_entry(make, organisation, data=damaged)
    response = expert_download(client, session, make, login, entry, attachment)
    assert response.status_code == 422
    page = response.body.decode()
    assert "This attachment is damaged" in page and "The chair has the original." in page
    assert "明珠" not in page and response.mimetype == "text/html"
    assert reload(session, EntryAttachment, attachment.id).blind_blob_key is None


# --- the identity check ---------------------------------------------------------------


@pytest.fixture
def applicant(make, login, organisation):
    return login(make.applicant(organisation))


def naming_entry(make, call, organisation):
    """A complete draft that names its organisation four times: in the solution (short name), a photo
    caption (short name) and on page 2 of an attachment (full name and credit code)."""
    entry = make.entry(call=call, organisation=organisation, solution="由明珠团队在产线部署视觉质检系统。")
    entry.photos[0].caption = "明珠智能工厂全景"
    make.save(entry)
    make.attachment(entry, filename="明珠方案.pdf", pages=2, data=NAMING)
    return entry


def test_submitting_finds_where_the_entry_names_its_organisation(client, session, make, applicant, organisation):
    call = make.call(open_phase=Phase.SUBMISSION)
    entry = naming_entry(make, call, organisation)
    assert session.get(IdentityCheck, entry.id) is None  # drafts are not checked

    assert client.post(f"/entries/{entry.id}/submit", data={"version": entry.version}).status_code == 302

    check = reload(session, IdentityCheck, entry.id)
    assert check.mentions == 4
    assert [(f["where"], f["kind"], f["text"]) for f in check.findings] == [
        ({"field": "solution"}, SHORT_NAME, "明珠"),
        ({"field": "photo", "n": 1}, SHORT_NAME, "明珠智能"),  # the longest short name that matches
        ({"field": "attachment", "n": 1, "page": 2, "file": "明珠方案.pdf"}, NAME, ORGANISATION),
        ({"field": "attachment", "n": 1, "page": 2, "file": "明珠方案.pdf"}, CREDIT_CODE, CODE),
    ]
    assert check.findings[0]["before"] == "由" and check.findings[0]["after"] == "团队在产线部署视觉质检系统。"


def test_an_entry_that_names_nobody_is_checked_clear(client, session, make, applicant, organisation):
    call = make.call(open_phase=Phase.SUBMISSION)
    entry = make.entry(call=call, organisation=organisation)
    make.attachment(entry, data=ORIGINAL, pages=2)  # its metadata is not text experts read
    client.post(f"/entries/{entry.id}/submit", data={"version": entry.version})
    check = reload(session, IdentityCheck, entry.id)
    assert (check.mentions, check.findings) == (0, [])


def test_attachments_added_or_removed_after_a_return_are_checked_again(client, session, make, applicant, organisation):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    entry = make.entry(call=call, organisation=organisation, status=S.RETURNED, check_reason="请删去单位名称",
                       revision_deadline=utcnow() + timedelta(days=2))
    response = client.post(f"/entries/{entry.id}/attachments", content_type="multipart/form-data",
                           data={"version": entry.version, "document": (io.BytesIO(NAMING), "补充材料.pdf")})
    assert response.status_code == 302
    check = reload(session, IdentityCheck, entry.id)
    assert check.mentions == 2 and {f["kind"] for f in check.findings} == {NAME, CREDIT_CODE}

    entry = reload(session, type(entry), entry.id)
    client.post(f"/entries/{entry.id}/attachments/{entry.attachments[0].id}/delete", data={"version": entry.version})
    assert reload(session, IdentityCheck, entry.id).mentions == 0


def test_findings_are_bounded_but_all_counted(session, make, organisation, app):
    entry = make.entry(call=make.call(), organisation=organisation, solution="明珠。" * 30, problem="明珠" * 30)
    with app.test_request_context():
        count, findings = blind.identity_findings(entry)
    assert count == 60 and len(findings) == 2 * blind.PER_PLACE


# --- the chair's table and decision page ---------------------------------------------------


@pytest.fixture
def checked(make, session, organisation, app):
    """A blind call in its formal check with a submitted entry that names its organisation, one that
    does not, and a draft (unchecked)."""
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    named = naming_entry(make, call, organisation)
    clear = make.entry(call=call, organisation=organisation, title="无名场景")
    with app.test_request_context():
        for entry in (named, clear):
            entry.status, entry.submitted_at = S.SUBMITTED, utcnow()
            blind.check_entry(session, entry=entry, now=utcnow())
    session.commit()
    draft = make.entry(call=call, organisation=organisation, title="草稿场景", complete=False)
    return call, named, clear, draft


def _ids(response) -> list[int]:
    return [int(value) for value in re.findall(r'name="entry_ids" value="(\d+)"', response.get_data(as_text=True))]


def test_the_table_flags_and_filters_entries_that_name_their_organisation(client, make, login, checked, english):
    call, named, clear, draft = checked
    login(make.chair())
    response = client.get(f"/check/?call={call.id}")
    page = response.get_data(as_text=True)
    assert "Organisation named" in page and 'name="identity"' in page
    def row(entry):
        start = page.index(f'name="entry_ids" value="{entry.id}"')
        return page[start:page.index("</tr>", start)]

    assert "Named in 4 places" in row(named) and f"/check/entries/{named.id}/decision?next=" in row(named)
    assert "None found" in row(clear)
    assert "Named in" not in row(draft) and "None found" not in row(draft)

    assert _ids(client.get(f"/check/?call={call.id}&identity=named")) == [named.id]
    assert _ids(client.get(f"/check/?call={call.id}&identity=clear")) == [clear.id]
    assert sorted(_ids(client.get(f"/check/?call={call.id}&identity=bogus"))) == sorted([named.id, clear.id, draft.id])
    # The filter travels with the sort links and the exports.
    assert "identity=named" in client.get(f"/check/?call={call.id}&identity=named").get_data(as_text=True).split("export.csv")[1][:200]


def test_the_decision_page_says_where_the_name_was_found(client, make, login, checked, english):
    call, named, clear, draft = checked
    login(make.chair())
    page = client.get(f"/check/entries/{named.id}/decision").get_data(as_text=True)
    assert "The organisation is named in 4 places." in page
    for place in ("Solution", "Caption of photo 1", "Attachment 1 (明珠方案.pdf), page 2"):
        assert place in page
    assert "<q>由<mark>明珠</mark>团队在产线部署视觉质检系统。</q>" in page
    assert f"<mark>{CODE}</mark>" in page and "credit code" in page and "short name" in page
    page = client.get(f"/check/entries/{clear.id}/decision").get_data(as_text=True)
    assert "appear nowhere experts look" in page
    page = client.get(f"/check/entries/{draft.id}/decision").get_data(as_text=True)
    assert "Not checked yet" in page


def test_without_blind_review_the_table_and_page_say_nothing_of_it(client, session, make, login, checked, english):
    call, named, _clear, _draft = checked
    call.blind_review = False
    make.save(call)
    login(make.chair())
    page = client.get(f"/check/?call={call.id}").get_data(as_text=True)
    assert "Organisation named" not in page and 'name="identity"' not in page and "Named in" not in page
    assert "does the entry name its organisation" not in client.get(f"/check/entries/{named.id}/decision").get_data(as_text=True)


def test_the_table_still_runs_one_count_and_one_page_query(app, client, make, login, checked):
    import sqlalchemy as sa

    call, *_ = checked
    login(make.chair())
    statements = []
    engine = app.extensions["db"].engine

    def _record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", _record)
    try:
        client.get(f"/check/?call={call.id}&identity=named")
    finally:
        sa.event.remove(engine, "before_cursor_execute", _record)
    on_entries = [s for s in statements if "FROM entries" in s]
    assert len(on_entries) == 2 and all("identity_checks" in s for s in on_entries)
    assert not [s for s in statements if "FROM entries" not in s and "identity_checks" in s]
    assert not [s for s in statements if re.search(r"entry_photos|entry_attachments", s)]


# --- the applicant's wizard --------------------------------------------------------------------


@pytest.mark.parametrize(("step", "shown"), [("basics", True), ("solution", True), ("outcomes", True), ("media", True),
                                              ("contacts", False), ("review", False)])
def test_the_wizard_tells_applicants_of_a_blind_call_not_to_name_their_organisation(client, make, applicant, organisation,
                                                                                   english, step, shown):
    entry = make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=organisation)
    page = client.get(f"/entries/{entry.id}/edit/{step}").get_data(as_text=True)
    assert ("This call is reviewed blind" in page and "blind-notice" in page) is shown
    if step == "media":
        assert "logo" in page and "without their document properties" in page
    elif shown:
        assert "Do not name your organisation in these texts" in page


def test_no_notice_when_the_call_is_not_blind(client, make, applicant, organisation, english):
    entry = make.entry(call=make.call(open_phase=Phase.SUBMISSION, blind_review=False), organisation=organisation,
                       solution="明珠团队")
    for step in ("basics", "solution", "media", "review"):
        page = client.get(f"/entries/{entry.id}/edit/{step}").get_data(as_text=True)
        assert "reviewed blind" not in page


def test_the_review_step_shows_where_the_texts_name_the_organisation(client, make, applicant, organisation, english):
    entry = naming_entry(make, make.call(open_phase=Phase.SUBMISSION), organisation)
    page = client.get(f"/entries/{entry.id}/edit/review").get_data(as_text=True)
    assert "your texts name your organisation" in page
    assert "<q>由<mark>明珠</mark>团队在产线部署视觉质检系统。</q>" in page and "Caption of photo 1" in page
    assert "Attachment 1" not in page.split("identity-warning")[1].split("</div>")[0]  # read on submission only


def test_the_notice_is_translated(client, make, applicant, organisation):
    entry = make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=organisation)
    page = client.get(f"/entries/{entry.id}/edit/solution").get_data(as_text=True)
    assert "本批次为盲评" in page
