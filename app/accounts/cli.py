"""``flask users …``: staff accounts from the command line."""
import click
from flask import current_app
from flask.cli import AppGroup

from app.accounts.staff import create_staff_user, invite_staff
from app.commands import transaction
from app.db import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(["expert", "chair", "publicity"]),
    help="Staff role; repeat for several. Applicants register on the website.",
)
@click.option("--name", default="", help="Display name (default: the part of EMAIL before @).")
@click.option("--password", default=None, help="Set this password; without it an invitation link is mailed and printed.")
def users_create(email: str, roles: tuple[str, ...], name: str, password: str | None):
    """Create a staff account."""
    name = name or email.split("@")[0]
    url = None
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), transaction():
        if password is not None:
            user = create_staff_user(db.session, email=email, name=name, roles=roles, password=password)
        else:
            user, url = invite_staff(db.session, inviter=None, email=email, name=name, roles=roles)
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(role.value for role in user.roles))}")
    if url:
        click.echo(f"Invitation link (valid {current_app.config['INVITATION_DAYS']} days): {url}")
