"""Review rounds in the database: adding round 2, drawing the shortlist and
the chair's decisions on it, the round's panel and sheets, the combined
results, the snapshot, and who may see what."""
from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, Phase, SheetStatus
from app.errors import DomainError
from app.models import (
    Assignment,
    AuditEvent,
    CallRubric,
    Notification,
    ResultEntry,
    ResultRun,
    ReviewRound,
    ScoreSheet,
    ShortlistEntry,
)
from app.results import snapshot
from app.results.inputs import inputs_fingerprint
from app.results.publishing import publish_blockers, snapshot_documents, verify
from app.review.manage import progress
from app.review.rounds import shortlist as shortlists
from app.review.rounds.services import RoundSettings, assign_round_panel, current_round, save_second_round

# Six entries, alternately manufacturing and healthcare; three experts each.
ROUND_ONE = [[90, 90, 90], [88, 88, 88], [80, 80, 80], [78, 78, 78], [70, 70, 70], [60, 60, 60]]


def _settings(**changes) -> RoundSettings:
    values = dict(first_name="初评", first_weight=40.0, name="现场答辩", kind="defence", weight=60.0, starts_at=None,
                  ends_at=None, shortlist_basis="per_domain", shortlist_size=2, shortlist_borderline=False,
                  combination="weighted")
    return RoundSettings(**(values | changes))


def _rows(session, run):
    return session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()


@pytest.fixture
def scored(make):
    return make.scored_call(totals=ROUND_ONE, domains=[Domain.MANUFACTURING, Domain.HEALTHCARE])


def _two_rounds(make, session, scored, **changes):
    """Round 2 added, round 1 computed, the shortlist drawn; returns the round-1 run."""
    with make.app.test_request_context():
        save_second_round(session, call=scored.call, actor=scored.chair, settings=_settings(**changes))
        session.commit()
    run = scored.compute()
    with make.app.test_request_context():
        shortlists.draw_shortlist(session, call=scored.call, round_no=2, actor=scored.chair, now=utcnow())
        session.commit()
    return run


def _score_round_two(make, session, scored, totals: dict[int, float], experts=None):
    """The round's panel (``experts``, default the first two) gets the shortlist; each submits ``totals``
    (entry index → total) on a round-2 sheet."""
    experts = experts or scored.experts[:2]
    with make.app.test_request_context():
        assign_round_panel(session, call=scored.call, round_no=2, expert_ids=[e.id for e in experts],
                           actor=scored.chair, now=utcnow())
        session.commit()
    version = make.rubric_version()
    for assignment in session.exec(select(Assignment).where(Assignment.round_no == 2)).all():
        index = next(i for i, entry in enumerate(scored.entries) if entry.id == assignment.entry_id)
        make.sheet(assignment, version=version, total=totals[index])


# --- the rounds ---------------------------------------------------------------------


def test_a_call_without_rounds_computes_as_before(session, scored):
    run = scored.compute()
    assert run.round_no == 1 and "rounds" not in run.summary
    rows = _rows(session, run)
    assert all(row.round_scores == {} and row.shortlisted for row in rows)
    public, private = snapshot_documents(session, run)
    assert "shortlisted" not in public["entries"][0]
    assert not {"round_scores", "shortlisted", "withdrawn_reason"} & set(private["entries"][0])
    assert current_round(session, call=scored.call) == 1


def test_adding_round_two_creates_round_one_and_is_audited(make, session, scored):
    with make.app.test_request_context():
        save_second_round(session, call=scored.call, actor=scored.chair, settings=_settings())
        session.commit()
    rounds = session.exec(select(ReviewRound).where(ReviewRound.call_id == scored.call.id)
                          .order_by(ReviewRound.number)).all()
    assert [(r.number, r.name, r.kind, r.weight) for r in rounds] == [(1, "初评", "online", 40.0),
                                                                    (2, "现场答辩", "defence", 60.0)]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "round.added")).one()
    assert event.after["rounds"][1]["weight"] == 60.0


@pytest.mark.parametrize(("changes", "message"), [
    ({"first_weight": 50.0}, "100"),
    ({"weight": 120.0, "first_weight": -20.0}, "100"),
    ({"shortlist_size": 0}, "1"),
])
def test_round_settings_that_do_not_add_up_are_refused(make, session, scored, changes, message):
    with make.app.test_request_context(), pytest.raises(DomainError) as error:
        save_second_round(session, call=scored.call, actor=scored.chair, settings=_settings(**changes))
    assert message in str(error.value.message)
    session.rollback()
    assert session.exec(select(ReviewRound)).all() == []


