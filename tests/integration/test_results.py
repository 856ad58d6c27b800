"""Results in the database: computing the draft, vetoes, overrides,
publishing a frozen snapshot, the pages and who may see them."""
import re

import pytest
from flask_babel import force_locale
from sqlmodel import select

from app.db import utcnow
from app.enums import AssignmentSource, Domain, EntryStatus, Phase, Role, SheetStatus
from app.errors import DomainError
from app.models import Assignment, AuditEvent, Entry, ResultEntry, ResultRun, ScoreSheet
from app.results.compute import compute_results, draft_run
from app.results.decisions import decide_veto, set_override
from app.results.extra import assign_extra_experts
from app.results.publishing import latest_published, publish, publish_blockers, published_snapshot, verify

FIVE = [
    [80, 82, 84, 86, 88],  # trimmed: 84
    [70, 60, 65, 75, 95],  # trimmed: 70 (60 and 95 dropped)
    [90, 91, 89, 92, 88],  # trimmed: 90
    [50, 55, 52, 58, 54],  # trimmed: 53.6667 (50 and 58 dropped)
]


def _rows(session, run):
    return session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()


# --- computing ------------------------------------------------------------------


def test_compute_stores_trimmed_scores_raw_figures_and_ranks(make, session):
    scored = make.scored_call(totals=FIVE, domains=[Domain.MANUFACTURING, Domain.HEALTHCARE],
                         cities=["440300", "440100"])
    run = scored.compute()

    assert run.method == "trimmed_mean"
    rows = _rows(session, run)
    assert [(row.title, row.score) for row in rows] == [("场景003", 90.0), ("场景001", 84.0), ("场景002", 70.0),
                                                         ("场景004", 53.6667)]
    second = rows[2]
    assert (second.raw_mean, second.raw_median, second.raw_min, second.raw_max, second.raw_range) == (73.0, 70.0, 60, 95, 35)
    assert second.raw_sd == pytest.approx(13.5093, abs=1e-4)
    assert second.notes == ["trimmed"]
    assert second.sheets == second.assigned == 5
    # Domains alternate manufacturing, healthcare: entries 1 and 3 are manufacturing.
    assert {row.title: row.domain_rank for row in rows} == {"场景003": 1, "场景001": 2, "场景002": 1, "场景004": 2}
    assert {row.title: row.city_rank for row in rows} == {"场景003": 1, "场景001": 2, "场景002": 1, "场景004": 2}
    # Every criterion was scored with the sheet's total: the radar means equal the raw mean.
    assert set(second.criterion_means.values()) == {73.0}
    assert run.summary["counts"]["entries"] == 4 and run.summary["counts"]["sheets"] == 20
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "results.computed")).one()
    assert event.after["run_id"] == run.id


def test_compute_is_deterministic_and_replaces_the_draft(make, session):
    scored = make.scored_call(totals=FIVE)
    first = scored.compute()
    figures = [(r.entry_id, r.score, r.rank, r.rank_lo, r.rank_hi, r.borderline, r.selected) for r in _rows(session, first)]
    summary = first.summary
    second = scored.compute()
    # The draft was replaced: one unpublished run per call.
    assert len(session.exec(select(ResultRun).where(ResultRun.call_id == scored.call.id)).all()) == 1
    assert [(r.entry_id, r.score, r.rank, r.rank_lo, r.rank_hi, r.borderline, r.selected) for r in _rows(session, second)] == figures
    assert second.summary == summary


def test_methods_mean_and_zscore(make, session):
    scored = make.scored_call(totals=FIVE, results_method="mean")
    run = scored.compute()
    assert [row.score for row in _rows(session, run)] == [90.0, 84.0, 73.0, 53.8]
    scored.call.results_method = "zscore"
    session.add(scored.call)
    session.commit()
    run = scored.compute()
    rows = _rows(session, run)
    assert run.method == "zscore"
    # Rescaled to the call's scale: the mean of the entries' scores is the call's mean of totals.
    assert sum(r.score for r in rows) / 4 == pytest.approx(sum(sum(t) for t in FIVE) / 20, abs=1e-3)
    assert [r.title for r in rows] == ["场景003", "场景001", "场景002", "场景004"]


