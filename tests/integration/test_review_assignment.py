"""Assigning experts: the automatic run and top-up, manual changes, the
chair's pages and the ``flask review assign`` command."""
import re
from collections import Counter

import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import AssignmentSource, ConflictSource, Domain, EntryStatus, Membership, Phase, Role
from app.errors import DomainError
from app.models import (
    Assignment,
    AuditEvent,
    Conflict,
    Entry,
)
from app.review.assignment import services as assignments
from app.review.assignment.reports import last_run
from app.review.assignment.solver import CAPS, NO_PANEL, TOO_FEW_EXPERTS
from tests.factories import credit_code

S = EntryStatus
PARTNER_CODE = credit_code(990001, "440100")


@pytest.fixture
def call(make):
    return make.call(open_phase=Phase.REVIEW, experts_per_entry=5)


@pytest.fixture
def chair(make):
    return make.chair(email="chair@example.com")


@pytest.fixture
def ctx(app):
    """A request context in English, for services whose messages are translated."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def _active(session, entry):
    return {row.expert_id for row in session.exec(
        select(Assignment).where(Assignment.entry_id == entry.id, Assignment.removed_at.is_(None))
    ).all()}


def _events(session, action, object_type=None):
    query = select(AuditEvent).where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    return session.exec(query.order_by(AuditEvent.id)).all()


def _run(session, call, chair, **options):
    report = assignments.run_assignment(session, call=call, actor=chair, now=utcnow(), **options)
    session.commit()
    return report


# --- conflicts ---------------------------------------------------------------------


def test_conflicted_experts_are_never_assigned(make, session, call, chair, ctx):
    organisation = make.organisation(name="深圳视觉科技有限公司")
    entry = make.entry(call=call, status=S.ELIGIBLE, photos=0, organisation=organisation, partners=[
        {"name": "广东省智能研究院", "credit_code": PARTNER_CODE},
        {"name": "中山大学", "credit_code": ""},
    ])
    year = call.year
    conflicted = [
        make.expert(name="本单位（代码）", code=organisation.credit_code),
        make.expert(name="本单位（名称）", affiliation="深圳视觉 科技有限公司"),
        make.expert(name="两年前离职", affiliation="某高校", employments=[
            {"organisation_name": "深圳视觉科技有限公司", "credit_code": organisation.credit_code,
             "start_year": year - 8, "end_year": year - 2}]),
        make.expert(name="合作单位（代码）", code=PARTNER_CODE, affiliation="另一个名字"),
        make.expert(name="合作单位（名称）", affiliation="中山大学"),
    ]
    allowed = [
        make.expert(name="五年前离职", affiliation="某高校", employments=[
            {"organisation_name": "深圳视觉科技有限公司", "credit_code": organisation.credit_code,
             "start_year": year - 10, "end_year": year - 5}]),
        *(make.expert(affiliation=f"无关单位{n}") for n in range(4)),
    ]
    make.panel(call=call, experts=conflicted + allowed)

    report = _run(session, call, chair)

    assert _active(session, entry) == {expert.id for expert in allowed}
    assert report.pairs == 5 and report.infeasible == []


def test_stored_conflicts_are_respected(make, session, call, chair, ctx):
    entry = make.entry(call=call, status=S.ELIGIBLE, photos=0)
    experts = [make.expert(profile=True) for _ in range(6)]
    make.panel(call=call, experts=experts)
    session.add(Conflict(expert_id=experts[0].id, entry_id=entry.id, source=ConflictSource.DECLARED, reason="曾参与该项目咨询"))
    session.commit()

    _run(session, call, chair)

    assert _active(session, entry) == {expert.id for expert in experts[1:]}


# --- the run -------------------------------------------------------------------------


def test_run_balances_moves_entries_to_review_and_audits(make, session, call, chair, ctx):
    experts = [make.expert(profile=True) for _ in range(6)]
    panel = make.panel(call=call, experts=experts)
    eligible = [make.entry(call=call, status=S.ELIGIBLE, photos=0, title=f"场景{n}") for n in range(12)]
    untouched = [make.entry(call=call, status=S.SUBMITTED, photos=0), make.entry(call=call, status=S.INELIGIBLE, photos=0)]

    report = _run(session, call, chair, per_entry=3, seed=4)

    assert report.pairs == 36 and report.moved_to_review == 12 and report.entries == 12
    rows = session.exec(select(Assignment).where(Assignment.call_id == call.id)).all()
    assert Counter(row.expert_id for row in rows) == {expert.id: 6 for expert in experts}
    assert all(row.source == AssignmentSource.AUTOMATIC and row.panel_id == panel.id and row.created_by_id == chair.id
               for row in rows)
    for entry in eligible:
        session.refresh(entry)
        assert entry.status == S.IN_REVIEW and len(_active(session, entry)) == 3
    for entry in untouched:
        assert not _active(session, entry)
    assert [p.spread for p in report.panels] == [0]

    added = _events(session, "assignment.added")
    assert sorted(event.object_id for event in added) == sorted(entry.id for entry in eligible)
    assert all(event.actor_id == chair.id and len(event.after["expert_ids"]) == 3 and event.after["source"] == "automatic"
               for event in added)
    assert len(_events(session, "entry.review_started")) == 12
    (run,) = _events(session, "assignment.run")
    assert (run.object_type, run.object_id, run.actor_id) == ("calls", call.id, chair.id)
    assert run.after["assigned"] == 36 and run.after["moved_to_review"] == 12 and run.after["infeasible"] == []
    assert run.after["panels"] == [{"id": panel.id, "name": "智能制造组", "domains": ["manufacturing"], "members": 6,
                                    "minimum": 6, "maximum": 6, "spread": 0}]


def test_run_is_deterministic_per_seed(make, session, call, chair, ctx):
    experts = [make.expert(profile=True) for _ in range(8)]
    make.panel(call=call, experts=experts)
    entries = [make.entry(call=call, status=S.ELIGIBLE, photos=0) for _ in range(6)]

    report = assignments.run_assignment(session, call=call, actor=chair, now=utcnow(), per_entry=2, seed=1)
    first = {entry.id: _active(session, entry) for entry in entries}
    session.rollback()
    assignments.run_assignment(session, call=call, actor=chair, now=utcnow(), per_entry=2, seed=1)
    assert {entry.id: _active(session, entry) for entry in entries} == first
    assert report.pairs == 12


def test_caps_and_tags_come_from_the_profiles(make, session, call, chair, ctx):
    vision = [make.expert(tags=["computer_vision"]) for _ in range(2)]
    capped = make.expert(tags=["Computer_Vision"], cap=1)
    others = [make.expert(tags=["nlp"]) for _ in range(2)]
    make.panel(call=call, experts=vision + [capped] + others)
    first = [make.entry(call=call, status=S.ELIGIBLE, photos=0, tech_tags=["computer_vision"]) for _ in range(3)]

    _run(session, call, chair, per_entry=1, seed=0)

    def loads(entries):
        return Counter(expert for entry in entries for expert in _active(session, entry))

    # At equal load, the experts sharing the entries' technology come first.
    assert loads(first) == {vision[0].id: 1, vision[1].id: 1, capped.id: 1}
    second = [make.entry(call=call, status=S.ELIGIBLE, photos=0, tech_tags=["computer_vision"]) for _ in range(3)]
    _run(session, call, chair, per_entry=1, seed=0)
    # Balance before tags; the capped expert has reached their maximum.
    assert loads(second)[capped.id] == 0
    assert loads(first + second)[others[0].id] == loads(first + second)[others[1].id] == 1


def test_infeasible_entries_are_reported(make, session, call, chair, ctx):
    small = [make.expert(profile=True) for _ in range(3)]
    make.panel(call=call, experts=small)
    capped = [make.expert(cap=1) for _ in range(5)]
    make.panel(call=call, name="智慧医疗组", domains=(Domain.HEALTHCARE,), experts=capped)
    too_few = make.entry(call=call, status=S.ELIGIBLE, photos=0, title="专家太少")
    health = [make.entry(call=call, status=S.ELIGIBLE, photos=0, domain=Domain.HEALTHCARE, title=f"医疗{n}") for n in range(2)]
    no_panel = make.entry(call=call, status=S.ELIGIBLE, photos=0, domain=Domain.FINANCE, title="没有评审组")

    report = _run(session, call, chair)

    assert report.pairs == 8
    rows = {row.entry_id: row for row in report.infeasible}
    assert set(rows) == {too_few.id, no_panel.id} | {e.id for e in health if not _active(session, e)}
    short = rows[too_few.id]
    assert (short.needed, short.found, short.eligible, short.reason) == (5, 3, 3, TOO_FEW_EXPERTS)
    assert (rows[no_panel.id].found, rows[no_panel.id].reason, rows[no_panel.id].panel_name) == (0, NO_PANEL, None)
    short_health = next(row for row in report.infeasible if row.title.startswith("医疗"))
    assert (short_health.found, short_health.eligible, short_health.reason, short_health.panel_name) == (0, 5, CAPS, "智慧医疗组")
    assert str(rows[no_panel.id].message) == "No panel covers the entry's domain."

    stored = last_run(session, call=call)
    assert stored.assigned == 8 and [row.entry_id for row in stored.infeasible] == sorted(rows)
    assert {row.title for row in stored.infeasible} == {"专家太少", "没有评审组", short_health.title}


def test_run_refuses_a_bad_number_and_a_call_without_review_phase(make, session, call, chair, ctx):
    with pytest.raises(DomainError) as error:
        assignments.run_assignment(session, call=call, actor=chair, now=utcnow(), per_entry=0)
    assert str(error.value.message) == "Ask for between 1 and 20 experts per entry."
    call.phases = [phase for phase in call.phases if phase.phase != Phase.REVIEW]
    session.commit()
    with pytest.raises(DomainError) as error:
        assignments.run_assignment(session, call=call, actor=chair, now=utcnow())
    assert str(error.value.message) == "This call has no review phase."


# --- removals and top-ups ----------------------------------------------------------------


def test_top_up_after_a_removal_fills_the_gap_with_someone_else(make, session, call, chair, ctx):
    experts = [make.expert(profile=True) for _ in range(7)]
    make.panel(call=call, experts=experts)
    entries = [make.entry(call=call, status=S.ELIGIBLE, photos=0) for _ in range(3)]
    _run(session, call, chair)
    entry = entries[0]
    assignment = session.exec(select(Assignment).where(Assignment.entry_id == entry.id).order_by(Assignment.id)).first()
    removed_expert = assignment.expert_id

    with pytest.raises(DomainError):
        assignments.remove_assignment(session, assignment=assignment, actor=chair, reason="  ", now=utcnow())
    assignments.remove_assignment(session, assignment=assignment, actor=chair, reason="专家临时出差", now=utcnow())
    session.commit()
    assert assignment.removed_at is not None and assignment.removed_reason == "专家临时出差"
    (removal,) = _events(session, "assignment.removed")
    assert (removal.object_id, removal.before, removal.reason) == (entry.id, {"expert_id": removed_expert}, "专家临时出差")
    with pytest.raises(DomainError):
        assignments.remove_assignment(session, assignment=assignment, actor=chair, reason="再次", now=utcnow())

    report = _run(session, call, chair, top_up=True)

    assert report.pairs == 1 and report.moved_to_review == 0
    (new,) = session.exec(select(Assignment).where(Assignment.source == AssignmentSource.TOP_UP)).all()
    assert new.entry_id == entry.id and new.expert_id != removed_expert
    assert len(_active(session, entry)) == 5 and removed_expert not in _active(session, entry)
    session.refresh(assignment)
    assert assignment.removed_at is not None  # removed stays removed
    # A second run has nothing left to do.
    assert _run(session, call, chair).pairs == 0


def test_a_top_up_leaves_eligible_entries_alone(make, session, call, chair):
    make.panel(call=call, experts=[make.expert(profile=True) for _ in range(5)])
    entry = make.entry(call=call, status=S.ELIGIBLE, photos=0)
    report = _run(session, call, chair, top_up=True)
    assert report.entries == 0 and report.pairs == 0 and not _active(session, entry)


# --- manual changes --------------------------------------------------------------------------


def test_manual_add_refuses_conflicts_outsiders_and_duplicates(make, session, call, chair, ctx):
    organisation = make.organisation()
    entry = make.entry(call=call, status=S.ELIGIBLE, photos=0, organisation=organisation)
    own = make.expert(name="同单位专家", code=organisation.credit_code)
    declared = make.expert(profile=True, name="已申报回避")
    fine = make.expert(profile=True, name="可用专家")
    outsider = make.expert(profile=True, name="其他组专家")
    make.panel(call=call, experts=[own, declared, fine])
    make.panel(call=call, name="智慧城市组", domains=(Domain.CITY,), experts=[outsider])
    session.add(Conflict(expert_id=declared.id, entry_id=entry.id, source=ConflictSource.DECLARED, reason="亲属任职"))
    session.commit()

    def refused(expert, reason="需要补充"):
        with pytest.raises(DomainError) as error:
            assignments.add_assignment(session, entry=entry, expert=expert, actor=chair, reason=reason, now=utcnow())
        return str(error.value.message)

    assert refused(own) == ("同单位专家 has a conflict of interest with this entry: The expert works, or worked in the "
                            "last 3 years, for the organisation or a partner of this entry.")
    assert refused(declared) == "已申报回避 has a recorded conflict of interest with this entry: 亲属任职"
    assert refused(outsider) == "其他组专家 is not on a panel that covers this entry's domain."
    assert refused(fine, reason=" ") == "Give a reason: it is kept in the entry's history."
    assert not _active(session, entry)

    assignment = assignments.add_assignment(session, entry=entry, expert=fine, actor=chair, reason="补充评审", now=utcnow())
    session.commit()
    assert (assignment.source, assignment.created_by_id, assignment.expert_id) == (AssignmentSource.MANUAL, chair.id, fine.id)
    assert entry.status == S.IN_REVIEW
    (added,) = _events(session, "assignment.added")
    assert (added.object_id, added.after["expert_id"], added.reason) == (entry.id, fine.id, "补充评审")
    assert refused(fine) == "可用专家 is already assigned to this entry."

    # Taken off, then added back by hand: the same row, active again.
    assignments.remove_assignment(session, assignment=assignment, actor=chair, reason="误操作", now=utcnow())
    again = assignments.add_assignment(session, entry=entry, expert=fine, actor=chair, reason="恢复", now=utcnow())
    assert again.id == assignment.id and again.active
    assert _events(session, "assignment.added")[-1].before == {"expert_id": fine.id, "removed_reason": "误操作"}


def test_manual_add_refuses_entries_not_eligible(make, session, call, chair, ctx):
    expert = make.expert(profile=True)
    make.panel(call=call, experts=[expert])
    entry = make.entry(call=call, status=S.SUBMITTED, photos=0)
    with pytest.raises(DomainError):
        assignments.add_assignment(session, entry=entry, expert=expert, actor=chair, reason="试试", now=utcnow())


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def setup(make, call):
    experts = [make.expert(profile=True, name=f"专家{n}") for n in range(6)]
    make.panel(call=call, experts=experts)
    entries = [make.entry(call=call, status=S.ELIGIBLE, photos=0, title=f"待分配场景{n}") for n in range(4)]
    return {"call": call, "experts": experts, "entries": entries}


def test_overview_shows_loads_lacking_entries_and_the_run_form(client, login, chair, setup, english):
    login(chair)
    page = client.get(f"/review/assign/?call={setup['call'].id}").get_data(as_text=True)
    assert "智能制造组" in page and "4 entries have fewer than 5 experts." in page
    for entry in setup["entries"]:
        assert f'href="/review/assign/entries/{entry.id}"' in page
    assert f'action="/review/assign/calls/{setup["call"].id}/run"' in page
    assert 'name="per_entry"' in page and 'value="5"' in page
    assert "No automatic assignment has been run for this call yet." in page


def test_running_from_the_page_shows_the_report(client, login, session, chair, setup, english):
    login(chair)
    call = setup["call"]
    response = client.post(f"/review/assign/calls/{call.id}/run", data={"per_entry": "3", "seed": "2", "run": "1"})
    assert response.status_code == 302 and response.headers["Location"] == f"/review/assign/calls/{call.id}/report"
    assert len(session.exec(select(Assignment).where(Assignment.call_id == call.id)).all()) == 12

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "12 expert assignments made." in page
    assert "Full run" in page and "Every entry got its experts." in page and "chair@example.com" in page
    # Three experts each, the call asks for five: still listed as lacking.
    overview = client.get(f"/review/assign/?call={call.id}").get_data(as_text=True)
    assert "4 entries have fewer than 5 experts." in overview and "3 / 5" in overview


def test_run_form_errors_are_shown(client, login, session, chair, setup, english):
    login(chair)
    page = client.post(f"/review/assign/calls/{setup['call'].id}/run", data={"per_entry": "0", "seed": "1"})
    assert page.status_code == 200 and "Experts per entry: enter a whole number from 1 to 20." in page.get_data(as_text=True)
    assert not session.exec(select(Assignment)).all()


def test_entry_page_adds_and_removes_experts(client, login, session, chair, setup, english):
    login(chair)
    entry, expert = setup["entries"][0], setup["experts"][0]
    page = client.get(f"/review/assign/entries/{entry.id}").get_data(as_text=True)
    assert f'<option value="{expert.id}">专家0 (智能制造组, 0 entries)</option>' in page

    missing_reason = client.post(f"/review/assign/entries/{entry.id}/add", data={"expert_id": str(expert.id), "reason": ""})
    assert "Give a reason" in missing_reason.get_data(as_text=True) and not _active(session, entry)

    response = client.post(f"/review/assign/entries/{entry.id}/add", data={"expert_id": str(expert.id), "reason": "熟悉该领域"})
    assert response.status_code == 302 and _active(session, entry) == {expert.id}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "专家0 has been assigned" in page
    assignment = session.exec(select(Assignment).where(Assignment.entry_id == entry.id)).one()
    assert f'action="/review/assign/assignments/{assignment.id}/remove"' in page

    prefix = f"remove-{assignment.id}"
    refused = client.post(f"/review/assign/assignments/{assignment.id}/remove", data={f"{prefix}-reason": ""})
    assert "Give a reason" in refused.get_data(as_text=True)
    response = client.post(f"/review/assign/assignments/{assignment.id}/remove", data={f"{prefix}-reason": "时间冲突"})
    assert response.status_code == 302 and not _active(session, entry)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "时间冲突" in page and "No expert is assigned to this entry." in page


def test_entry_page_explains_who_cannot_be_added(client, login, make, session, call, chair, english):
    organisation = make.organisation()
    entry = make.entry(call=call, status=S.ELIGIBLE, photos=0, organisation=organisation)
    own = make.expert(name="同单位专家", code=organisation.credit_code)
    make.panel(call=call, experts=[own])
    login(chair)
    page = client.get(f"/review/assign/entries/{entry.id}").get_data(as_text=True)
    assert "同单位专家 (智能制造组): The expert works" in page
    assert f'<option value="{own.id}"' not in page
    # Posting the expert anyway is refused by the service, with the reason.
    page = client.post(f"/review/assign/entries/{entry.id}/add", data={"expert_id": str(own.id), "reason": "试试"})
    assert "has a conflict of interest with this entry" in page.get_data(as_text=True) and not _active(session, entry)


ROUTES = [
    ("GET", "/review/assign/"),
    ("POST", "/review/assign/calls/{call}/run"),
    ("GET", "/review/assign/calls/{call}/report"),
    ("GET", "/review/assign/entries/{entry}"),
    ("POST", "/review/assign/entries/{entry}/add"),
    ("POST", "/review/assign/assignments/{assignment}/remove"),
]


@pytest.fixture
def objects(app, make, session, call, chair):
    expert = make.expert(profile=True)
    make.panel(call=call, experts=[expert])
    entry = make.entry(call=call, status=S.ELIGIBLE, photos=0)
    with app.app_context():  # the expert is notified (and mailed)
        assignment = assignments.add_assignment(session, entry=entry, expert=expert, actor=chair, reason="测试",
                                                now=utcnow())
    session.commit()
    return {"call": call.id, "entry": entry.id, "assignment": assignment.id}


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("who", ["applicant", "expert", "publicity"])
def test_pages_refuse_everyone_but_chairs(client, login, make, session, objects, method, path, who):
    users = {
        "applicant": lambda: make.applicant(membership=Membership.ACTIVE),
        "expert": lambda: make.staff(Role.EXPERT),
        "publicity": lambda: make.staff(Role.PUBLICITY),
    }
    login(users[who]())
    response = client.open(path.format(**objects), method=method, data={"per_entry": "5", "seed": "0", "reason": "x"})
    assert response.status_code == 403
    assert len(_active(session, session.get(Entry, objects["entry"]))) == 1


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_visitors_are_sent_to_log_in(client, objects, method, path):
    response = client.open(path.format(**objects), method=method)
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login?next=")


@pytest.mark.parametrize(("method", "path"), [route for route in ROUTES if route[0] == "GET"])
def test_chair_opens_every_page(client, login, chair, objects, method, path):
    login(chair)
    assert client.get(path.format(**objects)).status_code == 200


@pytest.mark.parametrize("path", [path for method, path in ROUTES if method == "POST"])
def test_posts_need_a_csrf_token(client, make, session, csrf, objects, path):
    chair = make.chair()
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/account/login", data={"email": chair.email, "password": "correct-horse-battery", "csrf_token": token})
    response = client.post(path.format(**objects), data={"per_entry": "5", "seed": "0", "reason": "x", "expert_id": "1"})
    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)
    assert len(_active(session, session.get(Entry, objects["entry"]))) == 1


def test_pages_carry_csrf_tokens(client, make, csrf, objects):
    chair = make.chair()
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/account/login", data={"email": chair.email, "password": "correct-horse-battery", "csrf_token": token})
    overview = client.get("/review/assign/").get_data(as_text=True)
    entry = client.get(f"/review/assign/entries/{objects['entry']}").get_data(as_text=True)
    assert overview.count('name="csrf_token"') >= 2  # run form (+ the language switch)
    assert len(re.findall(r'name="csrf_token"', entry)) >= 3  # add, remove, language
    assert "<script>" not in overview + entry and "style=" not in overview + entry


# --- the command -----------------------------------------------------------------------------


def test_command_assigns_prints_the_report_and_commits(runner, make, session, call, chair):
    experts = [make.expert(profile=True, name=f"专家{n}") for n in range(5)]
    make.panel(call=call, experts=experts)
    entries = [make.entry(call=call, status=S.ELIGIBLE, photos=0, title=f"命令行场景{n}") for n in range(2)]
    lonely = make.entry(call=call, status=S.ELIGIBLE, photos=0, domain=Domain.FINANCE, title="金融场景")

    result = runner.invoke(args=["review", "assign", "--call", str(call.id), "--per-entry", "2", "--seed", "3"])

    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Assignment for call {call.id}" in out and "2 experts per entry, seed 3." in out
    assert "Assigned 4 expert(s) to 2 entries; 2 moved to review." in out
    assert f"entry {entries[0].id} “命令行场景0” [智能制造组]: 专家" in out
    assert "智能制造组 [manufacturing]: 5 expert(s), min 0, max 1, spread 1" in out
    assert f"entry {lonely.id} “金融场景”: needs 2, found 0 (0 eligible) — no panel for the entry's domain [no_panel]" in out
    session.expire_all()
    assert all(session.get(Entry, entry.id).status == S.IN_REVIEW for entry in entries)
    (run,) = _events(session, "assignment.run")
    assert run.actor_id is None and run.actor_email is None  # the command line: "system"
    assert {event.actor_id for event in _events(session, "entry.review_started")} == {None}


def test_command_records_the_chair_given_with_as(runner, make, session, call, chair):
    make.panel(call=call, experts=[make.expert(profile=True)])
    make.entry(call=call, status=S.ELIGIBLE, photos=0)
    result = runner.invoke(args=["review", "assign", "--call", str(call.id), "--per-entry", "1", "--as", chair.email])
    assert result.exit_code == 0, result.output
    assert _events(session, "assignment.run")[0].actor_id == chair.id
    expert = make.staff(Role.EXPERT)
    result = runner.invoke(args=["review", "assign", "--call", str(call.id), "--as", expert.email])
    assert result.exit_code == 1 and "is not an active chair account" in result.output


def test_command_fails_when_nothing_could_be_assigned(runner, make, session, call):
    make.entry(call=call, status=S.ELIGIBLE, photos=0, domain=Domain.FINANCE, title="没有评审组")
    result = runner.invoke(args=["review", "assign", "--call", str(call.id)])
    assert result.exit_code == 1
    assert "Assigned 0 expert(s)" in result.output and "Nothing could be assigned." in result.output
    assert len(_events(session, "assignment.run")) == 1  # the attempt is on record

    assert runner.invoke(args=["review", "assign", "--call", "999999"]).exit_code == 1
    empty = make.call(open_phase=Phase.REVIEW)
    result = runner.invoke(args=["review", "assign", "--call", str(empty.id)])
    assert result.exit_code == 1 and "Entries considered: 0" in result.output


def test_command_top_up(runner, make, session, call, chair, ctx):
    experts = [make.expert(profile=True) for _ in range(6)]
    make.panel(call=call, experts=experts)
    entry = make.entry(call=call, status=S.ELIGIBLE, photos=0)
    _run(session, call, chair)
    assignment = session.exec(select(Assignment).where(Assignment.entry_id == entry.id)).first()
    assignments.remove_assignment(session, assignment=assignment, actor=chair, reason="回避", now=utcnow())
    session.commit()

    result = runner.invoke(args=["review", "assign", "--call", str(call.id), "--top-up"])

    assert result.exit_code == 0, result.output
    assert "Top-up for call" in result.output and "Assigned 1 expert(s) to 1 entry; 0 moved to review." in result.output
    assert len(_active(session, entry)) == 5
