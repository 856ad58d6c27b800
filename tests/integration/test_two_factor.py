"""Two-step verification (TOTP) for chair and publicity accounts: enrolling
with a QR code, logging in with a code or a recovery code, enforcement, the
chair's reset."""
import re
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Role, SessionEnd
from app.models import AuditEvent, RecoveryCode, User, UserSession
from tests.factories import PASSWORD


def _code(secret: str, *, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * offset))


def _enrol(client) -> tuple[str, list[str]]:
    """Set the second factor up from the setup page; returns the secret and the recovery codes."""
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page  # the QR code, drawn by the app
    secret = re.search(r'<code class="d-inline-block user-select-all">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    response = client.post("/account/two-factor/setup", data={"code": _code(secret)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _events(session, action):
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def chair(make):
    return make.chair(email="chair@example.com")


def test_a_chair_enrols_and_then_logs_in_with_a_code(app, client, session, login, chair, english):
    login(chair)
    secret, codes = _enrol(client)

    session.expire_all()
    user = session.get(User, chair.id)
    assert user.second_factor_enabled and user.totp_secret == secret
    stored = session.exec(select(RecoveryCode).where(RecoveryCode.user_id == chair.id)).all()
    assert len(stored) == 10 and not {row.code_hash for row in stored} & {code.replace("-", "") for code in codes}
    assert [event.actor_id for event in _events(session, "user.second_factor_enabled")] == [chair.id]
    assert "Two-step verification is on" in client.get("/account/two-factor").get_data(as_text=True)

    client.post("/account/logout")
    response = client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (302, "/account/login/verify")
    assert client.get("/dashboard").status_code == 302  # not logged in by the password alone
    assert session.exec(select(UserSession).where(UserSession.user_id == chair.id,
                                                  UserSession.ended_at.is_(None))).all() == []

    wrong = client.post("/account/login/verify", data={"code": "000000"})
    assert "The code is not correct." in wrong.get_data(as_text=True)
    response = client.post("/account/login/verify", data={"code": _code(secret, offset=1)})

    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")
    assert client.get("/dashboard").status_code == 200
    failed = _events(session, "user.login_failed")
    assert [event.after["reason"] for event in failed] == ["wrong_second_factor"]


def test_a_code_cannot_be_used_twice(app, client, session, login, chair, english):
    login(chair)
    secret, _codes = _enrol(client)
    client.post("/account/logout")
    code = _code(secret, offset=1)
    client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    assert client.post("/account/login/verify", data={"code": code}).status_code == 302
    client.post("/account/logout")

    client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    replay = client.post("/account/login/verify", data={"code": code})
    assert replay.status_code == 200 and "The code is not correct." in replay.get_data(as_text=True)


def test_a_recovery_code_logs_in_once(client, session, login, chair, english):
    login(chair)
    _secret, codes = _enrol(client)
    client.post("/account/logout")

    client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    assert client.post("/account/login/verify", data={"code": codes[3].upper()}).status_code == 302
    [used] = _events(session, "user.recovery_code_used")
    assert (used.actor_id, used.after) == (chair.id, {"recovery_codes_left": 9})
    client.post("/account/logout")
    client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    assert client.post("/account/login/verify", data={"code": codes[3]}).status_code == 200


def test_wrong_codes_count_towards_the_lockout(client, session, login, chair, english):
    login(chair)
    _enrol(client)
    client.post("/account/logout")
    client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    for _ in range(4):
        assert client.post("/account/login/verify", data={"code": "123456"}).status_code == 200
    response = client.post("/account/login/verify", data={"code": "123456"})
    assert (response.status_code, response.headers["Location"]) == (302, "/account/login")
    session.expire_all()
    assert session.get(User, chair.id).locked_until is not None


def test_the_password_step_expires(client, session, login, chair, english, monkeypatch):
    login(chair)
    secret, _codes = _enrol(client)
    client.post("/account/logout")
    client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    with client.session_transaction() as browser:
        browser["login_pending"]["at"] -= 301
    response = client.post("/account/login/verify", data={"code": _code(secret, offset=1)})
    assert (response.status_code, response.headers["Location"]) == (302, "/account/login")


def test_required_second_factor_makes_chair_and_publicity_enrol_at_login(app, client, session, make, monkeypatch):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED", True)
    publicity = make.staff(Role.PUBLICITY)
    expert = make.staff(Role.EXPERT)
    applicant = make.applicant()
    for user in (expert, applicant):  # others log in as before
        assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).headers["Location"] == "/dashboard"
        client.post("/account/logout")

    response = client.post("/account/login", data={"email": publicity.email, "password": PASSWORD})

    assert (response.status_code, response.headers["Location"]) == (302, "/account/two-factor/setup")
    assert client.get("/dashboard").status_code == 302
    _secret, _codes = _enrol(client)
    assert client.get("/dashboard").status_code == 200  # enrolling finished the login
    session.expire_all()
    assert session.get(User, publicity.id).second_factor_enabled
    # Required: it cannot be turned off.
    client.post("/account/two-factor/disable", data={"password": PASSWORD})
    session.expire_all()
    assert session.get(User, publicity.id).second_factor_enabled


