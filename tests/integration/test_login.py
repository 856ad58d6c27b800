import threading

from sqlmodel import select

from app import create_app
from app.models import AuditEvent
from tests.conftest import make_test_config
from tests.databases import fresh_database
from tests.factories import PASSWORD


def test_login_and_logout(client, session, make):
    user = make.applicant(email="a@example.com")

    response = client.post("/account/login", data={"email": "A@Example.com ", "password": PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")
    assert user.name in client.get("/dashboard").get_data(as_text=True)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.logged_in", AuditEvent.object_id == user.id)).one()

    response = client.post("/account/logout")
    assert response.status_code == 302
    assert client.get("/dashboard").headers["Location"].startswith("/account/login?next=")


def test_login_redirects_only_to_local_next(client, make):
    user = make.applicant()
    response = client.post("/account/login?next=/calls/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/calls/"
    client.post("/account/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/account/login", query_string={"next": evil}, data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == "/dashboard", evil
        client.post("/account/logout")


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make, english):
    user = make.applicant()
    wrong_password = client.post("/account/login", data={"email": user.email, "password": "nope-nope-nope"})
    unknown_email = client.post("/account/login", data={"email": "ghost@example.com", "password": "nope-nope-nope"})
    message = "The email address or the password is not correct."
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)


def test_deactivated_and_invited_accounts_cannot_log_in(client, make, english):
    inactive = make.staff(active=False)
    invited = make.staff(password=None)
    for user in (inactive, invited):
        response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
        assert "The email address or the password is not correct." in response.get_data(as_text=True)
        assert client.get("/dashboard").status_code == 302


def test_login_is_rate_limited_per_account_and_address(app, client, make, english, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_ATTEMPTS", 100)  # the rate limit alone (lockout: test_lockout.py)
    user = make.applicant()
    for _ in range(10):
        assert client.post("/account/login", data={"email": user.email, "password": "wrong-password"}).status_code == 200

    blocked = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # The owner, from another address, and other accounts from this one, still get in.
    assert client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.1.1.1"}
    ).status_code == 302
    client.post("/account/logout")
    other = make.applicant()
    assert client.post("/account/login", data={"email": other.email, "password": PASSWORD}).status_code == 302


def test_login_is_rate_limited_per_account_across_addresses(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_ATTEMPTS", 100)
    user = make.applicant()
    for n in range(30):
        client.post("/account/login", data={"email": user.email, "password": "x"}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )
    assert response.status_code == 429


def test_parallel_attempts_cannot_exceed_the_limit(tmp_path):
    """Attempts are counted before the password is checked, so a burst of
    simultaneous requests gets no more tries than sequential ones."""
    statuses, start = [], threading.Barrier(16)
    with fresh_database(tmp_path) as url:
        app = create_app(make_test_config(url, tmp_path, WTF_CSRF_ENABLED=False))

        def attempt():
            client = app.test_client()
            start.wait()
            response = client.post("/account/login", data={"email": "target@example.com", "password": "wrong"})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=attempt) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        app.extensions["db"].engine.dispose()
    assert sorted(statuses) == [200] * 10 + [429] * 6


def test_login_is_rate_limited_per_address(client, make, app):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    try:
        for n in range(3):
            client.post("/account/login", data={"email": f"nobody{n}@example.com", "password": "x"})
        user = make.applicant()
        blocked = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
        assert blocked.status_code == 429
        other = client.post(
            "/account/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
        )
        assert other.status_code == 302
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "200 per 15 minutes"


def test_changing_the_password_logs_out_other_sessions(app, client, make):
    user = make.applicant()
    other_device = app.test_client()
    for c in (client, other_device):
        c.post("/account/login", data={"email": user.email, "password": PASSWORD})

    response = client.post(
        "/account/password", data={"current_password": PASSWORD, "password": "Brand-new-secret-42", "confirm": "Brand-new-secret-42"}
    )

    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302
    assert client.post("/account/logout").status_code == 302
    assert client.post("/account/login", data={"email": user.email, "password": "Brand-new-secret-42"}).status_code == 302


def test_change_password_needs_the_current_one(client, login, make, english):
    login(make.applicant())
    response = client.post(
        "/account/password", data={"current_password": "wrong-one", "password": "Brand-new-secret-42", "confirm": "Brand-new-secret-42"}
    )
    assert "The current password is not correct." in response.get_data(as_text=True)
