"""``flask notices``: a call's public notice from the command line — publish
the proposed list (opening the notice), then the official list."""
import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts.actors import chair_actor
from app.commands import ID, call_or_exit, in_site_language, transaction
from app.db import db, utcnow
from app.i18n import gettext as _
from app.notices import services
from app.results.compute import draft_run

notices_cli = AppGroup("notices", help="Public notice (公示) of a call's proposed list, and its official list.")


@notices_cli.command("publish")
@click.option("--call", "call_id", type=ID, required=True, help="The call's id.")
@click.option("--public-scores/--no-public-scores", default=False, show_default=True,
              help="Whether the notice, the library and the brochure may show scores.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Record this chair as the actor (default: the command line).")
@in_site_language
def notices_publish(call_id: int, public_scores: bool, as_email: str | None):
    """Publish the call's draft as its proposed list and open the public notice."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), transaction():
        call = call_or_exit(call_id)
        run = draft_run(db.session, call=call)
        if run is None:
            raise click.ClickException(_("The call has no draft results: compute them first."))
        notice, period = services.publish_proposed(db.session, run=run, actor=chair_actor(as_email), now=utcnow(),
                                                   public_scores=public_scores)
    click.echo(_("Proposed list published (snapshot %(run)s, SHA-256 %(hash)s); the notice runs until %(end)s.",
                 run=run.id, hash=run.content_hash, end=period.last_day.isoformat()))
    if period.uncovered_years:
        click.echo(_("The holiday calendar does not cover %(years)s: Monday to Friday were counted as working days.",
                     years=", ".join(map(str, period.uncovered_years))))


@notices_cli.command("official")
@click.option("--call", "call_id", type=ID, required=True, help="The call's id.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Record this chair as the actor (default: the command line).")
@in_site_language
def notices_official(call_id: int, as_email: str | None):
    """Publish the official list of the call's notice (its period over, every objection decided)."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), transaction():
        notice = services.latest_notice(db.session, call_id=call_or_exit(call_id).id)
        if notice is None:
            raise click.ClickException(_("The call has no public notice."))
        run = services.publish_official(db.session, notice=notice, actor=chair_actor(as_email), now=utcnow())
    click.echo(_("Official list published (snapshot %(run)s, SHA-256 %(hash)s).", run=run.id, hash=run.content_hash))
