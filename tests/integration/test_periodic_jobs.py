"""The periodic jobs: their registration on Huey (schedules in the app's
timezone, settings that switch them off) and each job's function, called
directly on the test database."""
import logging
import os
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlmodel import select

from app import create_app
from app.accounts import tasks as accounts_tasks
from app.config import DEFAULTS, ConfigError
from app.db import utcnow
from app.enums import Phase, SheetStatus, TokenPurpose
from app.jobs import job_queue
from app.models import Assignment, AuditEvent, PendingRegistration, UserSession, UserToken
from app.review.manage import tasks as review_tasks
from app.storage import LocalStorage
from app.storage_prune import prune_storage
from tests.conftest import make_test_config
from tests.factories import credit_code

PERIODIC = {
    "app.mail.sweep_outbox": "MAIL_SWEEP_SCHEDULE",
    "app.storage_prune.prune_storage": "STORAGE_PRUNE_SCHEDULE",
    "app.accounts.tasks.clean_up_expired": "TOKEN_CLEANUP_SCHEDULE",
    "app.backup.tasks.nightly_backup": "BACKUP_SCHEDULE",
    "app.review.manage.tasks.remind_experts": "REVIEW_REMINDER_SCHEDULE",
}


def worker_app(tmp_path, **config) -> Flask:
    """A plain app with the queue's and the schedules' settings, as a worker's."""
    app = Flask("periodic-app")
    app.config.update({key: value for key, value in DEFAULTS.items() if key.endswith("_SCHEDULE")})
    app.config.update({"JOBS_REDIS_URL": "", "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
                       "TIMEZONE": "Asia/Shanghai", "PERIODIC_JOBS_ENABLED": True, **config})
    return app


def due(app, utc: datetime) -> set[str]:
    """The periodic jobs Huey's consumer would enqueue at ``utc`` (naive UTC, as it asks)."""
    queue = job_queue(app)
    names = {task.name for task in queue.huey.read_periodic(utc)}
    return {name for name, wrapper in queue.tasks.items() if wrapper.name in names}


# --- registration ------------------------------------------------------------------------


def test_every_periodic_job_is_registered_with_its_schedule(tmp_path):
    app = worker_app(tmp_path)
    queue = job_queue(app)

    assert queue.schedules == {name: DEFAULTS[setting] for name, setting in PERIODIC.items()}
    assert set(PERIODIC) <= set(queue.tasks)
    # The sweep runs every five minutes; 03:15 and 03:30 in Shanghai are 19:15 and 19:30 UTC.
    assert due(app, datetime(2026, 12, 6, 4, 5)) == {"app.mail.sweep_outbox"}
    assert due(app, datetime(2026, 12, 6, 4, 7)) == set()
    assert due(app, datetime(2026, 12, 5, 19, 15)) == {"app.mail.sweep_outbox", "app.accounts.tasks.clean_up_expired"}
    assert due(app, datetime(2026, 12, 5, 19, 30)) == {"app.mail.sweep_outbox", "app.storage_prune.prune_storage"}
    assert due(app, datetime(2026, 12, 6, 1, 0)) == {"app.mail.sweep_outbox", "app.review.manage.tasks.remind_experts"}
    assert due(app, datetime(2026, 12, 6, 3, 30)) == {"app.mail.sweep_outbox"}  # 03:30 UTC is 11:30 there


def test_a_schedule_is_a_setting_and_an_empty_one_switches_the_job_off(tmp_path):
    app = worker_app(tmp_path, STORAGE_PRUNE_SCHEDULE="0 12 * * 1", MAIL_SWEEP_SCHEDULE="", TIMEZONE="UTC")
    queue = job_queue(app)

    assert "app.mail.sweep_outbox" not in queue.schedules
    assert "app.mail.sweep_outbox" in queue.tasks  # still a job that can be queued by hand
    assert due(app, datetime(2026, 12, 7, 12, 0)) == {"app.storage_prune.prune_storage"}  # a Monday
    assert due(app, datetime(2026, 12, 8, 12, 0)) == set()


