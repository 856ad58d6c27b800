from datetime import timedelta

from sqlmodel import select

from app.db import utcnow
from app.enums import Membership, Role
from app.models import AuditEvent, Organisation, PendingRegistration, User
from tests.factories import credit_code


def _form(**overrides):
    return {
        "organisation_name": "深圳智瞳科技有限公司",
        "credit_code": credit_code(777001),
        "city": "440300",
        "contact_name": "王芳",
        "email": "Wang.Fang@Example.com",
        "phone": "13800138000",
        "password": "A-long-password-7",
        "confirm": "A-long-password-7",
    } | overrides


def _register(client, outbox, **overrides):
    """Register, open the mailed link and press its button; returns the last answer."""
    data = _form(**overrides)
    response = client.post("/account/register", data=data)
    assert (response.status_code, response.headers["Location"]) == (302, "/account/register/sent")
    [mail] = outbox.to(data["email"].lower())
    link = outbox.link(mail, "/account/register/confirm/")
    assert client.get(link).status_code == 200
    return client.post(link)


def test_registration_creates_organisation_and_active_applicant(client, session, outbox, english):
    response = client.post("/account/register", data=_form())

    assert (response.status_code, response.headers["Location"]) == (302, "/account/register/sent")
    assert "Check your inbox" in client.get("/account/register/sent").get_data(as_text=True)
    assert session.exec(select(User)).all() == []  # nothing until the link is opened
    [mail] = outbox.to("wang.fang@example.com")
    link = outbox.link(mail, "/account/register/confirm/")
    page = client.get(link).get_data(as_text=True)
    assert "Finish your registration" in page and "wang.fang@example.com" in page
    assert session.exec(select(User)).all() == []  # opening the link (a mail scanner) makes no account

    response = client.post(link)

    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")
    user = session.exec(select(User).where(User.email == "wang.fang@example.com")).one()
    organisation = session.exec(select(Organisation).where(Organisation.credit_code == credit_code(777001))).one()
    assert (organisation.name, organisation.city_code) == ("深圳智瞳科技有限公司", "440300")
    assert (user.organisation_id, user.membership, user.roles) == (organisation.id, Membership.ACTIVE, {Role.APPLICANT})
    assert user.password_hash.startswith("scrypt:") and "A-long-password-7" not in user.password_hash
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "applicant.registered")).one()
    assert (event.actor_id, event.object_type, event.object_id) == (user.id, "users", user.id)
    assert (event.after["organisation_id"], event.after["membership"]) == (organisation.id, "active")
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "organisation.created")).one()
    assert (created.object_type, created.object_id, created.after["credit_code"]) == (
        "organisations", organisation.id, credit_code(777001),
    )

    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "深圳智瞳科技有限公司" in dashboard
    assert client.post(link).status_code in (302, 400)  # used up
    client.post("/account/logout")
    assert client.post(link).status_code == 400


def test_only_the_link_token_hash_is_stored(client, session, outbox):
    client.post("/account/register", data=_form())
    pending = session.exec(select(PendingRegistration)).one()
    token = outbox.link(outbox.to("wang.fang@example.com")[0], "/account/register/confirm/").rsplit("/", 1)[1]
    assert token not in pending.token_hash and len(pending.token_hash) == 64
    assert pending.password_hash.startswith("scrypt:")


def test_an_expired_link_makes_no_account(client, session, outbox, english):
    client.post("/account/register", data=_form())
    pending = session.exec(select(PendingRegistration)).one()
    pending.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    link = outbox.link(outbox.to("wang.fang@example.com")[0], "/account/register/confirm/")
    response = client.post(link)
    assert response.status_code == 400 and "Please register again" in response.get_data(as_text=True)
    assert session.exec(select(User)).all() == []


