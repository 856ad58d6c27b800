from sqlmodel import select

from app.enums import Role
from app.models import AuditEvent, User


def test_chair_invites_an_expert_who_sets_a_password(client, session, login, outbox, make, english):
    chair = make.chair()
    login(chair)

    response = client.post("/admin/users/invite", data={"email": "Expert@Univ.edu.cn", "name": "李教授", "roles": ["expert", "publicity"]})
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/users")
    invited = session.exec(select(User).where(User.email == "expert@univ.edu.cn")).one()
    assert invited.roles == {Role.EXPERT, Role.PUBLICITY}
    assert invited.password_hash is None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.invited")).one()
    assert (event.actor_id, event.object_id, event.after["roles"]) == (chair.id, invited.id, ["expert", "publicity"])
    [mail] = outbox.to("expert@univ.edu.cn")
    link = outbox.link(mail, "/account/invitation/")

    client.post("/account/logout")
    page = client.get(link).get_data(as_text=True)
    assert "Accept the invitation" in page and "expert@univ.edu.cn" in page
    response = client.post(link, data={"name": "李明教授", "phone": "020-87654321", "password": "Harbour-lights-2026", "confirm": "Harbour-lights-2026"})
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard")
    session.refresh(invited)
    assert (invited.name, invited.phone) == ("李明教授", "020-87654321")
    assert client.get(link).status_code == 400  # single use
    client.post("/account/logout")
    assert client.post("/account/login", data={"email": "expert@univ.edu.cn", "password": "Harbour-lights-2026"}).status_code == 302


def test_applicant_accounts_are_never_staff(client, session, login, make, english):
    applicant = make.applicant(email="owner@corp.example")
    login(make.chair())

    response = client.post("/admin/users/invite", data={"email": "owner@corp.example", "name": "x", "roles": ["expert"]})
    assert "applicant accounts can never be staff" in response.get_data(as_text=True)
    session.refresh(applicant)
    assert applicant.roles == {Role.APPLICANT}
    # Nor can an applicant's page be opened or edited as if it were staff.
    assert client.get(f"/admin/users/{applicant.id}").status_code == 403
    assert client.post(f"/admin/users/{applicant.id}", data={"roles": ["chair"], "active": "y"}).status_code == 403
    session.refresh(applicant)
    assert applicant.roles == {Role.APPLICANT}


def test_invitation_requires_a_staff_role(client, session, login, make):
    login(make.chair())
    response = client.post("/admin/users/invite", data={"email": "x@example.com", "name": "x", "roles": ["applicant"]})
    assert response.status_code == 200
    assert session.exec(select(User).where(User.email == "x@example.com")).first() is None


def test_chair_changes_roles_and_deactivates(app, client, session, login, make):
    expert = make.staff(Role.EXPERT)
    expert_client = app.test_client()
    expert_client.post("/account/login", data={"email": expert.email, "password": "correct-horse-battery"})
    login(make.chair())

    response = client.post(f"/admin/users/{expert.id}", data={"roles": ["expert", "chair"]})  # "active" unticked

    assert response.status_code == 302
    session.refresh(expert)
    assert (expert.roles, expert.active) == ({Role.EXPERT, Role.CHAIR}, False)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.updated")).one()
    assert (event.before["roles"], event.after["roles"], event.after["active"]) == (["expert"], ["chair", "expert"], False)
    assert expert_client.get("/dashboard").status_code == 302  # logged out at once


def test_chair_cannot_lock_themselves_out(client, session, login, make, english):
    chair = make.chair()
    login(chair)
    response = client.post(f"/admin/users/{chair.id}", data={"roles": ["expert"], "active": "y"})
    assert "You cannot remove your own chair role" in response.get_data(as_text=True)
    session.refresh(chair)
    assert chair.roles == {Role.CHAIR}


def test_resend_invitation_invalidates_the_old_link(client, session, login, outbox, make):
    login(make.chair())
    client.post("/admin/users/invite", data={"email": "slow@example.com", "name": "慢", "roles": ["expert"]})
    invited = session.exec(select(User).where(User.email == "slow@example.com")).one()
    first = outbox.link(outbox.to("slow@example.com")[0], "/account/invitation/")

    client.post(f"/admin/users/{invited.id}/resend-invitation")

    mails = outbox.to("slow@example.com")
    assert len(mails) == 2
    assert client.get(first).status_code == 400
    assert client.get(outbox.link(mails[1], "/account/invitation/")).status_code == 200


def test_people_page_lists_staff_not_applicants(client, login, make):
    login(make.chair())
    make.chair(name="另一位组长")
    make.staff(Role.EXPERT, name="专家甲")
    make.applicant(name="申报人乙")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "专家甲" in page and "另一位组长" in page and "申报人乙" not in page
    experts_only = client.get("/admin/users?role=expert").get_data(as_text=True)
    assert "专家甲" in experts_only and "另一位组长" not in experts_only


def test_deactivating_an_invitee_kills_the_invitation(client, session, login, outbox, make):
    login(make.chair())
    client.post("/admin/users/invite", data={"email": "late@example.com", "name": "迟到", "roles": ["expert"]})
    invited = session.exec(select(User).where(User.email == "late@example.com")).one()
    link = outbox.link(outbox.to("late@example.com")[0], "/account/invitation/")

    client.post(f"/admin/users/{invited.id}", data={"roles": ["expert"]})  # "active" unticked

    client.post("/account/logout")
    response = client.post(link, data={"name": "迟到", "phone": "", "password": "expert-password", "confirm": "expert-password"})
    assert response.status_code == 400
    session.refresh(invited)
    assert invited.password_hash is None
