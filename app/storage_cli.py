"""``flask storage prune``: sweep the uploaded files nothing uses any more."""
from datetime import timedelta

import click
from flask.cli import AppGroup

from app.db import db
from app.storage_prune import prune_unused_blobs

storage_cli = AppGroup("storage", help="Uploaded files.")
#: Ten years: an older cut-off keeps everything anyway.
MAX_AGE_HOURS = 24 * 365 * 10


@storage_cli.command("prune")
@click.option("--older-than-hours", default=24, show_default=True, type=click.IntRange(0, MAX_AGE_HOURS),
              help="Keep unused files stored more recently than this.")
def storage_prune(older_than_hours: int):
    """Delete uploaded files no entry, brochure or library case uses any more (run it daily, e.g. from cron)."""
    removed = prune_unused_blobs(db.session, older_than=timedelta(hours=older_than_hours))
    click.echo(f"Removed {len(removed)} unused file(s).")
