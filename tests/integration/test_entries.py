"""The applicant's side of entries: the wizard, autosave, files, submit, withdraw."""
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlmodel import select

from app.db import utcnow
from app.entries.states import transition
from app.enums import EntryStatus, Membership, Phase
from app.models import AuditEvent, Entry
from app.models.entries import LIMITS
from tests.factories import image_bytes, jpeg_bytes, pdf_bytes


@pytest.fixture
def applicant(make, login):
    return login(make.applicant())


@pytest.fixture
def call(make):
    return make.call(open_phase=Phase.SUBMISSION)


@pytest.fixture
def draft(make, applicant, call):
    return make.entry(call=call, organisation=applicant.organisation, complete=False)


def reload(session, entry) -> Entry:
    session.expire_all()
    return session.get(Entry, entry.id)


def basics(**overrides):
    return {
        "title": "智能质检", "domain": "manufacturing", "city_code": "440300", "summary": "摘要",
        "tech_tags": ["computer_vision"], "free_tags": "", "partners-0-name": "", "partners-0-credit_code": "",
    } | overrides


def test_new_entry_starts_as_a_draft_with_the_applicant_as_contact(client, session, applicant, call):
    response = client.post("/entries/new")
    entry = session.exec(select(Entry)).one()
    assert response.headers["Location"] == f"/entries/{entry.id}/edit/basics"
    assert (entry.status, entry.call_id, entry.organisation_id) == (EntryStatus.DRAFT, call.id, applicant.organisation_id)
    assert (entry.contact_name, entry.contact_email) == (applicant.name, applicant.email)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "entry.created")).one().object_id == entry.id


def test_no_new_entries_outside_the_submission_phase(client, session, make, applicant):
    make.call(open_phase=Phase.FORMAL_CHECK)
    assert client.post("/entries/new").status_code == 403
    assert session.exec(select(Entry)).all() == []


def test_each_step_saves_and_moves_on(client, session, draft):
    version, old_title = draft.version, draft.title
    response = client.post(
        f"/entries/{draft.id}/edit/basics",
        data=basics(version=draft.version, **{"partners-0-name": "中山大学", "free_tags": "边缘计算，联邦学习"}),
    )
    assert response.headers["Location"] == f"/entries/{draft.id}/edit/solution"
    entry = reload(session, draft)
    assert (entry.title, entry.domain.value, entry.city_code) == ("智能质检", "manufacturing", "440300")
    assert entry.tech_tags == ["computer_vision", "边缘计算", "联邦学习"]
    assert entry.partners == [{"name": "中山大学", "credit_code": ""}]
    assert entry.version == version + 1
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "entry.updated")).one()
    assert event.after["title"] == "智能质检" and event.before["title"] == old_title


def test_save_can_jump_to_any_step(client, draft):
    response = client.post(f"/entries/{draft.id}/edit/basics", data=basics(version=draft.version, goto="media"))
    assert response.headers["Location"] == f"/entries/{draft.id}/edit/media"


def test_outcome_rows_and_a_spare_row(client, session, draft):
    client.post(
        f"/entries/{draft.id}/edit/outcomes",
        data={
            "version": draft.version, "replicability": "可复制", "data_security": "加密",
            "outcomes-0-metric": "缺陷检出率", "outcomes-0-before": "92", "outcomes-0-after": "99.5", "outcomes-0-unit": "%",
            "outcomes-1-metric": "新增能力", "outcomes-1-before": "", "outcomes-1-after": "3", "outcomes-1-unit": "项",
            "outcomes-2-metric": "", "outcomes-2-before": "", "outcomes-2-after": "", "outcomes-2-unit": "",
        },
    )
    entry = reload(session, draft)
    assert [(o.metric, o.before, o.after, o.unit) for o in entry.outcomes] == [("缺陷检出率", 92.0, 99.5, "%"), ("新增能力", None, 3.0, "项")]
    page = client.get(f"/entries/{draft.id}/edit/outcomes").get_data(as_text=True)
    assert 'name="outcomes-2-metric"' in page and 'name="outcomes-3-metric"' not in page


def test_outcome_needs_a_value_after(client, session, draft, english):
    response = client.post(
        f"/entries/{draft.id}/edit/outcomes",
        data={"version": draft.version, "outcomes-0-metric": "检出率", "outcomes-0-after": ""},
    )
    assert "Give the value after the change." in response.get_data(as_text=True)
    assert reload(session, draft).outcomes == []


