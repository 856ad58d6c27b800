"""``flask db …``: the database's migrations (Alembic), and their config."""
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import AppGroup

from app.db import db

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
