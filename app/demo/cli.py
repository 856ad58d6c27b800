import click
from flask import current_app
from flask.cli import AppGroup

from app.commands import transaction
from app.db import db, utcnow
from app.demo.certificates import queue_builds, start_builds
from app.demo.services import DEMO_LOGINS, DEMO_PASSWORD, database_is_empty, load_demo

demo_cli = AppGroup("demo", help="Demonstration data.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def demo_load(if_empty: bool):
    """Load the demo calls, staff, applicants, entries, the review under way and last year's published results (idempotent)."""
    if current_app.config["SHOWCASE_ENV"] == "production":
        # The demo accounts share a published password.
        raise click.ClickException("Demo data is never loaded in production (SHOWCASE_ENV=production).")
    summary = None
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), transaction():
        if not (if_empty and not database_is_empty(db.session)):
            summary = load_demo(db.session, now=utcnow())
    builds = []
    if summary is not None and not current_app.testing:
        # The certificates' PDFs are the worker's (an in-process test queue would build them here, slowly).
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), transaction():
            builds = start_builds(db.session, now=utcnow())
        queue_builds(builds)
    if summary is None:
        click.echo("The database already has data; demo data not loaded.")
    else:
        for line in summary.lines():
            click.echo(line)
        if builds:
            click.echo("Certificate PDFs of last year's official list: queued for the job worker (make run starts one).")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for login, role in DEMO_LOGINS:
        click.echo(f"  {role:<10} {login}")
    click.echo(f"Public case library (no login): {current_app.config['BASE_URL'].rstrip('/')}/library/")