def test_no_submitted_sheets_is_a_clear_error(app, make, session):
    scored = make.scored_call(totals=[[None, None]])
    with app.test_request_context():
        with pytest.raises(DomainError) as error:
            compute_results(session, call=scored.call, actor=scored.chair, now=utcnow())
        with force_locale("en"):
            assert "No submitted score sheets" in str(error.value.message)


def test_disagreement_flags_follow_the_call_thresholds(make, session):
    scored = make.scored_call(totals=FIVE, disagreement_sd=10.0, disagreement_range=30.0)
    rows = {row.title: row for row in _rows(session, scored.compute())}
    assert rows["场景002"].disagreement_flags == ["sd_at_or_above_threshold", "range_at_or_above_threshold"]
    assert rows["场景001"].disagreement_flags == []
    assert scored.compute().summary["counts"]["disputed"] == 1


def test_reliability_and_expert_statistics_are_in_the_summary(make):
    scored = make.scored_call(totals=FIVE)
    summary = scored.compute().summary
    # Four entries are too few for a complete block; the figures on all sheets need none.
    assert summary["call"]["block"] is None and summary["call"]["alpha"] is not None
    assert 0 < summary["call"]["one_way"]["icc1_k"]["value"] < 1
    scored = make.scored_call(totals=FIVE * 3)
    summary = scored.compute().summary
    assert summary["call"]["block"]["entries"] == 12 and summary["call"]["block"]["experts"] == 5
    assert 0 < summary["call"]["block"]["icc2_1"]["value"] < 1
    assert summary["call"]["alpha"] is not None
    assert [panel["panel_id"] for panel in summary["panels"]] == [scored.panel.id]
    assert len(summary["experts"]) == 5
    assert {item["expert_id"] for item in summary["experts"]} == {expert.id for expert in scored.experts}


# --- vetoes, overrides, publishing --------------------------------------------------


def test_pending_veto_blocks_publishing_and_a_confirmed_one_excludes(app, make, session):
    scored = make.scored_call(totals=FIVE, vetoes={2: {"false_information": True}})
    run = scored.compute()
    top = _rows(session, run)[0]
    assert top.veto_keys == ["false_information"] and top.veto_status == "pending"
    with app.test_request_context():
        assert [b.key for b in publish_blockers(session, run=run)] == ["vetoes_pending"]
        with pytest.raises(DomainError):
            publish(session, run=run, actor=scored.chair, now=utcnow(), public_scores=False)
    session.rollback()
    entry = session.get(Entry, top.entry_id)

    def row_of_draft():
        draft = draft_run(session, call=scored.call)
        return session.exec(select(ResultEntry).where(ResultEntry.run_id == draft.id, ResultEntry.entry_id == entry.id)).one()

    with app.test_request_context():
        decide_veto(session, entry=entry, confirmed=True, reason="材料造假属实", actor=scored.chair, now=utcnow())
        session.commit()
        # The draft was computed again with the decision.
        assert draft_run(session, call=scored.call).id != run.id
        row = row_of_draft()
        assert (row.veto_status, row.selected, row.decision) == ("confirmed", False, "veto")
        assert publish_blockers(session, run=draft_run(session, call=scored.call)) == []
        decide_veto(session, entry=entry, confirmed=False, reason="复核无误", actor=scored.chair, now=utcnow())
        session.commit()
        row = row_of_draft()
        assert (row.veto_status, row.selected) == ("dismissed", True)


def test_a_veto_decision_needs_a_raised_veto_and_a_reason(app, make, session):
    scored = make.scored_call(totals=FIVE)
    scored.compute()
    with app.test_request_context():
        with pytest.raises(DomainError):
            decide_veto(session, entry=scored.entries[0], confirmed=True, reason="x", actor=scored.chair, now=utcnow())
        with pytest.raises(DomainError):
            decide_veto(session, entry=scored.entries[0], confirmed=True, reason="  ", actor=scored.chair, now=utcnow())


