"""The audit log: one row per state change, written in the same transaction."""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # Kept when the actor's account is deleted: the log must outlive accounts.
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL", index=True)
    actor_email: str | None = Field(default=None, max_length=254)
    action: str = Field(max_length=64, index=True)
    object_type: str = Field(max_length=40)
    object_id: int | None = Field(default=None)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    ip_address: str | None = Field(default=None, max_length=45)
