"""The dashboard's to-do lists, per role: texts, counts, links and deadlines
for prepared states, the empty state, and that nobody sees another's items."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from app.db import utcnow
from app.enums import BrochureStatus, EntryStatus, Membership, Phase, Role, SheetStatus
from app.models import AuditEvent, Brochure, LibraryCase, ResultRun, ScoreSheet


@pytest.fixture(autouse=True)
def _english(english):
    """The assertions read the English texts (the msgids)."""


def _dashboard(client) -> str:
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _all_items(page: str, role: str) -> list[tuple[str, str]]:
    """The to-do items of ``role`` on the page, in order: (data-todo key, the item's HTML)."""
    todo_list = re.search(rf'<ul class="list-group todo-list" data-role="{role}">(.*?)</ul>\s*(?:<a|</section>)',
                          page, re.DOTALL)
    if todo_list is None:
        return []
    return re.findall(r'data-todo="(\w+)">(.*?)(?=<li class="list-group-item" data-todo|\Z)', todo_list.group(1),
                      re.DOTALL)


# --- applicant ----------------------------------------------------------------------


def test_applicant_sees_drafts_returned_entries_stages_and_results(client, make, login):
    applicant = login(make.applicant())
    organisation = applicant.organisation
    call = make.call(open_phase=Phase.SUBMISSION)
    draft = make.entry(call=call, organisation=organisation, complete=False, title="未完成草稿")
    ready = make.entry(call=call, organisation=organisation, title="已完成草稿")
    returned = make.entry(call=call, organisation=organisation, status=EntryStatus.RETURNED, title="退回场景",
                          check_reason="请补充部署规模说明", revision_deadline=utcnow() + timedelta(days=3))
    for _ in range(2):
        make.entry(call=call, organisation=organisation, status=EntryStatus.SUBMITTED)
    make.entry(call=call, organisation=organisation, status=EntryStatus.IN_REVIEW)
    selected = make.entry(call=call, organisation=organisation, status=EntryStatus.SELECTED, title="入选场景")
    make.entry(call=call, status=EntryStatus.RETURNED, title="别家退回", check_reason="别家原因")

    items = _all_items(_dashboard(client), "applicant")

    keys = [key for key, _body in items]
    assert keys == ["draft_incomplete", "draft_ready", "returned", "stage", "stage", "result"]
    incomplete, complete, back, submitted, in_review, result = (body for _key, body in items)
    assert f'href="/entries/{draft.id}"' in incomplete and "Complete the draft" in incomplete and "未完成草稿" in incomplete
    assert f'href="/entries/{draft.id}/edit/basics"' in incomplete and "Domain" in incomplete
    assert f'href="/entries/{draft.id}/edit/media"' in incomplete and "At least one photo" in incomplete
    assert "4 days left" in incomplete  # the factory's submission phase ends in 4 days
    assert f'href="/entries/{ready.id}"' in complete and "The draft is complete: submit it" in complete
    assert "todo-missing" not in complete
    assert f'href="/entries/{returned.id}"' in back and "Reason: 请补充部署规模说明" in back and "3 days left" in back
    assert "2 entries: Submitted" in submitted and 'href="/entries/"' in submitted
    assert "1 entry: In expert review" in in_review
    assert f'href="/entries/{selected.id}"' in result and "Result: Selected" in result and "入选场景" in result
    page = _dashboard(client)
    assert "别家退回" not in page and "别家原因" not in page


def test_drafts_of_a_call_past_submission_are_not_todos(client, make, login):
    applicant = login(make.applicant())
    call = make.call(open_phase=Phase.REVIEW)
    make.entry(call=call, organisation=applicant.organisation, complete=False, title="过期草稿")

    page = _dashboard(client)

    assert _all_items(page, "applicant") == []
    assert "Nothing to do now." in page


# --- expert -------------------------------------------------------------------------


def test_expert_sees_sheets_to_declare_score_and_submit_and_reopened_ones(client, make, session, login):
    call = make.call(open_phase=Phase.REVIEW)
    expert, colleague = make.expert(), make.expert()
    entries = [make.entry(call=call, status=EntryStatus.IN_REVIEW, title=f"评审场景{i}") for i in range(6)]
    version = make.rubric_version()
    for entry in entries[:2]:
        make.assignment(entry=entry, expert=expert)  # not opened: to declare
    make.assignment(entry=entries[2], expert=expert, sheet=SheetStatus.DRAFT, version=version,
                    scores={"quality": None})  # to score
    complete = make.assignment(entry=entries[3], expert=expert, sheet=SheetStatus.DRAFT, version=version,
                               scores={"quality": 80})  # scored, not submitted
    make.assignment(entry=entries[4], expert=expert, sheet=SheetStatus.SUBMITTED, version=version)
    make.assignment(entry=entries[5], expert=expert, removed=True)  # removed: no longer a to-do
    for entry in entries:
        make.assignment(entry=entry, expert=colleague)
    reopened_sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == complete.id)).one()
    session.add(AuditEvent(action="sheet.reopened", object_type="score_sheets", object_id=reopened_sheet.id,
                           reason="应用成效评分与评语不一致"))
    session.commit()
    login(expert)

    page = _dashboard(client)
    items = _all_items(page, "expert")

    assert [key for key, _body in items] == ["declare", "score", "submit", "reopened"]
    declare, score, submit, reopened = (body for _key, body in items)
    assert "2 entries wait for your conflict declaration" in declare and f'href="/review/?call={call.id}"' in declare
    assert "1 sheet to score" in score and "1 sheet fully scored, not submitted yet" in submit
    assert "4 days left" in declare  # the factory's review phase ends in 4 days
    assert f'href="/review/sheets/{reopened_sheet.id}"' in reopened and "Reason: 应用成效评分与评语不一致" in reopened
    assert "评审场景3" in reopened
    assert 'href="/review/">My reviews</a>' in page



