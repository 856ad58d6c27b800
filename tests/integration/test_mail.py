"""Mail through the outbox and the job queue (immediate in tests), delivered
to a real SMTP server (aiosmtpd on a local port): retries, failure, the
chair's outbox page and retry, the sweep."""
import re
import socket
import threading
from datetime import datetime, timedelta
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import select

from app.db import db, utcnow
from app.enums import MailStatus
from app.jobs import job_queue
from app.mail import LOST_AFTER, deliver_mail, retry_wait, send_after_commit, sweep_outbox
from app.models import AuditEvent, OutgoingMail, UserToken


class Collect(Message):
    """Keeps every message; while ``refusing``, answers every recipient with a
    temporary error (451), as a mail server that is overloaded does."""

    def __init__(self):
        super().__init__()
        self.messages = []
        self.refusing = False
        self.arrived = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message):
        self.messages.append(message)
        self.arrived.set()


def start_smtp_server() -> tuple[Collect, Controller, int]:
    handler = Collect()
    with socket.socket() as probe:  # a free port (the controller cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return handler, controller, port


@pytest.fixture
def smtp_server(app):
    handler, controller, port = start_smtp_server()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield handler
    app.config.update(saved)
    controller.stop()


@pytest.fixture
def schedule(app):
    """Huey's in-memory schedule, where retries wait in tests: emptied before
    and after (it is shared by the whole session's app)."""
    huey = job_queue(app).huey
    huey.flush()
    yield huey
    huey.flush()


