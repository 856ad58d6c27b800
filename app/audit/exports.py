"""The audit log as a CSV file (UTF-8 with BOM, like the other exports;
every text cell neutralised so that no spreadsheet runs it as a formula)."""
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from app.audit.labels import action_label
from app.audit.services import as_json
from app.i18n import lazy_gettext as _l
from app.models import AuditEvent
from app.spreadsheets import csv_bytes, neutralise

HEADERS = (
    _l("When"), _l("Who"), _l("Action key"), _l("Action"), _l("Object"), _l("Object id"), _l("Reason"),
    _l("before"), _l("after"), _l("From"),
)


def audit_csv(events: Iterable[AuditEvent], *, zone: ZoneInfo) -> bytes:
    """One row per event: local time to the second, actor, action key and label,
    object, reason, before/after as JSON, client address."""
    rows = (
        [neutralise(cell) for cell in (
            event.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            event.actor_email or str(_l("system")),
            event.action,
            str(action_label(event.action)),
            event.object_type,
            event.object_id,
            event.reason or "",
            as_json(event.before),
            as_json(event.after),
            event.ip_address or "",
        )]
        for event in events
    )
    return csv_bytes([str(header) for header in HEADERS], rows)