def test_round_dates_must_lie_within_the_review_phase(make, session, scored):
    review = scored.call.phase_window(Phase.REVIEW)
    with make.app.test_request_context(), pytest.raises(DomainError):
        save_second_round(session, call=scored.call, actor=scored.chair,
                          settings=_settings(starts_at=review.starts_at - timedelta(days=1)))
    with make.app.test_request_context(), pytest.raises(DomainError):
        save_second_round(session, call=scored.call, actor=scored.chair,
                          settings=_settings(starts_at=review.ends_at - timedelta(hours=1),
                                             ends_at=review.ends_at - timedelta(hours=2)))


# --- the shortlist ------------------------------------------------------------------------


def test_the_shortlist_takes_the_top_of_each_domain(make, session, scored):
    _two_rounds(make, session, scored)
    items = shortlists.shortlist_items(session, call=scored.call, round_no=2)
    titles = {scored.entries[i].id: f"{i}" for i in range(6)}
    # Manufacturing: entries 0, 2, 4; healthcare: 1, 3, 5 — the top two of each.
    assert sorted(titles[item.entry_id] for item in items if item.included) == ["0", "1", "2", "3"]
    assert {item.reason for item in items} == {shortlists.TOP_DOMAIN}
    assert current_round(session, call=scored.call) == 2
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "shortlist.drawn")).one()
    assert event.after["included"] == 4


def test_the_shortlist_takes_the_top_of_the_call(make, session, scored):
    _two_rounds(make, session, scored, shortlist_basis="overall", shortlist_size=3)
    items = shortlists.shortlist_items(session, call=scored.call, round_no=2)
    assert sorted(item.entry_id for item in items) == sorted(e.id for e in scored.entries[:3])
    assert {item.reason for item in items} == {shortlists.TOP_OVERALL}


def test_shortlisted_applicants_are_told(make, session, scored):
    member = make.applicant(organisation=scored.entries[0].organisation)
    _two_rounds(make, session, scored)
    notes = session.exec(select(Notification).where(Notification.user_id == member.id)).all()
    assert [(n.kind, n.params["title"], n.params["round"]) for n in notes] == [
        ("round.shortlisted", scored.entries[0].title, "现场答辩")]


def test_the_chair_adds_and_removes_with_a_reason_and_a_redraw_keeps_it(make, session, scored):
    _two_rounds(make, session, scored)
    fifth, first = scored.entries[4], scored.entries[0]
    with make.app.test_request_context():
        with pytest.raises(DomainError):
            shortlists.decide(session, call=scored.call, round_no=2, entry_id=fifth.id, include=True, reason="  ",
                              actor=scored.chair, now=utcnow())
        shortlists.decide(session, call=scored.call, round_no=2, entry_id=fifth.id, include=True,
                          reason="该领域唯一的县域案例", actor=scored.chair, now=utcnow())
        shortlists.decide(session, call=scored.call, round_no=2, entry_id=first.id, include=False,
                          reason="申报单位主动放弃答辩", actor=scored.chair, now=utcnow())
        session.commit()
        shortlists.draw_shortlist(session, call=scored.call, round_no=2, actor=scored.chair, now=utcnow())
        session.commit()
    items = {item.entry_id: item for item in shortlists.shortlist_items(session, call=scored.call, round_no=2)}
    assert (items[fifth.id].included, items[fifth.id].reason, items[fifth.id].chair_reason) == (
        True, shortlists.CHAIR_ADDED, "该领域唯一的县域案例")
    assert (items[first.id].included, items[first.id].reason, items[first.id].chair_reason) == (
        False, shortlists.TOP_DOMAIN, "申报单位主动放弃答辩")
    assert shortlists.included_ids(session, call=scored.call, round_no=2) == {
        scored.entries[i].id for i in (1, 2, 3, 4)}
    removed = session.exec(select(AuditEvent).where(AuditEvent.action == "shortlist.removed")).one()
    assert (removed.object_id, removed.reason) == (first.id, "申报单位主动放弃答辩")


