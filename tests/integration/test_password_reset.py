from datetime import timedelta

from sqlmodel import select

from app.db import utcnow
from app.models import AuditEvent, UserToken
from tests.factories import PASSWORD

SAME_ANSWER = "If an account uses this address, we have sent it a link"


def _request_link(client, outbox, email):
    client.set_cookie("lang", "en")
    response = client.post("/account/password/forgot", data={"email": email}, follow_redirects=True)
    assert SAME_ANSWER in response.get_data(as_text=True)
    [mail] = outbox.to(email)
    return outbox.link(mail, "/account/password/reset/")


def test_reset_link_sets_a_new_password_once(client, session, outbox, make, english):
    user = make.applicant(email="reset@example.com")
    link = _request_link(client, outbox, "reset@example.com")

    assert "Set a new password" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"password": "fresh-password-1", "confirm": "fresh-password-1"})
    assert (response.status_code, response.headers["Location"]) == (302, "/account/login")
    assert client.post("/account/login", data={"email": user.email, "password": "fresh-password-1"}).status_code == 302
    client.post("/account/logout")
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).status_code == 200

    reused = client.post(link, data={"password": "another-password-2", "confirm": "another-password-2"})
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_id == user.id)).all()
    assert "user.password_reset_requested" in actions and "user.password_reset" in actions


def test_expired_reset_link_is_refused(client, session, outbox, make, english):
    user = make.applicant(email="late@example.com")
    link = _request_link(client, outbox, "late@example.com")
    token = session.exec(select(UserToken).where(UserToken.user_id == user.id)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.add(token)
    session.commit()

    response = client.post(link, data={"password": "fresh-password-1", "confirm": "fresh-password-1"})
    assert response.status_code == 400
    assert "has expired" in response.get_data(as_text=True)
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_a_new_link_replaces_the_old_one(client, outbox, make):
    make.applicant(email="twice@example.com")
    first = _request_link(client, outbox, "twice@example.com")
    client.post("/account/password/forgot", data={"email": "twice@example.com"})
    response = client.get(first)
    assert response.status_code == 400 and "Link not valid" in response.get_data(as_text=True)
    second = outbox.link(outbox.to("twice@example.com")[1], "/account/password/reset/")
    assert "Set a new password" in client.get(second).get_data(as_text=True)


def test_unknown_address_gets_the_same_answer_and_no_mail(client, outbox, english):
    response = client.post("/account/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert SAME_ANSWER in response.get_data(as_text=True)
    assert outbox.messages == []


def test_made_up_token_is_refused(client):
    response = client.get("/account/password/reset/not-a-real-token")
    assert response.status_code == 400 and "链接无效" in response.get_data(as_text=True)


def test_only_the_token_hash_is_stored(client, session, outbox, make):
    user = make.applicant(email="hash@example.com")
    link = _request_link(client, outbox, "hash@example.com")
    raw = link.rsplit("/", 1)[1]
    token = session.exec(select(UserToken).where(UserToken.user_id == user.id)).one()
    assert raw not in token.token_hash and len(token.token_hash) == 64


def test_links_in_mails_ignore_a_forged_host_header(client, outbox, make):
    make.applicant(email="victim@example.com")
    client.post("/account/password/forgot", data={"email": "victim@example.com"}, headers={"Host": "evil.example"})
    body = outbox.to("victim@example.com")[0].get_content()
    assert "evil.example" not in body
    assert "http://127.0.0.1:5000/account/password/reset/" in body


def test_changing_the_password_kills_pending_reset_links(client, outbox, login, make, english):
    user = make.applicant(email="careful@example.com")
    link = _request_link(client, outbox, "careful@example.com")
    login(user)
    client.post("/account/password", data={"current_password": PASSWORD, "password": "Changed-password-7", "confirm": "Changed-password-7"})
    response = client.get(link)
    assert response.status_code == 400 and "Link not valid" in response.get_data(as_text=True)


def test_a_deactivated_account_cannot_use_its_links(client, session, outbox, make, english):
    user = make.applicant(email="gone@example.com")
    link = _request_link(client, outbox, "gone@example.com")
    user.active = False
    session.add(user)
    session.commit()
    response = client.get(link)
    assert response.status_code == 400 and "Link not valid" in response.get_data(as_text=True)
