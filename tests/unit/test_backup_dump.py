"""The portable dump's canonical values (app.backup.dump) and pg_dump's
connection environment (app.backup.snapshot)."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.backup.dump import canonical_line, column_kind, plain_value, stored_value
from app.backup.snapshot import libpq_environment


def test_one_instant_reads_the_same_from_sqlite_naive_and_postgresql_aware():
    naive = datetime(2026, 12, 6, 3, 15, 0, 120000)  # SQLite: naive UTC
    aware = datetime(2026, 12, 6, 11, 15, 0, 120000, tzinfo=timezone(timedelta(hours=8)))  # PostgreSQL, a session zone
    assert plain_value("datetime", naive) == plain_value("datetime", aware) == "2026-12-06T03:15:00.120000+00:00"


def test_values_are_written_the_same_whatever_the_driver_returned():
    assert plain_value("bool", 1) is True and plain_value("bool", 0) is False
    assert plain_value("float", 12) == 12.0 and isinstance(plain_value("float", 12), float)
    assert [plain_value("float", v) for v in (float("inf"), float("-inf"), float("nan"))] == \
        ["Infinity", "-Infinity", "NaN"]
    assert plain_value("decimal", Decimal("12.50")) == "12.50"
    assert plain_value("date", date(2024, 3, 1)) == "2024-03-01"
    assert plain_value("bytes", b"\x00\xff") == "AP8="
    assert plain_value("text", None) is None


def test_json_key_order_does_not_change_a_line():
    first = canonical_line({"b": 1, "a": {"y": [1.5, "广州"], "x": None}})
    second = canonical_line({"a": {"x": None, "y": [1.5, "广州"]}, "b": 1})
    assert first == second == '{"a":{"x":null,"y":[1.5,"广州"]},"b":1}\n'.encode()


def test_stored_values_invert_the_plain_ones():
    aware_column = sa.Column("at", sa.DateTime(timezone=True))
    naive_column = sa.Column("at", sa.DateTime())
    written = "2026-12-06T03:15:00.120000+00:00"
    assert stored_value("datetime", written, aware_column) == datetime(2026, 12, 6, 3, 15, 0, 120000, tzinfo=timezone.utc)
    assert stored_value("datetime", written, naive_column) == datetime(2026, 12, 6, 3, 15, 0, 120000)
    assert stored_value("float", "Infinity", sa.Column("x", sa.Float)) == float("inf")
    assert stored_value("bytes", "AP8=", sa.Column("x", sa.LargeBinary)) == b"\x00\xff"


def test_column_kinds_of_reflected_types():
    assert [column_kind(t) for t in (sa.BOOLEAN(), sa.BIGINT(), sa.FLOAT(), sa.NUMERIC(10, 2), sa.DATETIME(),
                                     sa.DATE(), sa.JSON(), sa.VARCHAR(40), sa.TEXT())] == \
        ["bool", "int", "float", "decimal", "datetime", "date", "json", "text", "text"]


def test_pg_dump_gets_the_password_in_its_environment_only():
    url = make_url("postgresql+psycopg://showcase:p%40ss-word@db.internal:5433/showcase?sslmode=require")
    assert libpq_environment(url) == {"PGHOST": "db.internal", "PGPORT": "5433", "PGUSER": "showcase",
                                      "PGPASSWORD": "p@ss-word", "PGDATABASE": "showcase", "PGSSLMODE": "require"}
