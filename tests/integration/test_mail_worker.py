"""A real ``flask worker`` on a SQLite queue sends a mail that a web request
queued, to a real SMTP server (aiosmtpd) started by the test."""
import os
import signal
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header
from pathlib import Path

from sqlmodel import select

from app import create_app
from app.db import db
from app.enums import MailStatus
from app.jobs import job_queue
from app.mail import send_after_commit
from app.models import OutgoingMail
from tests.conftest import make_test_config
from tests.databases import migrate
from tests.integration.test_jobs import ROOT, wait_for_datagram
from tests.integration.test_mail import start_smtp_server

#: A safety net only: the test waits for the message and the row, not for a time.
GIVE_UP_AFTER = 600


def test_flask_worker_delivers_a_queued_mail_to_the_smtp_server(tmp_path):
    handler, controller, port = start_smtp_server()
    url = f"sqlite:///{tmp_path / 'mail.db'}"
    migrate(url)
    settings = {
        "DATABASE_URL": url,
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "JOBS_REDIS_URL": "",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
        "BROCHURE_CACHE_FOLDER": str(tmp_path / "cache"),
        "PERIODIC_JOBS_ENABLED": "false",
    }
    # The web side: a development app (a real queue, not immediate) stores the
    # mail and queues its job at the commit.
    web = create_app(make_test_config(url, tmp_path, **{**settings, "SHOWCASE_ENV": "development", "MAIL_PORT": port,
                                                         "PERIODIC_JOBS_ENABLED": False}))
    with web.test_request_context():
        send_after_commit(to="worker@example.com", subject="由后台发送", template="password_reset", user=None,
                          hours=1, url="https://showcase.example/reset")
        db.commit()
    assert job_queue(web).huey.pending_count() == 1
    assert handler.messages == []  # nothing sent inside the request

    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    env = {**os.environ, **settings, "FLASK_APP": "app", "SHOWCASE_ENV": "development",
           "SECRET_KEY": "worker-test-secret-key-0123456789abcdef", "NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    flask = Path(sys.executable).parent / "flask"
    worker = subprocess.Popen([str(flask), "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for_datagram(notify, worker) == b"READY=1"
        assert handler.arrived.wait(timeout=GIVE_UP_AFTER), "the mail never reached the SMTP server"
        mail = wait_for_row(web, lambda mail: mail.status != MailStatus.QUEUED, worker)
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=GIVE_UP_AFTER)
    finally:
        notify.close()
        controller.stop()
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        worker.stdout.close()
        web.extensions["db"].engine.dispose()

    assert worker.returncode == 0, output
    [message] = handler.messages
    assert message["To"] == "worker@example.com"
    assert str(make_header(decode_header(message["Subject"]))) == "由后台发送"
    assert "https://showcase.example/reset" in message.get_payload(decode=True).decode()
    assert (mail.status, mail.attempts, mail.message) == (MailStatus.SENT, 1, None)
    assert "app.mail.deliver_mail" in output.splitlines()[0]
    assert "Periodic jobs (Asia/Shanghai): none" in output  # PERIODIC_JOBS_ENABLED=false


def wait_for_row(app, done, process) -> OutgoingMail:
    """The outbox's one mail once ``done(mail)``: the worker records the
    result just after the SMTP server's answer (read again until then)."""
    deadline = time.monotonic() + GIVE_UP_AFTER
    while time.monotonic() < deadline:
        with app.app_context():
            mail = db.session.exec(select(OutgoingMail)).one()
            if done(mail):
                return mail
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.1)
    raise AssertionError("the worker never recorded the mail as sent")
