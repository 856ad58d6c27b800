"""Sites for the backup tests: an app on a database and folders of its own,
with committed data (a backup reads what is committed, and ``pg_dump`` runs
in a process of its own), and what the tests compare between two sites.

``fill_site`` loads the demo (``flask demo load``) and adds a few rows of
each table the demo leaves empty, an attachment, a built brochure file and
values that test the dump's normalisation (microseconds, an infinite
figure, floats that print long), so that every table has rows."""
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlmodel import Session, select

from app import create_app
from app.backup.dump import TableDigest, consistent_read, database_digests
from app.backup.services import brochure_files
from app.db import utcnow
from app.enums import BrochureStatus, MailStatus, SessionEnd, TokenPurpose
from app.models import (
    Brochure,
    Certificate,
    CertificateBuild,
    Entry,
    EntryOutcome,
    Notification,
    Objection,
    ObjectionFile,
    ObjectionNote,
    ObjectionQuestion,
    OutgoingMail,
    PasswordHistory,
    PendingRegistration,
    RecoveryCode,
    ResultRun,
    SiteSetting,
    User,
    UserSession,
    UserToken,
    WorkerHeartbeat,
)
from app.storage import storage
from tests.conftest import make_test_config
from tests.factories import Factories, pdf_bytes


def site_app(url: str, folder: Path, **config) -> Flask:
    """An app on database ``url`` with its folders below ``folder``, in English."""
    folder.mkdir(parents=True, exist_ok=True)
    return create_app(make_test_config(url, folder, BABEL_DEFAULT_LOCALE="en", WTF_CSRF_ENABLED=False, **config))


def plain_session(app: Flask) -> Session:
    """A session of the site's database for arranging and checking data: a
    plain one, as the ``session`` fixture (the app's own raise on unplanned lazy loads)."""
    return Session(**app.extensions["db"].sessionmaker.kw)


def close_site(app: Flask) -> None:
    app.extensions["db"].engine.dispose()