def test_overrides_change_the_selection_and_survive_recomputation(app, make, session):
    scored = make.scored_call(totals=FIVE, target_count=2)
    run = scored.compute()
    assert [row.selected for row in _rows(session, run)] == [True, True, False, False]
    last = scored.entries[3]
    with app.test_request_context():
        set_override(session, call=scored.call, entry=last, include=True, reason="地市推荐", actor=scored.chair,
                     now=utcnow())
        session.commit()
    rows = _rows(session, run)
    assert [(row.selected, row.decision) for row in rows] == [
        (True, "selected"), (False, "target_reached"), (False, "target_reached"), (True, "included_by_chair")
    ]
    assert rows[3].chair_reason == "地市推荐"
    rows = _rows(session, scored.compute())
    assert rows[3].decision == "included_by_chair"
    with app.test_request_context(), pytest.raises(DomainError):
        set_override(session, call=scored.call, entry=last, include=False, reason="", actor=scored.chair, now=utcnow())


def test_publish_freezes_a_snapshot_that_recomputation_never_changes(app, make, session):
    scored = make.scored_call(totals=FIVE, target_count=3, open_phase=Phase.RESULTS)
    run = scored.compute()
    scored.publish(run, public_scores=True)
    assert run.published_at is not None and re.fullmatch(r"[0-9a-f]{64}", run.content_hash)
    with app.test_request_context():
        assert verify(session, run)
    before = [(r.entry_id, r.score, r.rank, r.selected) for r in _rows(session, run)]
    statuses = {entry.id: session.get(Entry, entry.id).status for entry in scored.entries}
    assert sorted(statuses.values()) == sorted([EntryStatus.SELECTED] * 3 + [EntryStatus.NOT_SELECTED])

    # A later recomputation (another method) makes a new draft beside the snapshot.
    scored.call.results_method = "mean"
    session.add(scored.call)
    session.commit()
    draft = scored.compute()
    assert draft.id != run.id and draft.published_at is None
    session.refresh(run)
    assert [(r.entry_id, r.score, r.rank, r.selected) for r in _rows(session, run)] == before
    with app.test_request_context():
        assert verify(session, run)
        assert latest_published(session, call=scored.call).id == run.id
        assert [b.key for b in publish_blockers(session, run=run)] == ["published"]


def test_a_published_snapshot_is_looked_up_within_its_call(app, make, session):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    other = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    with app.test_request_context():
        assert published_snapshot(session, call=scored.call, snapshot_id=None) is None
    run = scored.publish()
    draft = scored.compute()  # a new draft beside the snapshot
    theirs = other.publish()
    with app.test_request_context():
        assert published_snapshot(session, call=scored.call, snapshot_id=None).id == run.id
        assert published_snapshot(session, call=scored.call, snapshot_id=run.id).id == run.id
        for snapshot_id in (draft.id, theirs.id, theirs.id + 1000):
            with pytest.raises(DomainError) as error:
                published_snapshot(session, call=scored.call, snapshot_id=snapshot_id)
            with force_locale("en"):
                assert str(error.value.message) == "That is not a published results snapshot of this call."
            with force_locale("zh"):
                assert str(error.value.message) == "所选快照不是本批次已发布的结果快照。"


def test_tampering_with_a_snapshot_is_detected(app, make, session):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    run = scored.compute()
    scored.publish(run)
    row = _rows(session, run)[0]
    row.score = 99.0
    session.add(row)
    session.commit()
    with app.test_request_context():
        assert not verify(session, run)


def test_publishing_is_refused_while_sheets_are_outstanding_or_the_draft_is_stale(app, make, session):
    scored = make.scored_call(totals=[[80, 82, None], [70, 71, 72]])
    run = scored.compute()
    with app.test_request_context():
        assert [(b.key, b.count) for b in publish_blockers(session, run=run)] == [("incomplete", 1)]
    sheet = scored.sheets[(scored.entries[0].id, scored.experts[2].id)]
    sheet.status, sheet.total, sheet.submitted_at = SheetStatus.SUBMITTED, 81.0, utcnow()
    sheet.updated_at = utcnow()
    session.add(sheet)
    session.commit()
    with app.test_request_context():
        assert "stale" in [b.key for b in publish_blockers(session, run=run)]
        with pytest.raises(DomainError) as error:
            publish(session, run=run, actor=scored.chair, now=utcnow(), public_scores=False)
        with force_locale("en"):
            assert "compute it again" in str(error.value.message)


