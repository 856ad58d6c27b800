"""Command line: ``flask db …``, ``flask users …``, ``flask demo …``."""
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlmodel import select

from app.db import db, write_intent
from app.enums import Role

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Alembic's config for our ``migrations/`` folder and the app's database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s")
    config.attributes["url"] = url or current_app.config["DATABASE_URL"]
    return config


db_cli = AppGroup("db", help="Database migrations (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str):
    """Upgrade the database to REVISION (default: head)."""
    command.upgrade(alembic_config(), revision)
    # Refresh the query planner's statistics (the entry table's filters pick
    # their index from them); PostgreSQL's autovacuum does this by itself.
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str):
    """Downgrade the database to REVISION (default: one step back)."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Compare the models with the database.")
def db_revision(message: str, autogenerate: bool):
    """Create a new migration file."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate)


@db_cli.command("current")
def db_current():
    """Show the database's revision."""
    command.current(alembic_config(), verbose=True)


@db_cli.command("history")
def db_history():
    """List the migrations."""
    command.history(alembic_config())


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
    from app.accounts.staff import create_staff_user, invite_staff
    from app.errors import DomainError

    name = name or email.split("@")[0]
    with write_intent(), current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        try:
            if password is not None:
                user = create_staff_user(db.session, email=email, name=name, roles=roles, password=password)
                url = None
            else:
                user, url = invite_staff(db.session, inviter=None, email=email, name=name, roles=roles)
        except DomainError as error:
            db.rollback()
            raise click.ClickException(str(error.message)) from None
        db.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(role.value for role in user.roles))}")
    if url:
        click.echo(f"Invitation link (valid {current_app.config['INVITATION_DAYS']} days): {url}")


class CommandLineOperator:
    """The actor of a command run without ``--as``: acts with a chair's rights,
    and is recorded in the audit log without an account (shown as "system")."""

    id = None
    email = None
    is_authenticated = True

    def has_role(self, *roles: Role) -> bool:
        return Role.CHAIR in roles


def chair_actor(email: str | None):
    """The chair named by ``--as``, or the operator at the command line:
    someone with access to the server, trusted like ``flask users create`` is.
    The audit log then shows the chair, or "system"."""
    if email is None:
        return CommandLineOperator()
    from app.models import User

    user = db.session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active or not user.has_role(Role.CHAIR):
        raise click.ClickException(f"{email} is not an active chair account.")
    return user


def register_cli(app: Flask) -> None:
    from app.brochure.cli import brochure_cli
    from app.brochure.worker_cli import worker_command
    from app.demo.cli import demo_cli
    from app.results.cli import results_cli
    from app.review.assign_cli import review_cli
    from app.review.cli import rubrics_cli

    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(rubrics_cli)
    app.cli.add_command(storage_cli)
    app.cli.add_command(review_cli)
    app.cli.add_command(results_cli)
    app.cli.add_command(brochure_cli)
    app.cli.add_command(worker_command)


storage_cli = AppGroup("storage", help="Uploaded files.")


@storage_cli.command("prune")
@click.option("--older-than-hours", default=24, show_default=True, type=click.IntRange(min=0),
              help="Keep unused files stored more recently than this.")
def storage_prune(older_than_hours: int):
    """Delete uploaded files no entry or brochure uses any more (run it daily, e.g. from cron)."""
    from datetime import timedelta

    from app.brochure.service import brochure_blobs
    from app.entries.services import referenced_blobs
    from app.library.services import library_blobs
    from app.storage import storage

    referenced = referenced_blobs(db.session) | brochure_blobs(db.session) | library_blobs(db.session)
    removed = storage().prune(referenced=referenced, older_than=timedelta(hours=older_than_hours))
    click.echo(f"Removed {len(removed)} unused file(s).")