def test_periodic_jobs_switched_off_together(tmp_path):
    app = worker_app(tmp_path, PERIODIC_JOBS_ENABLED=False)
    queue = job_queue(app)

    assert queue.schedules == {}
    assert queue.huey.read_periodic(datetime(2026, 12, 6, 4, 5)) == []
    assert set(PERIODIC) <= set(queue.tasks)


def test_a_periodic_job_runs_when_queued_and_its_result_is_logged_not_stored(app, caplog, tmp_path, monkeypatch):
    """Huey's result store would keep every run's value for ever: a periodic
    job's goes to the log."""
    monkeypatch.setitem(app.extensions, "storage", LocalStorage(tmp_path / "uploads"))
    caplog.set_level(logging.INFO, logger="app.jobs")
    assert "app.storage_prune.prune_storage" in job_queue(app).schedules
    with app.app_context():
        result = prune_storage.enqueue()  # by hand, on the (immediate) queue

    assert result.get() is None
    assert "Periodic job app.storage_prune.prune_storage: 0" in caplog.text


@pytest.mark.parametrize("expression", ["every day", "0 3 * *", "61 * * * *", "0 25 * * *", "*/x * * * *"])
def test_a_wrong_schedule_stops_the_app_at_start(tmp_path, expression):
    with pytest.raises(ConfigError, match="STORAGE_PRUNE_SCHEDULE is not a cron expression"):
        create_app(make_test_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, STORAGE_PRUNE_SCHEDULE=expression))


# --- the jobs' functions ---------------------------------------------------------------------


def test_clean_up_expired_deletes_expired_links_and_old_sessions(app, make, session, monkeypatch):
    monkeypatch.setitem(app.config, "ENDED_SESSIONS_KEEP_DAYS", 30)
    now = utcnow()
    user = make.applicant()
    tokens = {
        "expired": UserToken(user_id=user.id, purpose=TokenPurpose.PASSWORD_RESET, token_hash="a" * 64,
                             expires_at=now - timedelta(minutes=1)),
        "valid": UserToken(user_id=user.id, purpose=TokenPurpose.INVITATION, token_hash="b" * 64,
                           expires_at=now + timedelta(days=1)),
    }
    registrations = {
        name: PendingRegistration(token_hash=name.ljust(64, "0"), email=f"{name}@example.com", organisation_name="公司",
                                  credit_code=credit_code(990000 + n), city_code="440300", contact_name="联系人",
                                  password_hash="x", expires_at=now + offset)
        for n, (name, offset) in enumerate({"expired": -timedelta(hours=1), "valid": timedelta(hours=1)}.items())
    }
    day = timedelta(days=1)
    sessions = {
        "ended long ago": UserSession(user_id=user.id, token_hash="c" * 64, created_at=now - 40 * day,
                                      last_seen_at=now - 40 * day, ended_at=now - 31 * day),
        "ended lately": UserSession(user_id=user.id, token_hash="d" * 64, created_at=now - 2 * day,
                                    last_seen_at=now - 2 * day, ended_at=now - day),
        "abandoned long ago": UserSession(user_id=user.id, token_hash="e" * 64, created_at=now - 40 * day,
                                          last_seen_at=now - 40 * day),
        "open": UserSession(user_id=user.id, token_hash="f" * 64, created_at=now, last_seen_at=now),
    }
    session.add_all([*tokens.values(), *registrations.values(), *sessions.values()])
    session.commit()

    with app.app_context():
        assert accounts_tasks.clean_up_expired() == {"tokens": 1, "registrations": 1, "sessions": 2}

    assert session.exec(select(UserToken.token_hash)).all() == ["b" * 64]
    assert session.exec(select(PendingRegistration.email)).all() == ["valid@example.com"]
    assert sorted(session.exec(select(UserSession.token_hash)).all()) == ["d" * 64, "f" * 64]
    with app.app_context():
        assert accounts_tasks.clean_up_expired() == {"tokens": 0, "registrations": 0, "sessions": 0}