def let_time_pass(app, session, schedule) -> int:
    """Make every queued mail due and run the retries waiting in the schedule
    (as the worker's scheduler would once their time came); how many ran."""
    session.execute(sa.update(OutgoingMail).where(OutgoingMail.status == MailStatus.QUEUED)
                    .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    far = datetime(9999, 1, 1)
    tasks = schedule.read_schedule(far)
    for task in tasks:
        schedule.execute(task, timestamp=far)
    return len(tasks)


def mails(session, **where) -> list[OutgoingMail]:
    query = select(OutgoingMail).order_by(OutgoingMail.id).execution_options(populate_existing=True)
    for key, value in where.items():
        query = query.where(getattr(OutgoingMail, key) == value)
    return list(session.exec(query).all())


def test_reset_mail_goes_through_smtp_when_configured(client, make, outbox, session, smtp_server):
    user = make.applicant(email="smtp@example.com")

    client.post("/account/password/forgot", data={"email": user.email})

    [message] = smtp_server.messages
    assert message["To"] == "smtp@example.com"
    assert str(make_header(decode_header(message["Subject"]))) == "重置场景示范案例库账号密码"
    assert "/account/password/reset/" in message.get_payload(decode=True).decode()
    assert outbox.messages == []  # nothing written to the development outbox
    [mail] = mails(session)
    assert (mail.recipient, mail.subject, mail.status, mail.attempts) == (
        "smtp@example.com", "重置场景示范案例库账号密码", MailStatus.SENT, 1)
    assert mail.sent_at is not None and mail.last_error is None
    assert mail.message is None  # the reset link is not kept once the mail is out


def test_mail_waits_for_the_commit_and_is_dropped_on_rollback(app, session, smtp_server, schedule):
    with app.test_request_context():
        send_after_commit(to="a@example.com", subject="rolled back", template="password_reset", user=None, hours=1, url="x")
        db.rollback()
        db.commit()
        assert smtp_server.messages == []
        send_after_commit(to="b@example.com", subject="committed", template="password_reset", user=None, hours=1, url="x")
        assert smtp_server.messages == []
        db.commit()
    assert [m["Subject"] for m in smtp_server.messages] == ["committed"]
    # The rolled-back mail left no row and no job behind.
    assert [(mail.recipient, mail.status) for mail in mails(session)] == [("b@example.com", MailStatus.SENT)]
    assert schedule.pending_count() == 0 and schedule.scheduled_count() == 0


def test_a_refused_request_queues_no_mail(client, make, session, outbox, schedule):
    """A change refused by a service is rolled back with the mail it had
    queued: no row, no job, nothing sent."""
    user = make.applicant(email="twice@example.com")
    client.post("/account/password/forgot", data={"email": user.email})
    [sent] = mails(session)
    # The link's token is single-use: the second use is refused and rolled back.
    link = outbox.link(outbox.to(user.email)[0], "/account/password/reset/")
    password = "An0ther-Str0ng-Passphrase!"
    assert client.post(link, data={"password": password, "confirm": password}).status_code == 302
    mails_before = len(mails(session))
    client.post(link, data={"password": password, "confirm": password})
    assert len(mails(session)) == mails_before and sent.id == mails(session)[0].id
    assert schedule.pending_count() == 0 and schedule.scheduled_count() == 0


def test_an_unreachable_mail_server_does_not_lose_the_saved_change(app, client, make, session, schedule):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    try:
        user = make.applicant(email="offline@example.com")
        before = utcnow()
        response = client.post("/account/password/forgot", data={"email": user.email})
        assert response.status_code == 302
        assert session.exec(select(UserToken).where(UserToken.user_id == user.id)).one()
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    # The mail waits for its next attempt, a minute later, with the reason.
    [mail] = mails(session)
    assert (mail.status, mail.attempts) == (MailStatus.QUEUED, 1)
    assert mail.last_error.startswith("ConnectionRefusedError")
    assert before + timedelta(seconds=60) <= mail.next_attempt_at <= utcnow() + timedelta(seconds=60)
    assert [task.args for task in schedule.scheduled()] == [(mail.id,)]


def test_waits_between_attempts_double(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_SECONDS", 60)
    with app.app_context():
        assert [retry_wait(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
        assert retry_wait(40) == timedelta(hours=6)  # never longer


def test_a_refused_mail_is_retried_then_failed_and_the_chair_sends_it_again(
        app, client, make, session, login, smtp_server, schedule, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    smtp_server.refusing = True
    user = make.applicant(email="refused@example.com")
    client.post("/account/password/forgot", data={"email": user.email})
    [mail] = mails(session)
    assert (mail.status, mail.attempts) == (MailStatus.QUEUED, 1)
    assert "451" in mail.last_error

    assert let_time_pass(app, session, schedule) == 1
    assert (mails(session)[0].status, mails(session)[0].attempts) == (MailStatus.QUEUED, 2)
    assert let_time_pass(app, session, schedule) == 1
    [mail] = mails(session)
    assert (mail.status, mail.attempts) == (MailStatus.FAILED, 3)
    assert "SMTPRecipientsRefused" in mail.last_error and "Try again later" in mail.last_error
    assert let_time_pass(app, session, schedule) == 0  # given up: nothing waits any more
    assert smtp_server.messages == []

    # The chair sees it, with the reason, among the failed mails.
    login(make.chair())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "refused@example.com" in page and "Try again later" in page and "发送失败" in page
    assert "1 封邮件未能发出。" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/admin/outbox/{mail.id}/retry").status_code == 400  # no CSRF token, no retry
    assert mails(session)[0].status == MailStatus.FAILED

    smtp_server.refusing = False
    response = client.post(f"/admin/outbox/{mail.id}/retry?status=failed", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/outbox?status=failed"
    [mail] = mails(session)
    assert (mail.status, mail.attempts) == (MailStatus.SENT, 1)
    [message] = smtp_server.messages
    assert message["To"] == "refused@example.com"
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "mail.retried")).all()
    assert (event.object_type, event.object_id, event.before["status"], event.after["status"]) == (
        "outgoing_mails", mail.id, "failed", "queued")
    # A mail that is not failed cannot be sent again.
    client.post(f"/admin/outbox/{mail.id}/retry", data={"csrf_token": token})
    assert len(smtp_server.messages) == 1
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "mail.retried")).all()) == 1


def test_a_mail_held_by_a_worker_is_not_sent_twice(app, session, smtp_server):
    mail = OutgoingMail(recipient="held@example.com", subject="held", message=b"To: held@example.com\n\nx\n",
                        attempts=1, next_attempt_at=utcnow() + timedelta(minutes=5))  # another worker's lease
    session.add(mail)
    session.commit()
    with app.app_context():
        deliver_mail(mail.id)
    [mail] = mails(session)
    assert (mail.status, mail.attempts) == (MailStatus.QUEUED, 1) and smtp_server.messages == []


def test_the_sweep_sends_mails_whose_job_was_lost(app, session, outbox, schedule):
    """A mail committed while its job never ran (queue down, worker killed):
    the sweep queues it again; one still waiting for its retry is left alone;
    old sent mails are deleted."""
    long_ago = utcnow() - LOST_AFTER - timedelta(minutes=1)
    message = b"To: lost@example.com\nSubject: lost\n\nhello\n"
    lost = OutgoingMail(recipient="lost@example.com", subject="lost", message=message, created_at=long_ago,
                        next_attempt_at=long_ago)
    waiting = OutgoingMail(recipient="wait@example.com", subject="waiting", message=message, attempts=2,
                           next_attempt_at=utcnow() + timedelta(minutes=3))
    old_sent = OutgoingMail(recipient="old@example.com", subject="old", status=MailStatus.SENT,
                            sent_at=utcnow() - timedelta(days=91))
    recent_sent = OutgoingMail(recipient="new@example.com", subject="new", status=MailStatus.SENT,
                               sent_at=utcnow() - timedelta(days=89))
    session.add_all([lost, waiting, old_sent, recent_sent])
    session.commit()

    with app.app_context():
        assert sweep_outbox() == {"requeued": 1, "deleted": 1}

    assert [m["To"] for m in outbox.messages] == ["lost@example.com"]
    assert [(m.recipient, m.status) for m in mails(session)] == [
        ("lost@example.com", MailStatus.SENT), ("wait@example.com", MailStatus.QUEUED),
        ("new@example.com", MailStatus.SENT)]
    with app.app_context():
        assert sweep_outbox() == {"requeued": 0, "deleted": 0}  # nothing twice