def fill_site(app: Flask) -> None:
    """The demo, and a few rows in every table it leaves empty (see the module)."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    session = plain_session(app)
    make = Factories(session, app)
    now = utcnow().replace(microsecond=123456)
    chair = session.exec(select(User).where(User.email == "chair@demo.local")).one()
    entry = session.exec(select(Entry).order_by(Entry.id)).first()
    make.attachment(entry, filename="方案说明.pdf", data=pdf_bytes(2))
    entry.investment = 0.1 + 0.2  # 0.30000000000000004: a float that prints long
    entry.outcomes.append(EntryOutcome(position=len(entry.outcomes), metric="极值", before=None, after=float("inf"),
                                       unit="%"))
    run = session.exec(select(ResultRun).where(ResultRun.published_at.is_not(None))).first()
    file_key = f"call-{run.call_id}/brochure-screen.pdf"
    brochure = Brochure(call_id=run.call_id, snapshot_id=run.id, options={"profile": "screen", "title": "案例集"},
                        status=BrochureStatus.DONE, progress={"done": 3, "total": 3}, file_key=file_key,
                        pages=2, size_bytes=0, created_by_id=chair.id, created_at=now, finished_at=now)
    data = pdf_bytes(2)
    brochure.size_bytes = len(data)
    path = Path(app.config["BROCHURE_FOLDER"]) / file_key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    session.add_all([
        entry, brochure,
        PasswordHistory(user_id=chair.id, password_hash="scrypt:old-hash", created_at=now),
        PendingRegistration(token_hash="a" * 64, email="new@example.com", organisation_name="新申报单位有限公司",
                            credit_code="91440300000000001X", city_code="440300", contact_name="李雷",
                            password_hash="scrypt:pending", expires_at=now + timedelta(hours=48)),
        SiteSetting(key="site_name", value="场景示范案例库（演练）", updated_by_id=chair.id),
        RecoveryCode(user_id=chair.id, code_hash="b" * 64, created_at=now),
        UserSession(user_id=chair.id, token_hash="c" * 64, created_at=now, last_seen_at=now, ended_at=now,
                    end_reason=SessionEnd.LOGOUT, ip_address="127.0.0.1", user_agent="pytest"),
        UserToken(user_id=chair.id, purpose=TokenPurpose.PASSWORD_RESET, token_hash="d" * 64,
                  expires_at=now + timedelta(hours=2)),
        OutgoingMail(recipient="expert01@demo.local", subject="评审提醒", status=MailStatus.QUEUED, created_at=now,
                     next_attempt_at=now, message="Subject: 评审提醒\r\n\r\n请于截止前提交。\r\n".encode() + bytes(range(256))),
        OutgoingMail(recipient="chair@demo.local", subject="sent", status=MailStatus.SENT, attempts=1, created_at=now,
                     next_attempt_at=now, sent_at=now),
        WorkerHeartbeat(host="backup-drill", pid=4242, started_at=now, beat_at=now),
        Notification(user_id=chair.id, kind="results_ready", params={"call": "演练批次", "count": 3},
                     link=f"/results/?call={run.call_id}", created_at=now),
    ])
    _fill_official_list_tables(session, make, run=run, entry=entry, chair=chair, now=now)
    session.commit()
    session.close()


def _fill_official_list_tables(session, make, *, run, entry, chair, now) -> None:
    """An objection note, a question with a file and a certificate build
    (the demo has rounds, a notice and certificates, but none of these)."""
    objection = session.exec(select(Objection).order_by(Objection.id)).first()
    question = ObjectionQuestion(objection_id=objection.id, question="请说明", asked_by_id=chair.id, asked_at=now,
                                 due_at=now + timedelta(days=3))
    session.add_all([question, ObjectionNote(objection_id=objection.id, author_id=chair.id, body="已核查")])
    session.flush()
    with make.app.app_context():
        blob_key = storage().put(pdf_bytes(1), suffix=".pdf")
    certificate = session.exec(select(Certificate).order_by(Certificate.id)).first()
    session.add_all([
        ObjectionFile(objection_id=objection.id, question_id=question.id, kind="pdf", filename="说明.pdf",
                      blob_key=blob_key, size=1, created_at=now),
        CertificateBuild(call_id=certificate.call_id, status="done", total=1, done=1, created_by_id=chair.id),
    ])


def table_digests(app: Flask) -> list[TableDigest]:
    with app.app_context(), consistent_read(app.extensions["db"].engine) as connection:
        return database_digests(connection)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(app: Flask) -> dict[str, str]:
    """Every upload and brochure of the site: name → SHA-256 of its bytes."""
    with app.app_context():
        blobs = storage()
        files = {}
        for blob in blobs.blobs():
            with blobs.open(blob.key) as source:
                files[f"uploads/{blob.key}"] = _sha256(source.read())
        for name, path in brochure_files():
            files[f"brochures/{name}"] = _sha256(path.read_bytes())
        return files


def published_runs(app: Flask) -> list[ResultRun]:
    session = app.extensions["db"].sessionmaker()
    try:
        return list(session.exec(select(ResultRun).where(ResultRun.published_at.is_not(None))).all())
    finally:
        session.close()


def read_member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        return tar.extractfile(name).read()


def manifest_of(archive: Path) -> dict:
    return json.loads(read_member(archive, "manifest.json"))


def rewrite_archive(source: Path, target: Path, *, members: dict[str, bytes] | None = None,
                    manifest: Callable[[dict], None] | None = None, rehash: bool = False) -> Path:
    """A copy of the archive ``source`` with some members' bytes replaced and
    its manifest edited by ``manifest(dict)``; with ``rehash`` the manifest's
    checksums follow the new bytes (a consistent archive with other data),
    without it they do not (a tampered archive)."""
    members = members or {}
    with tarfile.open(source) as old, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as new:
        document = json.loads(old.extractfile("manifest.json").read())
        for member in old.getmembers():
            if member.name == "manifest.json":
                continue
            data = members.get(member.name, old.extractfile(member).read())
            if rehash:
                document["files"][member.name] = {"sha256": _sha256(data), "size": len(data)}
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
        if manifest is not None:
            manifest(document)
        data = json.dumps(document).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        new.addfile(info, io.BytesIO(data))
    return target