LIMITED_FIELDS = [
    ("basics", "title"), ("basics", "summary"), ("solution", "problem"), ("solution", "solution"),
    ("solution", "deployment_scale"), ("solution", "investment_note"), ("outcomes", "replicability"),
    ("outcomes", "data_security"), ("contacts", "contact_name"), ("contacts", "contact_position"),
]


@pytest.mark.parametrize(("step", "name"), LIMITED_FIELDS)
def test_every_text_limit_is_enforced_and_shown(client, session, draft, english, step, name):
    limit, version, old = LIMITS[name], draft.version, getattr(draft, name)
    page = client.get(f"/entries/{draft.id}/edit/{step}").get_data(as_text=True)
    assert f'maxlength="{limit}"' in page and f"At most {limit} characters." in page

    response = client.post(f"/entries/{draft.id}/edit/{step}", data={"version": version, name: "字" * (limit + 1)})

    assert response.status_code == 200
    assert f"Field cannot be longer than {limit} characters." in response.get_data(as_text=True)
    entry = reload(session, draft)
    assert getattr(entry, name) == old and entry.version == version
    # Exactly at the limit is fine.
    response = client.post(f"/entries/{draft.id}/edit/{step}", data={"version": version, name: "字" * limit})
    assert response.status_code == 302 and getattr(reload(session, draft), name) == "字" * limit


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TEXT_FIELDS = [("basics", "title"), ("basics", "summary"), ("solution", "problem"), ("solution", "solution"),
               ("solution", "deployment_scale"), ("solution", "investment_note"), ("outcomes", "replicability"),
               ("outcomes", "data_security"), ("contacts", "contact_name"), ("contacts", "contact_position")]


@pytest.mark.parametrize(("step", "name"), TEXT_FIELDS)
def test_markup_in_any_text_field_is_stored_as_text_and_shown_escaped(client, session, draft, step, name):
    value = MARKUP[: LIMITS[name]]
    client.post(f"/entries/{draft.id}/edit/{step}", data={"version": draft.version, name: value})
    assert getattr(reload(session, draft), name) == value
    for page in (client.get(f"/entries/{draft.id}"), client.get(f"/entries/{draft.id}/edit/{step}")):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_autosave_returns_the_new_version(client, session, draft):
    version = draft.version
    response = client.post(f"/entries/{draft.id}/autosave/solution", data={"version": version, "problem": "痛点"})
    assert response.status_code == 200
    assert response.json["ok"] is True and response.json["changed"] == ["problem"]
    entry = reload(session, draft)
    assert (entry.problem, entry.version, response.json["version"]) == ("痛点", version + 1, version + 1)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "entry.autosaved")).one().after == {"problem": "痛点"}


def test_autosave_reports_invalid_fields_without_saving(client, session, draft):
    response = client.post(f"/entries/{draft.id}/autosave/basics", data=basics(version=draft.version, title="字" * 61))
    assert response.status_code == 422 and "title" in response.json["errors"]
    assert reload(session, draft).title == draft.title


def test_a_stale_version_is_refused_instead_of_overwriting(client, session, draft, english):
    opened = draft.version
    client.post(f"/entries/{draft.id}/autosave/solution", data={"version": opened, "problem": "同事写的"})

    # The other colleague's form still carries the version they opened.
    response = client.post(f"/entries/{draft.id}/autosave/solution", data={"version": opened, "problem": "我写的"})
    assert response.status_code == 409 and "changed this entry after you opened it" in response.json["message"]
    response = client.post(
        f"/entries/{draft.id}/edit/solution", data={"version": opened, "problem": "我写的"}, follow_redirects=True
    )
    assert "changed this entry after you opened it" in response.get_data(as_text=True)
    assert reload(session, draft).problem == "同事写的"


def test_the_form_carries_the_autosave_and_browser_copy_hooks(client, draft):
    page = client.get(f"/entries/{draft.id}/edit/basics").get_data(as_text=True)
    assert f'data-autosave-url="/entries/{draft.id}/autosave/basics"' in page
    assert f'data-storage-key="entry-{draft.id}-basics"' in page
    assert "/static/js/entry_form.js" in page


# --- photos -------------------------------------------------------------------


