"""Certificates on the request side: the call's certificate settings,
issuing them for the official list, revoking those a newer official list
drops, starting a build, and the look-ups the pages need.

Services add and flush; the caller commits. A build is handed to the job
queue after the commit (:func:`enqueue`, registered with ``db.after_commit``)
and runs in :mod:`app.certificates.worker`.
"""
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.audit.services import record
from app.calls.services import lock_call
from app.certificates import tasks, worker
from app.certificates.seal import process_seal
from app.certificates.serials import new_serial, normalise
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import Call, Certificate, ResultEntry, ResultRun
from app.models.certificates import CertificateBuild
from app.ops import health
from app.programme.lists import is_official, listed_rows, official_run
from app.storage import storage

log = logging.getLogger(__name__)

#: A queued or running build with no progress for this long was interrupted: it no longer blocks a new one.
STALE_AFTER = timedelta(minutes=30)
ACTIVE = ("queued", "running")
ISSUER_MAX = 200


# --- reading -----------------------------------------------------------------------


def call_certificates(session: Session, *, call: Call) -> list[Certificate]:
    """The call's certificates, valid ones first, then by organisation and title."""
    rows = session.exec(select(Certificate).where(Certificate.call_id == call.id)).all()
    return sorted(rows, key=lambda row: (row.revoked_at is not None, row.organisation_name, row.title, row.id))


def by_serial(session: Session, serial: str) -> Certificate | None:
    """The certificate with ``serial`` (as typed: any case, dashes optional), if any."""
    printed = normalise(serial)
    if printed is None:
        return None
    return session.exec(select(Certificate).where(Certificate.serial == printed)).first()


def organisation_certificates(session: Session, *, organisation_id: int) -> list[Certificate]:
    """An organisation's certificates whose PDF is built (valid and revoked), newest first."""
    return list(session.exec(
        select(Certificate)
        .where(Certificate.organisation_id == organisation_id, Certificate.file_key.is_not(None))
        .order_by(Certificate.year.desc(), Certificate.id.desc())
    ).all())


def entry_certificates(session: Session, *, entry_id: int) -> list[Certificate]:
    """The entry's built certificates (one per call it was listed in)."""
    return list(session.exec(
        select(Certificate).where(Certificate.entry_id == entry_id, Certificate.file_key.is_not(None))
        .order_by(Certificate.id.desc())
    ).all())


def latest_build(session: Session, *, call: Call) -> CertificateBuild | None:
    return session.exec(
        select(CertificateBuild).where(CertificateBuild.call_id == call.id).order_by(CertificateBuild.id.desc())
    ).first()


def last_zip(session: Session, *, call: Call) -> CertificateBuild | None:
    """The call's newest finished build with its zip of all certificates."""
    return session.exec(
        select(CertificateBuild)
        .where(CertificateBuild.call_id == call.id, CertificateBuild.status == "done",
               CertificateBuild.zip_key.is_not(None))
        .order_by(CertificateBuild.id.desc())
    ).first()


def certificate_blobs(session: Session) -> set[str]:
    """The stored blobs certificates refer to (PDFs, zips, seals), which ``flask storage prune`` must keep."""
    keys = set(session.exec(select(Certificate.file_key).where(Certificate.file_key.is_not(None))).all())
    keys |= set(session.exec(select(CertificateBuild.zip_key).where(CertificateBuild.zip_key.is_not(None))).all())
    keys |= set(session.exec(select(Call.certificate_seal_key).where(Call.certificate_seal_key.is_not(None))).all())
    return keys


# --- the call's settings -------------------------------------------------------------------


def update_settings(session: Session, *, call: Call, actor, issuer: str, seal: bytes | None = None,
                    remove_seal: bool = False) -> bool:
    """Set the issuing body printed on ``call``'s certificates and, with
    ``seal`` (an uploaded PNG or JPEG), its seal image, checked and
    re-encoded (:mod:`app.certificates.seal`); ``remove_seal`` drops it.
    Returns whether anything changed (then audited). Certificates already
    issued keep their issuer until they are issued again."""
    issuer = (issuer or "").strip()
    if not issuer:
        raise DomainError(_l("Give the issuing body printed on the certificates."))
    if len(issuer) > ISSUER_MAX:
        raise DomainError(_l("The issuing body can have at most %(n)s characters.", n=ISSUER_MAX))
    seal_key = call.certificate_seal_key
    if seal is not None:
        data, suffix = process_seal(seal)
        seal_key = storage().put(data, suffix=suffix)
    elif remove_seal:
        seal_key = None
    before = {"issuer": call.certificate_issuer, "seal_key": call.certificate_seal_key}
    after = {"issuer": issuer, "seal_key": seal_key}
    if before == after:
        return False
    call.certificate_issuer, call.certificate_seal_key = issuer, seal_key
    session.add(call)
    session.flush()
    record(session, actor=actor, action="certificates.settings_updated", obj=call, before=before, after=after)
    return True


# --- issuing and revoking ------------------------------------------------------------------------


def _unused_serial(session: Session) -> str:
    while True:  # 80 random bits: a repeat is all but impossible, and still checked
        serial = new_serial()
        if session.exec(select(Certificate.id).where(Certificate.serial == serial)).first() is None:
            return serial


