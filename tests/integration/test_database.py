"""Migrations, timestamps and SQLite's write locking."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from app import create_app
from app.db import create_engine, db, migration_include_name, write_intent
from app.db_cli import alembic_config
from app.enums import Phase
from app.models import Call, CallPhase
from tests.conftest import make_test_config
from tests.databases import ON_POSTGRES, fresh_database


def test_migrations_match_the_models(tmp_path):
    """After ``upgrade head`` autogenerate finds nothing to add or change."""
    with fresh_database(tmp_path) as url:
        engine = create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "compare_server_default": True, "include_name": migration_include_name})
            assert compare_metadata(context, SQLModel.metadata) == []
        engine.dispose()


def test_migrations_downgrade_to_base_and_up_again(tmp_path):
    with fresh_database(tmp_path) as url:
        config = alembic_config(url)
        command.downgrade(config, "base")
        engine = create_engine(url)
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert {"users", "organisations", "calls", "call_phases", "audit_events"} <= set(sa.inspect(engine).get_table_names())
        engine.dispose()


def test_timestamps_come_back_in_utc_and_timezone_aware(session, make):
    call = make.call()
    beijing = timezone(timedelta(hours=8))
    window = call.phase_window(Phase.SUBMISSION)
    local_start = (window.ends_at - timedelta(days=1)).astimezone(beijing).replace(microsecond=0)
    window.starts_at = local_start
    session.add(window)
    session.commit()
    session.expire_all()

    stored = session.exec(select(CallPhase).where(CallPhase.id == window.id)).one()
    assert stored.starts_at == local_start
    assert stored.starts_at.tzinfo == timezone.utc
    assert stored.starts_at.utcoffset() == timedelta(0)
    assert call.created_at.tzinfo is not None


def test_naive_timestamps_are_refused(session, make):
    call = make.call()
    window = call.phase_window(Phase.SUBMISSION)
    window.starts_at = datetime(2027, 1, 1, 9, 0)
    session.add(window)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()
    session.rollback()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's locking; PostgreSQL locks rows")
def test_concurrent_read_then_write_transactions_do_not_fail_with_database_locked(tmp_path):
    """Threads that each read a value, then write it back incremented.

    With deferred transactions two readers deadlock on the upgrade to a write
    lock and SQLite answers "database is locked" at once (the busy timeout
    does not apply). BEGIN IMMEDIATE makes them queue instead, and no
    increment is lost.
    """
    with fresh_database(tmp_path) as url:
        app = create_app(make_test_config(url, tmp_path))
        with app.app_context(), write_intent():
            now = datetime.now(timezone.utc)
            call = Call(name="并发", year=2027, target_count=1)
            call.phases = [CallPhase(phase=Phase.SUBMISSION, starts_at=now, ends_at=now + timedelta(days=1))]
            db.session.add(call)
            db.commit()
            call_id = call.id

        errors, workers, rounds = [], 8, 10

        def work():
            try:
                for _ in range(rounds):
                    with app.app_context(), write_intent():
                        row = db.session.get(Call, call_id)
                        row.target_count = row.target_count + 1
                        threading.Event().wait(0.001)  # widen the read-to-write window
                        db.commit()
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        with app.app_context():
            assert db.session.get(Call, call_id).target_count == 1 + workers * rounds
        app.extensions["db"].engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite pragmas")
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.extensions["db"].engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
