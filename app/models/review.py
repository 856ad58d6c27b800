"""Expert review: frozen rubrics, panels, expert profiles, conflicts,
assignments, score sheets and scores."""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import AssignmentSource, ConflictSource, Domain, SheetStatus


class RubricVersion(SQLModel, table=True):
    """A rubric file's content as it was when review opened (never changes).

    ``content`` is the parsed, validated rubric; ``content_hash`` the SHA-256
    of its canonical JSON, so the same content is stored once.
    """

    __tablename__ = "rubric_versions"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60)
    source_file: str = Field(max_length=200)
    content: dict[str, Any] = Field(sa_type=sa.JSON)
    content_hash: str = Field(max_length=64, unique=True)
    frozen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CallRubric(SQLModel, table=True):
    """Which rubric file a call uses, for all domains (``domain`` None) or one.

    ``rubric_version_id`` is set when the rubric is frozen; from then on the
    file is no longer read for this call.
    """

    __tablename__ = "call_rubrics"
    __table_args__ = (sa.UniqueConstraint("call_id", "domain", "round_no"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    round_no: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # app.models.rounds
    domain: Domain | None = Field(default=None, sa_type=EnumText(Domain, 20))
    rubric_key: str = Field(max_length=60)
    rubric_version_id: int | None = Field(default=None, foreign_key="rubric_versions.id")
    # When this call's rubric for the domain was frozen (the version may be older, shared by calls).
    frozen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Panel(SQLModel, table=True):
    """An expert panel (评审组) of a call, covering one or several domains."""

    __tablename__ = "panels"
    __table_args__ = (sa.UniqueConstraint("call_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    round_no: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # app.models.rounds
    leader_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    domains: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # Domain values

    members: list["PanelMember"] = Relationship(
        back_populates="panel", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class PanelMember(SQLModel, table=True):
    __tablename__ = "panel_members"
    __table_args__ = (sa.UniqueConstraint("panel_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    panel_id: int = Field(foreign_key="panels.id", ondelete="CASCADE", index=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)

    panel: Panel = Relationship(back_populates="members")


class ExpertProfile(SQLModel, table=True):
    """What assignment needs to know about an expert."""

    __tablename__ = "expert_profiles"

    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    affiliation_name: str = Field(default="", max_length=200)
    affiliation_code: str = Field(default="", max_length=18)  # unified social credit code
    expertise_domains: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    tech_tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    max_assignments: int | None = Field(default=None)  # per call; None: no cap

    employments: list["ExpertEmployment"] = Relationship(
        back_populates="profile", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class ExpertEmployment(SQLModel, table=True):
    """A former employer: a conflict of interest for three years after leaving."""

    __tablename__ = "expert_employments"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="expert_profiles.user_id", ondelete="CASCADE", index=True)
    organisation_name: str = Field(max_length=200)
    credit_code: str = Field(default="", max_length=18)
    start_year: int | None = Field(default=None)
    end_year: int | None = Field(default=None)  # None: still employed there

    profile: ExpertProfile = Relationship(back_populates="employments")


class Conflict(SQLModel, table=True):
    """A conflict of interest between an expert and an entry, declared by the
    expert or recorded by a chair (automatic ones are computed, not stored)."""

    __tablename__ = "conflicts"
    __table_args__ = (sa.UniqueConstraint("expert_id", "entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    source: ConflictSource = Field(sa_type=EnumText(ConflictSource, 16))
    reason: str = Field(sa_type=sa.Text)
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """An expert asked to score an entry. Removing one keeps the row (with a
    reason) so the record of who was asked stays complete."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.UniqueConstraint("entry_id", "expert_id", "round_no"),
        sa.Index("ix_assignments_call_expert", "call_id", "expert_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    round_no: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # app.models.rounds
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    expert_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    panel_id: int | None = Field(default=None, foreign_key="panels.id", ondelete="SET NULL")
    source: AssignmentSource = Field(sa_type=EnumText(AssignmentSource, 16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_reason: str | None = Field(default=None, sa_type=sa.Text)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def active(self) -> bool:
        return self.removed_at is None


_SHEET_VERSION = sa.Column("version", sa.Integer, nullable=False)


class ScoreSheet(SQLModel, table=True):
    """One expert's scores for one entry, against a frozen rubric version.

    At most one sheet per (entry, expert, round), enforced by the database; a
    submitted sheet is locked until a chair reopens it.
    """

    __tablename__ = "score_sheets"
    __table_args__ = (sa.UniqueConstraint("entry_id", "expert_id", "round_no"),)

    id: int | None = Field(default=None, primary_key=True)
    round_no: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # app.models.rounds
    assignment_id: int = Field(foreign_key="assignments.id", ondelete="CASCADE", unique=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    expert_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    rubric_version_id: int = Field(foreign_key="rubric_versions.id")
    status: SheetStatus = Field(default=SheetStatus.DRAFT, sa_type=EnumText(SheetStatus, 16))
    # Optimistic lock: autosaves from two tabs cannot overwrite each other.
    version: int = Field(default=None, sa_column=_SHEET_VERSION)
    comment: str = Field(default="", sa_type=sa.Text)
    # Veto question key → True when the expert answered yes (flags the sheet).
    vetoes: dict[str, bool] = Field(default_factory=dict, sa_type=sa.JSON)
    total: float | None = Field(default=None)  # weighted 0–100, set on submit
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    scores: list["Score"] = Relationship(
        back_populates="sheet", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )

    __mapper_args__: Any = {"version_id_col": _SHEET_VERSION}

    @property
    def vetoed(self) -> bool:
        return any(self.vetoes.values())


class Score(SQLModel, table=True):
    """One criterion's score on a sheet: one row per (sheet, criterion)."""

    __tablename__ = "scores"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "criterion_key"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(foreign_key="score_sheets.id", ondelete="CASCADE", index=True)
    criterion_key: str = Field(max_length=60)
    score: float | None = Field(default=None)
    comment: str = Field(default="", sa_type=sa.Text)

    sheet: ScoreSheet = Relationship(back_populates="scores")
