"""The chair's side of expert review: panels, expert profiles, rubric choice
and freezing, chair-recorded conflicts, progress, reminders, reopening
sheets, and who may open which page."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.db import utcnow
from app.enums import ConflictSource, Domain, EntryStatus, Membership, Phase, Role, SheetStatus
from app.errors import DomainError, NotAllowed
from app.models import (
    AuditEvent,
    CallRubric,
    Conflict,
    ExpertProfile,
    Panel,
    RubricVersion,
    ScoreSheet,
    User,
)
from tests.factories import credit_code, write_rubric


@pytest.fixture
def chair(login, make):
    return login(make.chair())


@pytest.fixture
def call(make):
    return make.call(open_phase=Phase.REVIEW)


def _sheet_of(session, assignment) -> ScoreSheet:
    return session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()


def _audit(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- panels ------------------------------------------------------------------


def test_review_pages_open_on_the_call_in_review(client, chair, call, make):
    """A newer call taking entries is the current call; the chair's review
    pages still open on the call in review (unless another is asked for)."""
    later = make.call(open_phase=Phase.SUBMISSION, year=call.year + 1)
    for path in ("/review/manage/", "/review/assign/"):
        assert f'<option value="{call.id}" selected>' in client.get(path).get_data(as_text=True), path
        assert f'<option value="{later.id}" selected>' in client.get(f"{path}?call={later.id}").get_data(as_text=True), path


def test_chair_creates_a_panel_with_domains_experts_and_a_leader(client, session, chair, call, make):
    first, second = make.expert(name="张专家"), make.expert(name="李专家")

    response = client.post(
        f"/review/manage/calls/{call.id}/panels/new",
        data={"name": "智能制造组", "domains": ["manufacturing", "unmanned"], "members": [first.id, second.id], "leader": second.id},
    )

    assert response.headers["Location"] == f"/review/manage/calls/{call.id}/panels"
    panel = session.exec(select(Panel).where(Panel.call_id == call.id)).one()
    assert (panel.name, panel.domains, panel.leader_id) == ("智能制造组", ["manufacturing", "unmanned"], second.id)
    assert sorted(member.user_id for member in panel.members) == sorted([first.id, second.id])
    event = _audit(session, "panel.created")[0]
    assert (event.actor_id, event.object_type, event.object_id) == (chair.id, "panels", panel.id)
    assert event.after == {"name": "智能制造组", "domains": ["manufacturing", "unmanned"],
                           "member_ids": sorted([first.id, second.id]), "leader_id": second.id}
    page = _text(client.get(f"/review/manage/calls/{call.id}/panels"))
    assert "智能制造组" in page and "张专家" in page and "智能无人系统" in page


def test_a_domain_belongs_to_at_most_one_panel_per_call(client, session, chair, call, make, english):
    expert = make.expert()
    client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "第一组", "domains": ["city", "government"], "members": [expert.id]})

    response = client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "第二组", "domains": ["finance", "city"]})

    assert response.status_code == 200
    assert "Smart city already belongs to the panel “第一组”: a domain belongs to at most one panel per call." in _text(response)
    assert [panel.name for panel in session.exec(select(Panel)).all()] == ["第一组"]
    # Another call may use the same domain.
    other = make.call(open_phase=Phase.REVIEW)
    assert client.post(f"/review/manage/calls/{other.id}/panels/new", data={"name": "第一组", "domains": ["city"]}).status_code == 302
    # Nor can an edit take a domain of another panel.
    finance = client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "金融组", "domains": ["finance"]})
    assert finance.status_code == 302
    panel = session.exec(select(Panel).where(Panel.name == "金融组")).one()
    response = client.post(f"/review/manage/panels/{panel.id}", data={"name": "金融组", "domains": ["finance", "government"]})
    assert "Smart government services already belongs to the panel “第一组”" in _text(response)
    session.refresh(panel)
    assert panel.domains == ["finance"]


def test_the_leader_must_be_a_member(client, session, chair, call, make, english):
    member, outsider = make.expert(), make.expert()
    response = client.post(
        f"/review/manage/calls/{call.id}/panels/new",
        data={"name": "医疗组", "domains": ["healthcare"], "members": [member.id], "leader": outsider.id},
    )
    assert "The leader must be one of the panel&#39;s experts." in _text(response)
    assert session.exec(select(Panel)).all() == []


def test_only_experts_sit_on_a_panel(client, session, chair, call, make, english):
    publicity = make.staff(Role.PUBLICITY, name="宣传人员甲")
    applicant = make.applicant(name="申报人乙")
    for user in (publicity, applicant):
        response = client.post(
            f"/review/manage/calls/{call.id}/panels/new", data={"name": "教育组", "domains": ["education"], "members": [user.id]}
        )
        assert f"{user.name} is not an expert: only accounts with the expert role can sit on a panel." in _text(response)
    assert session.exec(select(Panel)).all() == []


def test_panel_names_are_unique_per_call_and_domains_required(client, session, chair, call, english):
    client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "安防组", "domains": ["security"]})
    again = client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "安防组", "domains": ["finance"]})
    assert "This call already has a panel named “安防组”." in _text(again)
    empty = client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "空组"})
    assert "Choose at least one domain for the panel." in _text(empty)
    assert len(session.exec(select(Panel)).all()) == 1


def test_editing_a_panel_records_before_and_after(client, session, chair, call, make):
    first, second, third = make.expert(), make.expert(), make.expert()
    client.post(f"/review/manage/calls/{call.id}/panels/new",
                data={"name": "城市组", "domains": ["city"], "members": [first.id, second.id], "leader": first.id})
    panel = session.exec(select(Panel)).one()

    response = client.post(f"/review/manage/panels/{panel.id}",
                           data={"name": "城市与政务组", "domains": ["city", "government"], "members": [second.id, third.id], "leader": third.id})

    assert response.status_code == 302
    session.refresh(panel)
    assert (panel.name, panel.domains, panel.leader_id) == ("城市与政务组", ["government", "city"], third.id)
    assert sorted(member.user_id for member in panel.members) == sorted([second.id, third.id])
    event = _audit(session, "panel.updated")[0]
    assert (event.before["member_ids"], event.after["member_ids"]) == (sorted([first.id, second.id]), sorted([second.id, third.id]))
    assert (event.before["leader_id"], event.after["leader_id"]) == (first.id, third.id)
    form = _text(client.get(f"/review/manage/panels/{panel.id}"))
    assert 'value="城市与政务组"' in form and "修改评审组" in form and "panel.updated" not in form


def test_deleting_a_panel(client, session, chair, call, make, english):
    expert = make.expert()
    client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "金融组", "domains": ["finance"], "members": [expert.id]})
    client.post(f"/review/manage/calls/{call.id}/panels/new", data={"name": "安防组", "domains": ["security"]})
    busy, idle = session.exec(select(Panel).order_by(Panel.name)).all()[1], session.exec(select(Panel).order_by(Panel.name)).all()[0]
    assert (busy.name, idle.name) == ("金融组", "安防组")
    finance = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.FINANCE)
    make.assignment(entry=finance, expert=expert, panel=busy)

    refused = client.post(f"/review/manage/panels/{busy.id}/delete", follow_redirects=True)
    assert "The panel “金融组” still has 1 active assignments" in _text(refused)
    assert client.post(f"/review/manage/panels/{idle.id}/delete").status_code == 302

    assert [panel.name for panel in session.exec(select(Panel)).all()] == ["金融组"]
    event = _audit(session, "panel.deleted")[0]
    assert (event.object_id, event.before["name"]) == (idle.id, "安防组")


# --- expert profiles -------------------------------------------------------------


def _profile_form(**overrides):
    data = {
        "affiliation_name": "华南理工大学",
        "affiliation_code": credit_code(501),
        "employments-0-organisation_name": "深圳视觉科技有限公司",
        "employments-0-credit_code": credit_code(502),
        "employments-0-start_year": "2015",
        "employments-0-end_year": "2021",
        "employments-1-organisation_name": "广州智造研究院",
        "employments-1-credit_code": "",
        "employments-1-start_year": "2021",
        "employments-1-end_year": "",
        "expertise_domains": ["manufacturing", "city"],
        "tech_tags": ["computer_vision", "robotics"],
        "free_tags": "工业质检，边缘计算",
        "max_assignments": "30",
    }
    return data | overrides


def test_chair_edits_an_experts_profile(client, session, chair, make):
    expert = make.expert()

    response = client.post(f"/review/manage/experts/{expert.id}/profile", data=_profile_form(affiliation_code=credit_code(501).lower()))

    assert response.status_code == 302
    profile = session.get(ExpertProfile, expert.id)
    assert (profile.affiliation_name, profile.affiliation_code, profile.max_assignments) == ("华南理工大学", credit_code(501), 30)
    assert profile.expertise_domains == ["manufacturing", "city"]
    assert profile.tech_tags == ["computer_vision", "robotics", "工业质检", "边缘计算"]
    jobs = sorted((job.organisation_name, job.credit_code, job.start_year, job.end_year) for job in profile.employments)
    assert jobs == [("广州智造研究院", "", 2021, None), ("深圳视觉科技有限公司", credit_code(502), 2015, 2021)]
    event = _audit(session, "expert_profile.updated")[0]
    assert (event.actor_id, event.object_type, event.object_id, event.before) == (chair.id, "users", expert.id, None)
    assert event.after["max_assignments"] == 30 and len(event.after["employments"]) == 2

    page = _text(client.get(f"/review/manage/experts/{expert.id}/profile"))
    assert 'value="华南理工大学"' in page and "工业质检，边缘计算" in page and 'name="max_assignments"' in page
    listing = _text(client.get("/review/manage/experts"))
    assert "华南理工大学" in listing and "计算机视觉" in listing


def test_credit_codes_in_a_profile_are_checked(client, session, chair, make, english):
    expert = make.expert()
    bad = credit_code(501)[:-1] + ("0" if credit_code(501)[-1] != "0" else "1")

    response = client.post(f"/review/manage/experts/{expert.id}/profile", data=_profile_form(affiliation_code=bad))
    assert "The check character (the last one) does not match" in _text(response)
    response = client.post(f"/review/manage/experts/{expert.id}/profile", data=_profile_form(**{"employments-0-credit_code": "12345"}))
    assert "A unified social credit code has exactly 18 characters; this one has 5." in _text(response)
    response = client.post(f"/review/manage/experts/{expert.id}/profile", data=_profile_form(**{"employments-0-end_year": "2010"}))
    assert "The end year comes before the start year." in _text(response)
    assert session.get(ExpertProfile, expert.id) is None


def test_an_expert_edits_their_own_profile_but_not_the_cap(client, session, login, make):
    expert = login(make.expert(cap=12))

    page = _text(client.get(f"/review/manage/experts/{expert.id}/profile"))
    assert 'name="affiliation_name"' in page and 'name="max_assignments"' not in page
    response = client.post(f"/review/manage/experts/{expert.id}/profile", data=_profile_form(max_assignments="99"))

    assert response.status_code == 302
    profile = session.get(ExpertProfile, expert.id)
    session.refresh(profile)
    assert (profile.affiliation_name, profile.max_assignments) == ("华南理工大学", 12)
    assert _audit(session, "expert_profile.updated")[0].actor_id == expert.id
    dashboard = _text(client.get("/dashboard"))
    assert f'href="/review/manage/experts/{expert.id}/profile"' in dashboard


def test_experts_cannot_open_other_profiles_or_set_a_cap(app, client, session, login, make):
    expert, other = make.expert(), make.expert()
    login(expert)
    assert client.get(f"/review/manage/experts/{other.id}/profile").status_code == 403
    assert client.post(f"/review/manage/experts/{other.id}/profile", data=_profile_form()).status_code == 403
    assert session.get(ExpertProfile, other.id) is None

    from app.review.manage.profiles import update_profile

    with app.test_request_context():
        with pytest.raises(NotAllowed):
            update_profile(session, actor=expert, expert=expert, affiliation_name="", affiliation_code="", employments=[],
                           expertise_domains=[], tech_tags=[], max_assignments=50)
        with pytest.raises(NotAllowed):
            update_profile(session, actor=expert, expert=other, affiliation_name="", affiliation_code="", employments=[],
                           expertise_domains=[], tech_tags=[])
    session.rollback()


def test_profile_pages_are_for_experts(client, chair, make):
    publicity = make.staff(Role.PUBLICITY)
    assert client.get(f"/review/manage/experts/{publicity.id}/profile").status_code == 403


# --- rubrics -------------------------------------------------------------------


def test_rubric_page_lists_valid_and_invalid_files(client, chair, call, rubric_folder, english):
    write_rubric(rubric_folder, key="default")
    write_rubric(rubric_folder, key="broken", aggregation="median")

    page = _text(client.get(f"/review/manage/calls/{call.id}/rubrics"))

    assert "Small rubric" in page and "Quality" in page and "Data-security violation" in page and "Mean of the sheets" in page
    assert "broken.yaml" in page and "line 3: unknown aggregation method &#39;median&#39;" in page


def test_an_invalid_rubric_file_is_refused_with_its_file_and_line(client, session, chair, call, rubric_folder, english):
    write_rubric(rubric_folder, key="default")
    write_rubric(rubric_folder, key="broken", aggregation="median")

    response = client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "", "rubric_key": "broken"})

    assert response.status_code == 400
    assert "broken.yaml, line 3: unknown aggregation method &#39;median&#39;" in _text(response)
    assert session.exec(select(CallRubric)).all() == []
    missing = client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "", "rubric_key": "nothing"})
    assert "There is no rubric file “nothing”." in _text(missing)


def test_chair_chooses_a_default_and_a_domain_override(client, session, chair, call, rubric_folder):
    write_rubric(rubric_folder, key="default")
    write_rubric(rubric_folder, key="healthcare")

    assert client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "", "rubric_key": "default"}).status_code == 302
    assert client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "healthcare", "rubric_key": "healthcare"}).status_code == 302

    rows = {row.domain: row.rubric_key for row in session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).all()}
    assert rows == {None: "default", Domain.HEALTHCARE: "healthcare"}
    assert [event.after for event in _audit(session, "rubric.chosen")] == [
        {"domain": None, "rubric_key": "default"}, {"domain": "healthcare", "rubric_key": "healthcare"},
    ]
    # Back to the call's default.
    assert client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "healthcare", "rubric_key": ""}).status_code == 302
    rows = {row.domain: row.rubric_key for row in session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).all()}
    assert rows == {None: "default"}
    assert _audit(session, "rubric.override_removed")[0].before == {"domain": "healthcare", "rubric_key": "healthcare"}


def test_freezing_keeps_the_rubric_whatever_happens_to_the_file(app, client, session, chair, call, make, rubric_folder, english):
    default = write_rubric(rubric_folder, key="default")
    write_rubric(rubric_folder, key="healthcare")
    client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "healthcare", "rubric_key": "healthcare"})
    make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.HEALTHCARE)
    make.entry(call=call, complete=False, domain=Domain.CITY, status=EntryStatus.INELIGIBLE)  # takes no part in review

    response = client.post(f"/review/manage/calls/{call.id}/rubrics/freeze", follow_redirects=True)

    # Healthcare's own rubric, and the default that the seven other domains use.
    assert "The rubrics of 8 domains are frozen." in _text(response)
    rows = {row.domain: row for row in session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).all()}
    assert set(rows) == {None, Domain.HEALTHCARE} and all(row.rubric_version_id for row in rows.values())
    version = session.get(RubricVersion, rows[None].rubric_version_id)
    assert version.content_hash in _text(response)
    assert len(_audit(session, "rubric.frozen")) == 2

    default.write_text(default.read_text(encoding="utf-8").replace("Small rubric", "Edited rubric"), encoding="utf-8")
    page = _text(client.get(f"/review/manage/calls/{call.id}/rubrics"))
    assert version.content_hash in page and "Edited rubric" in page  # the file changed, the frozen row did not
    from app.review.rubrics.services import frozen_rubric

    with app.test_request_context():
        again = frozen_rubric(session, call=call, domain=Domain.MANUFACTURING, now=utcnow())
    assert again.id == version.id and again.content["name"]["en"] == "Small rubric"
    # Frozen rubrics can no longer change, directly or through the default.
    refused = client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "", "rubric_key": "healthcare"})
    assert "This rubric is frozen: review has started with it." in _text(refused)
    refused = client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "city", "rubric_key": "healthcare"})
    assert "The rubric of Smart city is frozen: review has started with it." in _text(refused)


def test_each_domain_shows_when_this_call_froze_it(app, client, session, chair, call, make, rubric_folder, english):
    """A rubric version is shared by every call that froze the same content:
    the table shows when this call froze each domain, not when the version
    first appeared, and the message counts what the table marks frozen."""
    from flask_babel import force_locale, format_datetime

    from app.review.rubrics.files import check_file, content_hash

    default = write_rubric(rubric_folder, key="default")
    content = check_file(default)
    session.add(RubricVersion(key=content["key"], source_file=default.name, content=content,
                              content_hash=content_hash(content), frozen_at=utcnow() - timedelta(days=400)))
    session.flush()
    long_ago = utcnow() - timedelta(days=400)
    make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    before = utcnow()

    response = client.post(f"/review/manage/calls/{call.id}/rubrics/freeze", follow_redirects=True)

    page = _text(response)
    assert "The rubrics of 8 domains are frozen." in page
    assert page.count('<span class="badge text-bg-info">Frozen</span>') == 1 + 8  # the default row and every domain
    row = session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).one()
    assert row.domain is None and row.frozen_at >= before
    with app.test_request_context(), force_locale("en"):
        shown, not_shown = format_datetime(row.frozen_at, "short"), format_datetime(long_ago, "short")
    assert page.count(f'<span class="small">{shown}</span>') == 1 + 8 and not_shown not in page

    again = client.post(f"/review/manage/calls/{call.id}/rubrics/freeze", follow_redirects=True)
    assert "Every rubric in use was already frozen: nothing changed." in _text(again)


def test_a_rubric_frozen_before_its_time_was_kept_shows_a_dash(client, session, chair, call, make, rubric_folder, english):
    write_rubric(rubric_folder, key="default")
    make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    client.post(f"/review/manage/calls/{call.id}/rubrics/freeze")
    row = session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).one()
    row.frozen_at = None  # as rows frozen before the column existed
    session.flush()

    page = _text(client.get(f"/review/manage/calls/{call.id}/rubrics"))

    assert page.count('title="Frozen before the time of freezing was recorded">—</span>') == 1 + 8


def test_review_does_not_start_with_an_invalid_rubric(client, session, chair, call, make, rubric_folder, english):
    write_rubric(rubric_folder, key="default")
    write_rubric(rubric_folder, key="healthcare")
    client.post(f"/review/manage/calls/{call.id}/rubrics", data={"domain": "healthcare", "rubric_key": "healthcare"})
    write_rubric(rubric_folder, key="healthcare", aggregation="median")  # broken after the choice
    make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.HEALTHCARE)

    response = client.post(f"/review/manage/calls/{call.id}/rubrics/freeze")

    assert response.status_code == 400
    assert "healthcare.yaml, line 3: unknown aggregation method &#39;median&#39;" in _text(response)
    assert session.exec(select(RubricVersion)).all() == []  # all or nothing
    assert all(row.rubric_version_id is None for row in session.exec(select(CallRubric)).all())


def test_rubrics_are_frozen_only_during_review(client, session, chair, make, rubric_folder, english):
    write_rubric(rubric_folder, key="default")
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    make.entry(call=call, complete=False, domain=Domain.MANUFACTURING, status=EntryStatus.ELIGIBLE)
    response = client.post(f"/review/manage/calls/{call.id}/rubrics/freeze")
    assert "Rubrics are frozen while the review phase runs." in _text(response)
    assert session.exec(select(RubricVersion)).all() == []


# --- conflicts -----------------------------------------------------------------


def test_chair_records_a_conflict_which_closes_the_assignment(client, session, chair, call, make):
    expert = make.expert(name="王专家")
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING, title="智慧港口调度")
    assignment = make.assignment(entry=entry, expert=expert)

    response = client.post(f"/review/manage/calls/{call.id}/conflicts",
                           data={"expert_id": expert.id, "entry_id": entry.id, "reason": "专家曾为该项目提供咨询"})

    assert response.status_code == 302
    conflict = session.exec(select(Conflict)).one()
    assert (conflict.expert_id, conflict.entry_id, conflict.source, conflict.reason, conflict.recorded_by_id) == (
        expert.id, entry.id, ConflictSource.CHAIR, "专家曾为该项目提供咨询", chair.id,
    )
    session.refresh(assignment)
    assert assignment.removed_at is not None and assignment.removed_reason == "专家曾为该项目提供咨询"
    assert [event.object_id for event in _audit(session, "conflict.chair")] == [entry.id]
    assert [event.object_id for event in _audit(session, "assignment.removed")] == [entry.id]
    page = _text(client.get(f"/review/manage/calls/{call.id}/conflicts"))
    assert "王专家" in page and "智慧港口调度" in page and "专家曾为该项目提供咨询" in page


def test_conflicts_need_an_entry_of_the_call_and_a_reason(client, session, chair, call, make, english):
    expert = make.expert()
    elsewhere = make.entry(call=make.call(open_phase=Phase.REVIEW), status=EntryStatus.IN_REVIEW, complete=False,
                           domain=Domain.MANUFACTURING)
    response = client.post(f"/review/manage/calls/{call.id}/conflicts", data={"expert_id": expert.id, "entry_id": elsewhere.id, "reason": "亲属关系"})
    assert "There is no entry with this number in this call." in _text(response)
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    response = client.post(f"/review/manage/calls/{call.id}/conflicts", data={"expert_id": expert.id, "entry_id": entry.id, "reason": " "})
    assert response.status_code == 200 and "This field is required." in _text(response)
    assert session.exec(select(Conflict)).all() == []


# --- progress ------------------------------------------------------------------------


@pytest.fixture
def review_data(make):
    """A call needing 3 experts per entry, two panels, three experts and four entries.

    =========  ====================  ====================  ==============
    entry      张 (panel A)          李 (panel A)          赵 (panel B)
    =========  ====================  ====================  ==============
    e1 (制造)  submitted             submitted             submitted
    e2 (制造)  submitted (veto)      draft                 —
    e3 (制造)  not opened            removed (submitted)   —
    e4 (医疗)  —                     —                     draft (veto, not counted)
    =========  ====================  ====================  ==============
    """
    call = make.call(open_phase=Phase.REVIEW, experts_per_entry=3)
    version = make.rubric_version()
    zhang, li, zhao = make.expert(name="张专家"), make.expert(name="李专家"), make.expert(name="赵专家")
    panel_a = make.panel(call=call, name="A组", domains=[Domain.MANUFACTURING])
    panel_b = make.panel(call=call, name="B组", domains=[Domain.HEALTHCARE])
    e1, e2, e3 = (make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING,
                             title=f"制造场景{n}") for n in (1, 2, 3))
    e4 = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.HEALTHCARE, title="医疗场景4")
    done = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING, title="已完成场景")
    S = SheetStatus
    assignments = {
        "zhang-e1": make.assignment(entry=e1, expert=zhang, panel=panel_a, sheet=S.SUBMITTED, version=version),
        "li-e1": make.assignment(entry=e1, expert=li, panel=panel_a, sheet=S.SUBMITTED, version=version),
        "zhao-e1": make.assignment(entry=e1, expert=zhao, panel=panel_b, sheet=S.SUBMITTED, version=version),
        "zhang-e2": make.assignment(entry=e2, expert=zhang, panel=panel_a, sheet=S.SUBMITTED, version=version,
                                    vetoes={"data_breach": True, "fraud": False}),
        "li-e2": make.assignment(entry=e2, expert=li, panel=panel_a, sheet=S.DRAFT, version=version),
        "zhang-e3": make.assignment(entry=e3, expert=zhang, panel=panel_a),
        "li-e3": make.assignment(entry=e3, expert=li, panel=panel_a, sheet=S.SUBMITTED, version=version, removed=True,
                                 vetoes={"fraud": True}),
        "zhao-e4": make.assignment(entry=e4, expert=zhao, panel=panel_b, sheet=S.DRAFT, version=version, vetoes={"fraud": True}),
    }
    for expert in (zhang, li, zhao):  # "done" has its three sheets, all submitted without a veto
        make.assignment(entry=done, expert=expert, sheet=S.SUBMITTED, version=version, vetoes={"data_breach": False})
    return {"call": call, "experts": (zhang, li, zhao), "panels": (panel_a, panel_b), "entries": (e1, e2, e3, e4, done),
            "assignments": assignments, "version": version}


def test_progress_counts_per_expert_and_per_panel(app, session, review_data):
    from app.review.manage import progress

    call = review_data["call"]
    with app.test_request_context():
        experts = {row.name: row.counts for row in progress.expert_progress(session, call=call)}
        panels = {(row.panel.name if row.panel else None): row.counts for row in progress.panel_progress(session, call=call)}
        totals = progress.call_counts(session, call=call)
    C = progress.Counts
    assert experts == {
        "张专家": C(assigned=4, opened=3, draft=0, submitted=3),
        "李专家": C(assigned=3, opened=3, draft=1, submitted=2),
        "赵专家": C(assigned=3, opened=3, draft=1, submitted=2),
    }
    assert panels == {
        "A组": C(assigned=5, opened=4, draft=1, submitted=3),
        "B组": C(assigned=2, opened=2, draft=1, submitted=1),
        None: C(assigned=3, opened=3, draft=0, submitted=3),
    }
    assert totals == C(assigned=10, opened=9, draft=2, submitted=7)


def test_entries_short_of_submitted_sheets(app, session, review_data):
    from app.review.manage import progress

    e1, e2, e3, e4, _done = review_data["entries"]
    with app.test_request_context():
        short = progress.short_entries(session, call=review_data["call"])
    assert [(row.entry_id, row.assigned, row.submitted) for row in short.rows] == [
        (e3.id, 1, 0), (e4.id, 1, 0), (e2.id, 2, 1),
    ]
    assert (short.total, short.required) == (3, 3)
    assert e1.id not in [row.entry_id for row in short.rows]


def test_short_entries_come_in_pages(app, session, review_data):
    from app.review.manage import progress

    e2 = review_data["entries"][1]
    call = review_data["call"]
    with app.test_request_context():
        second = progress.short_entries(session, call=call, page=2, per_page=2)
        beyond = progress.short_entries(session, call=call, page=9, per_page=2)
    assert ([row.entry_id for row in second.rows], second.total, second.page, second.pages) == ([e2.id], 3, 2, 2)
    assert ([row.entry_id for row in beyond.rows], beyond.total, beyond.page) == ([e2.id], 3, 2)


def test_veto_flags_list_submitted_sheets_only(app, session, review_data):
    from app.review.manage import progress

    zhang = review_data["experts"][0]
    e2 = review_data["entries"][1]
    with app.test_request_context():
        flags = progress.veto_flags(session, call=review_data["call"])
    assert [(flag.entry_id, flag.expert_id, flag.key, flag.question["zh"]) for flag in flags] == [
        (e2.id, zhang.id, "data_breach", "存在数据安全违规"),
    ]


def test_progress_page_shows_counts_vetoes_and_short_entries(client, chair, review_data, english):
    call = review_data["call"]
    page = _text(client.get(f"/review/manage/calls/{call.id}/progress"))
    compact = re.sub(r"\s+", "", page)
    assert "张专家</a></th><tdclass=\"text-end\">4</td><tdclass=\"text-end\">3</td><tdclass=\"text-end\">0</td><tdclass=\"text-end\">3</td>" in compact
    assert "A组</a></th><tdclass=\"text-end\">5</td><tdclass=\"text-end\">4</td><tdclass=\"text-end\">1</td><tdclass=\"text-end\">3</td>" in compact
    assert "Data-security violation" in page and "Falsified documents" not in page
    assert "制造场景3" in page and "已完成场景" not in page.split('id="short"')[1]
    assert 'id="leftovers"' not in page  # review still runs
    overview = _text(client.get(f"/review/manage/?call={call.id}"))
    assert "3 entries have fewer submitted sheets than required." in overview and "1 veto flag." in overview


def test_progress_runs_a_fixed_number_of_queries(app, session, make, review_data):
    from app.review.manage import progress

    call = review_data["call"]

    def count_queries():
        statements = []

        def _record(_conn, _cursor, statement, *_args):
            statements.append(statement)

        engine = app.extensions["db"].engine
        sa.event.listen(engine, "before_cursor_execute", _record)
        try:
            with app.test_request_context():
                session.expire_all()
                progress.expert_progress(session, call=call)
                progress.panel_progress(session, call=call)
                progress.short_entries(session, call=call)
                progress.veto_flags(session, call=call)
                progress.call_counts(session, call=call)
        finally:
            sa.event.remove(engine, "before_cursor_execute", _record)
        return len(statements)

    before = count_queries()
    version, experts = review_data["version"], review_data["experts"]
    for n in range(12):
        entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING, title=f"更多场景{n}")
        for expert in experts:
            make.assignment(entry=entry, expert=expert, sheet=SheetStatus.SUBMITTED, version=version,
                            vetoes={"data_breach": n % 2 == 0})
    assert count_queries() == before


def test_drafts_left_after_the_review_end_are_reported(app, client, session, chair, make):
    call = make.call(open_phase=Phase.RESULTS, experts_per_entry=2)
    version = make.rubric_version()
    expert, other = make.expert(name="钱专家"), make.expert(name="孙专家")
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING, title="遗留草稿场景")
    make.assignment(entry=entry, expert=expert, sheet=SheetStatus.DRAFT, version=version)
    make.assignment(entry=entry, expert=other)  # never opened
    other_entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    make.assignment(entry=other_entry, expert=other, sheet=SheetStatus.SUBMITTED, version=version)

    from app.review.manage import progress

    with app.test_request_context():
        left = progress.leftovers(session, call=call, now=utcnow())
    assert [(draft.entry_id, draft.expert_id) for draft in left.drafts] == [(entry.id, expert.id)]
    assert left.never_opened == 1

    client.set_cookie("lang", "en")
    page = _text(client.get(f"/review/manage/calls/{call.id}/progress"))
    section = page.split('id="leftovers"')[1].split("</section>")[0]
    assert "1 sheet was never submitted" in section and "1 assignment was never opened." in section
    assert "钱专家" in section and "遗留草稿场景" in section
    assert "The review phase has ended with 1 sheet still a draft." in _text(client.get(f"/review/manage/?call={call.id}"))


def test_no_leftovers_while_review_runs(app, session, call):
    from app.review.manage import progress

    with app.test_request_context():
        assert progress.leftovers(session, call=call, now=utcnow()) is None


# --- reminders ---------------------------------------------------------------------------


def test_reminders_go_to_experts_with_open_sheets(client, session, outbox, chair, review_data, english):
    call = review_data["call"]
    zhang, li, _zhao = review_data["experts"]
    assignments = review_data["assignments"]
    # 赵 was reminded two hours ago: skipped this time.
    assignments["zhao-e4"].reminded_at = utcnow() - timedelta(hours=2)
    session.add(assignments["zhao-e4"])
    zhang.language = "en"  # mails follow the expert's language, not the chair's page
    session.add(zhang)
    session.commit()

    response = client.post(f"/review/manage/calls/{call.id}/remind", follow_redirects=True)

    page = _text(response)
    assert "A reminder has been sent to 2 experts: 张专家、李专家." in page
    assert "Not reminded — at most one reminder per expert every 12 hours: 赵专家 (reminded" in page
    assert sorted(message["To"] for message in outbox.messages) == sorted([zhang.email, li.email])
    body = outbox.to(zhang.email)[0].get_content()
    assert "1 entry assigned to you has no submitted score sheet yet" in body
    assert "尚有1个未提交评分表" in outbox.to(li.email)[0].get_content()  # 李 chose no language: the site's
    assert "/review/" in outbox.link(outbox.to(zhang.email)[0], "/review/")
    for key in ("zhang-e3", "li-e2"):
        session.refresh(assignments[key])
        assert assignments[key].reminded_at is not None, key
    for key in ("zhang-e1", "zhang-e2", "li-e1"):  # submitted: not stamped
        session.refresh(assignments[key])
        assert assignments[key].reminded_at is None, key
    events = _audit(session, "review.reminder_sent")
    assert sorted(event.after["expert_id"] for event in events) == sorted([zhang.id, li.id])
    assert {event.after["expert_id"]: event.after["open_sheets"] for event in events} == {zhang.id: 1, li.id: 1}

    # Once more at once: nobody is reminded twice within 12 hours.
    again = _text(client.post(f"/review/manage/calls/{call.id}/remind", follow_redirects=True))
    assert "A reminder has been sent" not in again and "张专家 (reminded" in again and "李专家 (reminded" in again
    assert len(outbox.messages) == 2
    assert len(_audit(session, "review.reminder_sent")) == 2


def test_reminding_one_expert(client, session, outbox, chair, review_data, english):
    call = review_data["call"]
    zhao = review_data["experts"][2]
    old = utcnow() - timedelta(hours=13)
    review_data["assignments"]["zhao-e4"].reminded_at = old
    session.add(review_data["assignments"]["zhao-e4"])
    session.commit()

    page = _text(client.post(f"/review/manage/calls/{call.id}/remind", data={"expert_id": zhao.id}, follow_redirects=True))

    assert "A reminder has been sent to 1 expert: 赵专家." in page
    assert [message["To"] for message in outbox.messages] == [zhao.email]
    session.refresh(review_data["assignments"]["zhao-e4"])
    assert review_data["assignments"]["zhao-e4"].reminded_at > old
    assert _audit(session, "review.reminder_sent")[0].after == {"expert_id": zhao.id, "open_sheets": 1}


def test_no_reminders_outside_the_review_phase(client, session, outbox, chair, make, english):
    call = make.call(open_phase=Phase.RESULTS)
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    make.assignment(entry=entry, expert=make.expert())
    page = _text(client.post(f"/review/manage/calls/{call.id}/remind", follow_redirects=True))
    assert "Reminders can be sent while the review phase runs." in page
    assert outbox.messages == [] and _audit(session, "review.reminder_sent") == []


# --- reopening a sheet --------------------------------------------------------------------------


def test_reopening_a_sheet_needs_a_reason(client, session, outbox, chair, review_data, english):
    sheet = _sheet_of(session, review_data["assignments"]["zhang-e1"])
    response = client.post(f"/review/manage/sheets/{sheet.id}/reopen", data={"reason": "  "})
    assert "Give a reason: the expert is told it." in _text(response)
    session.refresh(sheet)
    assert sheet.status == SheetStatus.SUBMITTED and outbox.messages == []


def test_chair_reopens_a_submitted_sheet(client, session, outbox, chair, review_data):
    zhang = review_data["experts"][0]
    sheet = _sheet_of(session, review_data["assignments"]["zhang-e1"])
    submitted_at = sheet.submitted_at

    response = client.post(f"/review/manage/sheets/{sheet.id}/reopen", data={"reason": "应用成效评分与评语不一致"})

    assert response.headers["Location"] == f"/review/manage/entries/{sheet.entry_id}"
    session.refresh(sheet)
    assert (sheet.status, sheet.submitted_at, sheet.total) == (SheetStatus.DRAFT, None, None)
    event = _audit(session, "sheet.reopened")[0]
    assert (event.actor_id, event.object_type, event.object_id, event.reason) == (chair.id, "score_sheets", sheet.id, "应用成效评分与评语不一致")
    assert (event.before["status"], event.before["total"], event.after["status"]) == ("submitted", 80.0, "draft")
    assert event.before["submitted_at"].startswith(submitted_at.strftime("%Y-%m-%dT%H:%M"))
    [message] = outbox.messages
    assert message["To"] == zhang.email and "应用成效评分与评语不一致" in message.get_content()
    assert outbox.link(message, "/review/").startswith("/review/")
    again = client.post(f"/review/manage/sheets/{sheet.id}/reopen", data={"reason": "再次"})
    assert again.status_code == 200 and len(_audit(session, "sheet.reopened")) == 1


def test_sheets_are_reopened_only_during_review(client, session, outbox, chair, make, english):
    call = make.call(open_phase=Phase.RESULTS)
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    assignment = make.assignment(entry=entry, expert=make.expert(), sheet=SheetStatus.SUBMITTED)
    sheet = _sheet_of(session, assignment)
    response = client.post(f"/review/manage/sheets/{sheet.id}/reopen", data={"reason": "评分有误"})
    assert "Sheets can be reopened only while the review phase runs." in _text(response)
    session.refresh(sheet)
    assert sheet.status == SheetStatus.SUBMITTED and outbox.messages == [] and _audit(session, "sheet.reopened") == []


def test_entry_page_shows_sheets_and_offers_reopening(client, session, chair, review_data):
    e2 = review_data["entries"][1]
    sheet = _sheet_of(session, review_data["assignments"]["zhang-e2"])
    page = _text(client.get(f"/review/manage/entries/{e2.id}"))
    assert "张专家" in page and "李专家" in page
    assert f'href="/review/manage/sheets/{sheet.id}/reopen"' in page
    draft = _sheet_of(session, review_data["assignments"]["li-e2"])
    assert f'href="/review/manage/sheets/{draft.id}/reopen"' not in page


# --- access ------------------------------------------------------------------------------


CHAIR_ROUTES = [
    ("GET", "/review/manage/"),
    ("GET", "/review/manage/calls/{call}/rubrics"),
    ("POST", "/review/manage/calls/{call}/rubrics"),
    ("POST", "/review/manage/calls/{call}/rubrics/freeze"),
    ("GET", "/review/manage/calls/{call}/panels"),
    ("GET", "/review/manage/calls/{call}/panels/new"),
    ("POST", "/review/manage/calls/{call}/panels/new"),
    ("GET", "/review/manage/panels/{panel}"),
    ("POST", "/review/manage/panels/{panel}"),
    ("POST", "/review/manage/panels/{panel}/delete"),
    ("GET", "/review/manage/experts"),
    ("GET", "/review/manage/calls/{call}/conflicts"),
    ("POST", "/review/manage/calls/{call}/conflicts"),
    ("GET", "/review/manage/calls/{call}/progress"),
    ("GET", "/review/manage/calls/{call}/experts/{expert}"),
    ("POST", "/review/manage/calls/{call}/remind"),
    ("GET", "/review/manage/entries/{entry}"),
    ("GET", "/review/manage/sheets/{sheet}/reopen"),
    ("POST", "/review/manage/sheets/{sheet}/reopen"),
]


@pytest.fixture
def objects(session, make):
    call = make.call(open_phase=Phase.REVIEW)
    expert = make.expert()
    panel = make.panel(call=call, name="访问组", domains=[Domain.CITY])
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING)
    assignment = make.assignment(entry=entry, expert=expert, sheet=SheetStatus.SUBMITTED)
    return {"call": call.id, "panel": panel.id, "expert": expert.id, "entry": entry.id, "sheet": _sheet_of(session, assignment).id}


def _route_data(path: str, objects) -> dict:
    return {"reason": "理由", "domain": "", "rubric_key": "default", "name": "新组", "domains": ["city"],
            "expert_id": objects["expert"], "entry_id": objects["entry"]}


@pytest.mark.parametrize(("method", "path"), CHAIR_ROUTES)
@pytest.mark.parametrize("who", ["applicant", "expert", "publicity", "pending_applicant"])
def test_review_management_is_for_chairs(client, session, login, make, objects, outbox, method, path, who):
    users = {
        "applicant": lambda: make.applicant(),
        "pending_applicant": lambda: make.applicant(membership=Membership.PENDING),
        "expert": lambda: session.get(User, objects["expert"]),
        "publicity": lambda: make.staff(Role.PUBLICITY),
    }
    login(users[who]())
    response = client.open(path.format(**objects), method=method, data=_route_data(path, objects))
    assert response.status_code == 403
    assert outbox.messages == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action.not_like("user.%"))).all() == []


@pytest.mark.parametrize(("method", "path"), CHAIR_ROUTES)
def test_review_management_sends_visitors_to_login(client, objects, method, path):
    response = client.open(path.format(**objects), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


@pytest.mark.parametrize("path", [path for method, path in CHAIR_ROUTES if method == "GET"])
def test_chair_opens_every_review_page(client, chair, objects, path):
    assert client.get(path.format(**objects)).status_code == 200


def test_profile_page_access(client, login, make, objects):
    expert_id = objects["expert"]
    assert client.get(f"/review/manage/experts/{expert_id}/profile").status_code == 302  # visitors log in first
    login(make.applicant())
    assert client.get(f"/review/manage/experts/{expert_id}/profile").status_code == 403


def test_review_posts_need_a_csrf_token(client, session, login, make, objects, csrf):
    page = _text(client.get("/account/login"))
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    chair = make.chair()
    assert client.post("/account/login", data={"email": chair.email, "password": "correct-horse-battery", "csrf_token": token}).status_code == 302
    for method, path in CHAIR_ROUTES:
        if method == "POST":
            response = client.post(path.format(**objects), data=_route_data(path, objects))
            assert response.status_code == 400, path
    sheet = session.get(ScoreSheet, objects["sheet"])
    session.refresh(sheet)
    assert sheet.status == SheetStatus.SUBMITTED


def test_chairs_see_the_menu_item_and_pages_escape_titles(client, chair, review_data, make, session, english):
    call = review_data["call"]
    assert 'href="/review/manage/">Expert review</a>' in _text(client.get("/dashboard"))
    make.entry(call=call, status=EntryStatus.IN_REVIEW, complete=False, domain=Domain.MANUFACTURING,
               title="<script>alert(1)</script>")
    page = _text(client.get(f"/review/manage/calls/{call.id}/progress"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_overview_without_a_call(client, chair, english):
    assert "There is no call yet." in _text(client.get("/review/manage/"))


def test_domain_errors_from_the_service(app, session, make, call):
    """The service enforces the rules without the form, too."""
    from app.review.manage import panels

    expert = make.expert()
    with app.test_request_context():
        panels.create_panel(session, actor=None, call=call, name="一组", domains=[Domain.CITY], member_ids=[expert.id], leader_id=expert.id)
        with pytest.raises(DomainError):
            panels.create_panel(session, actor=None, call=call, name="二组", domains=["city"], member_ids=[])
        with pytest.raises(DomainError):
            panels.create_panel(session, actor=None, call=call, name="三组", domains=["nowhere"], member_ids=[])
    session.rollback()
