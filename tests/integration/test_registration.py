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
    assert event.after["organisation"]["credit_code"] == credit_code(777001)

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
    assert "统一社会信用代码" in response.get_data(as_text=True)
    assert response.status_code == 200


def test_city_must_be_one_of_the_21(client, session):
    response = client.post("/account/register", data=_form(city="110100"))
    assert "请从列表中选择城市" in response.get_data(as_text=True) or "不是有效的选项" in response.get_data(as_text=True)
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
