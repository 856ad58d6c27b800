"""Review rounds of a call beyond the online review: the rounds themselves,
the shortlist each later round scores, and the defence sessions (现场答辩).

A call without ``ReviewRound`` rows has one round, the online review, and
behaves as it always did. Rows in panels, call rubrics, assignments, score
sheets and result runs carry ``round_no`` (1: the online review), so each
round has its own rubric per domain, panels, sheets and results.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow

#: Round kinds: scored online from the entry, or in a defence session.
ONLINE = "online"
DEFENCE = "defence"


class ReviewRound(SQLModel, table=True):
    """One round of a call's review: its kind, weight, dates and how its
    shortlist is drawn from the previous round's draft results.

    When a call has rounds, every round has a row, number 1 the online review.
    """

    __tablename__ = "review_rounds"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
        sa.CheckConstraint("weight >= 0 AND weight <= 100", name="weight_percent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    number: int
    name: str = Field(max_length=100)
    kind: str = Field(default=ONLINE, max_length=12)  # ONLINE or DEFENCE (never blind)
    # Percent of the combined score (the call's round_combination "weighted").
    weight: float = Field(default=100.0)
    # Within the call's review phase; None: the whole review phase.
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # How the shortlist for this round is drawn (rounds ≥ 2): the top
    # ``shortlist_size`` per domain or overall, plus the borderline entries.
    shortlist_basis: str = Field(default="per_domain", max_length=12)  # per_domain | overall
    shortlist_size: int = Field(default=0)
    shortlist_borderline: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ShortlistEntry(SQLModel, table=True):
    """An entry on the shortlist of round ``round_no`` (≥ 2), with why.

    ``reason`` is the rule that put it there (top_domain, top_overall,
    borderline) or chair_added; a chair's removal keeps the row with
    ``included`` False and the reason, so the shortlist explains itself.
    """

    __tablename__ = "shortlist_entries"
    __table_args__ = (sa.UniqueConstraint("call_id", "round_no", "entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    round_no: int
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    # The previous round's draft the rule read (None: added by hand).
    from_run_id: int | None = Field(default=None, foreign_key="result_runs.id", ondelete="SET NULL")
    reason: str = Field(max_length=20)
    included: bool = Field(default=True)
    chair_reason: str | None = Field(default=None, sa_type=sa.Text)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DefenceSlot(SQLModel, table=True):
    """When and where a shortlisted entry defends its scenario: a room or a
    video link, a start and a duration; the applicant confirms it."""

    __tablename__ = "defence_slots"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "round_no", "entry_id"),
        sa.Index("ix_defence_slots_call_start", "call_id", "starts_at"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE")
    round_no: int
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    room: str = Field(default="", max_length=100)
    video_link: str = Field(default="", max_length=500)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    duration_minutes: int = Field(default=20)
    note: str = Field(default="", sa_type=sa.Text)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
