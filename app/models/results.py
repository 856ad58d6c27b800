"""Results: computed runs, their per-entry rows, the chair's overrides and
veto decisions.

A ``ResultRun`` is one computation of a call's results. The newest run that is
not published is the chair's draft; recomputing replaces it. Publishing a run
freezes it: it gets a content hash and a timestamp and is never changed or
deleted afterwards, so exports and the public site read the same figures for
ever.
"""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import Domain


class ResultRun(SQLModel, table=True):
    __tablename__ = "result_runs"
    # AUTOINCREMENT on SQLite: a replaced draft's id is never reused, so a
    # link to an old draft can never open another run.
    __table_args__ = (sa.Index("ix_result_runs_call_published", "call_id", "published_at"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    # The review round whose sheets the run ranks (app.models.rounds); the last
    # round's run of a call with several also holds the combined score.
    round_no: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # What publishing it made: "results" (selected at once), "proposed" (a list
    # put up for public notice, app.models.notices) or "official" (after it).
    list_kind: str = Field(default="results", max_length=12, sa_column_kwargs={"server_default": "results"})
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    computed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    method: str = Field(max_length=20)
    # Method, thresholds, bootstrap resamples and seed, target, quotas, cap.
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # Call-wide figures: reliability per panel and call, expert statistics,
    # distribution per domain, counts, selection warnings.
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # SHA-256 over the submitted sheets the run read: a different hash now
    # means the draft is out of date.
    inputs_hash: str = Field(max_length=64)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # SHA-256 of the snapshot's canonical JSON, set when published.
    content_hash: str | None = Field(default=None, max_length=64)
    # SHA-256 of the public and of the private canonical document of a
    # published snapshot (the content hash is then taken over both).
    public_hash: str | None = Field(default=None, max_length=64)
    private_hash: str | None = Field(default=None, max_length=64)
    # Whether public pages and the brochure may show ranks and scores.
    public_scores: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})

    rows: list["ResultEntry"] = Relationship(
        back_populates="run", sa_relationship_kwargs={"cascade": "all, delete-orphan", "passive_deletes": True}
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None


class ResultEntry(SQLModel, table=True):
    """One ranked entry of a run: scores, raw figures, ranks, flags, decision.

    Title, organisation, domain and city are copied so that a published
    snapshot is complete on its own.
    """

    __tablename__ = "result_entries"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "entry_id"),
        sa.Index("ix_result_entries_run_rank", "run_id", "rank"),
        sa.Index("ix_result_entries_run_domain_rank", "run_id", "domain", "domain_rank"),
        sa.Index("ix_result_entries_run_city_rank", "run_id", "city_code", "city_rank"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="result_runs.id", ondelete="CASCADE")
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=60)
    organisation_id: int = Field(foreign_key="organisations.id")
    organisation_name: str = Field(max_length=200)
    domain: Domain = Field(sa_type=EnumText(Domain, 20))
    city_code: str = Field(max_length=6)
    entry_submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    score: float  # the method's adjusted score
    sheets: int  # submitted sheets counted
    assigned: int  # active assignments when computed
    raw_mean: float
    raw_median: float
    raw_min: float
    raw_max: float
    raw_sd: float | None = Field(default=None)  # None with one sheet
    raw_range: float
    outcome_mean: float | None = Field(default=None)
    criterion_means: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)
    notes: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # aggregation note keys
    guarded_experts: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    # With several rounds: round number (str) → {"score", "sheets", "rank"}; the
    # row's ``score`` is then the combined one, and ``shortlisted`` says whether
    # it reached the last round.
    round_scores: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    shortlisted: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # On an official list: the entry left the proposed list (an upheld
    # objection) or took the place of one that did.
    withdrawn_reason: str | None = Field(default=None, sa_type=sa.Text)

    rank: int
    domain_rank: int
    city_rank: int
    rank_lo: int
    rank_hi: int
    borderline: bool = False
    disagreement_flags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    veto_keys: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # veto questions answered yes
    veto_status: str = Field(default="none", max_length=12)  # none, pending, confirmed, dismissed

    selected: bool = False
    decision: str = Field(default="", max_length=30)  # a key of app.results.selection
    chair_reason: str | None = Field(default=None, sa_type=sa.Text)

    run: ResultRun = Relationship(back_populates="rows")

    @property
    def disputed(self) -> bool:
        return bool(self.disagreement_flags)

    @property
    def incomplete(self) -> bool:
        return self.sheets < self.assigned


class SelectionOverride(SQLModel, table=True):
    """The chair forces an entry into the selection or out of it, with a reason.

    Overrides belong to the call, not to a run: they survive recomputation.
    """

    __tablename__ = "selection_overrides"
    __table_args__ = (sa.UniqueConstraint("call_id", "entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE", index=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE")
    include: bool
    reason: str = Field(sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VetoDecision(SQLModel, table=True):
    """The chair's decision on an entry's veto flags: confirmed (the entry is
    excluded from selection) or dismissed, with a reason."""

    __tablename__ = "veto_decisions"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", unique=True)
    confirmed: bool
    reason: str = Field(sa_type=sa.Text)
    decided_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
