"""Certificates: the chair's settings, issuing for the official list, the
background build (PDF with the data and a QR code to the verification
page, the zip of all), downloads by the organisation only, the public
verification page, and revocation when a newer official list drops an entry."""
import io
import re
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlmodel import select

from app.certificates import serials
from app.certificates.services import certificate_blobs, revoke_dropped
from app.db import utcnow
from app.enums import Domain
from app.models import AuditEvent, Certificate, CertificateBuild, Notification
from tests.factories import image_bytes
from tests.factories.lists import official_list

ISSUER = "广东省人工智能应用场景征集工作办公室"
ROWS = [("manufacturing", "440300", True), ("healthcare", "440100", True), ("city", "440600", False)]


def _listed(make, **fields):
    call, run, entries = official_list(make, rows=ROWS, name="2026年人工智能应用场景征集", year=2026, **fields)
    call.certificate_issuer = ISSUER
    make.session.add(call)
    make.session.commit()
    return call, run, entries


def _issue(client, call):
    return client.post(f"/certificates/calls/{call.id}/issue")


def _certificates(session, call):
    session.expire_all()
    return session.exec(select(Certificate).where(Certificate.call_id == call.id).order_by(Certificate.entry_id)).all()


def _blob(key: str) -> bytes:
    with STORE[0].open(key) as file:
        return file.read()


STORE: list = []


@pytest.fixture(autouse=True)
def _storage(app):
    """The app's blob storage, for reading what was stored."""
    STORE[:] = [app.extensions["storage"]]