def test_registering_a_taken_address_looks_the_same_and_mails_its_owner(client, session, outbox, make, english):
    owner = make.applicant(email="taken@example.com")
    new = client.post("/account/register", data=_form(email="new@example.com", credit_code=credit_code(777010)))
    taken = client.post("/account/register", data=_form(email="TAKEN@example.com", credit_code=credit_code(777011)))

    assert (new.status_code, new.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    assert new.get_data() == taken.get_data()
    assert session.exec(select(Organisation).where(Organisation.credit_code == credit_code(777011))).first() is None
    [mail] = outbox.to("taken@example.com")
    assert mail["Subject"] == "Someone tried to register with your address"
    assert "/account/login" in mail.get_content() and "/account/password/forgot" in mail.get_content()
    assert "/account/register/confirm/" not in mail.get_content()
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.registration_attempted")).one()
    assert (event.object_id, event.actor_id) == (owner.id, None)
    # Trying to log in with the password typed tells nothing either: neither address has a working account yet.
    for email in ("new@example.com", "taken@example.com"):
        page = client.post("/account/login", data={"email": email, "password": "A-long-password-7"})
        assert "The email address or the password is not correct." in page.get_data(as_text=True)


def test_the_address_registered_meanwhile_wins(client, session, outbox, make, english):
    client.post("/account/register", data=_form())
    make.applicant(email="wang.fang@example.com")
    link = outbox.link(outbox.to("wang.fang@example.com")[0], "/account/register/confirm/")
    response = client.post(link)
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)
    assert session.exec(select(Organisation).where(Organisation.credit_code == credit_code(777001))).first() is None


def test_wrong_check_character_is_refused_with_a_clear_message(client, session, english):
    code = credit_code(777002)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")

    response = client.post("/account/register", data=_form(credit_code=wrong))

    assert response.status_code == 200
    assert "The check character (the last one) does not match" in response.get_data(as_text=True)
    assert session.exec(select(User)).all() == []
    assert session.exec(select(Organisation)).all() == []


def test_short_code_message_is_in_chinese_by_default(client):
    response = client.post("/account/register", data=_form(credit_code="91440300"))
    assert "统一社会信用代码应为18位，当前输入为8位" in response.get_data(as_text=True)
    assert response.status_code == 200


def test_city_must_be_one_of_the_21(client, session):
    response = client.post("/account/register", data=_form(city="110100"))
    assert "不是有效的选择" in response.get_data(as_text=True)
    assert session.exec(select(PendingRegistration)).all() == []


def test_second_registration_with_same_code_asks_to_join_without_naming_the_organisation(
        client, session, outbox, make, english):
    organisation = make.organisation(name="佛山湾区机器人有限公司", credit_code=credit_code(777003), city_code="440600")
    colleague = make.applicant(organisation=organisation, email="first@example.com")

    response = _register(client, outbox, credit_code=credit_code(777003), organisation_name="别的名字",
                         email="second@example.com")

    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")
    assert len(session.exec(select(Organisation)).all()) == 1
    newcomer = session.exec(select(User).where(User.email == "second@example.com")).one()
    assert (newcomer.organisation_id, newcomer.membership) == (organisation.id, Membership.PENDING)
    [mail] = outbox.to(colleague.email)
    assert "second@example.com" in mail.get_content()
    assert "/account/organisation" in mail.get_content()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "waiting for one of its members to approve" in page
    assert "request to join it has been sent to its members" in page
    assert "佛山湾区机器人有限公司" not in page and credit_code(777003) in page


def test_member_approves_a_join_request(client, session, login, make, outbox):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation)
    newcomer = make.applicant(organisation=organisation, membership=Membership.PENDING)
    login(member)

    response = client.post(f"/account/organisation/members/{newcomer.id}/approve")

    assert response.status_code == 302
    session.refresh(newcomer)
    assert newcomer.membership == Membership.ACTIVE
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "organisation.join_approved")).one()
    assert (event.actor_id, event.object_id, event.before["membership"], event.after["membership"]) == (
        member.id, newcomer.id, "pending", "active",
    )
    assert len(outbox.to(newcomer.email)) == 1


def test_only_members_of_the_same_organisation_decide(client, session, login, make):
    newcomer = make.applicant(membership=Membership.PENDING)
    outsider = make.applicant()  # another organisation
    pending_colleague = make.applicant(organisation=newcomer.organisation, membership=Membership.PENDING)

    login(outsider)
    assert client.post(f"/account/organisation/members/{newcomer.id}/approve").status_code == 403
    client.post("/account/logout")
    login(pending_colleague)
    assert client.post(f"/account/organisation/members/{newcomer.id}/approve").status_code == 403
    session.refresh(newcomer)
    assert newcomer.membership == Membership.PENDING


