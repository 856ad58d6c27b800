"""A consistent snapshot of the database, in its native form and as the
portable dump, both of the same instant.

- **SQLite**: the online backup API (``sqlite3.Connection.backup``) copies
  the database page by page while the app keeps running; the portable dump
  is then read from that copy, so both are the same instant by construction.
- **PostgreSQL**: a read-only REPEATABLE READ transaction exports its
  snapshot; ``pg_dump --format=custom --snapshot=…`` dumps exactly that
  snapshot while the same transaction reads the portable dump.

``pg_dump`` gets the connection parameters of ``DATABASE_URL`` as options
and its password as ``PGPASSWORD`` in its environment only: the password is
never on a command line (where ``ps`` shows it) nor printed.
"""
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from app.backup.dump import (
    TableDigest,
    column_kinds,
    consistent_read,
    data_tables,
    database_revision,
    digest_lines,
    id_counters,
    table_lines,
)
from app.errors import DomainError
from app.i18n import lazy_gettext as _l

#: Where the native snapshot goes in the archive, by database kind.
NATIVE_MEMBER = {"sqlite": "database/showcase.sqlite3", "postgresql": "database/showcase.pgdump"}


@dataclass(frozen=True)
class DatabaseSnapshot:
    kind: str  # "sqlite" or "postgresql"
    revision: str | None  # the Alembic revision the database is at
    native_path: Path  # the native snapshot, a file in the work folder
    tables: list[TableDigest]
    counters: dict[str, int]  # table → the highest id it handed out (app.backup.dump.id_counters)


#: ``write_table(name, lines)`` stores a table's dump and passes its lines on.
TableWriter = Callable[[str, Iterator[bytes]], Iterator[bytes]]


def snapshot_database(engine: sa.Engine, work: Path, write_table: TableWriter) -> DatabaseSnapshot:
    """Snapshot ``engine``'s database into ``work``: the native copy, and every
    table's portable dump through ``write_table``."""
    if engine.dialect.name == "sqlite":
        return _sqlite_snapshot(engine, work, write_table)
    if engine.dialect.name == "postgresql":
        return _postgresql_snapshot(engine, work, write_table)
    raise DomainError(_l("Backups support SQLite and PostgreSQL databases only."))


def _dump_tables(connection: sa.Connection, write_table: TableWriter) -> tuple[list[TableDigest], dict[str, int]]:
    tables = data_tables(connection)
    digests = [digest_lines(table.name, column_kinds(table), write_table(table.name, table_lines(connection, table)))
               for table in tables]
    return digests, id_counters(connection, tables)


def _sqlite_snapshot(engine: sa.Engine, work: Path, write_table: TableWriter) -> DatabaseSnapshot:
    database = engine.url.database
    if not database or database == ":memory:":
        raise DomainError(_l("An in-memory SQLite database cannot be backed up."))
    copy = work / "showcase.sqlite3"
    source = sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)
        # One self-contained file: no write-ahead log beside it.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    reader = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True))
    try:
        with reader.connect() as connection:
            revision = database_revision(connection)
            tables, counters = _dump_tables(connection, write_table)
    finally:
        reader.dispose()
    return DatabaseSnapshot(kind="sqlite", revision=revision, native_path=copy, tables=tables,
                            counters=counters)


def libpq_environment(url: URL) -> dict[str, str]:
    """The libpq environment for ``url``'s server and credentials
    (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``, and
    ``sslmode``/``options`` from its query), for ``pg_dump`` and ``psql``."""
    environment = {"PGHOST": url.host, "PGPORT": str(url.port) if url.port else None, "PGUSER": url.username,
                   "PGPASSWORD": url.password, "PGDATABASE": url.database}
    for parameter, variable in (("sslmode", "PGSSLMODE"), ("options", "PGOPTIONS"), ("host", "PGHOST")):
        value = url.query.get(parameter)
        if value:
            environment[variable] = value if isinstance(value, str) else value[0]
    return {name: value for name, value in environment.items() if value}


def _postgresql_snapshot(engine: sa.Engine, work: Path, write_table: TableWriter) -> DatabaseSnapshot:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise DomainError(_l("pg_dump was not found: install the PostgreSQL client tools of the server's "
                             "major version (e.g. postgresql-client-15)."))
    native = work / "showcase.pgdump"
    with consistent_read(engine) as connection:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        command = [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={native}", "--no-password"]
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        if schema != "public":
            # The app's tables live in a schema of their own (search_path):
            # that schema only. (Filtering "public" would leave out the
            # pg_trgm extension that the search index uses.)
            command.append(f"--schema={schema}")
        environment = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
        completed = subprocess.run(command, env=environment | libpq_environment(engine.url), capture_output=True,
                                   text=True, check=False)
        if completed.returncode != 0:
            raise DomainError(_l("pg_dump failed (exit status %(status)s): %(error)s",
                                 status=completed.returncode, error=completed.stderr.strip()))
        revision = database_revision(connection)
        tables, counters = _dump_tables(connection, write_table)
    return DatabaseSnapshot(kind="postgresql", revision=revision, native_path=native, tables=tables,
                            counters=counters)
