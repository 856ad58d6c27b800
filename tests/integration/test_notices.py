"""The public notice: publishing a proposed list opens it, anyone objects
on its page, the chair handles and decides objections (an upheld one lets
the next entry move up), and the official list then reaches the library."""
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, EntryStatus, Phase
from app.models import (
    AuditEvent,
    Entry,
    LibraryCase,
    Notice,
    Notification,
    Objection,
    ObjectionFile,
    ObjectionNote,
    ObjectionQuestion,
    ResultEntry,
    ResultRun,
)
from app.notices.files import objection_blobs
from app.results.publishing import verify
from tests.factories import PASSWORD
from tests.factories.entries import jpeg_bytes, pdf_bytes

CONTACT = "省工业和信息化厅人工智能处，电话 020-12345678"
GROUNDS = "该场景的应用成效数据与实际不符，已有用户反映部署规模远小于申报材料所述。"


@pytest.fixture
def noticed(make, session):
    """Four manufacturing entries; the target selects two; the call requires a notice."""
    scored = make.scored_call(totals=[[95, 94], [90, 91], [85, 86], [80, 81]], open_phase=Phase.RESULTS,
                              target_count=2, notice_required=True, notice_contact=CONTACT, notice_days=5)
    return scored


def _publish_proposed(client, login, scored, **extra):
    login(scored.chair)
    run = scored.compute()
    response = client.post(f"/notices/runs/{run.id}/publish", data={"confirm": "y", **extra})
    assert response.status_code == 302
    return run


def _notice(session, call) -> Notice:
    session.expire_all()
    return session.exec(select(Notice).where(Notice.call_id == call.id)).one()


def _object(client, scored, entry, **fields):
    data = {"entry": str(entry.id), "name": "张三", "phone": "13800138000", "email": "zhang@example.com",
            "grounds": GROUNDS} | fields
    return client.post(f"/notice/{scored.call.id}", data=data, content_type="multipart/form-data")


def _end_period(session, notice):
    notice.starts_at, notice.ends_at = utcnow() - timedelta(days=8), utcnow() - timedelta(minutes=1)
    session.add(notice)
    session.commit()


def test_publishing_opens_a_notice_and_moves_nothing(app, client, login, session, noticed):
    run = _publish_proposed(client, login, noticed)
    session.expire_all()
    run = session.get(ResultRun, run.id)
    assert (run.list_kind, run.published) == ("proposed", True)
    assert verify(session, run)
    notice = _notice(session, noticed.call)
    assert (notice.proposed_run_id, notice.period_days, notice.working_days, notice.contact) == (run.id, 5, True, CONTACT)
    assert notice.ends_at > notice.starts_at + timedelta(days=5)
    assert {session.get(Entry, e.id).status for e in noticed.entries} == {EntryStatus.SCORED}
    assert session.exec(select(LibraryCase)).all() == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "notice.opened")).one().object_id == notice.id
    # The plain publishing route refuses a call that requires a notice.
    public = app.test_client()
    page = public.get(f"/notice/{noticed.call.id}").get_data(as_text=True)
    assert "场景001" in page and "场景002" in page and "场景003" not in page
    assert CONTACT in page and "objection-form" in page
    assert f"/notice/{noticed.call.id}" in public.get("/library/").get_data(as_text=True)


def test_the_results_route_refuses_to_skip_the_notice(client, login, session, noticed):
    login(noticed.chair)
    run = noticed.compute()
    client.post(f"/results/runs/{run.id}/publish", data={"confirm": "y"})
    session.expire_all()
    assert session.get(ResultRun, run.id).published_at is None