def test_prune_storage_deletes_old_unused_files_only(app, make, session, tmp_path, monkeypatch):
    store = LocalStorage(tmp_path / "uploads")  # this test's own folder (the app's is shared)
    monkeypatch.setitem(app.extensions, "storage", store)
    make.entry(photos=1)
    used = {blob.key for blob in store.blobs()}
    assert used  # the photo's renditions
    with app.app_context():
        unused_old = store.put(b"unused and old", suffix=".pdf")
        unused_new = store.put(b"unused but new", suffix=".pdf")
    day_ago = time.time() - 25 * 3600
    for key in [unused_old, *used]:  # the entry's photos are old too, and stay
        os.utime(tmp_path / "uploads" / key, (day_ago, day_ago))

    with app.app_context():
        assert prune_storage() == 1

    assert not store.exists(unused_old)
    assert store.exists(unused_new) and all(store.exists(key) for key in used)


def _reminder_call(make, *, ends_in: timedelta):
    """A call in review whose phase ends ``ends_in`` from now (the factory's
    open phase ends 4 days after ``now``), with experts: one with an open
    sheet, one with a draft, one finished."""
    call = make.call(now=utcnow() + ends_in - timedelta(days=4), open_phase=Phase.REVIEW)
    version = make.rubric_version()
    waiting, drafting, done = (make.expert(name=name) for name in ("待评专家", "草稿专家", "完成专家"))
    entry = make.entry(call=call, complete=False)
    make.assignment(entry=entry, expert=waiting)
    make.assignment(entry=entry, expert=drafting, sheet=SheetStatus.DRAFT, version=version)
    make.assignment(entry=entry, expert=done, sheet=SheetStatus.SUBMITTED, version=version)
    return call, (waiting, drafting, done)


def test_review_reminders_go_out_in_the_last_days_once_a_day(app, make, session, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_REMINDER_DAYS", 3)
    ending, (waiting, drafting, done) = _reminder_call(make, ends_in=timedelta(days=2))
    _reminder_call(make, ends_in=timedelta(days=5))  # not yet

    with app.app_context():
        assert review_tasks.remind_experts() == {ending.id: 2}

    assert sorted(message["To"] for message in outbox.messages) == sorted([waiting.email, drafting.email])
    [message] = outbox.to(waiting.email)
    assert ending.name in message["Subject"] and "/review/" in message.get_content()
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "review.reminder_sent")).all()
    assert sorted(event.after["expert_id"] for event in events) == sorted([waiting.id, drafting.id])
    assert all(event.actor_id is None and event.after["automatic"] for event in events)

    # A second run the same day sends nothing.
    with app.app_context():
        assert review_tasks.remind_experts() == {ending.id: 0}
    assert len(outbox.messages) == 2


def test_review_reminders_respect_the_chairs_recent_reminder_and_the_setting(app, make, session, outbox, monkeypatch):
    call, (waiting, drafting, _done) = _reminder_call(make, ends_in=timedelta(days=1))
    session.execute(sa.update(Assignment).where(Assignment.expert_id == waiting.id)
                    .values(reminded_at=utcnow() - timedelta(hours=1)))
    session.commit()

    monkeypatch.setitem(app.config, "REVIEW_REMINDER_DAYS", 0)
    with app.app_context():
        assert review_tasks.remind_experts() == {}
    assert outbox.messages == []

    monkeypatch.setitem(app.config, "REVIEW_REMINDER_DAYS", 3)
    with app.app_context():
        assert review_tasks.remind_experts() == {call.id: 1}
    assert [message["To"] for message in outbox.messages] == [drafting.email]