def _qr_text(pdf: bytes, tmp_path) -> str:
    """The QR code on the PDF's page, decoded from the rendered page (pdftoppm, then zbarimg)."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm and zbarimg are needed to decode the QR code")
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "page")],
                   check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    return found.stdout.strip()


# --- serials ---------------------------------------------------------------------------------


def test_serials_are_random_grouped_unique_and_not_sequential():
    made = [serials.new_serial() for _ in range(2000)]
    assert len(set(made)) == len(made)
    assert all(re.fullmatch(r"([2-9A-HJ-NP-Z]{4}-){3}[2-9A-HJ-NP-Z]{4}", serial) for serial in made)
    values = sorted(int("".join(str(serials.ALPHABET.index(c)).zfill(2) for c in s.replace("-", ""))) for s in made)
    assert min(b - a for a, b in zip(values, values[1:])) > 1  # no two serials follow each other
    assert serials.normalise(made[0].lower().replace("-", " ")) == made[0]
    assert serials.normalise("0000-1111-OOOO-IIII") is None and serials.normalise("ABC") is None


# --- settings ----------------------------------------------------------------------------------


def test_chair_sets_the_issuer_and_a_transparent_seal_that_is_re_encoded(client, session, login, make):
    call, _run, _entries = _listed(make)
    chair = login(make.chair())
    seal = image_bytes(300, 300, (200, 0, 0, 0), mode="RGBA", format="PNG")
    response = client.post(f"/certificates/calls/{call.id}/settings",
                           data={"issuer": "省工信厅", "seal": (io.BytesIO(seal), "seal.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    session.refresh(call)
    assert call.certificate_issuer == "省工信厅" and call.certificate_seal_key.endswith(".png")
    stored = Image.open(io.BytesIO(_blob(call.certificate_seal_key)))
    assert stored.mode == "RGBA" and stored.getchannel("A").getextrema() == (0, 0)  # transparency kept
    assert call.certificate_seal_key in certificate_blobs(session)  # kept by `flask storage prune`
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "certificates.settings_updated")).all()
    assert event.actor_id == chair.id and event.after["issuer"] == "省工信厅"

    photo = image_bytes(200, 200, (10, 20, 30), format="JPEG")
    client.post(f"/certificates/calls/{call.id}/settings", data={"issuer": "省工信厅", "seal": (io.BytesIO(photo), "s.jpg")},
                content_type="multipart/form-data")
    session.refresh(call)
    assert call.certificate_seal_key.endswith(".jpg")


def test_a_bad_seal_is_refused_with_a_message_and_nothing_changes(client, session, login, make):
    call, _run, _entries = _listed(make)
    login(make.chair())
    for data, name in [(b"%PDF-1.4 not an image", "seal.png"), (image_bytes(50, 50, format="GIF"), "seal.gif"),
                       (image_bytes(400, 400, format="PNG")[:300], "cut.png")]:
        page = client.post(f"/certificates/calls/{call.id}/settings", data={"issuer": "别的单位", "seal": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
        assert page.status_code == 400, name
        assert "印章必须是 PNG 或 JPEG 图片" in page.get_data(as_text=True)
    session.refresh(call)
    assert (call.certificate_issuer, call.certificate_seal_key) == (ISSUER, None)
    assert not session.exec(select(AuditEvent).where(AuditEvent.action == "certificates.settings_updated")).all()
    page = client.post(f"/certificates/calls/{call.id}/settings", data={"issuer": ""})
    assert page.status_code == 400 and "发证单位" in page.get_data(as_text=True)


# --- issuing and building ------------------------------------------------------------------------


def test_chair_issues_the_official_list_and_the_job_builds_pdfs_and_the_zip(client, session, login, make, tmp_path, app):
    call, run, entries = _listed(make)
    members = [make.applicant(organisation=entries[0].organisation), make.applicant(organisation=entries[0].organisation)]
    login(make.chair())
    response = _issue(client, call)
    assert response.status_code == 302

    certificates = _certificates(session, call)
    assert [c.entry_id for c in certificates] == [entries[0].id, entries[1].id]  # the selected ones only
    assert len({c.serial for c in certificates}) == 2
    build = session.exec(select(CertificateBuild).where(CertificateBuild.call_id == call.id)).one()
    assert (build.status, build.done, build.total) == ("done", 2, 2)
    first = certificates[0]
    assert (first.run_id, first.organisation_name, first.domain, first.year, first.issuer) == (
        run.id, entries[0].organisation.name, Domain.MANUFACTURING, 2026, ISSUER)
    assert first.file_key and first.built_at

    pdf = _blob(first.file_key)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert width > height and round(float(width) / 72 * 25.4) == 297  # A4 landscape
    text = reader.pages[0].extract_text().replace("\n", "").replace(" ", "")
    for printed in ("2026年人工智能应用场景征集", entries[0].organisation.name, entries[0].title, "智能制造", "2026",
                    first.serial, ISSUER, f"{first.issued_on.year}年{first.issued_on.month}月{first.issued_on.day}日"):
        assert printed.replace(" ", "") in text, printed
    assert _qr_text(pdf, tmp_path) == f"{app.config['BASE_URL'].rstrip('/')}/verify/{first.serial}"

    with zipfile.ZipFile(io.BytesIO(_blob(build.zip_key))) as bundle:
        assert sorted(bundle.namelist()) == sorted(f"{c.serial}-{c.entry_id}.pdf" for c in certificates)
        assert bundle.read(f"{first.serial}-{first.entry_id}.pdf") == pdf
    zipped = client.get(f"/certificates/calls/{call.id}/all.zip")
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip" and zipped.data == _blob(build.zip_key)
    zipped.close()

    page = client.get(f"/certificates/?call={call.id}").get_data(as_text=True)
    assert first.serial in page and "已全部生成 2 份证书" in page
    told = session.exec(select(Notification).where(Notification.kind == "certificate.ready")).all()
    assert sorted(n.user_id for n in told) == sorted(m.id for m in members)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.action.like("certificate%"))
                           .order_by(AuditEvent.id)).all()
    assert actions == ["certificates.issued", "certificates.build_started", "certificates.built",
                       "certificates.downloaded"]


def test_issuing_again_keeps_the_serials(client, session, login, make):
    call, _run, _entries = _listed(make)
    login(make.chair())
    _issue(client, call)
    before = {c.entry_id: (c.serial, c.issued_on) for c in _certificates(session, call)}
    _issue(client, call)
    assert {c.entry_id: (c.serial, c.issued_on) for c in _certificates(session, call)} == before
    assert session.exec(select(CertificateBuild).where(CertificateBuild.call_id == call.id,
                                                       CertificateBuild.status == "done")).all().__len__() == 2


def test_issuing_is_refused_without_an_official_list_or_an_issuer(client, session, login, make):
    login(make.chair())
    _call, proposed, _entries = official_list(make, rows=ROWS, list_kind="proposed")
    page = client.post(f"/certificates/calls/{proposed.call_id}/issue", follow_redirects=True)
    assert "尚无正式名单" in page.get_data(as_text=True)
    call, _run, _entries = official_list(make, rows=ROWS)
    page = client.post(f"/certificates/calls/{call.id}/issue", follow_redirects=True)
    assert "请先设置" in page.get_data(as_text=True)
    assert not session.exec(select(Certificate)).all()


# --- who may download ------------------------------------------------------------------------------


def test_only_the_organisations_members_download_their_certificate(client, session, login, make):
    call, _run, entries = _listed(make)
    login(make.chair())
    _issue(client, call)
    certificate = _certificates(session, call)[0]
    client.post("/account/logout")

    assert client.get(f"/certificate/{certificate.id}.pdf").status_code == 302  # to the login page
    for outsider in (make.applicant(), make.applicant(organisation=entries[1].organisation), make.expert(),
                     make.staff(*[__import__("app.enums", fromlist=["Role"]).Role.PUBLICITY])):
        login(outsider)
        assert client.get(f"/certificate/{certificate.id}.pdf").status_code == 403
        assert client.get(f"/certificates/calls/{call.id}/all.zip").status_code == 403
        client.post("/account/logout")

    member = login(make.applicant(organisation=entries[0].organisation))
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f"/certificate/{certificate.id}.pdf" in dashboard and certificate.serial in dashboard
    entry_page = client.get(f"/entries/{entries[0].id}").get_data(as_text=True)
    assert f"/certificate/{certificate.id}.pdf" in entry_page
    download = client.get(f"/certificate/{certificate.id}.pdf")
    assert download.status_code == 200 and download.data == _blob(certificate.file_key)
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "certificate.downloaded")).all()
    assert event.actor_id == member.id


# --- verification and revocation ------------------------------------------------------------------------


def test_the_public_verification_page_shows_the_data_or_not_found(client, session, login, make):
    call, _run, entries = _listed(make)
    login(make.chair())
    _issue(client, call)
    client.post("/account/logout")
    certificate = _certificates(session, call)[0]

    page = client.get(f"/verify/{certificate.serial}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in ("有效", certificate.serial, entries[0].organisation.name, entries[0].title, "智能制造", ISSUER,
                  "2026年人工智能应用场景征集"):
        assert shown in text, shown
    typed = client.get(f"/verify/{certificate.serial.lower().replace('-', '')}")
    assert typed.status_code == 200 and certificate.serial in typed.get_data(as_text=True)

    missing = client.get("/verify/ABCD-EFGH-JKLM-NPQR")
    assert missing.status_code == 404 and "未找到" in missing.get_data(as_text=True)
    assert client.get("/verify/<script>").status_code == 404


def test_verification_is_rate_limited(client, make):
    answers = [client.get("/verify/ABCD-EFGH-JKLM-NPQR").status_code for _ in range(121)]
    assert answers[:120] == [404] * 120 and answers[120] == 429


def test_a_newer_official_list_that_drops_an_entry_revokes_its_certificate(client, session, login, make, app):
    call, _run, entries = _listed(make)
    chair = login(make.chair())
    _issue(client, call)
    kept, dropped = _certificates(session, call)

    # A proposed list changes nothing; the official list after the notice drops the second entry.
    _c, proposed, _e = official_list(make, call=call, entries=entries, selected={0}, list_kind="proposed")
    with app.app_context():
        assert revoke_dropped(session, run=proposed, actor=chair, now=utcnow()) == []
    _c, official, _e = official_list(make, call=call, entries=entries, selected={0, 2}, list_kind="official",
                                     withdrawn={1: "经核查，申报材料数据不实"})
    now = utcnow() + timedelta(seconds=1)
    with app.app_context():
        revoked = revoke_dropped(session, run=official, actor=chair, now=now)
        session.commit()
    assert [c.id for c in revoked] == [dropped.id]
    session.refresh(dropped)
    session.refresh(kept)
    assert kept.valid and dropped.revoked_at is not None
    assert dropped.revoked_reason == "已从正式名单中撤销：经核查，申报材料数据不实"
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "certificate.revoked")).all()
    assert event.object_id == dropped.id

    page = client.get(f"/verify/{dropped.serial}").get_data(as_text=True)
    assert "已撤销" in page and f"{now.year}年" in page and "经核查，申报材料数据不实" in page
    client.post("/account/logout")
    login(make.applicant(organisation=entries[1].organisation))
    assert client.get(f"/certificate/{dropped.id}.pdf").status_code == 404

    # Issuing for the new list keeps the kept serial and gives the entry that moved up a new one.
    client.post("/account/logout")
    login(chair)
    _issue(client, call)
    after = {c.entry_id: c for c in _certificates(session, call)}
    assert after[entries[0].id].serial == kept.serial and after[entries[2].id].valid
    assert not after[entries[1].id].valid


def test_publishing_results_revokes_the_certificates_the_new_list_drops(make, session, app):
    from app.results.publishing import publish

    scored = make.published_library()
    call = scored.call
    call.certificate_issuer = ISSUER
    session.add(call)
    session.commit()
    with app.test_request_context():
        from app.certificates.services import issue

        issue(session, call=call, actor=scored.chair, now=utcnow())
        session.commit()
    assert len(_certificates(session, call)) == 5
    run = scored.compute()
    from app.models import ResultEntry

    row = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.selected.is_(True))
                       .order_by(ResultEntry.rank.desc())).first()
    row.selected = False
    session.add(row)
    session.commit()
    with app.test_request_context():
        publish(session, run=run, actor=scored.chair, now=utcnow(), public_scores=True, early=True)
        session.commit()
    revoked = [c for c in _certificates(session, call) if not c.valid]
    assert [c.entry_id for c in revoked] == [row.entry_id]
