"""Outgoing mail, through the outbox and the job queue: never SMTP inside a
web request.

A service calls :func:`send_after_commit`: the message is rendered at once
(in the user's language) and stored as an ``outgoing_mails`` row in the
same transaction as the change that causes it, so a rolled-back change
sends nothing and a committed one cannot be lost. After the commit the
mail's job (:func:`deliver_mail`) is queued; the worker sends it through
SMTP (``MAIL_SERVER``) or, in development, writes it to ``MAIL_OUTBOX_DIR``
as an ``.eml`` file and to the log, so a developer can click its link.

A failed attempt is recorded on the row (attempts, the error) and tried
again after ``MAIL_RETRY_SECONDS``, doubled after each failure, up to
``MAIL_MAX_ATTEMPTS``; then the mail is failed, and the chair sees it in the
outbox page and may send it again (:func:`retry`). The periodic
:func:`sweep_outbox` queues again what is due but whose job was lost (the
queue unreachable at the commit, a worker killed while sending).

One mail is never sent by two workers at once: a worker first claims it
(:func:`_claim`), which moves ``next_attempt_at`` to the end of a lease, in
a committed transaction of its own; SMTP runs outside any transaction. A
worker killed between the SMTP server's "OK" and recording it makes the
mail go out twice: at least once, never lost, is the rule.
"""
import logging
import smtplib
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, select

from app.db import db, utcnow
from app.enums import MailStatus
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.jobs import job, periodic_job, transaction
from app.models import OutgoingMail

log = logging.getLogger(__name__)

# Set while changes are recorded that nobody is to be told about (demo history).
_muted: ContextVar[bool] = ContextVar("mail_muted", default=False)

#: How long a worker may take to send a mail it claimed before another may
#: try (an SMTP exchange times out after 30 s; this leaves room for a queue
#: busy with a brochure build).
LEASE = timedelta(minutes=10)
#: A queued mail overdue by this much has lost its job: the sweep queues it again.
LOST_AFTER = timedelta(minutes=10)
#: A job may start a little before the time on its row (clocks of hosts differ).
CLOCK_TOLERANCE = timedelta(seconds=30)
#: Waits between attempts grow no longer than this, whatever the settings say.
LONGEST_WAIT = timedelta(hours=6)
SUBJECT_MAX = 255
ERROR_MAX = 1000


# --- composing (in the request) -----------------------------------------------------


def build_message(*, to: str, subject: str, template: str, **context) -> EmailMessage:
    """Render ``templates/mail/<template>.txt`` into a plain-text message."""
    message = EmailMessage()
    message["Subject"] = " ".join(str(subject).split())  # a header is one line, whatever a name held
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="showcase.local")
    # Straight from the environment: a mail needs none of the pages' context
    # processors (the navigation, the current call), which would query the database.
    message.set_content(current_app.jinja_env.get_template(f"mail/{template}.txt").render(**context))
    return message


@contextmanager
def muted():
    """Send no mail for what is done inside the block.

    For data that records the past (the demo's formal check weeks ago): its
    notifications would have gone out then, not now.
    """
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def send_after_commit(*, to: str, subject, template: str, session: Session | None = None, **context) -> None:
    """Render the message now (in the current language), store it in the
    outbox in the current transaction (``session``, the one the calling
    service was given; by default ``db.session``), and queue its sending
    after the commit. Nothing at all inside :func:`muted`."""
    if _muted.get():
        return
    message = build_message(to=to, subject=subject, template=template, **context)
    mail = OutgoingMail(recipient=to, subject=message["Subject"][:SUBJECT_MAX], message=bytes(message))
    (session or db.session).add(mail)
    db.after_commit(lambda: enqueue(mail.id))


def enqueue(mail_id: int) -> None:
    """Hand a committed mail to the job queue. When the queue cannot be
    reached the mail stays queued in the outbox, and the sweep queues it
    later: the request that saved it goes on."""
    try:
        deliver_mail.enqueue(mail_id)
    except Exception:  # noqa: BLE001 - any queue failure: the outbox row is the safety net
        log.exception("Could not queue mail %s; the outbox sweep will", mail_id)


# --- sending (in the worker) ----------------------------------------------------------


@job()
def deliver_mail(mail_id: int) -> None:
    """Send outbox mail ``mail_id`` if it is due and nobody else is sending it."""
    message = _claim(mail_id, now=utcnow())
    if message is None:
        return
    try:
        deliver(message_from_bytes(message, policy=policy.default))
    except (OSError, smtplib.SMTPException) as error:
        with transaction():
            wait = record_failure(db.session, mail_id=mail_id, error=error, now=utcnow())
        if wait is not None:
            deliver_mail.enqueue_in(wait, mail_id)
        return
    with transaction():
        record_sent(db.session, mail_id=mail_id, now=utcnow())


