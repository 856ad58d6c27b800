"""Writing and reading the audit log."""
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlmodel import Session, select

from app.input_rules import page_within
from app.models import AuditEvent


def record(
    session: Session,
    *,
    actor,
    action: str,
    obj,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add one audit row for a state change of ``obj``, in the caller's transaction.

    ``obj`` is a table instance (already flushed, so it has an id); ``before``
    and ``after`` are JSON-ready snapshots of what changed.
    """
    actor = actor if getattr(actor, "is_authenticated", False) else None
    # The client address is evidence, not logic: services stay request-free
    # otherwise, and CLI commands simply have none.
    ip_address = request.remote_addr if has_request_context() else None
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else None,
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        before=before,
        after=after,
        reason=reason,
        ip_address=ip_address,
    )
    session.add(event)
    return event


def events_page(session: Session, *, page: int, per_page: int = 50, action: str | None = None, object_type: str | None = None):
    """Newest events first, filtered; returns ``(events, total, page)`` (a page
    past the end is the last one)."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    page = page_within(page, total, per_page)
    events = session.exec(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return events, total, page


def object_history(session: Session, *, object_type: str, object_id: int) -> list[AuditEvent]:
    """Every event of one object, oldest first."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        ).all()
    )