# --- extra experts ---------------------------------------------------------------------


def test_one_action_assigns_an_extra_expert_to_each_disputed_entry(app, make, session):
    totals = [[80, 20, 50], [70, 71, 72], [90, 30, 60]]
    scored = make.scored_call(totals=totals, experts=5, disagreement_sd=15.0, disagreement_range=None)
    run = scored.compute()
    with app.test_request_context():
        report = assign_extra_experts(session, run=run, actor=scored.chair, now=utcnow())
        session.commit()
    disputed = {scored.entries[0].id, scored.entries[2].id}
    assert {entry_id for entry_id, _ in report.assigned} == disputed
    extra = session.exec(select(Assignment).where(Assignment.source == AssignmentSource.EXTRA)).all()
    assert {a.entry_id for a in extra} == disputed
    # Never an expert who is already on the entry.
    assert all(a.expert_id in {scored.experts[3].id, scored.experts[4].id} for a in extra)
    # Again at once: the entries wait for their extra expert and get no other.
    with app.test_request_context():
        again = assign_extra_experts(session, run=run, actor=scored.chair, now=utcnow())
    assert again.assigned == [] and again.waiting == 2


def test_extra_experts_need_the_review_phase(app, make, session):
    scored = make.scored_call(totals=[[80, 20, 50]], experts=4, disagreement_sd=15.0,
                         open_phase=Phase.RESULTS)
    run = scored.compute()
    with app.test_request_context(), pytest.raises(DomainError):
        assign_extra_experts(session, run=run, actor=scored.chair, now=utcnow())


# --- pages and permissions -------------------------------------------------------------


def test_experts_and_applicants_never_see_results(make, client, login):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    run = scored.compute()
    scored.publish(run)
    login(scored.experts[0])
    for url in ("/results/", f"/results/runs/{run.id}", f"/results/runs/{run.id}/rankings.csv"):
        assert client.get(url).status_code == 403
    client.post("/account/logout")
    login(make.applicant())
    assert client.get(f"/results/runs/{run.id}").status_code == 403