def upload_photo(client, entry, data, name="photo.jpg", caption=""):
    return client.post(
        f"/entries/{entry.id}/photos",
        data={"version": entry.version, "caption": caption, "photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_photo_upload_strips_metadata_and_makes_three_sizes(app, client, session, draft):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (22.0, 32.0, 10.0)}  # GPS
    exif[0x010F] = "CameraMaker"

    upload_photo(client, draft, jpeg_bytes(4000, 3000, (120, 80, 40), exif=exif.tobytes()), caption="产线全景")

    [photo] = reload(session, draft).photos
    assert (photo.caption, photo.width, photo.height) == ("产线全景", 3200, 2400)
    for size, longest in (("thumb", 400), ("display", 1600), ("master", 3200)):
        with client.get(f"/entries/{draft.id}/photos/{photo.id}/{size}.jpg") as response:
            assert response.mimetype == "image/jpeg"
            stored = Image.open(io.BytesIO(response.data))
            assert max(stored.size) == longest
            assert dict(stored.getexif()) == {} and "exif" not in stored.info


def test_png_and_webp_are_accepted_and_reencoded(client, session, draft):
    for fmt in ("PNG", "WEBP"):
        upload_photo(client, draft, image_bytes(300, 200, (0, 128, 0, 128), mode="RGBA", format=fmt), name=f"x.{fmt.lower()}")
        draft = reload(session, draft)
    assert len(draft.photos) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\0" * 100, "This file is not a JPEG, PNG or WebP image."),
        (b"MZ\x90\x00 an executable renamed to .jpg", "This file is not a JPEG, PNG or WebP image."),
        (jpeg_bytes()[:400], "The image file is damaged or incomplete."),
    ],
    ids=["gif", "renamed-exe", "truncated"],
)
def test_bad_photos_are_refused_with_a_message(client, session, draft, english, data, message):
    response = upload_photo(client, draft, data)
    assert message in response.get_data(as_text=True)
    entry = reload(session, draft)
    assert entry.photos == [] and entry.version == draft.version


def test_a_decompression_bomb_is_refused_before_decoding(client, session, draft, english):
    bomb = image_bytes(20000, 20000, 0, mode="1", format="PNG")  # 400 megapixels in ~50 KB
    response = upload_photo(client, draft, bomb, name="bomb.png")
    assert "megapixels" in response.get_data(as_text=True)
    assert reload(session, draft).photos == []


def test_a_photo_over_20_mb_is_refused(app, client, session, draft, english):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    try:
        response = upload_photo(client, draft, jpeg_bytes(2000, 2000))
    finally:
        app.config["MAX_UPLOAD_BYTES"] = 20 * 1024 * 1024
    assert "The file is larger than 0 MB." in response.get_data(as_text=True) or "larger than" in response.get_data(as_text=True)
    assert reload(session, draft).photos == []


def test_a_request_over_the_size_limit_gets_a_message_not_a_crash(app, client, session, draft, english):
    response = upload_photo(client, draft, b"\xff" * (22 * 1024 * 1024))
    assert "The file is larger than 20 MB." in response.get_data(as_text=True)
    assert reload(session, draft).photos == []


def test_at_most_six_photos(client, session, make, applicant, call, english):
    entry = make.entry(call=call, organisation=applicant.organisation, photos=6)
    response = upload_photo(client, entry, jpeg_bytes())
    assert "An entry has at most 6 photos." in response.get_data(as_text=True)
    assert len(reload(session, entry).photos) == 6


def test_photos_are_reordered_captioned_and_removed(app, client, session, make, applicant, call, runner):
    entry = make.entry(call=call, organisation=applicant.organisation, photos=3)
    first, second, third = entry.photos
    client.post(f"/entries/{entry.id}/photos/{third.id}", data={f"photo{third.id}-version": entry.version, f"photo{third.id}-caption": "封面", f"photo{third.id}-move": "-1"})
    entry = reload(session, entry)
    assert [p.id for p in entry.photos] == [first.id, third.id, second.id]
    assert entry.photos[1].caption == "封面"

    removed_keys = (first.master_key, first.display_key, first.thumb_key)
    client.post(f"/entries/{entry.id}/photos/{first.id}/delete", data={"version": entry.version})
    entry = reload(session, entry)
    assert [p.id for p in entry.photos] == [third.id, second.id] and [p.position for p in entry.photos] == [0, 1]
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_id == entry.id)).all()
    assert "entry.photo_updated" in actions and "entry.photo_removed" in actions
    # The blob stays until the sweep: another request may be storing the same bytes.
    with app.app_context():
        from app.storage import storage

        assert storage().exists(removed_keys[0])
    result = runner.invoke(args=["storage", "prune", "--older-than-hours", "0"])
    assert result.exit_code == 0 and "Removed" in result.output
    with app.app_context():
        assert not storage().exists(removed_keys[0])
        assert all(storage().exists(key) for photo in entry.photos for key in (photo.master_key, photo.thumb_key))


# --- attachments ----------------------------------------------------------------