def test_an_expert_without_work_sees_the_empty_state_and_what_comes_next(client, make, login):
    call = make.call(open_phase=Phase.SUBMISSION)
    login(make.expert())

    page = _dashboard(client)

    assert _all_items(page, "expert") == []
    ends = call.phase_window(Phase.SUBMISSION).ends_at
    assert "Nothing to do now." in page
    assert f"Submission of {call.name} runs until" in page
    assert 'href="/review/">My reviews</a>' in page and ends is not None


# --- chair ---------------------------------------------------------------------------


def test_chair_sees_formal_check_memberships_short_entries_and_late_experts(client, make, login):
    chair = login(make.chair())
    checking = make.call(open_phase=Phase.FORMAL_CHECK)
    for _ in range(3):
        make.entry(call=checking, status=EntryStatus.SUBMITTED)
    make.entry(call=checking, status=EntryStatus.RETURNED)  # waits for the applicant, not the chair
    make.applicant(organisation=make.organisation(), membership=Membership.PENDING)
    # Two entries scored by two experts, the second never submits; each entry should have three experts.
    scored = make.scored_call(totals=[[80, None], [70, None]], experts_per_entry=3)

    items = dict(_all_items(_dashboard(client), "chair"))

    assert "3 entries waiting for the formal check" in items["formal_check"]
    assert f'href="/check/?call={checking.id}&amp;status=submitted"' in items["formal_check"]
    assert checking.name in items["formal_check"] and "4 days left" in items["formal_check"]
    assert "1 request to join an organisation" in items["membership"]
    assert 'href="/admin/organisations"' in items["membership"]
    assert "2 entries still lack experts" in items["unassigned"]
    assert f'href="/review/assign/?call={scored.call.id}"' in items["unassigned"]
    # Five of nine review days are gone: the second expert (0 of 2 submitted) is behind, the first is not.
    assert "1 expert behind schedule" in items["behind"]
    assert f'href="/review/manage/calls/{scored.call.id}/progress"' in items["behind"]
    assert chair.has_role(Role.CHAIR)


def test_chair_sees_vetoes_disputed_entries_and_a_stale_draft(client, make, session, login):
    scored = make.scored_call(totals=[[80, 82, 84], [50, 90, 60], [70, 71, 72]], vetoes={2: {"fraud": True}},
                              open_phase=Phase.RESULTS)
    run = scored.compute()
    # A sheet changes after the draft was computed: the draft is out of date.
    extra = make.entry(call=scored.call, status=EntryStatus.IN_REVIEW)
    make.assignment(entry=extra, expert=scored.experts[0], sheet=SheetStatus.SUBMITTED, total=75)
    login(scored.chair)

    items = dict(_all_items(_dashboard(client), "chair"))

    assert "1 veto awaiting your decision" in items["vetoes"]
    assert f'href="/results/runs/{run.id}?flag=veto"' in items["vetoes"]
    assert "1 disputed entry (the experts disagree)" in items["disputed"]
    assert f'href="/results/runs/{run.id}?flag=disputed"' in items["disputed"]
    assert "The results draft is out of date: compute it again" in items["stale"]
    assert f'href="/results/?call={scored.call.id}"' in items["stale"]
    assert "publish" not in items


def test_chair_sees_a_draft_ready_to_publish_and_nothing_once_published(client, make, login):
    scored = make.scored_call(totals=[[80, 82, 84], [70, 71, 72]], open_phase=Phase.RESULTS)
    run = scored.compute()
    login(scored.chair)

    items = dict(_all_items(_dashboard(client), "chair"))
    assert list(items) == ["publish"]
    assert "The results draft is ready to publish" in items["publish"]
    assert f'href="/results/?call={scored.call.id}"' in items["publish"]

    scored.publish(run)
    page = _dashboard(client)
    assert _all_items(page, "chair") == []
    assert "Nothing to do now." in page


# --- publicity -------------------------------------------------------------------------