def _claim(mail_id: int, *, now: datetime) -> bytes | None:
    """Take the mail for this worker: count the attempt and move its next
    attempt to the end of the lease, committed before anything is sent (no
    transaction stays open during SMTP). Its message, or None when it is not
    due, is sent or failed, or another worker holds it."""
    with transaction():
        claimed = db.session.execute(
            sa.update(OutgoingMail)
            .where(OutgoingMail.id == mail_id, OutgoingMail.status == MailStatus.QUEUED,
                   OutgoingMail.next_attempt_at <= now + CLOCK_TOLERANCE)
            .values(attempts=OutgoingMail.attempts + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return None
        return db.session.exec(select(OutgoingMail.message).where(OutgoingMail.id == mail_id)).one()


def deliver(message: EmailMessage) -> None:
    """Send now, through SMTP or into the outbox folder."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        path = outbox / f"{stamp}-{message['To'].replace('@', '_at_')}.eml"
        path.write_bytes(bytes(message))
        log.info("Mail to %s (%s) written to %s:\n%s", message["To"], message["Subject"], path, message.get_content())
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def retry_wait(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: MAIL_RETRY_SECONDS,
    doubled after each further failure, at most LONGEST_WAIT."""
    seconds = current_app.config["MAIL_RETRY_SECONDS"] * 2 ** min(max(attempts - 1, 0), 30)
    return min(timedelta(seconds=seconds), LONGEST_WAIT)


def record_failure(session: Session, *, mail_id: int, error: BaseException, now: datetime) -> timedelta | None:
    """Note a failed attempt: the mail waits for its next one (returned), or,
    after the last, is failed (None). Flushes."""
    mail = session.get(OutgoingMail, mail_id)
    mail.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    wait = None
    if mail.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        mail.status = MailStatus.FAILED
        log.error("Mail %s to %s failed after %s attempts: %s", mail.id, mail.recipient, mail.attempts, mail.last_error)
    else:
        wait = retry_wait(mail.attempts)
        mail.next_attempt_at = now + wait
        log.warning("Mail %s to %s: attempt %s failed (%s); next in %s", mail.id, mail.recipient, mail.attempts,
                    mail.last_error, wait)
    session.add(mail)
    session.flush()
    return wait


def record_sent(session: Session, *, mail_id: int, now: datetime) -> None:
    """Mark the mail sent, and drop its message (it may carry a single-use
    link that only the recipient should hold). Flushes."""
    mail = session.get(OutgoingMail, mail_id)
    mail.status, mail.sent_at, mail.message = MailStatus.SENT, now, None
    session.add(mail)
    session.flush()


# --- the chair's retry, the sweep -------------------------------------------------------


class NotRetriable(DomainError):
    """Only a failed mail can be sent again."""


def retry(session: Session, *, mail: OutgoingMail, now: datetime) -> None:
    """Queue a failed mail again with a fresh count of attempts (the caller
    audits it and commits; the job is queued after the commit). Flushes."""
    session.refresh(mail, with_for_update=True)  # two chairs at once: the second sees it queued
    if mail.status != MailStatus.FAILED:
        raise NotRetriable(_l("Only a failed mail can be sent again."))
    mail.status, mail.attempts, mail.next_attempt_at = MailStatus.QUEUED, 0, now
    session.add(mail)
    session.flush()
    mail_id = mail.id
    db.after_commit(lambda: enqueue(mail_id))


def lost_mails(session: Session, *, now: datetime) -> list[int]:
    """Ids of queued mails overdue by more than LOST_AFTER: their job was lost."""
    return list(session.exec(
        select(OutgoingMail.id)
        .where(OutgoingMail.status == MailStatus.QUEUED, OutgoingMail.next_attempt_at <= now - LOST_AFTER)
        .order_by(OutgoingMail.id)
    ).all())


def delete_old_sent(session: Session, *, now: datetime) -> int:
    """Delete sent mails older than MAIL_KEEP_DAYS (none while it is 0); how many."""
    days = current_app.config["MAIL_KEEP_DAYS"]
    if not days:
        return 0
    return session.execute(
        sa.delete(OutgoingMail)
        .where(OutgoingMail.status == MailStatus.SENT, OutgoingMail.sent_at < now - timedelta(days=days))
        .execution_options(synchronize_session=False)
    ).rowcount


@periodic_job("MAIL_SWEEP_SCHEDULE")
def sweep_outbox() -> dict[str, int]:
    """Queue again every mail whose job was lost; delete old sent mails."""
    now = utcnow()
    with transaction():
        lost = lost_mails(db.session, now=now)
        deleted = delete_old_sent(db.session, now=now)
    for mail_id in lost:
        enqueue(mail_id)
    return {"requeued": len(lost), "deleted": deleted}