def upload_pdf(client, entry, data, name="方案说明.pdf"):
    return client.post(
        f"/entries/{entry.id}/attachments",
        data={"version": entry.version, "document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_pdf_attachment_is_checked_stored_and_served_as_a_download(client, session, draft):
    upload_pdf(client, draft, pdf_bytes(3), name="../../etc/方案:说明.pdf")
    [attachment] = reload(session, draft).attachments
    assert (attachment.filename, attachment.pages) == ("方案说明.pdf", 3)
    with client.get(f"/entries/{draft.id}/attachments/{attachment.id}") as response:
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.data.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "This file is not a PDF document."),
        (b"%PDF-1.7\n garbage that is not a PDF at all", "The PDF file is damaged or incomplete and cannot be read."),
    ],
    ids=["html-renamed", "broken-pdf"],
)
def test_files_that_are_not_pdfs_are_refused(client, session, draft, english, data, message):
    response = upload_pdf(client, draft, data)
    assert message in response.get_data(as_text=True)
    assert reload(session, draft).attachments == []


# --- submit, withdraw, deadlines ------------------------------------------------------


def test_submit_lists_what_is_missing_step_by_step(client, session, draft, english):
    page = client.get(f"/entries/{draft.id}/edit/review").get_data(as_text=True)
    assert "Still missing before the entry can be submitted:" in page
    for expected in ("Basics", "Domain", "Problem and solution", "At least one quantified outcome", "At least one photo"):
        assert expected in page
    response = client.post(f"/entries/{draft.id}/submit", data={"version": draft.version}, follow_redirects=True)
    assert "The entry is not complete yet" in response.get_data(as_text=True)
    assert reload(session, draft).status == EntryStatus.DRAFT


def test_submitting_a_complete_entry_makes_it_read_only(client, session, make, applicant, call, english):
    entry = make.entry(call=call, organisation=applicant.organisation)
    response = client.post(f"/entries/{entry.id}/submit", data={"version": entry.version})
    assert response.headers["Location"] == f"/entries/{entry.id}"
    entry = reload(session, entry)
    assert entry.status == EntryStatus.SUBMITTED and entry.submitted_at is not None
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "entry.submitted")).one().after == {"status": "submitted"}

    response = client.post(f"/entries/{entry.id}/edit/basics", data=basics(version=entry.version, title="改标题"), follow_redirects=True)
    assert "This entry cannot be changed now" in response.get_data(as_text=True)
    assert reload(session, entry).title != "改标题"
    assert upload_photo(client, entry, jpeg_bytes()).status_code == 200
    assert len(reload(session, entry).photos) == 1


def test_after_the_deadline_nothing_can_be_submitted_or_changed(client, session, make, applicant, english):
    closed = make.call(open_phase=Phase.FORMAL_CHECK)
    entry = make.entry(call=closed, organisation=applicant.organisation)
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "The submission phase is closed: this draft can no longer be changed or submitted." in page
    response = client.post(f"/entries/{entry.id}/submit", data={"version": entry.version}, follow_redirects=True)
    assert "The submission phase is closed" in response.get_data(as_text=True)
    client.post(f"/entries/{entry.id}/autosave/solution", data={"version": entry.version, "problem": "迟到"})
    entry = reload(session, entry)
    assert (entry.status, entry.problem) == (EntryStatus.DRAFT, "人工目检效率低、漏检率高。")


def test_withdraw_before_review_but_not_after(client, session, make, applicant, english):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    entry = make.entry(call=call, organisation=applicant.organisation, status=EntryStatus.SUBMITTED)
    client.post(f"/entries/{entry.id}/withdraw", data={"version": entry.version})
    assert reload(session, entry).status == EntryStatus.WITHDRAWN

    in_review = make.call(open_phase=Phase.REVIEW)
    late = make.entry(call=in_review, organisation=applicant.organisation, status=EntryStatus.ELIGIBLE)
    response = client.post(f"/entries/{late.id}/withdraw", data={"version": late.version}, follow_redirects=True)
    assert "The expert review has started" in response.get_data(as_text=True)
    assert reload(session, late).status == EntryStatus.ELIGIBLE


