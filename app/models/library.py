"""The public case library: what visitors see of the published scenarios.

A ``LibraryCase`` is a scenario as the public sees it, copied from its entry
when a results snapshot that selects it is published
(``app.library.services.publish_snapshot``). Only what the library shows is
copied — never contact details, attachments, partners, investment, review
internals — so nothing else can leak through a URL, a search or the open
data, and later edits of the entry do not reach the public. A newer
snapshot of the same call replaces its cases. Publicity staff curate it:
feature a case, rewrite its public summary (the submitted one is kept), hide
it with a reason. ``LibrarySetting`` holds the home page's headline.
"""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import Domain


class LibraryCase(SQLModel, table=True):
    __tablename__ = "library_cases"
    __table_args__ = (
        sa.Index("ix_library_cases_listing", "hidden", "year", "domain"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entries.id", unique=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    run_id: int = Field(foreign_key="result_runs.id")  # the snapshot that published it
    year: int
    title: str = Field(max_length=60)
    organisation_name: str = Field(max_length=200)
    domain: Domain = Field(sa_type=EnumText(Domain, 20))
    city_code: str = Field(max_length=6, index=True)
    tech_tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    summary: str = Field(sa_type=sa.Text)  # as submitted
    public_summary: str | None = Field(default=None, sa_type=sa.Text)  # curated; None: the submitted one
    problem: str = Field(default="", sa_type=sa.Text)
    solution: str = Field(default="", sa_type=sa.Text)
    deployment_scale: str = Field(default="", max_length=200)
    # [{"metric", "before", "after", "unit"}], in the entry's order.
    outcomes: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    # [{"id", "caption", "width", "height", "display_key", "thumb_key"}]: the photos at publication.
    photos: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    rank: int | None = Field(default=None)  # only when the snapshot publishes ranks and scores
    score: float | None = Field(default=None)
    featured: bool = Field(default=False)
    hidden: bool = Field(default=False)
    hidden_reason: str = Field(default="", sa_type=sa.Text)
    # Lower-case title, summary, organisation and tag names (Chinese and English) for substring search.
    search_text: str = Field(default="", sa_type=sa.Text)
    published_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def shown_summary(self) -> str:
        return self.public_summary if self.public_summary is not None else self.summary


class LibrarySetting(SQLModel, table=True):
    __tablename__ = "library_settings"

    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(default="", sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")

    @property
    def id(self) -> None:
        """Settings are keyed by name: audit rows carry the key in their snapshots instead."""
        return None
