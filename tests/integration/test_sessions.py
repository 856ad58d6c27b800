"""Login sessions live on the server: a copied cookie stops working when the
session ends (logout, password change, deactivation, an ended membership),
idles out or reaches its maximum length; the last activity is written at
most once a minute; remember-me cookies are never set."""
from datetime import timedelta

import pytest
from sqlmodel import select

from app.accounts.sessions import token_hash
from app.db import utcnow
from app.enums import Membership, Phase, Role, SessionEnd
from app.models import AuditEvent, UserSession
from tests.factories import PASSWORD

NEW_PASSWORD = "Brand-new-secret-42"


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, cookie: str):
    """A new browser with a copy of ``cookie``: what does the dashboard answer?"""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/dashboard")


def _refused(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/account/login")


def _row(session, user) -> UserSession:
    session.expire_all()
    return session.exec(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id.desc())).first()


def test_login_stores_only_a_hash_of_the_session_token(app, client, session, login, make):
    user = login(make.applicant())
    row = _row(session, user)
    cookie = _session_cookie(client)

    assert (row.ended_at, row.ip_address, row.user_agent.startswith("Werkzeug")) == (None, "127.0.0.1", True)
    with app.test_request_context():
        from flask import current_app

        token = current_app.session_interface.get_signing_serializer(current_app).loads(cookie)["_user_id"]
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert session.exec(select(UserSession).where(UserSession.token_hash == token)).first() is None


def test_no_remember_me_cookie_is_set(client, make):
    user = make.applicant()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None
    assert all("remember_token" not in header for header in response.headers.getlist("Set-Cookie"))


def test_a_copied_cookie_is_refused_after_logout(app, client, session, login, make):
    user = login(make.applicant())
    cookie = _session_cookie(client)
    assert _replay(app, cookie).status_code == 200  # the copy works while the session is open

    client.post("/account/logout")

    assert _refused(_replay(app, cookie))
    row = _row(session, user)
    assert (row.end_reason, row.ended_at is not None) == (SessionEnd.LOGOUT, True)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.logged_out")).one()
    assert (event.actor_id, event.object_id) == (user.id, user.id)


def test_a_copied_cookie_is_refused_after_a_password_change(app, client, session, login, make):
    user = login(make.applicant())
    cookie = _session_cookie(client)

    response = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert _refused(_replay(app, cookie))
    assert client.get("/dashboard").status_code == 200  # this browser got a new session
    rows = session.exec(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)).all()
    assert [(row.end_reason, row.ended_at is None) for row in rows] == [(SessionEnd.PASSWORD_CHANGED, False), (None, True)]


def test_a_copied_cookie_is_refused_after_deactivation(app, client, session, login, make):
    expert = make.staff(Role.EXPERT)
    expert_client = app.test_client()
    expert_client.post("/account/login", data={"email": expert.email, "password": PASSWORD})
    cookie = _session_cookie(expert_client)
    login(make.chair())

    client.post(f"/admin/users/{expert.id}", data={"roles": ["expert"]})  # "active" unticked

    assert _refused(_replay(app, cookie))
    assert _refused(expert_client.get("/dashboard"))
    assert _row(session, expert).end_reason == SessionEnd.DEACTIVATED


def test_a_declined_member_is_logged_out(app, client, session, login, make):
    organisation = make.organisation()
    make.applicant(organisation=organisation, email="owner@example.com")
    pending = make.applicant(organisation=organisation, membership=Membership.PENDING)
    pending_client = app.test_client()
    pending_client.post("/account/login", data={"email": pending.email, "password": PASSWORD})
    login(make.chair())

    client.post(f"/admin/members/{pending.id}/decline", data={"reason": "不是本单位员工"})

    assert _refused(pending_client.get("/dashboard"))
    assert _row(session, pending).end_reason == SessionEnd.MEMBERSHIP_CHANGED