def test_an_objection_gets_a_reference_and_a_mail(app, client, login, session, noticed, outbox):
    _publish_proposed(client, login, noticed)
    public = app.test_client()
    pdf = pdf_bytes(info={"/Author": "某人"})
    response = public.post(f"/notice/{noticed.call.id}", data={
        "entry": str(noticed.entries[0].id), "name": "张三", "email": "zhang@example.com", "grounds": GROUNDS,
        "files": [(io.BytesIO(pdf), "证据.pdf"), (io.BytesIO(jpeg_bytes()), "photo.jpg")],
    }, content_type="multipart/form-data")
    assert response.status_code == 200
    objection = session.exec(select(Objection)).one()
    assert objection.reference in response.get_data(as_text=True)
    assert objection.reference.startswith("YY-") and len(objection.reference) == 17
    assert (objection.entry_id, objection.objector_name, objection.status) == (noticed.entries[0].id, "张三", "received")
    files = session.exec(select(ObjectionFile).order_by(ObjectionFile.id)).all()
    assert [(f.kind, f.filename) for f in files] == [("pdf", "证据.pdf"), ("image", "photo.jpg")]
    assert objection_blobs(session) == {f.blob_key for f in files}
    mail = outbox.to("zhang@example.com")
    assert len(mail) == 1 and objection.reference in mail[0].get_content()
    assert session.exec(select(Notification).where(Notification.kind == "objection.filed")).one().user_id == noticed.chair.id


def test_upheld_objection_moves_the_next_entry_up_and_the_official_list_reaches_the_library(
        app, client, login, session, noticed, outbox):
    _publish_proposed(client, login, noticed)
    first, second, third, _ = noticed.entries
    public = app.test_client()
    assert _object(public, noticed, first).status_code == 200
    assert _object(public, noticed, second, grounds=GROUNDS + "另有补充。").status_code == 200
    upheld, dismissed = session.exec(select(Objection).order_by(Objection.id)).all()
    notice = _notice(session, noticed.call)

    # The official list waits for the period and the decisions.
    client.post(f"/notices/{notice.id}/official")
    assert _notice(session, noticed.call).official_run_id is None

    client.post(f"/notices/objections/{upheld.id}/assign", data={"assignee": noticed.chair.id})
    client.post(f"/notices/objections/{upheld.id}/note", data={"body": "已电话核实部署情况。"})
    response = client.post(f"/notices/objections/{upheld.id}/decide",
                           data={"outcome": "upheld", "reason": "经核实，申报数据与实际不符。"})
    assert response.status_code == 302
    client.post(f"/notices/objections/{dismissed.id}/decide", data={"outcome": "dismissed", "reason": "理由不成立。"})
    session.expire_all()
    upheld, dismissed = session.get(Objection, upheld.id), session.get(Objection, dismissed.id)
    assert (upheld.status, upheld.replacement_entry_id) == ("upheld", third.id)
    assert (dismissed.status, dismissed.replacement_entry_id) == ("dismissed", None)
    decision_mail = [m.get_content() for m in outbox.to("zhang@example.com") if upheld.reference in m["Subject"] and "处理结果" in m["Subject"]]
    assert len(decision_mail) == 1 and "经核实，申报数据与实际不符。" in decision_mail[0]
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.object_type == "objections")
                                              .order_by(AuditEvent.id)).all()]
    assert actions == ["objection.filed", "objection.filed", "objection.assigned", "objection.note_added",
                       "objection.upheld", "objection.dismissed"]
    page = app.test_client().get(f"/notice/{noticed.call.id}").get_data(as_text=True)
    assert "经核实，申报数据与实际不符。" in page and "场景003" in page
    assert "已电话核实" not in page and "张三" not in page and "理由不成立" not in page

    _end_period(session, notice)
    assert client.post(f"/notices/{notice.id}/official").status_code == 302
    notice = _notice(session, noticed.call)
    official = session.get(ResultRun, notice.official_run_id)
    assert (official.list_kind, official.published, notice.closed_at is not None) == ("official", True, True)
    assert verify(session, official)
    rows = {row.entry_id: row for row in session.exec(select(ResultEntry).where(ResultEntry.run_id == official.id))}
    assert {entry_id for entry_id, row in rows.items() if row.selected} == {second.id, third.id}
    assert (rows[first.id].decision, rows[first.id].withdrawn_reason) == (
        "withdrawn_after_objection", "经核实，申报数据与实际不符。")
    ranking = client.get(f"/results/runs/{official.id}").get_data(as_text=True)
    assert "因异议成立退出" in ranking
    assert client.get(f"/results/runs/{official.id}/rankings.xlsx").status_code == 200
    assert rows[third.id].withdrawn_reason and "场景001" in rows[third.id].withdrawn_reason
    outcomes = official.summary["objections"]
    assert (outcomes["total"], outcomes["upheld"], outcomes["dismissed"]) == (2, 1, 1)
    assert outcomes["withdrawn"][0]["reason"] == "经核实，申报数据与实际不符。"
    statuses = {e.id: session.get(Entry, e.id).status for e in noticed.entries}
    assert statuses[first.id] == EntryStatus.NOT_SELECTED and statuses[third.id] == EntryStatus.SELECTED
    assert {case.entry_id for case in session.exec(select(LibraryCase))} == {second.id, third.id}