def test_a_returned_entry_is_revised_and_resubmitted_before_its_deadline(app, client, session, make, applicant, english):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    entry = make.entry(call=call, organisation=applicant.organisation, status=EntryStatus.SUBMITTED)
    chair = make.chair()
    now = utcnow()
    with app.test_request_context():
        transition(session, entry=entry, target=EntryStatus.RETURNED, actor=chair, now=now, reason="请补充投资说明",
                   revision_deadline=now + timedelta(days=2))
    session.commit()

    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "请补充投资说明" in page and "Revise and resubmit" in page
    entry = reload(session, entry)
    client.post(f"/entries/{entry.id}/edit/solution", data={"version": entry.version, "investment": "900", "investment_note": "含硬件", "problem": entry.problem, "solution": entry.solution, "deployment_scale": entry.deployment_scale, "deployment_start": "2024-03-01"})
    entry = reload(session, entry)
    client.post(f"/entries/{entry.id}/submit", data={"version": entry.version})
    entry = reload(session, entry)
    assert (entry.status, entry.investment, entry.revision_deadline) == (EntryStatus.SUBMITTED, 900.0, None)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "entry.resubmitted")).one()


def test_a_returned_entry_cannot_be_resubmitted_after_its_deadline(client, session, make, applicant, english):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    entry = make.entry(call=call, organisation=applicant.organisation, status=EntryStatus.RETURNED,
                       revision_deadline=utcnow() - timedelta(minutes=1), check_reason="补材料")
    response = client.post(f"/entries/{entry.id}/submit", data={"version": entry.version}, follow_redirects=True)
    assert "The deadline for resubmitting this entry has passed." in response.get_data(as_text=True)
    assert reload(session, entry).status == EntryStatus.RETURNED


def test_history_groups_typing_and_lists_the_steps(client, session, draft, english):
    for text in ("一", "一二", "一二三"):
        version = reload(session, draft).version
        client.post(f"/entries/{draft.id}/autosave/solution", data={"version": version, "problem": text})
    page = client.get(f"/entries/{draft.id}").get_data(as_text=True)
    history = page[page.index("History</h2>"):]
    assert history.count("Edited") == 1 and "（Problem solved）" in history


def test_only_drafts_never_submitted_can_be_deleted(client, session, draft, make, applicant, call):
    draft_id = draft.id
    client.post(f"/entries/{draft_id}/delete", data={"version": draft.version})
    session.expire_all()
    assert session.exec(select(Entry).where(Entry.id == draft_id)).first() is None
    submitted = make.entry(call=call, organisation=applicant.organisation, status=EntryStatus.SUBMITTED)
    client.post(f"/entries/{submitted.id}/delete", data={"version": submitted.version})
    assert reload(session, submitted).status == EntryStatus.SUBMITTED


def test_forged_csrf_token_changes_nothing(client, session, draft, csrf):
    response = client.post(f"/entries/{draft.id}/edit/basics", data=basics(version=draft.version, csrf_token="forged"))
    assert response.status_code == 400
    response = client.post(f"/entries/{draft.id}/autosave/basics", data=basics(version=draft.version, csrf_token="forged"))
    assert response.status_code == 400
    assert reload(session, draft).title == draft.title


def test_dashboard_lists_the_organisations_entries_with_status_meanings(client, make, applicant, call, english):
    make.entry(call=call, organisation=applicant.organisation, title="甲场景", status=EntryStatus.SUBMITTED)
    colleague_entry = make.entry(call=call, organisation=applicant.organisation, title="乙场景")
    make.entry(call=call, title="别家场景")
    page = client.get("/entries/").get_data(as_text=True)
    assert "甲场景" in page and "乙场景" in page and "别家场景" not in page
    assert "Sent for the formal check; it can no longer be edited." in page
    assert f"/entries/{colleague_entry.id}" in client.get("/dashboard").get_data(as_text=True)


def test_pending_and_declined_members_do_not_see_the_entry_list(client, login, make, call):
    organisation = make.organisation()
    make.entry(call=call, organisation=organisation, title="内部场景")
    for membership in (Membership.PENDING, Membership.REJECTED):
        login(make.applicant(organisation=organisation, membership=membership))
        response = client.get("/entries/")
        assert response.status_code == 403 and "内部场景" not in response.get_data(as_text=True)
        client.post("/account/logout")


def test_a_save_without_the_loaded_version_is_refused(client, session, draft):
    old_title = draft.title
    response = client.post(f"/entries/{draft.id}/autosave/basics", data=basics())
    assert response.status_code == 409
    assert reload(session, draft).title == old_title


def test_a_jpeg_comment_does_not_survive_the_upload(client, session, draft):
    upload_photo(client, draft, jpeg_bytes(600, 400, (10, 20, 30), comment=b"GPS 22.5,113.9 home of Zhang San"))
    [photo] = reload(session, draft).photos
    for size in ("thumb", "display", "master"):
        with client.get(f"/entries/{draft.id}/photos/{photo.id}/{size}.jpg") as response:
            assert b"Zhang San" not in response.data and b"GPS" not in response.data
