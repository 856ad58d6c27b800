"""What the operations side keeps in the database: the job workers' heartbeats."""
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class WorkerHeartbeat(SQLModel, table=True):
    """One running ``flask worker`` process: written when it starts, then
    every ``WORKER_HEARTBEAT_SECONDS`` by a thread of its own. ``/readyz``
    and the chair's system status page look at the newest ``beat_at``."""

    __tablename__ = "worker_heartbeats"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
