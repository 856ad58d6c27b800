"""Failed logins lock an account for a while; the answer never tells; the
owner is told by mail; a chair sees locked accounts and unlocks them."""
from datetime import timedelta

import pytest
from flask import session as flask_session
from flask_wtf.csrf import generate_csrf
from sqlmodel import select

from app.db import utcnow
from app.enums import Role
from app.models import AuditEvent, User
from tests.factories import PASSWORD

WRONG = "Wrong-password-1"
MESSAGE = "The email address or the password is not correct."


def _fail(client, email, times=1, **kwargs):
    for _ in range(times):
        response = client.post("/account/login", data={"email": email, "password": WRONG}, **kwargs)
        assert response.status_code == 200


def _events(session, action):
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_five_failures_lock_the_account_even_against_the_right_password(client, session, outbox, make, english):
    user = make.applicant(email="owner@example.com")
    _fail(client, user.email, 4)
    session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (4, None)

    _fail(client, user.email)

    session.refresh(user)
    assert user.locked_until is not None and user.locked_until - utcnow() > timedelta(minutes=14)
    assert user.failed_logins == 0
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200 and MESSAGE in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    [locked] = _events(session, "user.locked")
    assert (locked.actor_id, locked.object_id, locked.after["failed_logins"]) == (None, user.id, 5)
    failures = _events(session, "user.login_failed")
    assert [event.after["reason"] for event in failures] == ["wrong_password"] * 5 + ["locked"]
    assert {event.object_id for event in failures} == {user.id}
    [mail] = outbox.to("owner@example.com")
    assert "locked" in mail["Subject"] and "/account/password/forgot" in mail.get_content()


def test_the_answer_is_the_same_for_unknown_locked_and_wrong(client, session, make, english):
    locked = make.applicant(locked_until=utcnow() + timedelta(minutes=10))
    known = make.applicant()
    answers = [
        client.post("/account/login", data={"email": email, "password": password})
        for email, password in ((locked.email, PASSWORD), (known.email, WRONG), ("ghost@example.com", WRONG))
    ]
    assert {response.status_code for response in answers} == {200}
    texts = [response.get_data(as_text=True) for response in answers]
    assert all(MESSAGE in text for text in texts)
    assert all("locked for 15 minutes" in text for text in texts)  # the rule, told to everyone alike
    unknown = _events(session, "user.login_failed")[-1]
    assert (unknown.object_type, unknown.object_id, unknown.after) == (
        "users", None, {"email": "ghost@example.com", "reason": "unknown_account"})


def test_the_lock_ends_by_itself(client, session, make):
    user = make.applicant(locked_until=utcnow() + timedelta(minutes=10))
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.commit()
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_a_success_starts_the_count_again(client, session, make):
    user = make.applicant()
    _fail(client, user.email, 4)
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    client.post("/account/logout")
    _fail(client, user.email, 4)
    session.refresh(user)
    assert (user.failed_logins, user.locked_until) == (4, None)


def test_attempts_and_duration_are_settings(app, client, session, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_MINUTES", 60)
    user = make.applicant()
    _fail(client, user.email, 2)
    session.refresh(user)
    assert timedelta(minutes=59) < user.locked_until - utcnow() <= timedelta(minutes=60)


def test_resetting_the_password_ends_the_lock(client, session, outbox, make):
    user = make.applicant(email="locked@example.com", locked_until=utcnow() + timedelta(minutes=10))
    client.post("/account/password/forgot", data={"email": user.email})
    link = outbox.link(outbox.to("locked@example.com")[-1], "/account/password/reset/")
    new = "Brand-new-secret-42"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    session.refresh(user)
    assert user.locked_until is None
    assert client.post("/account/login", data={"email": user.email, "password": new}).status_code == 302


def test_the_chair_sees_locked_accounts_and_unlocks_one(app, client, session, login, make, csrf):
    applicant = make.applicant(email="applicant@example.com", locked_until=utcnow() + timedelta(minutes=10))
    make.staff(Role.EXPERT, email="expert@example.com", locked_until=utcnow() + timedelta(minutes=5))
    chair = make.chair()
    with app.test_request_context():
        token = generate_csrf()
        raw = flask_session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    assert client.post("/account/login", data={"email": chair.email, "password": PASSWORD, "csrf_token": token}).status_code == 302

    page = client.get("/admin/users").get_data(as_text=True)
    assert "applicant@example.com" in page and "expert@example.com" in page
    assert f"/admin/users/{applicant.id}/unlock" in page

    assert client.post(f"/admin/users/{applicant.id}/unlock").status_code == 400  # no CSRF token: refused
    session.refresh(applicant)
    assert applicant.locked_until is not None

    response = client.post(f"/admin/users/{applicant.id}/unlock", data={"csrf_token": token})

    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users")
    session.refresh(applicant)
    assert (applicant.locked_until, applicant.failed_logins) == (None, 0)
    [event] = _events(session, "user.unlocked")
    assert (event.actor_id, event.object_id) == (chair.id, applicant.id)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "账号applicant@example.com已解锁。" in page
    page = client.get("/admin/users").get_data(as_text=True)
    assert "applicant@example.com" not in page and "expert@example.com" in page


def test_unlocking_an_account_that_is_not_locked_says_so(client, session, login, make, english):
    user = make.applicant()
    login(make.chair())
    response = client.post(f"/admin/users/{user.id}/unlock", follow_redirects=True)
    assert "This account is not locked." in response.get_data(as_text=True)
    assert _events(session, "user.unlocked") == []


@pytest.mark.parametrize("role", ["applicant", "expert", "publicity"])
def test_only_chairs_unlock(client, session, login, make, role):
    locked = make.applicant(locked_until=utcnow() + timedelta(minutes=10))
    login(make.applicant() if role == "applicant" else make.staff(Role(role)))
    assert client.post(f"/admin/users/{locked.id}/unlock").status_code == 403
    session.refresh(locked)
    assert locked.locked_until is not None


def test_failures_from_several_addresses_all_count(client, session, make):
    user = make.applicant()
    _fail(client, user.email, 3, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    _fail(client, user.email, 2, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    session.expire_all()
    assert session.get(User, user.id).locked_until is not None
