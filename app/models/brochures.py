"""Brochure builds: one row per build of a call's PDF showcase brochure.

A build is queued by publicity staff or a chair, run by the background
worker (``app.brochure.worker.run_build``) and ends done, with its file, or
failed, with the reason. The newest done build of a call is its "last good"
brochure: it stays downloadable while a new one builds and when one fails.
"""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import BrochureStatus

#: A call has at most one build in these states at a time.
ACTIVE_STATUSES = (BrochureStatus.QUEUED, BrochureStatus.RUNNING)


class Brochure(SQLModel, table=True):
    __tablename__ = "brochures"
    __table_args__ = (sa.Index("ix_brochures_call_status", "call_id", "status"), {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", ondelete="CASCADE")  # indexed by ix_brochures_call_status
    # The published snapshot read (None: hand-picked entries of a call without one).
    snapshot_id: int | None = Field(default=None, foreign_key="result_runs.id", ondelete="SET NULL")
    # app.brochure.options.BuildOptions.as_dict(), with the snapshot resolved.
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: BrochureStatus = Field(default=BrochureStatus.QUEUED, sa_type=EnumText(BrochureStatus, 12))
    # {"step": …, "done": n, "total": m, "finished": [part titles]} while it runs.
    progress: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    error: str | None = Field(default=None, sa_type=sa.Text)  # why it failed, for people
    # The PDF, relative to the brochure folder (None until done, and once a
    # newer build of the same profile replaced it).
    file_key: str | None = Field(default=None, max_length=255)
    input_hash: str | None = Field(default=None, max_length=64)
    pages: int | None = Field(default=None)
    size_bytes: int | None = Field(default=None)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The worker process running it, "host pid start-time" (app.brochure.worker.worker_identity):
    # a worker starting on that host ends the builds of one that is gone.
    claimed_by: str | None = Field(default=None, max_length=120)
    # Last sign of life (queued, started, progress): a build silent for too
    # long was interrupted (a worker killed) and no longer blocks a new one.
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES
