"""``flask audit prune``: delete audit events older than the retention setting."""
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.audit.services import prune_events
from app.commands import transaction
from app.db import db, utcnow

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("prune")
def audit_prune():
    """Delete audit events older than AUDIT_RETENTION_DAYS (0: keep every event)."""
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    if not days:
        click.echo("AUDIT_RETENTION_DAYS is 0: the audit log keeps every event. Nothing deleted.")
        return
    before = utcnow() - timedelta(days=days)
    with transaction():
        deleted = prune_events(db.session, before=before, retention_days=days)
    click.echo(f"Deleted {deleted} audit event(s) older than {days} days (before {before:%Y-%m-%d %H:%M} UTC).")