def test_the_owner_turns_it_off_with_the_password(client, session, login, chair, english):
    login(chair)
    _enrol(client)
    response = client.post("/account/two-factor/disable", data={"password": "not-my-password"}, follow_redirects=True)
    assert "The password is not correct." in response.get_data(as_text=True)
    client.post("/account/two-factor/disable", data={"password": PASSWORD})
    session.expire_all()
    user = session.get(User, chair.id)
    assert (user.second_factor_enabled, user.totp_secret) == (False, None)
    assert session.exec(select(RecoveryCode).where(RecoveryCode.user_id == chair.id)).all() == []
    assert len(_events(session, "user.second_factor_disabled")) == 1


def test_new_recovery_codes_replace_the_old(client, session, login, chair):
    login(chair)
    _secret, old = _enrol(client)
    page = client.post("/account/two-factor/recovery-codes", data={"password": PASSWORD}).get_data(as_text=True)
    new = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/account/logout")
    client.post("/account/login", data={"email": chair.email, "password": PASSWORD})
    assert client.post("/account/login/verify", data={"code": old[0]}).status_code == 200


def test_experts_and_applicants_have_no_second_factor_pages(client, login, make):
    for user in (make.staff(Role.EXPERT), make.applicant()):
        login(user)
        assert client.get("/account/two-factor").status_code == 403
        assert client.get("/account/two-factor/setup").status_code == 403
        client.post("/account/logout")


def test_a_chair_resets_another_accounts_second_factor(app, client, session, login, make, english):
    publicity = make.staff(Role.PUBLICITY, email="pub@example.com")
    other = app.test_client()
    other.post("/account/login", data={"email": publicity.email, "password": PASSWORD})
    _enrol(other)
    chair = login(make.chair())

    page = client.get(f"/admin/users/{publicity.id}").get_data(as_text=True)
    assert "Reset two-step verification" in page
    response = client.post(f"/admin/users/{publicity.id}/second-factor/reset")

    assert (response.status_code, response.headers["Location"]) == (302, f"/admin/users/{publicity.id}")
    session.expire_all()
    user = session.get(User, publicity.id)
    assert (user.second_factor_enabled, user.totp_secret) == (False, None)
    [event] = _events(session, "user.second_factor_reset")
    assert (event.actor_id, event.object_id) == (chair.id, publicity.id)
    assert other.get("/dashboard").status_code == 302  # their sessions ended
    rows = session.exec(select(UserSession).where(UserSession.user_id == publicity.id)).all()
    assert {row.end_reason for row in rows} == {SessionEnd.SECOND_FACTOR_RESET}
    # A chair cannot reset their own.
    client.get("/account/two-factor/setup")
    assert client.post(f"/admin/users/{chair.id}/second-factor/reset").status_code == 302
    assert _events(session, "user.second_factor_reset") == [event]