def test_publicity_sees_a_snapshot_without_brochure_and_cases_to_curate(client, make, session, login, library):
    login(make.staff(Role.PUBLICITY))
    cases = session.exec(select(LibraryCase)).all()
    cases[0].featured = True
    session.add(cases[0])
    session.commit()

    items = dict(_all_items(_dashboard(client), "publicity"))

    assert list(items) == ["brochure_missing", "curate"]
    assert "Newly published results without a brochure" in items["brochure_missing"]
    assert f'href="/brochure/?call={library.call.id}"' in items["brochure_missing"] and library.call.name in items["brochure_missing"]
    assert f"{len(cases) - 1} library cases waiting for curation" in items["curate"]
    assert 'href="/library/manage/?state=uncurated"' in items["curate"]
    listed = client.get("/library/manage/?state=uncurated").get_data(as_text=True)
    assert cases[1].title in listed and cases[0].title not in listed


def test_publicity_sees_a_failed_build_until_a_later_one_succeeds(client, make, session, login, library):
    login(make.staff(Role.PUBLICITY))
    run = session.exec(select(ResultRun).where(ResultRun.call_id == library.call.id)).one()
    session.add(Brochure(call_id=library.call.id, snapshot_id=run.id, status=BrochureStatus.FAILED, error="字体缺失"))
    session.commit()

    items = dict(_all_items(_dashboard(client), "publicity"))
    assert "brochure_missing" not in items
    assert "The last brochure build failed" in items["brochure_failed"]
    assert f'href="/brochure/?call={library.call.id}"' in items["brochure_failed"]

    session.add(Brochure(call_id=library.call.id, snapshot_id=run.id, status=BrochureStatus.DONE))
    session.commit()
    assert "brochure_failed" not in dict(_all_items(_dashboard(client), "publicity"))


# --- who sees what ------------------------------------------------------------------------


def test_nobody_sees_another_persons_items(client, make, session, login):
    call = make.call(open_phase=Phase.REVIEW)
    mine, theirs = make.expert(), make.expert()
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, title="别人的评审")
    make.assignment(entry=entry, expert=theirs)
    applicant = make.applicant()
    make.entry(call=call, organisation=applicant.organisation, status=EntryStatus.RETURNED, check_reason="别家的退回原因")

    login(mine)
    page = _dashboard(client)
    assert _all_items(page, "expert") == [] and "别人的评审" not in page
    assert 'data-role="chair"' not in page and 'data-role="applicant"' not in page and 'data-role="publicity"' not in page

    login(make.applicant())
    page = _dashboard(client)
    assert _all_items(page, "applicant") == [] and "别家的退回原因" not in page
    assert 'data-role="expert"' not in page and 'data-role="chair"' not in page


def test_the_chinese_dashboard_says_how_many_days_are_left(client, make, login):
    call = make.call(open_phase=Phase.REVIEW)
    expert = make.expert()
    make.assignment(entry=make.entry(call=call, status=EntryStatus.IN_REVIEW), expert=expert)
    login(expert)
    client.delete_cookie("lang")

    page = _dashboard(client)

    assert "当前待办" in page and "1 个申报项目待您声明利益冲突" in page and "还剩 4 天" in page


def test_results_of_a_closed_call_are_no_longer_todos(client, make, login):
    applicant = login(make.applicant())
    closed = make.call(open_phase=Phase.PUBLICATION)
    for window in closed.phases:  # every phase over
        window.starts_at -= timedelta(days=100)
        window.ends_at -= timedelta(days=100)
    make.save(closed)
    make.entry(call=closed, organisation=applicant.organisation, status=EntryStatus.SELECTED, title="往年入选")

    assert _all_items(_dashboard(client), "applicant") == []


# --- cost -------------------------------------------------------------------------------------


def _statements(app, client) -> int:
    """How many SQL statements one dashboard request runs."""
    statements = []

    def _record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["db"].engine
    sa.event.listen(engine, "before_cursor_execute", _record)
    try:
        _dashboard(client)
    finally:
        sa.event.remove(engine, "before_cursor_execute", _record)
    return len(statements)


def test_the_chair_and_expert_dashboards_cost_the_same_queries_for_more_data(app, client, make, login):
    scored = make.scored_call(totals=[[80, None], [70, None]], experts_per_entry=3, vetoes={0: {"fraud": True}})
    scored.compute()
    login(scored.chair)
    chair_before = _statements(app, client)
    login(scored.experts[1])
    expert_before = _statements(app, client)

    for index in range(6):
        entry = make.entry(call=scored.call, status=EntryStatus.IN_REVIEW, complete=False, title=f"加量{index}")
        for expert in scored.experts:
            make.assignment(entry=entry, expert=expert, sheet=SheetStatus.DRAFT if index % 2 else None)
    make.entry(call=scored.call, status=EntryStatus.SUBMITTED)

    login(scored.chair)
    assert _statements(app, client) == chair_before
    login(scored.experts[1])
    assert _statements(app, client) == expert_before


def test_assignments_are_no_todos_before_the_review_phase_opens(client, make, login):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    expert = make.expert()
    make.assignment(entry=make.entry(call=call, status=EntryStatus.ELIGIBLE), expert=expert)
    login(expert)

    page = _dashboard(client)

    assert _all_items(page, "expert") == []
    assert "Nothing to do now." in page
