"""Public notice (公示) of a proposed list and the objections filed against it.

Publishing a proposed list (a published result run of kind "proposed")
opens a ``Notice``; anyone may file an ``Objection`` while it runs; staff
investigate (notes, questions to the applicant, files) and decide each one.
When the period has ended and every objection is decided, the official list
is published as a new run, recorded in ``official_run_id``.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class Notice(SQLModel, table=True):
    __tablename__ = "notices"
    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="period_ordered"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    proposed_run_id: int = Field(foreign_key="result_runs.id")
    official_run_id: int | None = Field(default=None, foreign_key="result_runs.id")
    # The period: from opening to the end of its last (working) day, in UTC.
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    period_days: int
    working_days: bool = Field(default=True)  # False: calendar days
    contact: str = Field(default="", sa_type=sa.Text)  # who takes objections, as printed
    show_scores: bool = Field(default=False)
    anonymous_allowed: bool = Field(default=False)
    opened_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # Set when the official list is published (the notice is then closed).
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Objection(SQLModel, table=True):
    """An objection to one entry of a notice's list.

    ``reference`` is what the objector quotes (random, not guessable);
    ``status``: received → investigating → upheld | dismissed. An upheld
    objection withdraws the entry from the list and records the entry that
    took its place.
    """

    __tablename__ = "objections"
    __table_args__ = (sa.Index("ix_objections_notice_status", "notice_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notices.id", ondelete="CASCADE")
    reference: str = Field(max_length=20, unique=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    anonymous: bool = Field(default=False)
    objector_name: str = Field(default="", max_length=100)
    objector_phone: str = Field(default="", max_length=30)
    objector_email: str = Field(default="", max_length=254)
    objector_organisation: str = Field(default="", max_length=200)
    language: str = Field(default="zh", max_length=10)  # of the decision mail
    grounds: str = Field(sa_type=sa.Text)
    # SHA-256 of the filing address with the app's secret: rate limits and
    # floods are traced without storing addresses.
    client_hash: str = Field(default="", max_length=64, index=True)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default="received", max_length=20)
    assigned_to_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    decision_reason: str | None = Field(default=None, sa_type=sa.Text)  # public when upheld
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    replacement_entry_id: int | None = Field(default=None, foreign_key="entries.id", ondelete="SET NULL")


class ObjectionNote(SQLModel, table=True):
    """A staff member's investigation note on an objection (never public)."""

    __tablename__ = "objection_notes"

    id: int | None = Field(default=None, primary_key=True)
    objection_id: int = Field(foreign_key="objections.id", ondelete="CASCADE", index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ObjectionQuestion(SQLModel, table=True):
    """A question to the entry's organisation about an objection, and its answer."""

    __tablename__ = "objection_questions"

    id: int | None = Field(default=None, primary_key=True)
    objection_id: int = Field(foreign_key="objections.id", ondelete="CASCADE", index=True)
    question: str = Field(sa_type=sa.Text)
    asked_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ObjectionFile(SQLModel, table=True):
    """Evidence: a PDF or image attached to an objection by the objector, or
    to an answer by the applicant (``question_id`` set), checked and re-encoded."""

    __tablename__ = "objection_files"

    id: int | None = Field(default=None, primary_key=True)
    objection_id: int = Field(foreign_key="objections.id", ondelete="CASCADE", index=True)
    question_id: int | None = Field(default=None, foreign_key="objection_questions.id", ondelete="CASCADE")
    kind: str = Field(max_length=10)  # pdf | image
    filename: str = Field(max_length=120)
    blob_key: str = Field(max_length=120)
    size: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