def test_taking_an_entry_off_closes_its_round_two_assignments(make, session, scored):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 95, 1: 70, 2: 85, 3: 75})
    first = scored.entries[0]
    with make.app.test_request_context():
        shortlists.decide(session, call=scored.call, round_no=2, entry_id=first.id, include=False, reason="放弃答辩",
                          actor=scored.chair, now=utcnow())
        session.commit()
    round_two = session.exec(select(Assignment).where(Assignment.round_no == 2, Assignment.entry_id == first.id)).all()
    assert round_two and all(a.removed_at is not None for a in round_two)
    # Round 1's assignments of the entry stay.
    assert all(a.removed_at is None for a in session.exec(
        select(Assignment).where(Assignment.round_no == 1, Assignment.entry_id == first.id)).all())


def test_round_two_panel_gets_only_the_shortlist_and_experts_are_told(make, session, scored):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 95, 1: 70, 2: 85, 3: 75})
    assignments = session.exec(select(Assignment).where(Assignment.round_no == 2)).all()
    assert {a.entry_id for a in assignments} == {e.id for e in scored.entries[:4]}
    assert {a.expert_id for a in assignments} == {e.id for e in scored.experts[:2]}
    note = session.exec(select(Notification).where(Notification.user_id == scored.experts[0].id,
                                                   Notification.kind == "review.assigned")).one()
    assert note.params["count"] == 4


# --- results ------------------------------------------------------------------------------


def test_the_last_round_combines_by_weight(make, session, scored):
    first_run = _two_rounds(make, session, scored)
    # Round 2 reverses entries 0 and 2: 0.4·90 + 0.6·70 = 78, 0.4·80 + 0.6·95 = 89.
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    run = scored.compute()
    assert run.round_no == 2 and first_run.round_no == 1
    rows = _rows(session, run)
    by_index = {next(i for i, e in enumerate(scored.entries) if e.id == row.entry_id): row for row in rows}
    assert by_index[2].score == pytest.approx(89.0) and by_index[0].score == pytest.approx(78.0)
    assert by_index[1].score == pytest.approx(0.4 * 88 + 0.6 * 80)
    assert by_index[2].round_scores == {"1": {"score": 80.0, "sheets": 3, "rank": 3},
                                        "2": {"score": 95.0, "sheets": 2, "rank": 1}}
    # The entries that did not reach round 2 follow every shortlisted one, never selected.
    assert [row.shortlisted for row in rows] == [True] * 4 + [False] * 2
    assert [by_index[4].rank, by_index[5].rank] == [5, 6]
    assert not by_index[4].selected and by_index[4].decision == "not_shortlisted"
    assert by_index[4].round_scores == {"1": {"score": 70.0, "sheets": 3, "rank": 5}}
    rounds = run.summary["rounds"]
    assert [(r["number"], r["weight"], r["entries"], r["sheets"]) for r in rounds] == [(1, 40.0, 6, 18),
                                                                                      (2, 60.0, 4, 8)]
    # The round-1 draft the shortlist came from is still there.
    assert session.get(ResultRun, first_run.id) is not None


def test_final_round_ranks_the_shortlist_by_the_last_round_alone(make, session, scored):
    _two_rounds(make, session, scored, combination="final_round")
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    rows = _rows(session, scored.compute())
    order = [next(i for i, e in enumerate(scored.entries) if e.id == row.entry_id) for row in rows]
    assert order == [2, 1, 0, 3, 4, 5]
    assert [row.score for row in rows[:4]] == [95.0, 80.0, 70.0, 60.0]


def test_the_round_two_draft_goes_stale_when_the_shortlist_changes(make, session, scored):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    run = scored.compute()
    with make.app.test_request_context():
        assert run.inputs_hash == inputs_fingerprint(session, call=scored.call, round_no=2)
        shortlists.decide(session, call=scored.call, round_no=2, entry_id=scored.entries[5].id, include=True,
                          reason="补充", actor=scored.chair, now=utcnow())
        session.commit()
        assert run.inputs_hash != inputs_fingerprint(session, call=scored.call, round_no=2)


def test_only_the_last_round_publishes_and_its_snapshot_records_every_round(make, session, scored):
    first_run = _two_rounds(make, session, scored)
    with make.app.test_request_context():
        assert "earlier_round" in {b.key for b in publish_blockers(session, run=first_run)}
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    run = scored.publish(public_scores=True)
    assert verify(session, run)
    public, private = snapshot_documents(session, run)
    assert public["entries"][0]["round_scores"]["2"]["score"] == 95.0
    assert [entry["shortlisted"] for entry in public["entries"]] == [True] * 4 + [False] * 2
    assert "round_scores" in private["entries"][0] and "withdrawn_reason" not in private["entries"][0]
    assert snapshot.multi_round(_rows(session, run))


