from sqlmodel import select

from app.enums import Membership, Role
from app.models import AuditEvent, Organisation, User
from tests.factories import credit_code


def _form(**overrides):
    return {
        "organisation_name": "深圳智瞳科技有限公司",
        "credit_code": credit_code(777001),
        "city": "440300",
        "contact_name": "王芳",
        "email": "Wang.Fang@Example.com",
        "phone": "13800138000",
        "password": "a-long-password",
        "confirm": "a-long-password",
    } | overrides


def test_registration_creates_organisation_and_active_applicant(client, session):
    response = client.post("/account/register", data=_form())

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    user = session.exec(select(User).where(User.email == "wang.fang@example.com")).one()
    organisation = session.exec(select(Organisation).where(Organisation.credit_code == credit_code(777001))).one()
    assert (organisation.name, organisation.city_code) == ("深圳智瞳科技有限公司", "440300")
    assert (user.organisation_id, user.membership, user.roles) == (organisation.id, Membership.ACTIVE, {Role.APPLICANT})
    assert user.password_hash.startswith("scrypt:") and "a-long-password" not in user.password_hash
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "applicant.registered")).one()
    assert (event.actor_id, event.object_type, event.object_id) == (user.id, "users", user.id)
    assert (event.after["organisation_id"], event.after["membership"]) == (organisation.id, "active")
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "organisation.created")).one()
    assert (created.object_type, created.object_id, created.after["credit_code"]) == (
        "organisations", organisation.id, credit_code(777001),
    )

    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "深圳智瞳科技有限公司" in dashboard


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
    assert session.exec(select(User)).all() == []


def test_second_registration_with_same_code_asks_to_join(client, session, outbox, make, english):
    organisation = make.organisation(name="佛山湾区机器人有限公司", credit_code=credit_code(777003), city_code="440600")
    colleague = make.applicant(organisation=organisation, email="first@example.com")

    response = client.post(
        "/account/register",
        data=_form(credit_code=credit_code(777003), organisation_name="别的名字", email="second@example.com"),
    )

    assert response.status_code == 302
    assert len(session.exec(select(Organisation)).all()) == 1
    newcomer = session.exec(select(User).where(User.email == "second@example.com")).one()
    assert (newcomer.organisation_id, newcomer.membership) == (organisation.id, Membership.PENDING)
    [mail] = outbox.to(colleague.email)
    assert "second@example.com" in mail.get_content()
    assert "/account/organisation" in mail.get_content()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "waiting for one of its members to approve" in page


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


def test_duplicate_email_is_refused(client, session, make, english):
    make.applicant(email="taken@example.com")
    response = client.post("/account/register", data=_form(email="TAKEN@example.com"))
    assert "An account with this email address already exists" in response.get_data(as_text=True)
    assert session.exec(select(Organisation).where(Organisation.credit_code == credit_code(777001))).first() is None


def test_weak_and_mismatched_passwords_are_refused(client, session, english):
    response = client.post("/account/register", data=_form(password="123456789012", confirm="123456789012"))
    assert "too easy to guess" in response.get_data(as_text=True)
    response = client.post("/account/register", data=_form(confirm="something-else"))
    assert "The two passwords are not the same" in response.get_data(as_text=True)
    assert session.exec(select(User)).all() == []


def test_invalid_phone_is_refused(client, english):
    response = client.post("/account/register", data=_form(phone="12345"))
    assert "mainland mobile number" in response.get_data(as_text=True)


def test_line_breaks_in_names_are_refused(client, session, english):
    response = client.post("/account/register", data=_form(organisation_name="Evil\r\nBcc: all@example.com"))
    assert "Line breaks and control characters are not allowed here." in response.get_data(as_text=True)
    assert session.exec(select(Organisation)).all() == []


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
    assert "不是" in outbox.to(newcomer.email)[0].get_content()


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
