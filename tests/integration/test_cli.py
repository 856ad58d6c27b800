import random

from sqlmodel import func, select

from app.accounts.credit_code import normalise_credit_code
from app.db import utcnow
from app.demo.entries import demo_entry_specs
from app.demo.services import ENTRY_SEED
from app.entries.completeness import missing_items
from app.enums import EntryStatus, Membership, Phase, Role
from app.models import (
    AuditEvent,
    Call,
    Entry,
    EntryOutcome,
    EntryPhoto,
    Organisation,
    User,
)
from app.reference import CITIES, Domain, Technology
from app.storage import storage


def test_users_create_with_password(runner, session):
    result = runner.invoke(args=["users", "create", "Chair2@Example.com", "--role", "chair", "--role", "publicity", "--password", "a-strong-password"])
    assert result.exit_code == 0, result.output
    assert "Created chair2@example.com with roles: chair, publicity" in result.output
    user = session.exec(select(User).where(User.email == "chair2@example.com")).one()
    assert user.roles == {Role.CHAIR, Role.PUBLICITY} and user.password_hash
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.created", AuditEvent.object_id == user.id)).one()


def test_users_create_without_password_mails_and_prints_an_invitation(runner, session, outbox):
    result = runner.invoke(args=["users", "create", "expert9@example.com", "--role", "expert"])
    assert result.exit_code == 0, result.output
    assert "Invitation link" in result.output and "/account/invitation/" in result.output
    assert len(outbox.to("expert9@example.com")) == 1
    assert session.exec(select(User).where(User.email == "expert9@example.com")).one().password_hash is None


def test_users_create_refuses_duplicates_and_applicant_role(runner, make):
    make.applicant(email="taken@example.com")
    result = runner.invoke(args=["users", "create", "taken@example.com", "--role", "expert"])
    assert result.exit_code == 1 and "申报单位账号不能成为工作人员" in result.output
    result = runner.invoke(args=["users", "create", "x@example.com", "--role", "applicant"])
    assert result.exit_code == 2


def test_demo_load_is_complete_deterministic_and_idempotent(app, runner, session):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "chair@demo.local" in result.output and "demo-password" in result.output
    assert "Demo call: 300 submitted entries." in result.output

    def census():
        return {
            "users": session.exec(select(func.count()).select_from(User)).one(),
            "organisations": sorted(session.exec(select(Organisation.credit_code)).all()),
            "calls": session.exec(select(func.count()).select_from(Call)).one(),
            "entries": sorted(session.exec(select(Entry.organisation_id, Entry.title)).all()),
            "outcomes": session.exec(select(func.count()).select_from(EntryOutcome)).one(),
            "photos": session.exec(select(func.count()).select_from(EntryPhoto)).one(),
            "audit": session.exec(select(func.count()).select_from(AuditEvent)).one(),
        }

    first = census()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert census() == first

    experts = session.exec(select(User).where(User.email.like("expert%@demo.local"))).all()
    applicants = session.exec(select(User).where(User.email.like("applicant%@demo.local"))).all()
    assert len(experts) == 40 and all(u.roles == {Role.EXPERT} for u in experts)
    assert len(applicants) == 30 and all(u.membership == Membership.ACTIVE for u in applicants)
    organisations = session.exec(select(Organisation)).all()
    assert len(organisations) == 30
    assert all(normalise_credit_code(o.credit_code) == o.credit_code for o in organisations)
    assert {o.city_code for o in organisations} == set(CITIES)
    assert all(o.name.endswith(("有限公司", "医院", "学院", "中心", "管理局")) for o in organisations)
    chair = session.exec(select(User).where(User.email == "chair@demo.local")).one()
    assert chair.roles == {Role.CHAIR}
    call = session.exec(select(Call)).one()
    assert call.target_count == 200 and len(call.quotas) == 8 and len(call.phases) == 5

    # 300 submitted entries, complete, in every domain and city, with stored photos.
    entries = session.exec(select(Entry).where(Entry.call_id == call.id).order_by(Entry.id)).all()
    organisations = session.exec(select(Organisation).order_by(Organisation.id)).all()

    assert len(entries) == 300
    assert {e.domain for e in entries} == set(Domain)
    assert {e.city_code for e in entries} == set(CITIES)
    assert {e.organisation_id for e in entries} == {o.id for o in organisations}
    assert all(e.status == EntryStatus.SUBMITTED for e in entries)
    assert all(e.created_by_id is not None and e.version == 1 for e in entries)
    submission = call.phase_window(Phase.SUBMISSION)
    now = utcnow()
    assert all(submission.starts_at <= e.created_at <= e.submitted_at < now for e in entries)
    assert [e.submitted_at for e in entries] == sorted(e.submitted_at for e in entries)
    assert all(1 <= len(e.outcomes) <= 4 and 1 <= len(e.photos) <= 3 for e in entries)
    assert all(o.after != o.before for e in entries for o in e.outcomes)
    vocabulary = {t.value for t in Technology}
    assert all(2 <= len([t for t in e.tech_tags if t in vocabulary]) <= 4 for e in entries)
    assert all(len(e.partners) <= 2 for e in entries)
    assert all(normalise_credit_code(p["credit_code"]) for e in entries for p in e.partners if p["credit_code"])
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "demo.entry_created")).all()) == 300

    keys = {key for e in entries for p in e.photos for key in (p.master_key, p.display_key, p.thumb_key)}
    assert len(keys) <= 32 * 3  # a shared pool, not one picture per entry
    with app.app_context():
        assert all(missing_items(e) == {} for e in entries)
        assert all(storage().path(key).exists() for key in keys)

    # Deterministic: the titles follow from the organisations and the seed alone.
    specs = demo_entry_specs(organisations, random.Random(ENTRY_SEED))
    assert sorted((organisations[s.organisation_index].id, s.title) for s in specs) == sorted((e.organisation_id, e.title) for e in entries)
    assert (specs[0].title, organisations[0].name) == ("基于多模态AI的乡村学校课堂评价应用", "广州海岸线教育科技有限公司")


def test_demo_load_if_empty_leaves_a_used_database_alone(runner, session, make):
    make.chair()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already has data" in result.output
    assert session.exec(select(User).where(User.email == "chair@demo.local")).first() is None


def test_demo_logins_work(client, runner):
    runner.invoke(args=["demo", "load"])
    for email in ("chair@demo.local", "publicity@demo.local", "expert01@demo.local", "applicant01@demo.local"):
        response = client.post("/account/login", data={"email": email, "password": "demo-password"})
        assert response.status_code == 302, email
        client.post("/account/logout")


def test_users_create_enforces_the_password_rules(runner, session):
    result = runner.invoke(args=["users", "create", "weak@example.com", "--role", "chair", "--password", "123"])
    assert result.exit_code == 1
    assert session.exec(select(User).where(User.email == "weak@example.com")).first() is None


def test_demo_load_refuses_production(app, runner, session):
    app.config["SHOWCASE_ENV"] = "production"
    try:
        result = runner.invoke(args=["demo", "load"])
    finally:
        app.config["SHOWCASE_ENV"] = "testing"
    assert result.exit_code == 1 and "never loaded in production" in result.output
    assert session.exec(select(User)).all() == []