def _local_date(now: datetime):
    return now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def issue(session: Session, *, call: Call, actor, now: datetime) -> list[Certificate]:
    """Issue a certificate to every entry on ``call``'s official list
    (:func:`app.programme.lists.official_run`); returns the call's valid
    certificates. An entry that already has one keeps its serial and issue
    date (its printed data is brought up to date, and a revoked one of an
    entry back on the list is valid again); those of entries no longer on
    the list are revoked. Refused without an official list or an issuing body.
    """
    lock_call(session, call.id)
    run = official_run(session, call_id=call.id)
    if run is None:
        raise DomainError(_l("This call has no official list yet: publish it first."))
    if not call.certificate_issuer:
        raise DomainError(_l("Set the issuing body printed on the certificates first."))
    rows = listed_rows(session, run_ids=[run.id])
    if not rows:
        raise DomainError(_l("The official list of this call has no entries."))
    existing = {row.entry_id: row for row in session.exec(select(Certificate).where(Certificate.call_id == call.id)).all()}
    issued, created, reinstated = [], 0, 0
    for row in rows:
        certificate = existing.get(row.entry_id)
        if certificate is None:
            certificate = Certificate(serial=_unused_serial(session), call_id=call.id, entry_id=row.entry_id,
                                      run_id=run.id, organisation_id=row.organisation_id,
                                      organisation_name=row.organisation_name, title=row.title, domain=row.domain,
                                      call_title=call.name, year=call.year, issued_on=_local_date(now),
                                      issuer=call.certificate_issuer, created_at=now)
            created += 1
        else:
            if certificate.revoked_at is not None:
                certificate.revoked_at, certificate.revoked_reason = None, None
                certificate.issued_on = _local_date(now)
                reinstated += 1
            certificate.run_id, certificate.organisation_id = run.id, row.organisation_id
            certificate.organisation_name, certificate.title, certificate.domain = (
                row.organisation_name, row.title, row.domain)
            certificate.call_title, certificate.year, certificate.issuer = call.name, call.year, call.certificate_issuer
        session.add(certificate)
        issued.append(certificate)
    session.flush()
    revoked = revoke_dropped(session, run=run, actor=actor, now=now)
    record(session, actor=actor, action="certificates.issued", obj=call,
           after={"run_id": run.id, "certificates": len(issued), "new": created, "reinstated": reinstated,
                  "revoked": len(revoked)})
    return issued


def revoke_dropped(session: Session, *, run: ResultRun, actor, now: datetime) -> list[Certificate]:
    """Revoke the valid certificates of ``run``'s call whose entry is not on
    ``run``, when ``run`` is a published official list (a proposed list
    changes nothing); returns them. Called whenever an official list is
    published (``app.results.publishing.publish``, the notice's official list)."""
    if not is_official(run):
        return []
    rows = session.exec(select(ResultEntry.entry_id, ResultEntry.selected, ResultEntry.withdrawn_reason)
                        .where(ResultEntry.run_id == run.id)).all()
    listed = {entry_id for entry_id, selected, _reason in rows if selected}
    reasons = {entry_id: reason for entry_id, selected, reason in rows if not selected and reason}
    dropped = session.exec(
        select(Certificate).where(Certificate.call_id == run.call_id, Certificate.revoked_at.is_(None),
                                  Certificate.entry_id.not_in(listed) if listed else Certificate.id.is_not(None))
    ).all()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # stored texts: the default language
        for certificate in dropped:
            certificate.revoked_at = now
            withdrawn = reasons.get(certificate.entry_id)
            certificate.revoked_reason = (
                _("Withdrawn from the official list: %(reason)s", reason=withdrawn) if withdrawn
                else _("No longer on the official list of the call."))
            session.add(certificate)
    session.flush()
    for certificate in dropped:
        record(session, actor=actor, action="certificate.revoked", obj=certificate,
               after={"serial": certificate.serial, "entry_id": certificate.entry_id, "run_id": run.id},
               reason=certificate.revoked_reason)
    return list(dropped)


# --- building -------------------------------------------------------------------------------------


def start_build(session: Session, *, call: Call, actor, now: datetime) -> CertificateBuild:
    """Add a queued build of ``call``'s valid certificates (PDFs and the zip
    of all) and audit it; the caller commits, then :func:`enqueue` queues it.
    Refused without valid certificates, while another build of the call is
    queued or running, and while the job queue cannot be reached."""
    if not health.check_job_queue(current_app._get_current_object()).ok:
        raise DomainError(_l("The job queue cannot be reached, so the certificates cannot be built now. "
                             "Try again later."))
    lock_call(session, call.id)
    valid = session.exec(select(Certificate.id).where(Certificate.call_id == call.id,
                                                      Certificate.revoked_at.is_(None))).all()
    if not valid:
        raise DomainError(_l("Issue the certificates of the official list first."))
    active = session.exec(select(CertificateBuild).where(CertificateBuild.call_id == call.id,
                                                         CertificateBuild.status.in_(ACTIVE))).first()
    if active is not None:
        if now - (active.started_at or active.created_at) < STALE_AFTER:
            raise DomainError(_l("The certificates of this call are already being built: wait until it has finished."))
        active.status, active.finished_at = "failed", now
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            active.error = _("The build was interrupted (its worker stopped) and was given up.")
        session.add(active)
    build = CertificateBuild(call_id=call.id, status="queued", total=len(valid), done=0, created_at=now,
                             created_by_id=actor.id if getattr(actor, "is_authenticated", False) else None)
    session.add(build)
    session.flush()
    record(session, actor=actor, action="certificates.build_started", obj=build,
           after={"call_id": call.id, "certificates": len(valid)})
    return build


def enqueue(build_id: int) -> None:
    """Hand a committed build to the job queue (registered with
    ``db.after_commit``); when the queue cannot be reached the build fails
    with the reason instead of waiting for ever."""
    try:
        tasks.enqueue_build(build_id)
    except Exception as error:  # noqa: BLE001 - any queue failure ends the build, with the reason
        log.exception("Could not enqueue certificate build %s", build_id)
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            worker.fail(build_id, _("The job queue could not be reached (%(error)s). Try again later.",
                                    error=str(error)[:300]))
