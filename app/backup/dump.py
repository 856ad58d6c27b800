"""The portable dump: every table as canonical JSON Lines, and its content hash.

A row is one line: a JSON object of its columns (sorted keys, no spaces,
UTF-8), values written the same way whichever database they were read
from, so that SQLite and PostgreSQL give the same bytes for the same data:

- timestamps in UTC, ISO 8601 with microseconds and ``+00:00`` (SQLite
  stores them naive, PostgreSQL with an offset; both are UTC here);
- booleans as ``true``/``false`` (SQLite stores 0/1);
- floats as JSON numbers (Python's shortest round-trip form), with ``"NaN"``,
  ``"Infinity"`` and ``"-Infinity"`` for values older rows may hold;
- decimals as strings, dates and times in ISO 8601, bytes in base64;
- JSON columns as the JSON value itself, keys sorted (PostgreSQL's ``json``
  keeps the text as written, SQLite whatever was stored).

Rows are written in primary key order (text keys in byte order), tables in
dependency order (a table after the tables it refers to), so loading the
lines in order never breaks a foreign key. A table's content hash is the
SHA-256 of its lines, so a backup, a restored copy and the live database
can be compared table by table. Which tables: what Alembic made, without
its own ``alembic_version`` and without the derived search tables that
triggers fill (``app.db.migration_include_name``).
"""
import base64
import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal

import sqlalchemy as sa

from app.db import migration_include_name

#: Rows fetched and inserted at a time.
BATCH = 1000


@dataclass(frozen=True)
class TableDigest:
    """A table's column kinds, row count and content hash."""

    name: str
    columns: dict[str, str]  # column name → kind (see column_kind)
    rows: int
    sha256: str

    def as_dict(self) -> dict:
        return {"name": self.name, "columns": self.columns, "rows": self.rows, "sha256": self.sha256}


@contextmanager
def consistent_read(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in one transaction that sees one instant of the database
    (REPEATABLE READ on PostgreSQL; a SQLite read transaction already does)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


def database_revision(connection: sa.Connection) -> str | None:
    """The Alembic revision the database is at (None: never migrated)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def data_tables(connection: sa.Connection) -> list[sa.Table]:
    """The database's tables (as it is, reflected: the schema at its own
    migration), in dependency order, without Alembic's and the search tables."""
    metadata = sa.MetaData()
    metadata.reflect(
        bind=connection,
        only=lambda name, _metadata: name != "alembic_version" and migration_include_name(name, "table", {}),
    )
    return list(metadata.sorted_tables)


def column_kind(column_type: sa.types.TypeEngine) -> str:
    """How a column's values are written in the dump."""
    checks = [
        (sa.Boolean, "bool"), (sa.Integer, "int"), (sa.Float, "float"), (sa.Numeric, "decimal"),
        (sa.DateTime, "datetime"), (sa.Date, "date"), (sa.Time, "time"), (sa.JSON, "json"),
        (sa.LargeBinary, "bytes"),
    ]
    for type_class, kind in checks:
        if isinstance(column_type, type_class):
            return kind
    return "text"


def column_kinds(table: sa.Table) -> dict[str, str]:
    return {column.name: column_kind(column.type) for column in table.columns}


