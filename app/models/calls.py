"""Calls for scenarios (征集批次), their phases and per-domain quotas."""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import PHASE_ORDER, Domain, Phase


class Call(SQLModel, table=True):
    __tablename__ = "calls"
    __table_args__ = (
        sa.UniqueConstraint("year", "name"),
        sa.CheckConstraint("target_count > 0", name="target_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    year: int
    target_count: int = Field(default=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # Review settings.
    experts_per_entry: int = Field(default=5, sa_column_kwargs={"server_default": "5"})
    blind_review: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    show_others_scores: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Results settings.
    results_method: str | None = Field(default=None, max_length=20)  # None: the default rubric's
    disagreement_sd: float | None = Field(default=12.0, sa_column_kwargs={"server_default": "12"})
    disagreement_range: float | None = Field(default=30.0, sa_column_kwargs={"server_default": "30"})
    organisation_cap: int | None = Field(default=None)  # most selected entries per organisation
    # Unfilled quota places go to the best remaining entries of other domains.
    quota_fill: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # The z-score method's guards: an expert is standardised on their own
    # sheets only with at least this many, and never with an SD below the floor.
    zscore_min_sheets: int = Field(default=8, sa_column_kwargs={"server_default": "8"})
    zscore_sd_floor: float | None = Field(default=4.0, sa_column_kwargs={"server_default": "4"})
    # With several review rounds: "weighted" combines every round's score by
    # the rounds' weights; "final_round" ranks the shortlist by the last round.
    round_combination: str = Field(default="weighted", max_length=20, sa_column_kwargs={"server_default": "weighted"})
    # Public notice (公示): publishing results opens a notice instead of
    # selecting at once; the official list follows when it has ended.
    notice_required: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    notice_days: int = Field(default=5, sa_column_kwargs={"server_default": "5"})
    notice_working_days: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    notice_contact: str = Field(default="", sa_type=sa.Text)
    objections_anonymous: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Certificates: the issuing body printed on them and the seal image (storage key).
    certificate_issuer: str = Field(default="", max_length=200)
    certificate_seal_key: str | None = Field(default=None, max_length=255)

    phases: list["CallPhase"] = Relationship(
        back_populates="call",
        sa_relationship_kwargs={"cascade": "all, delete-orphan"},
    )
    # Loaded when used (few pages need them; every page loads the current call).
    quotas: list["CallQuota"] = Relationship(
        back_populates="call",
        sa_relationship_kwargs={"cascade": "all, delete-orphan"},
    )

    def phase_window(self, phase: Phase) -> "CallPhase | None":
        return next((row for row in self.phases if row.phase == phase), None)

    def is_phase_open(self, phase: Phase, *, now: datetime) -> bool:
        """True while ``phase`` runs (phases are half-open: start ≤ now < end)."""
        window = self.phase_window(phase)
        return window is not None and window.starts_at <= now < window.ends_at

    @property
    def ordered_phases(self) -> list["CallPhase"]:
        return sorted(self.phases, key=lambda row: PHASE_ORDER.index(row.phase))

    def quota_for(self, domain: Domain) -> int:
        return next((row.quota for row in self.quotas if row.domain == domain), 0)


class CallPhase(SQLModel, table=True):
    """When one phase of a call runs: from ``starts_at`` up to ``ends_at``."""

    __tablename__ = "call_phases"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "phase"),
        sa.CheckConstraint("starts_at < ends_at", name="window_ordered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    phase: Phase = Field(sa_type=EnumText(Phase, 20))
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)

    call: Call = Relationship(back_populates="phases")


class CallQuota(SQLModel, table=True):
    """The most showcase scenarios a call selects in one domain."""

    __tablename__ = "call_quotas"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "domain"),
        sa.CheckConstraint("quota >= 0", name="quota_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    domain: Domain = Field(sa_type=EnumText(Domain, 20))
    quota: int

    call: Call = Relationship(back_populates="quotas")
