"""The outbox: every mail the app sends, stored with the change that causes it
and sent by the worker (:mod:`app.mail`)."""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import MailStatus


class OutgoingMail(SQLModel, table=True):
    """One mail: its rendered RFC 5322 message and how sending it went.

    ``next_attempt_at`` is when the worker may try (again); while a worker
    sends it, it is the end of that worker's lease, so a mail whose worker
    died is tried again after it. ``message`` is dropped once the mail is
    sent: it may hold a single-use link, and only the recipient needs it.
    """

    __tablename__ = "outgoing_mails"
    __table_args__ = (sa.Index("ix_outgoing_mails_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=255)
    message: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    status: MailStatus = Field(default=MailStatus.QUEUED, sa_type=EnumText(MailStatus, 16))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
