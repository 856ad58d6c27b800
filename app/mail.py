"""Outgoing mail: SMTP when ``MAIL_SERVER`` is set, otherwise the outbox.

In development the message is written to ``instance/mail/`` as an ``.eml``
file and to the log, so a developer can click its link. Services call
:func:`send_after_commit`, so nothing is sent for a rolled-back change.
"""
import smtplib
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template

from app.db import db

# Set while changes are recorded that nobody is to be told about (demo history).
_muted: ContextVar[bool] = ContextVar("mail_muted", default=False)


def build_message(*, to: str, subject: str, template: str, **context) -> EmailMessage:
    """Render ``templates/mail/<template>.txt`` into a plain-text message."""
    message = EmailMessage()
    message["Subject"] = " ".join(str(subject).split())  # a header is one line, whatever a name held
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="showcase.local")
    message.set_content(render_template(f"mail/{template}.txt", **context))
    return message


def deliver(message: EmailMessage) -> None:
    """Send now, through SMTP or into the outbox folder."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        path = outbox / f"{stamp}-{message['To'].replace('@', '_at_')}.eml"
        path.write_bytes(bytes(message))
        current_app.logger.info(
            "Mail to %s (%s) written to %s:\n%s", message["To"], message["Subject"], path, message.get_content()
        )
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


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


def send_after_commit(*, to: str, subject, template: str, **context) -> None:
    """Render the message now (in the user's language) and send it after the
    commit (nothing at all inside :func:`muted`)."""
    if _muted.get():
        return
    message = build_message(to=to, subject=subject, template=template, **context)

    def _send():
        try:
            deliver(message)
        except (OSError, smtplib.SMTPException):
            # The change is saved; a mail server hiccup must not turn it into an error page.
            current_app.logger.exception("Could not send mail to %s", message["To"])

    db.after_commit(_send)