def plain_value(kind: str, value):
    """A value read from either database, written the canonical way (see the module)."""
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return number
    if kind == "decimal":
        return format(Decimal(value), "f")
    if kind == "datetime":
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if kind in ("date", "time"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "json":
        return value
    return str(value)


def stored_value(kind: str, value, column: sa.Column):
    """The inverse of :func:`plain_value`: what to insert into ``column``."""
    if value is None:
        return None
    if kind == "datetime":
        moment = datetime.fromisoformat(value).astimezone(timezone.utc)
        # A column without time zone (SQLite's, and any naive PostgreSQL one) holds naive UTC.
        return moment if getattr(column.type, "timezone", False) else moment.replace(tzinfo=None)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "time":
        return time.fromisoformat(value)
    if kind == "float":
        return float(value)  # also "NaN", "Infinity", "-Infinity"
    if kind == "decimal":
        return Decimal(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def canonical_line(row: dict) -> bytes:
    """One row as its line in the dump (and in the content hash)."""
    return (json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _ordered_select(connection: sa.Connection, table: sa.Table) -> sa.Select:
    order = []
    for column in table.primary_key.columns:
        if connection.dialect.name == "postgresql" and column_kind(column.type) == "text":
            order.append(column.collate("C"))  # byte order, as SQLite sorts text
        else:
            order.append(column)
    return sa.select(table).order_by(*order)


def table_lines(connection: sa.Connection, table: sa.Table) -> Iterator[bytes]:
    """The table's rows as canonical lines, in primary key order."""
    kinds = column_kinds(table)
    if not table.primary_key.columns:
        # No key to order by: order the lines themselves.
        rows = connection.execute(sa.select(table)).mappings()
        yield from sorted(canonical_line({name: plain_value(kinds[name], row[name]) for name in kinds})
                          for row in rows)
        return
    result = connection.execution_options(yield_per=BATCH).execute(_ordered_select(connection, table))
    for row in result.mappings():
        yield canonical_line({name: plain_value(kinds[name], row[name]) for name in kinds})


def digest_lines(name: str, columns: dict[str, str], lines: Iterable[bytes], sink=None) -> TableDigest:
    """Count and hash ``lines`` (passing each to ``sink`` too, when given)."""
    sha = hashlib.sha256()
    rows = 0
    for line in lines:
        sha.update(line)
        rows += 1
        if sink is not None:
            sink(line)
    return TableDigest(name=name, columns=columns, rows=rows, sha256=sha.hexdigest())


def database_digests(connection: sa.Connection) -> list[TableDigest]:
    """Every data table's row count and content hash, read in ``connection``'s transaction."""
    return [digest_lines(table.name, column_kinds(table), table_lines(connection, table))
            for table in data_tables(connection)]


def load_lines(connection: sa.Connection, table: sa.Table, columns: dict[str, str], lines: Iterable[bytes]) -> int:
    """Insert the dumped ``lines`` (of a table with these column kinds) into
    ``table``, in batches; return the row count. Raises ``ValueError`` when the
    dump's columns are not the table's."""
    if set(columns) != set(table.columns.keys()):
        missing, extra = set(table.columns.keys()) - set(columns), set(columns) - set(table.columns.keys())
        raise ValueError(f"the columns of {table.name} differ from the archive's (only in the database: "
                         f"{sorted(missing)}, only in the archive: {sorted(extra)})")
    count = 0
    batch = []
    for line in lines:
        row = json.loads(line)
        batch.append({name: stored_value(columns[name], value, table.columns[name]) for name, value in row.items()})
        if len(batch) == BATCH:
            connection.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        connection.execute(table.insert(), batch)
        count += len(batch)
    return count


def _serial_sequence(connection: sa.Connection, table: sa.Table) -> tuple[sa.Column, str | None] | None:
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or column_kind(keys[0].type) != "int":
        return None
    if connection.dialect.name != "postgresql":
        return keys[0], None
    return keys[0], connection.execute(sa.select(sa.func.pg_get_serial_sequence(table.name, keys[0].name))).scalar()


def id_counters(connection: sa.Connection, tables: Iterable[sa.Table]) -> dict[str, int]:
    """The highest id each table has ever handed out, where the database
    keeps count: a PostgreSQL sequence, SQLite's AUTOINCREMENT counter
    (``sqlite_sequence``). Rows deleted since leave the counter above the
    largest id, and a restore keeps it so: an id is never handed out twice."""
    counters = {}
    if connection.dialect.name == "sqlite":
        if sa.inspect(connection).has_table("sqlite_sequence"):
            counters = dict(connection.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all())
        return {table.name: counters[table.name] for table in tables if table.name in counters}
    for table in tables:
        found = _serial_sequence(connection, table)
        if found is None or found[1] is None:
            continue
        last_value, is_called = connection.exec_driver_sql(f"SELECT last_value, is_called FROM {found[1]}").one()
        counters[table.name] = last_value if is_called else last_value - 1
    return counters


def reset_sequences(connection: sa.Connection, tables: Iterable[sa.Table], counters: dict[str, int]) -> None:
    """After loading: move every table's id counter past the largest id
    loaded and past the archive's counter (:func:`id_counters`), so the next
    insert neither collides with a restored row nor reuses a deleted one's id."""
    autoincrement = _autoincrement_tables(connection) if connection.dialect.name == "sqlite" else set()
    for table in tables:
        found = _serial_sequence(connection, table)
        if found is None:
            continue
        key, sequence = found
        largest = max(connection.execute(sa.select(sa.func.max(key))).scalar() or 0, counters.get(table.name, 0))
        if connection.dialect.name == "postgresql" and sequence is not None:
            # setval(…, 1, false) for a table that never had a row: the next id is 1.
            connection.execute(sa.select(sa.func.setval(sequence, largest or 1, largest > 0)))
        elif largest and table.name in autoincrement:
            # Inserting explicit ids already raised the counter to the largest
            # one; a larger archived counter is written over it.
            updated = connection.exec_driver_sql("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?",
                                                 (largest, table.name)).rowcount
            if not updated:
                connection.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                           (table.name, largest))


def _autoincrement_tables(connection: sa.Connection) -> set[str]:
    rows = connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'")
    return {name for (name,) in rows}