def test_once_published_the_shortlist_and_panel_no_longer_change(make, session, scored, client, login):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    scored.publish(public_scores=True)
    call, chair = scored.call, make.chair()
    items = {item.entry_id: item.included for item in session.exec(select(ShortlistEntry)).all()}
    with make.app.test_request_context(), pytest.raises(DomainError, match="已发布"):
        shortlists.draw_shortlist(session, call=call, round_no=2, actor=chair, now=utcnow())
    with make.app.test_request_context(), pytest.raises(DomainError, match="已发布"):
        shortlists.decide(session, call=call, round_no=2, entry_id=next(iter(items)), include=False,
                          reason="晚了", actor=chair, now=utcnow())
    with make.app.test_request_context(), pytest.raises(DomainError, match="已发布"):
        assign_round_panel(session, call=call, round_no=2, expert_ids=[chair.id], actor=chair, now=utcnow())
    session.rollback()
    assert {item.entry_id: item.included for item in session.exec(select(ShortlistEntry)).all()} == items
    # The page keeps the record and offers no change.
    login(chair)
    page = client.get(f"/review/rounds/calls/{call.id}/rounds/2/shortlist").get_data(as_text=True)
    assert "不再变更" in page and "/shortlist/decide" not in page and "/shortlist/draw" not in page


# --- the expert's side ----------------------------------------------------------------------


def test_an_expert_sees_only_their_round_two_entries(make, session, scored, client, login):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60}, experts=scored.experts[:1])
    mine = session.exec(select(Assignment).where(Assignment.round_no == 2)).first()
    outsider = scored.experts[2]
    login(outsider)
    queue = client.get(f"/review/?call={scored.call.id}").get_data(as_text=True)
    assert "现场答辩" not in queue
    assert client.get(f"/review/assignments/{mine.id}").status_code == 403
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == mine.id)).one()
    assert client.get(f"/review/sheets/{sheet.id}").status_code == 403
    client.post("/account/logout")
    login(scored.experts[0])
    queue = client.get(f"/review/?call={scored.call.id}").get_data(as_text=True)
    assert queue.count("现场答辩") == 4


def test_a_defence_sheet_is_never_blind(make, session, scored, client, login):
    assert scored.call.blind_review
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60}, experts=scored.experts[:1])
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.round_no == 2)).first()
    login(scored.experts[0])
    page = client.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert "答辩" in page and "不匿名" in page
    organisation = next(e for e in scored.entries if e.id == sheet.entry_id).organisation
    assert organisation.name in page


def test_a_round_two_sheet_uses_the_rounds_own_rubric(make, session, scored, client, login):
    _two_rounds(make, session, scored)
    with make.app.test_request_context():
        assign_round_panel(session, call=scored.call, round_no=2, expert_ids=[scored.experts[0].id],
                           actor=scored.chair, now=utcnow())
        session.commit()
    assignment = session.exec(select(Assignment).where(Assignment.round_no == 2)).first()
    login(scored.experts[0])
    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"})
    assert response.status_code == 302
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()
    assert sheet.round_no == 2 and sheet.status == SheetStatus.DRAFT
    rubric_rows = session.exec(select(CallRubric).where(CallRubric.call_id == scored.call.id)).all()
    assert sorted((row.round_no, row.rubric_version_id is not None) for row in rubric_rows) == [(1, True), (2, True)]


# --- the chair's pages ------------------------------------------------------------------------


def test_the_chairs_pages_show_every_round(make, session, scored, client, login):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    run = scored.compute()
    login(scored.chair)
    call_id = scored.call.id
    rounds_page = client.get(f"/review/rounds/calls/{call_id}").get_data(as_text=True)
    assert "现场答辩" in rounds_page and "否：答辩不匿名" in rounds_page and "每个领域的前几名：2" in rounds_page
    shortlist = client.get(f"/review/rounds/calls/{call_id}/rounds/2/shortlist").get_data(as_text=True)
    assert "入围名单共 4 项" in shortlist and shortlist.count("位列本领域前列") >= 4
    results = client.get(f"/results/?call={call_id}").get_data(as_text=True)
    assert "现在计算的是第 2 轮（现场答辩）的结果" in results and "加权：各轮得分按各轮权重合成" in results
    ranking = client.get(f"/results/runs/{run.id}").get_data(as_text=True)
    assert "综合得分" in ranking and "现场答辩得分" in ranking and "初评得分" in ranking
    top = scored.entries[2]
    entry_page = client.get(f"/results/runs/{run.id}/entries/{top.id}").get_data(as_text=True)
    assert "95.00分，第 1 名，2 份评分表" in entry_page
    last = scored.entries[5]
    entry_page = client.get(f"/results/runs/{run.id}/entries/{last.id}").get_data(as_text=True)
    assert "未进入本轮入围名单" in entry_page and "未入选：未进入最后一轮入围名单" in entry_page
    assert client.get(f"/review/manage/calls/{call_id}/rubrics?round=2").status_code == 200
    assert client.get(f"/review/manage/calls/{call_id}/rubrics?round=3").status_code == 404


