"""Certificates (证书) for the entries of an official list, and their builds.

A certificate's ``serial`` is random (not guessable) and its public
verification page (``/verify/<serial>``) shows the data printed on it and
whether it is still valid. Revoking keeps the row with the date and reason.
"""
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import Domain


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"
    __table_args__ = (sa.UniqueConstraint("call_id", "entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=32, unique=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    run_id: int = Field(foreign_key="result_runs.id")  # the official list it was issued from
    # Printed on the certificate, copied so that it reads the same for ever.
    organisation_id: int = Field(foreign_key="organisations.id")
    organisation_name: str = Field(max_length=200)
    title: str = Field(max_length=60)
    domain: Domain = Field(sa_type=EnumText(Domain, 20))
    call_title: str = Field(max_length=200)
    year: int
    issued_on: date = Field(sa_type=sa.Date)
    issuer: str = Field(max_length=200)
    file_key: str | None = Field(default=None, max_length=255)  # the PDF, once built
    built_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, sa_type=sa.Text)

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


class CertificateBuild(SQLModel, table=True):
    """One background build of a call's certificates (PDFs and the zip of all)."""

    __tablename__ = "certificate_builds"
    __table_args__ = (sa.Index("ix_certificate_builds_call_status", "call_id", "status"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    status: str = Field(default="queued", max_length=12)  # queued, running, done, failed
    total: int = Field(default=0)
    done: int = Field(default=0)
    zip_key: str | None = Field(default=None, max_length=255)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