def test_publicity_sees_published_snapshots_only(make, client, login):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    published = scored.compute()
    scored.publish(published)
    draft = scored.compute()
    login(make.staff(Role.PUBLICITY))
    page = client.get(f"/results/?call={scored.call.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert published.content_hash in text and "compute" not in text.lower().split("<form")[-1]
    assert client.get(f"/results/runs/{published.id}").status_code == 200
    assert client.get(f"/results/runs/{draft.id}").status_code == 403
    assert client.get(f"/results/runs/{published.id}/experts").status_code == 403
    assert client.post(f"/results/calls/{scored.call.id}/compute").status_code == 403


def test_the_chair_computes_filters_and_pages_through_the_ranking(app, make, session, client, login, english):
    totals = [[60 + i % 37, 61 + i % 37, 59 + i % 37] for i in range(60)]
    scored = make.scored_call(totals=totals, domains=[Domain.MANUFACTURING, Domain.HEALTHCARE],
                         cities=["440300", "440100", "440600"])
    login(scored.chair)
    response = client.post(f"/results/calls/{scored.call.id}/compute", follow_redirects=True)
    assert "60" in response.get_data(as_text=True)
    run = draft_run(session, call=scored.call)
    page = client.get(f"/results/runs/{run.id}").get_data(as_text=True)
    assert page.count('href="/results/runs/%d/entries/' % run.id) == 50  # one page
    assert "Page 1 of 2" in page
    page = client.get(f"/results/runs/{run.id}?domain=healthcare&city=440100&q=场景").get_data(as_text=True)
    titles = re.findall(r"场景(\d{3})</a>", page)
    expected = [i for i in range(60) if i % 2 == 1 and i % 3 == 1]
    assert sorted(int(t) - 1 for t in titles) == expected
    # Sorted by score descending: the first row has the highest score.
    page = client.get(f"/results/runs/{run.id}?sort=score&direction=desc").get_data(as_text=True)
    first = re.search(r"场景(\d{3})</a>", page).group(1)
    assert totals[int(first) - 1][0] == max(row[0] for row in totals)
    # A bad filter value falls back to the whole ranking instead of failing.
    assert client.get(f"/results/runs/{run.id}?domain=nope").status_code == 200
    entry_page = client.get(f"/results/runs/{run.id}/entries/{scored.entries[0].id}").get_data(as_text=True)
    assert "<svg" in entry_page and "场景001" in entry_page
    assert client.get(f"/results/runs/{run.id}/reliability").status_code == 200
    assert client.get(f"/results/runs/{run.id}/experts").status_code == 200
    assert client.get(f"/results/runs/{run.id}/selection").status_code == 200


def test_an_entry_page_of_another_run_is_not_found(make, client, login):
    scored = make.scored_call(totals=FIVE)
    other = make.scored_call(totals=FIVE)
    run = scored.compute()
    login(scored.chair)
    assert client.get(f"/results/runs/{run.id}/entries/{other.entries[0].id}").status_code == 404


def test_every_results_form_needs_a_csrf_token(make, session, client, csrf):
    scored = make.scored_call(totals=FIVE, vetoes={0: {"false_information": True}})
    run = scored.compute()
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    login = client.post("/account/login", data={"email": scored.chair.email, "password": "correct-horse-battery",
                                                "csrf_token": token})
    assert login.status_code == 302
    entry = scored.entries[0].id
    for path, data in [
        (f"/results/calls/{scored.call.id}/compute", {}),
        (f"/results/calls/{scored.call.id}/settings", {"method": "mean"}),
        (f"/results/runs/{run.id}/publish", {"confirm": "y"}),
        (f"/results/runs/{run.id}/extra-experts", {}),
        (f"/results/entries/{entry}/override", {"entry_id": entry, "include": "exclude", "reason": "x"}),
        (f"/results/entries/{entry}/override/remove", {}),
        (f"/results/entries/{entry}/veto", {"decision": "confirm", "reason": "x"}),
    ]:
        response = client.post(path, data=data)
        # Plain buttons answer 400; forms with fields go back to the page with the error.
        assert response.status_code in (302, 400), path
    session.refresh(scored.call)
    assert scored.call.results_method is None
    rows = _rows(session, run)
    assert all(row.decision != "excluded_by_chair" and row.veto_status == "pending" for row in rows if row.entry_id == entry)
    session.refresh(run)
    assert draft_run(session, call=scored.call).id == run.id and not run.published
    assert session.exec(select(Assignment).where(Assignment.source == AssignmentSource.EXTRA)).first() is None


def test_override_through_the_page_requires_a_reason(make, session, client, login, english):
    scored = make.scored_call(totals=FIVE, target_count=2)
    run = scored.compute()
    login(scored.chair)
    entry = scored.entries[3]
    response = client.post(f"/results/entries/{entry.id}/override",
                           data={"entry_id": entry.id, "include": "include", "reason": ""}, follow_redirects=True)
    assert "Give a reason: it is recorded." in response.get_data(as_text=True)
    row = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.entry_id == entry.id)).one()
    assert not row.selected
    client.post(f"/results/entries/{entry.id}/override",
                data={"entry_id": entry.id, "include": "include", "reason": "典型性强"})
    session.refresh(row)
    assert row.selected and row.decision == "included_by_chair"


def test_the_entry_page_shows_the_sheets_and_the_override_until_it_is_removed(app, make, session, client, login,
                                                                             english):
    scored = make.scored_call(totals=FIVE, target_count=2)
    run = scored.compute()
    login(scored.chair)
    entry = scored.entries[3]
    client.post(f"/results/entries/{entry.id}/override",
                data={"entry_id": entry.id, "include": "include", "reason": "典型性强"})
    page = client.get(f"/results/runs/{run.id}/entries/{entry.id}").get_data(as_text=True)
    assert "Your decision: select it." in page and "典型性强" in page
    assert all(expert.name in page for expert in scored.experts)
    client.post(f"/results/entries/{entry.id}/override/remove")
    page = client.get(f"/results/runs/{run.id}/entries/{entry.id}").get_data(as_text=True)
    assert "Your decision:" not in page
    row = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.entry_id == entry.id)).one()
    session.refresh(row)
    assert not row.selected and row.decision == "target_reached"


