"""Writing, reading, exporting and pruning the audit log."""
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlmodel import Session, select

from app.input_rules import page_within
from app.models import AuditEvent


class Subject:
    """What an event is about when no row stands for it: a table and perhaps an
    id (a failed login with an address no account has, the audit log itself)."""

    def __init__(self, table: str, object_id: int | None = None):
        self.__tablename__ = table
        self.id = object_id


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


@dataclass(frozen=True)
class AuditFilters:
    """What the chair's audit log page and its export show: an action, an
    actor (part of the address; "system" for events without one), an object
    type (and id), and a time range (``since`` included, ``until`` not)."""

    action: str | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    def described(self) -> dict:
        """The filters in use, JSON-ready (the export's audit row records them)."""
        return {key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in asdict(self).items() if value not in (None, "")}


def _filtered(query, filters: AuditFilters):
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor == "system":
        query = query.where(AuditEvent.actor_email.is_(None))
    elif filters.actor:
        query = query.where(AuditEvent.actor_email.ilike(f"%{filters.actor.strip().lower()}%"))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def events_page(session: Session, *, page: int, per_page: int = 50, filters: AuditFilters = AuditFilters()):
    """Newest events first, filtered; returns ``(events, total, page)`` (a page
    past the end is the last one)."""
    query = _filtered(select(AuditEvent), filters)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    page = page_within(page, total, per_page)
    events = session.exec(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return events, total, page


def events_for_export(session: Session, *, filters: AuditFilters) -> Iterator[AuditEvent]:
    """Every event the filters select, newest first, read in batches."""
    query = _filtered(select(AuditEvent), filters).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    yield from session.exec(query.execution_options(yield_per=1000))


def filter_choices(session: Session) -> tuple[list[str], list[str]]:
    """The actions and the object types the log holds, for the filter menus."""
    actions = session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    types = session.exec(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)).all()
    return list(actions), list(types)


def as_json(value) -> str:
    """A before/after snapshot as readable JSON text (Chinese as is)."""
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def prune_events(session: Session, *, before: datetime, retention_days: int) -> int:
    """Delete the events older than ``before`` (the retention setting's
    ``flask audit prune``), and record that it happened; returns how many."""
    deleted = session.execute(sa.delete(AuditEvent).where(AuditEvent.occurred_at < before)).rowcount
    record(session, actor=None, action="audit.pruned", obj=Subject("audit_events"),
           after={"deleted": deleted, "before": before.isoformat(), "retention_days": retention_days})
    return deleted


def object_history(session: Session, *, object_type: str, object_id: int) -> list[AuditEvent]:
    """Every event of one object, oldest first."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        ).all()
    )
