"""Test databases: SQLite files, or PostgreSQL when TEST_DATABASE_URL is set.

``fresh_database`` gives an empty database migrated to a revision: a new
SQLite file, or a new schema in the PostgreSQL test database (so tests that
need their own committed data never touch the shared one).
"""
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from app.config import normalise_database_url
from app.db import create_engine
from app.db_cli import alembic_config

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL") or ""
ON_POSTGRES = bool(POSTGRES_URL)


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def _with_search_path(url: str, schema: str) -> str:
    parsed = sa.engine.make_url(normalise_database_url(url))
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def reset_shared_database(tmp_dir: Path) -> str:
    """The URL of the session-wide test database, emptied and migrated."""
    if not ON_POSTGRES:
        url = f"sqlite:///{tmp_dir / 'test.db'}"
    else:
        url = normalise_database_url(POSTGRES_URL)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    migrate(url)
    return url


@contextmanager
def fresh_database(tmp_dir: Path, revision: str | None = "head"):
    """Yield the URL of a new, empty database (migrated to ``revision`` unless None)."""
    if not ON_POSTGRES:
        url = f"sqlite:///{tmp_dir / f'fresh-{uuid.uuid4().hex[:8]}.db'}"
        if revision:
            migrate(url, revision)
        yield url
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_database_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = _with_search_path(POSTGRES_URL, schema)
    try:
        if revision:
            migrate(url, revision)
        yield url
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def scratch_database(tmp_dir: Path, suffix: str, *, postgres: bool = ON_POSTGRES):
    """Yield the URL of a new database with nothing in it, not even a schema
    (for a restore): a SQLite file, or on PostgreSQL a database of its own
    named after the test database (``test_wt3`` → ``test_wt3_restore``),
    dropped afterwards."""
    if not postgres:
        yield f"sqlite:///{tmp_dir / f'{suffix}-{uuid.uuid4().hex[:8]}.db'}"
        return
    url = sa.engine.make_url(normalise_database_url(POSTGRES_URL))
    name = f"{url.database}_{suffix}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