def test_flask_results_compute_and_publish(app, make, session, runner):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    result = runner.invoke(args=["results", "compute", "--call", str(scored.call.id), "--resamples", "200"])
    assert result.exit_code == 0, result.output
    assert "Ranked 4 entries from 20 sheets" in result.output
    result = runner.invoke(args=["results", "publish", "--call", str(scored.call.id)])
    assert result.exit_code == 0, result.output
    run = latest_published(session, call=scored.call)
    assert run.content_hash in result.output and run.parameters["resamples"] == 200
    result = runner.invoke(args=["results", "compute", "--call", "999999"])
    assert result.exit_code != 0 and "no call" in result.output


def test_outstanding_sheets_are_counted_not_invented(make, session):
    scored = make.scored_call(totals=[[80, None, 70]])
    row = _rows(session, scored.compute())[0]
    assert (row.sheets, row.assigned, row.raw_mean) == (2, 3, 75.0)
    assert session.exec(select(ScoreSheet).where(ScoreSheet.status == SheetStatus.DRAFT)).first() is not None


def test_publicity_downloads_the_published_rankings(make, client, login):
    import io

    from openpyxl import load_workbook

    scored = make.scored_call(totals=FIVE, domains=[Domain.MANUFACTURING, Domain.HEALTHCARE],
                         open_phase=Phase.RESULTS)
    run = scored.compute()
    scored.publish(run)
    login(make.staff(Role.PUBLICITY))
    with client.get(f"/results/runs/{run.id}/rankings.xlsx") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "attachment" in response.headers["Content-Disposition"]
        workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[0] == "总排名"
    overall = workbook["总排名"]
    assert [overall.cell(row=r, column=1).value for r in range(2, 6)] == [1, 2, 3, 4]
    with client.get(f"/results/runs/{run.id}/rankings.csv") as response:
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.data.startswith("\ufeff".encode())
    with client.get(f"/results/runs/{run.id}/rankings.pdf") as response:
        assert response.data.startswith(b"%PDF")


def test_an_entry_without_any_submitted_sheet_blocks_publishing(app, make, session):
    scored = make.scored_call(totals=[[80, 82], [None, None]], open_phase=Phase.RESULTS)
    run = scored.compute()
    assert len(_rows(session, run)) == 1 and run.summary["counts"]["unranked"] == 1
    with app.test_request_context():
        assert ("unranked", 1) in [(b.key, b.count) for b in publish_blockers(session, run=run)]


def test_changing_the_target_or_quotas_makes_the_draft_stale(app, make, session):
    scored = make.scored_call(totals=FIVE, target_count=3, open_phase=Phase.RESULTS)
    run = scored.compute()
    with app.test_request_context():
        assert publish_blockers(session, run=run) == []
        scored.call.target_count = 1
        session.add(scored.call)
        session.flush()
        assert [b.key for b in publish_blockers(session, run=run)] == ["stale"]


def test_the_snapshot_hash_survives_a_renamed_call_and_covers_the_publication_time(app, make, session):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    run = scored.compute()
    scored.publish(run)
    scored.call.name = "改名后的征集批次"
    session.add(scored.call)
    session.commit()
    with app.test_request_context():
        assert verify(session, run)
        run.published_at = run.published_at.replace(year=run.published_at.year - 1)
        assert not verify(session, run)
    session.rollback()


def test_without_quotas_the_cut_line_follows_the_selection_not_the_target(app, make, session):
    scored = make.scored_call(totals=FIVE, vetoes={2: {"false_information": True}}, target_count=2)
    for quota in list(scored.call.quotas):
        session.delete(quota)
    session.commit()
    scored.compute()
    with app.test_request_context():
        decide_veto(session, entry=scored.entries[2], confirmed=True, reason="属实", actor=scored.chair, now=utcnow())
        session.commit()
        draft = draft_run(session, call=scored.call)
    # The best entry is vetoed: the two selected are ranked 2 and 3, so the cut is at 3.
    assert [row.rank for row in _rows(session, draft) if row.selected] == [2, 3]
    assert draft.summary["cuts"] == {"": 3}


