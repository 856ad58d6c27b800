"""Mail delivery through a real SMTP server (aiosmtpd on a local port)."""
import socket
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import select

from app.db import db
from app.mail import send_after_commit
from app.models import UserToken


class Collect(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server(app):
    handler = Collect()
    with socket.socket() as probe:  # a free port (the controller cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield handler
    app.config.update(saved)
    controller.stop()


def test_reset_mail_goes_through_smtp_when_configured(client, make, outbox, smtp_server):
    user = make.applicant(email="smtp@example.com")

    client.post("/account/password/forgot", data={"email": user.email})

    [message] = smtp_server.messages
    assert message["To"] == "smtp@example.com"
    assert str(make_header(decode_header(message["Subject"]))) == "重置场景示范案例库账号密码"
    assert "/account/password/reset/" in message.get_payload(decode=True).decode()
    assert outbox.messages == []  # nothing written to the development outbox


def test_mail_waits_for_the_commit_and_is_dropped_on_rollback(app, smtp_server):
    with app.test_request_context():
        send_after_commit(to="a@example.com", subject="rolled back", template="password_reset", user=None, hours=1, url="x")
        db.rollback()
        db.commit()
        assert smtp_server.messages == []
        send_after_commit(to="b@example.com", subject="committed", template="password_reset", user=None, hours=1, url="x")
        assert smtp_server.messages == []
        db.commit()
    assert [m["Subject"] for m in smtp_server.messages] == ["committed"]


def test_an_unreachable_mail_server_does_not_lose_the_saved_change(app, client, make, session):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    try:
        user = make.applicant(email="offline@example.com")
        response = client.post("/account/password/forgot", data={"email": user.email})
        assert response.status_code == 302
        assert session.exec(select(UserToken).where(UserToken.user_id == user.id)).one()
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
