"""Running a certificate build, outside any request: the body of the job
(:mod:`app.certificates.tasks`) that ``flask worker`` runs.

Like the brochure's worker, it works in short transactions of its own, so
the certificates page can show the progress while it runs: claiming the
queued build (once), recording each certificate's PDF as it is stored (its
blob key, the time, the count done), then the zip of all and the end,
done or failed with a reason people can read. Each PDF is a blob of the
storage (content-addressed): a failed build leaves the certificates it
already finished usable and nothing half written.
"""
import io
import logging
import zipfile

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.accounts.services import active_members
from app.audit.services import record
from app.calls.services import get_call
from app.db import db, utcnow
from app.errors import DomainError
from app.models import Certificate
from app.models.certificates import CertificateBuild
from app.notifications.services import notify
from app.storage import storage
from app.urls import site_path

log = logging.getLogger(__name__)


def fail(build_id: int, message: str) -> None:
    """Mark a queued or running build failed with ``message`` (a finished one is left alone)."""
    with db.separate_transaction() as session:
        build = session.get(CertificateBuild, build_id)
        if build is None or build.status not in ("queued", "running"):
            return
        before = build.status
        build.status, build.error, build.finished_at = "failed", message, utcnow()
        session.add(build)
        session.flush()
        record(session, actor=None, action="certificates.build_failed", obj=build, before={"status": before},
               after={"status": "failed", "error": message})


def _claim(build_id: int) -> list[int] | None:
    """Move a queued build to running (once); the ids of the certificates it builds."""
    with db.separate_transaction() as session:
        build = session.get(CertificateBuild, build_id)
        if build is None:
            return None
        ids = list(session.exec(select(Certificate.id).where(Certificate.call_id == build.call_id,
                                                             Certificate.revoked_at.is_(None))
                                .order_by(Certificate.id)).all())
        claimed = session.execute(
            sa.update(CertificateBuild)
            .where(CertificateBuild.id == build_id, CertificateBuild.status == "queued")
            .values(status="running", started_at=utcnow(), total=len(ids), done=0)
        ).rowcount
        return ids if claimed else None


def _store_one(build_id: int, certificate_id: int, seal_key: str | None) -> tuple[str, bytes]:
    """Render and store one certificate's PDF, record it and the progress; (its name in the zip, its bytes)."""
    from app.certificates.render import certificate_pdf  # WeasyPrint: loaded by the worker only

    certificate = db.session.get(Certificate, certificate_id)
    data = certificate_pdf(certificate, seal_key=seal_key)
    key = storage().put(data, suffix=".pdf")
    name = f"{certificate.serial}-{certificate.entry_id}.pdf"
    db.session.rollback()  # end the read transaction before writing in our own
    with db.separate_transaction() as session:
        row = session.get(Certificate, certificate_id, with_for_update=True)
        first = row.built_at is None
        row.file_key, row.built_at = key, utcnow()
        session.add(row)
        session.execute(sa.update(CertificateBuild).where(CertificateBuild.id == build_id)
                        .values(done=CertificateBuild.done + 1))
        if first:
            _tell_members(session, row)
    return name, data


def _tell_members(session: Session, certificate: Certificate) -> None:
    """The organisation's members learn that their certificate can be downloaded."""
    link = site_path("entries.detail", entry_id=certificate.entry_id)
    for member in active_members(session, certificate.organisation_id):
        notify(session, user=member, kind="certificate.ready", params={
            "entry_id": certificate.entry_id, "title": certificate.title, "call": certificate.call_title,
            "serial": certificate.serial}, link=link)


def run_build(build_id: int) -> None:
    """The job: build the PDFs of a queued build's certificates and the zip
    of all (needs an app context; no request). It never leaves the build
    running: any error ends it as failed with the reason."""
    ids = _claim(build_id)
    if ids is None:
        log.info("Certificate build %s is not waiting to run; skipped.", build_id)
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            build = db.session.get(CertificateBuild, build_id)
            call = get_call(db.session, build.call_id)
            seal_key = call.certificate_seal_key
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                for certificate_id in ids:
                    name, data = _store_one(build_id, certificate_id, seal_key)
                    bundle.writestr(name, data)
            zip_key = storage().put(archive.getvalue(), suffix=".zip")
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the build
            db.session.rollback()
            log.exception("Certificate build %s failed", build_id)
            text = str(error.message) if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
            fail(build_id, _("The build stopped with an error: %(error)s", error=text[:500]))
            return
        db.session.rollback()
        with db.separate_transaction() as session:
            row = session.get(CertificateBuild, build_id, with_for_update=True)
            row.status, row.zip_key, row.finished_at, row.error = "done", zip_key, utcnow(), None
            session.add(row)
            session.flush()
            record(session, actor=None, action="certificates.built", obj=row, before={"status": "running"},
                   after={"status": "done", "certificates": len(ids), "zip_key": zip_key})