def test_the_official_list_waits_for_undecided_objections(app, client, login, session, noticed):
    _publish_proposed(client, login, noticed)
    _object(app.test_client(), noticed, noticed.entries[0])
    notice = _notice(session, noticed.call)
    _end_period(session, notice)
    client.post(f"/notices/{notice.id}/official")
    assert _notice(session, noticed.call).official_run_id is None
    assert session.exec(select(LibraryCase)).all() == []


def test_the_command_line_publishes_the_proposed_list_then_the_official_one(runner, session, noticed):
    noticed.compute()
    refused = runner.invoke(args=["notices", "official", "--call", str(noticed.call.id)])
    assert refused.exit_code == 1 and "没有公示" in refused.output
    result = runner.invoke(args=["notices", "publish", "--call", str(noticed.call.id), "--as", noticed.chair.email])
    assert result.exit_code == 0, result.output
    notice = _notice(session, noticed.call)
    proposed = session.get(ResultRun, notice.proposed_run_id)
    assert proposed.list_kind == "proposed" and proposed.content_hash in result.output
    assert session.exec(select(LibraryCase)).all() == []
    # While the period runs the official list is refused, with the reason; afterwards it is published.
    early = runner.invoke(args=["notices", "official", "--call", str(noticed.call.id)])
    assert early.exit_code == 1 and official_runs(session, noticed.call) == []
    _end_period(session, notice)
    done = runner.invoke(args=["notices", "official", "--call", str(noticed.call.id), "--as", noticed.chair.email])
    assert done.exit_code == 0, done.output
    (official,) = official_runs(session, noticed.call)
    assert official.content_hash in done.output and _notice(session, noticed.call).official_run_id == official.id
    assert len(session.exec(select(LibraryCase)).all()) == 2


def official_runs(session, call) -> list[ResultRun]:
    session.expire_all()
    return list(session.exec(select(ResultRun).where(ResultRun.call_id == call.id,
                                                     ResultRun.list_kind == "official")).all())


