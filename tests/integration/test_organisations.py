"""The chair's view of applicant organisations and their accounts."""
from sqlmodel import select

from app.enums import Membership
from app.models import AuditEvent


def test_chair_lists_and_searches_organisations(client, login, make):
    login(make.chair())
    waiting = make.organisation(name="汕头潮汕智造有限公司")
    make.applicant(organisation=waiting)
    make.applicant(organisation=waiting, membership=Membership.PENDING)
    make.organisation(name="湛江海洋数据有限公司")

    page = client.get("/admin/organisations").get_data(as_text=True)
    assert page.index("汕头潮汕智造有限公司") < page.index("湛江海洋数据有限公司")  # requests waiting first
    found = client.get("/admin/organisations?q=海洋").get_data(as_text=True)
    assert "湛江海洋数据有限公司" in found and "汕头潮汕智造有限公司" not in found
    by_code = client.get(f"/admin/organisations?q={waiting.credit_code.lower()}").get_data(as_text=True)
    assert "汕头潮汕智造有限公司" in by_code


def test_chair_removes_a_squatter_with_a_reason_and_approves_the_real_applicant(client, session, login, make, outbox):
    chair = login(make.chair())
    organisation = make.organisation()
    squatter = make.applicant(organisation=organisation)
    real = make.applicant(organisation=organisation, membership=Membership.PENDING)

    refused = client.post(f"/admin/members/{squatter.id}/remove", data={"reason": ""}, follow_redirects=True)
    assert "请填写原因" in refused.get_data(as_text=True)
    session.refresh(squatter)
    assert squatter.membership == Membership.ACTIVE

    client.post(f"/admin/members/{squatter.id}/remove", data={"reason": "并非该单位员工"})
    client.post(f"/admin/members/{real.id}/approve", data={})

    session.refresh(squatter)
    session.refresh(real)
    assert (squatter.membership, real.membership) == (Membership.REJECTED, Membership.ACTIVE)
    removed = session.exec(select(AuditEvent).where(AuditEvent.action == "organisation.member_removed")).one()
    assert (removed.actor_id, removed.object_id, removed.reason) == (chair.id, squatter.id, "并非该单位员工")
    assert "并非该单位员工" in outbox.to(squatter.email)[0].get_content()
    page = client.get(f"/admin/organisations/{organisation.id}").get_data(as_text=True)
    assert real.email in page and squatter.email in page


def test_a_removed_member_is_logged_out_of_the_organisation(app, client, login, make):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation)
    member_client = app.test_client()
    member_client.post("/account/login", data={"email": member.email, "password": "correct-horse-battery"})
    assert member_client.get("/account/organisation").status_code == 200

    login(make.chair())
    client.post(f"/admin/members/{member.id}/remove", data={"reason": "离职"})

    assert member_client.get("/account/organisation").status_code == 302  # session ended


def test_membership_pages_are_for_chairs(client, login, make):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation)
    login(make.applicant(organisation=organisation))
    assert client.get("/admin/organisations").status_code == 403
    assert client.get(f"/admin/organisations/{organisation.id}").status_code == 403
    assert client.post(f"/admin/members/{member.id}/remove", data={"reason": "x"}).status_code == 403
