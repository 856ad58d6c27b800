"""The chair's view of the outbox: every mail with how sending it went, and
sending a failed one again (audited). Flushes, never commits."""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from app import mail as mail_service
from app.audit.services import record
from app.enums import MailStatus
from app.input_rules import page_within
from app.models import OutgoingMail


@dataclass(frozen=True)
class OutboxPage:
    mails: list[OutgoingMail]
    total: int  # with the filter
    page: int
    counts: dict[MailStatus, int]  # every mail, by status


def outbox_page(session: Session, *, status: MailStatus | None, page: int, per_page: int = 50) -> OutboxPage:
    """Newest mails first, of one status or all; a page past the end is the last one."""
    query = select(OutgoingMail)
    if status is not None:
        query = query.where(OutgoingMail.status == status)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    page = page_within(page, total, per_page)
    mails = session.exec(
        query.order_by(OutgoingMail.created_at.desc(), OutgoingMail.id.desc()).offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    counts = dict.fromkeys(MailStatus, 0)
    for value, count in session.exec(select(OutgoingMail.status, sa.func.count()).group_by(OutgoingMail.status)):
        counts[MailStatus(value)] = count
    return OutboxPage(mails=list(mails), total=total, page=page, counts=counts)


def retry_mail(session: Session, *, actor, mail: OutgoingMail, now: datetime) -> None:
    """Queue a failed mail again (sent by the worker after the commit); audited
    with the error it had."""
    before = {"status": mail.status.value, "attempts": mail.attempts, "last_error": mail.last_error}
    mail_service.retry(session, mail=mail, now=now)
    record(session, actor=actor, action="mail.retried", obj=mail, before=before,
           after={"status": mail.status.value, "recipient": mail.recipient})
