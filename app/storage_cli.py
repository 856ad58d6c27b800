"""``flask storage``: check that the storage works, sweep the uploaded files nothing uses any more."""
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import db
from app.errors import StorageFull
from app.storage import check_storage, storage
from app.storage_prune import prune_unused_blobs

storage_cli = AppGroup("storage", help="Uploaded files.")
#: Ten years: an older cut-off keeps everything anyway.
MAX_AGE_HOURS = 24 * 365 * 10


@storage_cli.command("check")
def storage_check():
    """Store a probe file, read it back and delete it: does the configured storage work?"""
    blobs = storage()
    click.echo(f"Storage: {blobs.describe()}")
    try:  # in a request context, as the app's other commands: a refusal's message is translated
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            key = check_storage(blobs)
    except StorageFull:
        raise click.ClickException("the storage is full: no room for a probe file.") from None
    except OSError as error:  # StorageUnavailable (what to check), a folder we may not write, …
        raise click.ClickException(str(error)) from None
    click.echo(f"OK: stored, read back, listed and deleted a probe file ({key}).")


@storage_cli.command("prune")
@click.option("--older-than-hours", default=24, show_default=True, type=click.IntRange(0, MAX_AGE_HOURS),
              help="Keep unused files stored more recently than this.")
def storage_prune(older_than_hours: int):
    """Delete uploaded files no entry, brochure or library case uses any more (run it daily, e.g. from cron)."""
    removed = prune_unused_blobs(db.session, older_than=timedelta(hours=older_than_hours))
    click.echo(f"Removed {len(removed)} unused file(s).")