def test_weak_and_mismatched_passwords_are_refused(client, session, outbox, english):
    for password, message in (
        ("password12", "Use at least 12 characters."),
        ("abcdabcdab", "Use at least 12 characters."),
        ("Password2024!", "This is a common password"),
        ("Abcd1234abcd1234", "too easy to guess"),
        ("Wang.Fang-2026x", "must not contain your email address"),
        ("深圳智瞳科技有限公司-2026Ab", "must not contain your email address"),
    ):
        response = client.post("/account/register", data=_form(password=password, confirm=password))
        assert message in response.get_data(as_text=True), password
    response = client.post("/account/register", data=_form(confirm="something-else"))
    assert "The two passwords are not the same" in response.get_data(as_text=True)
    assert session.exec(select(PendingRegistration)).all() == [] and outbox.messages == []


def test_the_password_rules_are_shown_under_the_field(client, english):
    page = client.get("/account/register").get_data(as_text=True)
    assert "At least 12 characters with at least 3 of these kinds" in page


def test_invalid_phone_is_refused(client, english):
    response = client.post("/account/register", data=_form(phone="12345"))
    assert "mainland mobile number" in response.get_data(as_text=True)


def test_line_breaks_in_names_are_refused(client, session, english):
    response = client.post("/account/register", data=_form(organisation_name="Evil\r\nBcc: all@example.com"))
    assert "Line breaks and control characters are not allowed here." in response.get_data(as_text=True)
    assert session.exec(select(PendingRegistration)).all() == []


def test_pending_and_declined_applicants_cannot_see_the_organisation(client, login, make):
    organisation = make.organisation()
    make.applicant(organisation=organisation, email="insider@example.com", phone="13900000000")
    for membership in (Membership.PENDING, Membership.REJECTED):
        login(make.applicant(organisation=organisation, membership=membership))
        assert client.get("/account/organisation").status_code == 403
        dashboard = client.get("/dashboard").get_data(as_text=True)
        assert "insider@example.com" not in dashboard and "/account/organisation" not in dashboard
        client.post("/account/logout")


def test_member_declines_a_join_request(client, session, login, make, outbox):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation)
    newcomer = make.applicant(organisation=organisation, membership=Membership.PENDING)
    login(member)

    client.post(f"/account/organisation/members/{newcomer.id}/decline")

    session.refresh(newcomer)
    assert newcomer.membership == Membership.REJECTED
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "organisation.join_declined")).one().actor_id == member.id
    [mail] = outbox.to(newcomer.email)
    assert "不是" in mail.get_content()
    # Declined before ever being a member: the organisation is named by its code, not its name.
    assert organisation.name not in mail.get_content() + mail["Subject"]
    assert organisation.credit_code in mail.get_content()


def test_members_cannot_remove_colleagues(client, session, login, make):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation)
    colleague = make.applicant(organisation=organisation)
    login(member)
    assert client.post(f"/account/organisation/members/{colleague.id}/decline").status_code == 403
    assert client.post(f"/account/organisation/members/{colleague.id}/remove").status_code == 404
    session.refresh(colleague)
    assert colleague.membership == Membership.ACTIVE


def test_user_input_inside_translated_messages_is_escaped(client, english):
    """Translated messages that quote what the user typed must not turn it into markup."""
    # 18 characters, two of which can never appear in a code: the message lists them.
    response = client.post("/account/register", data=_form(credit_code="<>9144030070846113"))
    page = response.get_data(as_text=True)
    assert "never appear in a unified social credit code: &lt; &gt;" in page


def test_one_address_gets_at_most_five_registration_mails_an_hour(client, outbox):
    def register(n, **overrides):
        return client.post("/account/register", data=_form(credit_code=credit_code(777100 + n), **overrides),
                           environ_base={"REMOTE_ADDR": f"10.2.0.{n}"}).status_code

    assert [register(n) for n in range(4)] == [302] * 4
    assert register(4, phone="1") == 200  # a mistake on the form sends no mail and does not count
    assert register(5) == 302
    assert register(6) == 429
    assert len(outbox.to("wang.fang@example.com")) == 5