def test_a_published_snapshot_is_never_deleted_by_a_later_computation(make, session):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    first = scored.compute()
    scored.publish(first)
    for _ in range(2):
        scored.compute()
    runs_of_call = session.exec(select(ResultRun).where(ResultRun.call_id == scored.call.id).order_by(ResultRun.id)).all()
    assert [(r.id == first.id, r.published) for r in runs_of_call] == [(True, True), (False, False)]


def test_the_hash_does_not_depend_on_the_time_zone_the_publication_time_came_in(app, make, session):
    from zoneinfo import ZoneInfo

    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    run = scored.compute()
    with app.test_request_context():
        publish(session, run=run, actor=scored.chair, now=utcnow().astimezone(ZoneInfo("Asia/Shanghai")),
                public_scores=False, early=True)
        session.commit()
        session.expire_all()
        assert verify(session, session.get(ResultRun, run.id))


def test_publishing_during_the_review_asks_for_confirmation_naming_the_phase(make, session, client, login):
    """Issue 16, item 5: results could be published in the expert-review phase
    without a warning, and the entries went into the public library at once."""
    scored = make.scored_call(totals=FIVE)
    run = scored.compute()
    login(scored.chair)
    review_ends = scored.call.phase_window(Phase.REVIEW).ends_at

    page = client.get(f"/results/?call={scored.call.id}").get_data(as_text=True)
    warning = page[page.index('id="early-publication"'):page.index("</form>", page.index('id="early-publication"'))]
    assert "“专家评审”阶段" in warning and 'name="early"' in warning

    refused = client.post(f"/results/runs/{run.id}/publish", data={"confirm": "y"}, follow_redirects=True)

    assert "结果评定阶段尚未开始" in refused.get_data(as_text=True)
    session.expire_all()
    assert not session.get(ResultRun, run.id).published
    assert session.get(Entry, scored.entries[0].id).status == EntryStatus.SCORED
    assert scored.call.phase_window(Phase.REVIEW).ends_at == review_ends


def test_confirmed_early_publication_starts_the_results_phase_and_the_call_page_shows_it(make, session, client, login):
    scored = make.scored_call(totals=FIVE)
    run = scored.compute()
    login(scored.chair)

    client.post(f"/results/runs/{run.id}/publish", data={"confirm": "y", "early": "y"})

    session.expire_all()
    published = session.get(ResultRun, run.id)
    assert published.published
    review, results = scored.call.phase_window(Phase.REVIEW), scored.call.phase_window(Phase.RESULTS)
    assert review.ends_at == results.starts_at == published.published_at
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "call.phase_started_early")).one()
    assert event.after["phase"] == "results"
    assert event.before["phases"]["results"] != event.after["phases"]["results"]
    call_page = client.get(f"/calls/{scored.call.id}").get_data(as_text=True)
    start = call_page.index('aria-current="step"')
    running = call_page[start:call_page.index("</li>", start)]
    assert "结果评定" in running
    assert "阶段提前开始" in call_page and "发布评审结果" in call_page


def test_publishing_in_the_results_phase_needs_no_extra_confirmation(make, session, client, login):
    scored = make.scored_call(totals=FIVE, open_phase=Phase.RESULTS)
    run = scored.compute()
    login(scored.chair)
    results_starts = scored.call.phase_window(Phase.RESULTS).starts_at

    assert 'id="early-publication"' not in client.get(f"/results/?call={scored.call.id}").get_data(as_text=True)
    client.post(f"/results/runs/{run.id}/publish", data={"confirm": "y"})

    session.expire_all()
    assert session.get(ResultRun, run.id).published
    assert scored.call.phase_window(Phase.RESULTS).starts_at == results_starts
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "call.phase_started_early")).first() is None