def test_review_progress_shows_one_round_at_a_time(make, session, scored, client, login):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    call = scored.call
    every = progress.call_counts(session, call=call)
    first, second = (progress.call_counts(session, call=call, round_no=n) for n in (1, 2))
    assert (first.submitted, second.submitted, every.submitted) == (18, 8, 26)
    assert [row.panel.round_no for row in progress.panel_progress(session, call=call, round_no=2)] == [2]
    assert {row.counts.submitted for row in progress.expert_progress(session, call=call, round_no=2)} == {4}
    # The round's sheets do not make up for the online round's experts per entry.
    short = progress.short_entries(session, call=call)
    assert {row.submitted for row in short.rows} <= {3} and short.required == call.experts_per_entry
    login(scored.chair)
    current = client.get(f"/review/manage/calls/{call.id}/progress").get_data(as_text=True)
    online = client.get(f"/review/manage/calls/{call.id}/progress?round=1").get_data(as_text=True)
    assert 'aria-current="page" href="/review/manage/calls/%s/progress?round=2"' % call.id in current
    assert 'aria-current="page" href="/review/manage/calls/%s/progress?round=1"' % call.id in online
    assert ">8<" in current and ">18<" in online


def test_a_shortlist_decision_without_a_reason_is_refused_on_the_page(make, session, scored, client, login):
    _two_rounds(make, session, scored)
    login(scored.chair)
    response = client.post(f"/review/rounds/calls/{scored.call.id}/rounds/2/shortlist/decide",
                           data={"entry_id": scored.entries[0].id, "include": "0", "reason": "  "})
    assert response.status_code == 400
    assert all(item.included for item in shortlists.shortlist_items(session, call=scored.call, round_no=2))


def test_an_expert_taken_off_the_panel_loses_only_the_unsubmitted_entries(make, session, scored):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 95, 1: 70, 2: 85, 3: 75}, experts=scored.experts[:1])
    second = scored.experts[1]
    with make.app.test_request_context():
        assign_round_panel(session, call=scored.call, round_no=2, expert_ids=[scored.experts[0].id, second.id],
                           actor=scored.chair, now=utcnow())
        session.commit()
        # The first expert leaves the panel: their submitted sheets stay; the second's unopened entries go.
        assign_round_panel(session, call=scored.call, round_no=2, expert_ids=[second.id], actor=scored.chair,
                           now=utcnow())
        session.commit()
    by_expert = {}
    for assignment in session.exec(select(Assignment).where(Assignment.round_no == 2)).all():
        by_expert.setdefault(assignment.expert_id, []).append(assignment.removed_at is None)
    assert by_expert[scored.experts[0].id] == [True] * 4
    assert by_expert[second.id] == [True] * 4
    with make.app.test_request_context():
        assign_round_panel(session, call=scored.call, round_no=2, expert_ids=[scored.experts[0].id],
                           actor=scored.chair, now=utcnow())
        session.commit()
    assert all(a.removed_at is not None for a in session.exec(
        select(Assignment).where(Assignment.round_no == 2, Assignment.expert_id == second.id)).all())


def test_the_ranking_export_has_each_rounds_score_and_rank(make, session, scored, client, login):
    _two_rounds(make, session, scored)
    _score_round_two(make, session, scored, {0: 70, 1: 80, 2: 95, 3: 60})
    run = scored.compute()
    login(scored.chair)
    lines = client.get(f"/results/runs/{run.id}/rankings.csv").get_data().decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[-4:] == ["初评得分", "初评排名", "现场答辩得分", "现场答辩排名"]
    top, last = lines[1].split(","), lines[6].split(",")
    assert top[-4:] == ["80", "3", "95", "1"]
    assert last[-4:] == ["60", "6", "", ""]
