"""Alembic environment: the app's models are the target, the URL comes from
the app (``flask db …``) or from the caller's config attributes (tests)."""
import sqlalchemy as sa
from alembic import context

import app.models  # noqa: F401  (registers every table)
from app.db import EnumText, UTCDateTime, create_engine, migration_include_name
from sqlmodel import SQLModel

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_, obj, autogen_context):
    """Write our column types as plain SQLAlchemy types, so that migrations
    never import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EnumText):
        return f"sa.String(length={obj.impl.length})"
    return False


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        include_name=migration_include_name,
    )


def _run(connection) -> None:
    """Run the migrations on ``connection``.

    On SQLite, batch mode rebuilds a table to change its constraints (copy,
    drop, rename); with foreign keys on, dropping the old table would cascade
    into the tables that reference it (dropping a score sheet's scores). So
    foreign keys are off while migrations run (the pragma only takes effect
    outside a transaction) and every reference is checked before they are on
    again.
    """
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # On the driver's connection: through SQLAlchemy it would open a transaction first.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"The migration left rows that reference missing rows: {broken[:5]}")
    if sqlite:
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.attributes["url"])
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
