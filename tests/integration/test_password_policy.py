"""The password policy where passwords are set: reset, invitation, change;
the history (no reuse of the last N) and the expiry, both off by default."""
from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Role
from app.models import PasswordHistory, User
from tests.factories import PASSWORD


def _change(client, current, new):
    return client.post("/account/password", data={"current_password": current, "password": new, "confirm": new})


@pytest.mark.parametrize("password", ["password12", "abcdabcdab", "Password-2024!", "correct-horse-battery"])
def test_change_password_refuses_weak_ones(client, session, login, make, english, password):
    user = login(make.applicant())
    before = user.password_hash
    response = _change(client, PASSWORD, password)
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    session.refresh(user)
    assert user.password_hash == before


def test_reset_refuses_a_password_with_the_email_in_it(client, session, outbox, make, english):
    user = make.applicant(email="liu.yang@example.com")
    client.post("/account/password/forgot", data={"email": user.email})
    link = outbox.link(outbox.to(user.email)[0], "/account/password/reset/")
    response = client.post(link, data={"password": "Liu.Yang-2026-x", "confirm": "Liu.Yang-2026-x"})
    assert "must not contain your email address" in response.get_data(as_text=True)
    assert client.post(link, data={"password": "Harbour-lights-2026", "confirm": "Harbour-lights-2026"}).status_code == 302


def test_invitation_refuses_a_password_with_the_name_in_it(client, session, outbox, login, make, english):
    login(make.chair())
    client.post("/admin/users/invite", data={"email": "new.expert@example.com", "name": "Zhou", "roles": ["expert"]})
    link = outbox.link(outbox.to("new.expert@example.com")[0], "/account/invitation/")
    client.post("/account/logout")
    response = client.post(link, data={"name": "Zhouming", "phone": "", "password": "Zhouming-2026!", "confirm": "Zhouming-2026!"})
    assert "must not contain your email address, your name" in response.get_data(as_text=True)


def test_history_refuses_the_last_passwords_when_set(app, client, session, login, make, english, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HISTORY", 3)
    user = login(make.applicant())
    passwords = ["Harbour-lights-2026", "Mountain-river-77", "Golden-bridge-42"]
    current = PASSWORD
    for new in passwords:
        assert _change(client, current, new).status_code == 302
        current = new
    # The current one and the two before it are refused; the one before those is allowed again.
    for old in ("Golden-bridge-42", "Mountain-river-77", "Harbour-lights-2026"):
        response = _change(client, current, old)
        assert "you have not used as one of your last 3" in response.get_data(as_text=True), old
    assert _change(client, current, PASSWORD + "-X9").status_code == 302
    session.expire_all()
    rows = session.exec(select(PasswordHistory).where(PasswordHistory.user_id == user.id)).all()
    assert len(rows) == 2  # with the current hash, the last three


def test_without_history_a_former_password_may_come_back(client, login, make):
    login(make.applicant())
    assert _change(client, PASSWORD, "Harbour-lights-2026").status_code == 302
    assert _change(client, "Harbour-lights-2026", "Mountain-river-77").status_code == 302
    assert _change(client, "Mountain-river-77", "Harbour-lights-2026").status_code == 302


def test_an_expired_password_must_be_changed_first(app, client, session, make, english, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_MAX_AGE_DAYS", 90)
    user = make.staff(Role.EXPERT, password_changed_at=utcnow() - timedelta(days=91))

    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})

    assert (response.status_code, response.headers["Location"]) == (302, "/account/password")
    blocked = client.get("/review/")
    assert (blocked.status_code, blocked.headers["Location"]) == (302, "/account/password")
    assert "older than 90 days" in client.get("/account/password").get_data(as_text=True)
    assert _change(client, PASSWORD, "Harbour-lights-2026").status_code == 302
    assert client.get("/review/").status_code == 200
    session.expire_all()
    assert utcnow() - session.get(User, user.id).password_changed_at < timedelta(minutes=1)


def test_passwords_do_not_expire_by_default(client, make):
    user = make.applicant(password_changed_at=utcnow() - timedelta(days=3650))
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).headers["Location"] == "/dashboard"