def test_the_applicant_answers_only_their_own_questions(app, client, login, session, make, noticed):
    _publish_proposed(client, login, noticed)
    _object(app.test_client(), noticed, noticed.entries[0])
    objection = session.exec(select(Objection)).one()
    due = (utcnow() + timedelta(days=3)).astimezone().strftime("%Y-%m-%dT%H:%M")
    client.post(f"/notices/objections/{objection.id}/question", data={"question": "请说明部署规模。", "due": due})
    question = session.exec(select(ObjectionQuestion)).one()
    member = make.applicant(organisation=noticed.entries[0].organisation)
    stranger = make.applicant(organisation=noticed.entries[1].organisation)
    other = app.test_client()
    assert other.post("/account/login", data={"email": stranger.email, "password": PASSWORD}).status_code == 302
    assert other.get(f"/notices/questions/{question.id}").status_code == 403
    assert other.post(f"/notices/questions/{question.id}", data={"answer": "冒充回答。"}).status_code == 403
    own = app.test_client()
    assert own.post("/account/login", data={"email": member.email, "password": PASSWORD}).status_code == 302
    assert "请说明部署规模。" in own.get("/dashboard").get_data(as_text=True)
    assert "请说明部署规模。" in own.get(f"/entries/{noticed.entries[0].id}").get_data(as_text=True)
    assert "请说明部署规模。" not in other.get(f"/entries/{noticed.entries[1].id}").get_data(as_text=True)
    response = own.post(f"/notices/questions/{question.id}", data={
        "answer": "部署规模以验收报告为准。", "files": [(io.BytesIO(pdf_bytes()), "验收报告.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()
    question = session.get(ObjectionQuestion, question.id)
    assert (question.answer, question.answered_by_id) == ("部署规模以验收报告为准。", member.id)
    assert session.exec(select(ObjectionFile).where(ObjectionFile.question_id == question.id)).one().filename == "验收报告.pdf"
    assert session.exec(select(ObjectionNote)).all() == []


@pytest.mark.parametrize("fields, files, message", [
    ({"name": "", "phone": "", "email": ""}, [], "Your name"),
    ({"phone": "", "email": ""}, [], "phone number or an e-mail"),
    ({"grounds": "太短"}, [], "Grounds"),
    ({}, [(b"%PDF-1.4 not really", "fake.pdf")], "fake.pdf"),
    ({}, [(b"<script>alert(1)</script>", "evil.png")], "evil.png"),
    ({}, [(jpeg_bytes(), f"{n}.jpg") for n in range(4)], "at most 3"),
])
def test_bad_objections_are_refused_and_nothing_is_stored(app, client, login, session, noticed, english, fields,
                                                          files, message):
    _publish_proposed(client, login, noticed)
    public = app.test_client()
    public.set_cookie("lang", "en")
    data = {"entry": str(noticed.entries[0].id), "name": "张三", "phone": "13800138000", "grounds": GROUNDS} | fields
    data["files"] = [(io.BytesIO(content), name) for content, name in files]
    response = public.post(f"/notice/{noticed.call.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session.exec(select(Objection)).all() == [] and session.exec(select(ObjectionFile)).all() == []


def test_script_in_an_objection_is_shown_as_text(app, client, login, session, noticed):
    _publish_proposed(client, login, noticed)
    payload = "<script>alert('x')</script>" + GROUNDS
    _object(app.test_client(), noticed, noticed.entries[0], grounds=payload, name="<b>某人</b>")
    objection = session.exec(select(Objection)).one()
    page = client.get(f"/notices/objections/{objection.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page and "&lt;b&gt;某人" in page


def test_a_flood_of_objections_gets_429(app, client, login, session, noticed):
    app.config["OBJECTION_LIMIT"] = "2 per hour"
    try:
        _publish_proposed(client, login, noticed)
        public = app.test_client()
        codes = [_object(public, noticed, noticed.entries[0], grounds=GROUNDS + str(n)).status_code for n in range(3)]
    finally:
        app.config.pop("OBJECTION_LIMIT")
    assert codes == [200, 200, 429]
    assert len(session.exec(select(Objection)).all()) == 2
    app.config["OBJECTION_LIMIT"] = "2 per hour"
    try:
        page = _object(public, noticed, noticed.entries[0]).get_data(as_text=True)
    finally:
        app.config.pop("OBJECTION_LIMIT")
    assert "尝试次数过多" in page or "请稍等" in page


def test_staff_pages_are_for_chairs(app, client, login, session, make, noticed):
    _publish_proposed(client, login, noticed)
    notice = _notice(session, noticed.call)
    stranger = app.test_client()
    assert stranger.get(f"/notices/{notice.id}").status_code == 302  # to the login page
    applicant = app.test_client()
    assert applicant.post("/account/login", data={"email": make.applicant().email, "password": PASSWORD}).status_code == 302
    assert applicant.get(f"/notices/{notice.id}").status_code == 403
    assert applicant.get(f"/notices/calls/{noticed.call.id}/settings").status_code == 403


def test_the_printable_notice_is_a_pdf(app, client, login, session, noticed):
    _publish_proposed(client, login, noticed)
    response = app.test_client().get(f"/notice/{noticed.call.id}/notice.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")


def test_calls_without_a_notice_publish_as_before(client, login, session, make):
    scored = make.scored_call(totals=[[95, 94], [90, 91]], open_phase=Phase.RESULTS, target_count=1)
    scored.publish()
    session.expire_all()
    assert session.exec(select(Notice)).all() == []
    assert {c.entry_id for c in session.exec(select(LibraryCase))} == {scored.entries[0].id}


def test_notice_settings_are_saved_and_audited(client, login, session, make):
    call = make.call()
    login(make.chair())
    response = client.post(f"/notices/calls/{call.id}/settings", data={
        "required": "y", "days": "7", "working_days": "calendar", "contact": CONTACT, "anonymous": "y"})
    assert response.status_code == 302
    session.expire_all()
    call = session.get(type(call), call.id)
    assert (call.notice_required, call.notice_days, call.notice_working_days, call.objections_anonymous) == (
        True, 7, False, True)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "call.notice_settings_changed")).one()
    assert event.after["notice_days"] == 7


_ = Domain


def test_storage_prune_keeps_objection_files_and_backups_hold_them(app, client, login, session, noticed):
    from app.storage import storage
    from app.storage_prune import prune_unused_blobs

    _publish_proposed(client, login, noticed)
    _object(app.test_client(), noticed, noticed.entries[0], files=[(io.BytesIO(pdf_bytes()), "证据.pdf")])
    kept = session.exec(select(ObjectionFile)).one().blob_key
    with app.app_context():
        stray = storage().put(b"nobody uses this", suffix=".bin")
        deleted = prune_unused_blobs(session, older_than=timedelta(0))
        # Backups copy every stored blob (app/backup/services.py): the evidence is among them.
        keys = {blob.key for blob in storage().blobs()}
    assert stray in deleted and kept not in deleted and kept in keys


def test_anonymous_objections_only_when_the_call_allows_them(app, client, login, session, make):
    scored = make.scored_call(totals=[[95, 94], [90, 91], [85, 86]], open_phase=Phase.RESULTS, target_count=2,
                              notice_required=True, notice_contact=CONTACT, objections_anonymous=False)
    _publish_proposed(client, login, scored)
    public = app.test_client()
    refused = _object(public, scored, scored.entries[0], anonymous="y", name="", phone="", email="")
    assert refused.status_code == 422 and "不受理匿名异议" in refused.get_data(as_text=True)
    notice = _notice(session, scored.call)
    notice.anonymous_allowed = True
    session.add(notice)
    session.commit()
    accepted = _object(public, scored, scored.entries[0], anonymous="y", name="", phone="", email="")
    assert accepted.status_code == 200
    objection = session.exec(select(Objection)).one()
    assert (objection.anonymous, objection.objector_name, objection.objector_email) == (True, "", "")


def test_the_decision_is_mailed_in_the_objectors_language(app, client, login, session, noticed, outbox):
    _publish_proposed(client, login, noticed)
    public = app.test_client()
    public.set_cookie("lang", "en")
    _object(public, noticed, noticed.entries[1], email="reader@example.com")
    objection = session.exec(select(Objection)).one()
    assert objection.language == "en"
    assert outbox.to("reader@example.com")[0]["Subject"] == f"Objection received: reference {objection.reference}"
    client.post(f"/notices/objections/{objection.id}/decide", data={"outcome": "dismissed", "reason": "理由不成立。"})
    decision = outbox.to("reader@example.com")[-1]
    assert decision["Subject"] == f"Decision on your objection {objection.reference}"
    assert "The objection is dismissed." in decision.get_content()


def test_an_oversized_file_is_refused_and_nothing_is_stored(app, client, login, session, noticed, english, monkeypatch):
    _publish_proposed(client, login, noticed)
    # A small limit keeps the upload in memory (Werkzeug spools larger ones to a temporary file).
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 50_000)
    public = app.test_client()
    public.set_cookie("lang", "en")
    big = pdf_bytes() + b"%" + b"0" * 60_000
    response = _object(public, noticed, noticed.entries[0], files=[(io.BytesIO(big), "big.pdf")])
    assert response.status_code == 422 and "The file is larger than" in response.get_data(as_text=True)
    assert session.exec(select(Objection)).all() == [] and session.exec(select(ObjectionFile)).all() == []