@pytest.mark.parametrize(("make_user", "idle_minutes"), [("staff", 30), ("applicant", 60)])
def test_an_idle_session_ends_on_the_server(app, client, session, login, make, english, make_user, idle_minutes):
    user = login(make.staff(Role.EXPERT) if make_user == "staff" else make.applicant())
    cookie = _session_cookie(client)
    row = _row(session, user)
    row.last_seen_at = utcnow() - timedelta(minutes=idle_minutes - 1)
    session.commit()
    assert client.get("/dashboard").status_code == 200  # not idle long enough yet: this request counts as activity

    row = _row(session, user)
    assert utcnow() - row.last_seen_at < timedelta(seconds=5)
    row.last_seen_at = utcnow() - timedelta(minutes=idle_minutes, seconds=1)
    session.commit()

    response = client.get("/dashboard")

    assert _refused(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"You were logged out after {idle_minutes} minutes without activity" in page
    assert _row(session, user).end_reason == SessionEnd.IDLE
    assert _refused(_replay(app, cookie))
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.session_expired")).one()
    assert (event.actor_id, event.object_id, event.after) == (None, user.id, {"reason": "idle"})


def test_a_session_ends_at_its_absolute_lifetime_however_active(app, client, session, login, make, english):
    user = login(make.applicant())
    row = _row(session, user)
    row.created_at = utcnow() - timedelta(minutes=720)
    session.commit()

    response = client.get("/dashboard")

    assert _refused(response)
    assert "a session lasts at most 12 hours" in client.get("/account/login").get_data(as_text=True)
    assert _row(session, user).end_reason == SessionEnd.EXPIRED


def test_the_timeouts_are_settings(app, client, session, login, make, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    user = login(make.staff(Role.EXPERT))
    row = _row(session, user)
    row.last_seen_at = utcnow() - timedelta(minutes=6)
    session.commit()
    assert _refused(client.get("/dashboard"))


def test_last_activity_is_written_at_most_once_a_minute(client, session, login, make):
    user = login(make.applicant())
    first = _row(session, user).last_seen_at
    client.get("/dashboard")
    assert _row(session, user).last_seen_at == first

    row = _row(session, user)
    row.last_seen_at = first - timedelta(seconds=61)
    session.commit()
    client.get("/dashboard")
    assert _row(session, user).last_seen_at > first


def test_the_status_does_not_extend_the_session_and_keep_alive_does(client, session, login, make):
    user = login(make.applicant())
    row = _row(session, user)
    row.last_seen_at = utcnow() - timedelta(minutes=58)
    session.commit()

    status = client.get("/account/session").get_json()

    assert status["authenticated"] is True and status["extendable"] is True
    assert 100 <= status["expires_in"] <= 120 and status["warn_before"] == 180
    assert utcnow() - _row(session, user).last_seen_at > timedelta(minutes=57)  # not touched

    answer = client.post("/account/session/keep-alive", headers={"Accept": "application/json"}).get_json()

    assert answer["authenticated"] is True and answer["expires_in"] > 59 * 60
    assert utcnow() - _row(session, user).last_seen_at < timedelta(seconds=5)


def test_the_status_says_when_the_maximum_length_comes_first(client, session, login, make):
    user = login(make.applicant())
    row = _row(session, user)
    row.created_at = utcnow() - timedelta(minutes=700)
    session.commit()
    status = client.get("/account/session").get_json()
    assert status["extendable"] is False and 19 * 60 <= status["expires_in"] <= 20 * 60


def test_the_status_of_a_visitor_or_an_ended_session(client, session, login, make):
    assert client.get("/account/session").get_json() == {"authenticated": False}
    user = login(make.applicant())
    row = _row(session, user)
    row.last_seen_at = utcnow() - timedelta(hours=2)
    session.commit()
    assert client.get("/account/session").get_json() == {"authenticated": False}
    assert client.post("/account/session/keep-alive", headers={"Accept": "application/json"}).status_code == 302


def test_autosaving_pages_carry_the_expiry_warning(client, login, make):
    user = login(make.applicant())
    entry = make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=user.organisation)
    page = client.get(f"/entries/{entry.id}/edit/basics").get_data(as_text=True)
    assert 'class="session-warning' in page and "js/session.js" in page
    assert "/account/session/keep-alive" in page
    assert "session-warning" not in client.get("/dashboard").get_data(as_text=True)
