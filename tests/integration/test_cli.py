import random
import statistics
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlmodel import func, select

from app.accounts.credit_code import normalise_credit_code
from app.audit.services import object_history
from app.calls.services import current_call, phase_state
from app.db import utcnow
from app.demo import sheets as demo_sheets
from app.demo.entries import demo_entry_specs
from app.demo.services import (
    DEMO_CALL_NAME,
    ENTRY_SEED,
    PAST_ENTRY_COUNT,
    PAST_ENTRY_SEED,
    past_call_name,
)
from app.entries.completeness import missing_items
from app.enums import (
    AssignmentSource,
    ConflictSource,
    Domain,
    EntryStatus,
    Membership,
    Phase,
    Role,
    SheetStatus,
    Technology,
)
from app.models import (
    Assignment,
    AuditEvent,
    Call,
    CallRubric,
    Certificate,
    Conflict,
    DefenceSlot,
    Entry,
    EntryOutcome,
    EntryPhoto,
    ExpertEmployment,
    ExpertProfile,
    Notice,
    Objection,
    Organisation,
    Panel,
    PanelMember,
    ResultEntry,
    ResultRun,
    ReviewRound,
    RubricVersion,
    Score,
    ScoreSheet,
    SelectionOverride,
    ShortlistEntry,
    User,
    VetoDecision,
)
from app.reference import CITIES
from app.results.compute import draft_run
from app.results.publishing import latest_published, published_runs, verify
from app.review.assignment.reports import last_run
from app.review.conflicts import automatic_conflict
from app.review.sheets.scoring import weighted_total
from app.storage import storage


def test_users_create_with_password(runner, session):
    result = runner.invoke(args=["users", "create", "Chair2@Example.com", "--role", "chair", "--role", "publicity", "--password", "A-strong-password-7"])
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
    assert "Demo call: 300 entries (217 in_review, 8 ineligible, 75 scored); 7 returned for revision and resubmitted." in result.output
    assert "Review: 8 panels, 1460 assignments, " in result.output and "3 declared conflicts, 3 vetoes." in result.output
    assert "Open for entries: 2027年人工智能应用场景征集（第二批）." in result.output
    assert ("Last year's call (2025年广东省人工智能应用场景征集): 280 entries (8 ineligible, 152 not_selected, 120 selected); "
            "7 returned for revision and resubmitted.") in result.output
    # Both rounds: 1360 online sheets, then a panel of seven at 176 defences (seven conflicts of interest).
    assert "Its review: 9 panels, 2585 assignments, 2585 sheets submitted, 0 drafts, 0 not opened; " in result.output
    assert ("Published results: 120 of 272 ranked entries selected (1 brought in and 1 taken out by the chair; "
            "vetoes 1 confirmed, 5 dismissed), snapshot ") in result.output
    assert ("Defence round: 176 shortlisted entries defended over 5 days; public notice ") in result.output
    assert ("(5 working days), 3 objections (1 upheld, 2 dismissed); official list published, "
            "120 certificates issued.") in result.output
    assert ("Draft results: 292 entries ranked, 200 selected by the rule, 3 vetoes pending, 217 entries still being scored; "
            "not published.") in result.output

    def census():
        counts = {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (User, Call, EntryOutcome, EntryPhoto, AuditEvent, ExpertProfile, ExpertEmployment, Panel,
                          PanelMember, CallRubric, RubricVersion, Assignment, Conflict, ScoreSheet, Score, ResultRun,
                          ResultEntry, SelectionOverride, VetoDecision)
        }
        return counts | {
            "organisations": sorted(session.exec(select(Organisation.credit_code)).all()),
            "entries": sorted(session.exec(select(Entry.organisation_id, Entry.title, Entry.status)).all()),
            "sheets": sorted(session.exec(select(ScoreSheet.assignment_id, ScoreSheet.status, ScoreSheet.total)).all()),
            "runs": sorted(session.exec(select(ResultRun.id, ResultRun.call_id, ResultRun.content_hash, ResultRun.published_at)).all()),
        }

    first = census()
    demo_year = session.exec(select(Call.year).where(Call.name == DEMO_CALL_NAME)).one()
    past = session.exec(select(Call).where(Call.name == past_call_name(demo_year - 1))).one()
    snapshot = latest_published(session, call=past)
    snapshot_was = (snapshot.id, snapshot.content_hash)
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "Demo data: 0 objects created" in again.output
    assert census() == first
    session.expire_all()
    snapshot = latest_published(session, call=past)
    assert (snapshot.id, snapshot.content_hash) == snapshot_was and verify(session, snapshot)
    assert snapshot.content_hash[:12] in again.output

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
    now = utcnow()
    call = session.exec(select(Call).where(Call.name == DEMO_CALL_NAME)).one()
    assert call.target_count == 200 and len(call.quotas) == 8 and len(call.phases) == 5
    # The demo call is in review; the next year's call takes entries and has none yet.
    assert phase_state(call, now=now).phase == Phase.REVIEW
    assert call.phase_window(Phase.FORMAL_CHECK).ends_at < now - timedelta(days=8)
    open_call = session.exec(select(Call).where(Call.year == call.year + 1)).one()
    assert (open_call.name, open_call.year) == (f"{call.year + 1}年人工智能应用场景征集（第二批）", call.year + 1)
    assert phase_state(open_call, now=now).phase == Phase.SUBMISSION
    assert session.exec(select(Entry).where(Entry.call_id == open_call.id)).all() == []
    assert current_call(session, now=now).id == open_call.id

    # 300 entries, complete, in every domain and city, with stored photos, formally checked.
    entries = session.exec(select(Entry).where(Entry.call_id == call.id).order_by(Entry.id)).all()
    organisations = session.exec(select(Organisation).order_by(Organisation.id)).all()

    assert len(entries) == 300
    assert {e.domain for e in entries} == set(Domain)
    assert {e.city_code for e in entries} == set(CITIES)
    assert {e.organisation_id for e in entries} == {o.id for o in organisations}
    assert Counter(e.status for e in entries) == {EntryStatus.IN_REVIEW: 217, EntryStatus.SCORED: 75, EntryStatus.INELIGIBLE: 8}
    assert all(e.check_reason for e in entries if e.status == EntryStatus.INELIGIBLE)
    assert all(e.created_by_id is not None for e in entries)
    submission, check = call.phase_window(Phase.SUBMISSION), call.phase_window(Phase.FORMAL_CHECK)
    resubmitted = {e.id for e in entries if submission.ends_at < e.submitted_at}
    assert len(resubmitted) == 7
    assert all(submission.starts_at <= e.created_at <= e.submitted_at < now for e in entries)
    first_submissions = [e.submitted_at for e in entries if e.id not in resubmitted]
    assert first_submissions == sorted(first_submissions) and first_submissions[-1] < submission.ends_at
    assert all(1 <= len(e.outcomes) <= 4 and 1 <= len(e.photos) <= 3 for e in entries)
    assert all(o.after != o.before for e in entries for o in e.outcomes)
    vocabulary = {t.value for t in Technology}
    assert all(2 <= len([t for t in e.tech_tags if t in vocabulary]) <= 4 for e in entries)
    assert all(len(e.partners) <= 2 for e in entries)
    assert all(normalise_credit_code(p["credit_code"]) for e in entries for p in e.partners if p["credit_code"])
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "demo.entry_created")).all()) == 300 + 280

    photos = session.exec(select(EntryPhoto)).all()
    keys = {key for p in photos for key in (p.master_key, p.display_key, p.thumb_key)}
    assert len(keys) <= 32 * 3  # a shared pool for both calls, not one picture per entry
    with app.app_context():
        assert all(missing_items(e) == {} for e in entries)
        assert all(storage().exists(key) for key in keys)

    # The formal check happened in its phase, through the transitions, with a history to show.
    for entry in entries:
        history = object_history(session, object_type="entries", object_id=entry.id)
        actions = [event.action for event in history]
        assert actions[0] == "demo.entry_created" and history[0].occurred_at == entry.created_at
        decisions = [event for event in history if event.action.startswith(("entry.checked", "entry.re"))]
        assert all(check.starts_at <= event.occurred_at < check.ends_at for event in decisions)
        if entry.id in resubmitted:
            assert actions[1:4] == ["entry.returned", "entry.resubmitted", "entry.checked_eligible"]
            assert history[1].reason and history[1].after["revision_deadline"]
            assert history[2].actor_email.startswith("applicant")
        elif entry.status == EntryStatus.INELIGIBLE:
            assert actions == ["demo.entry_created", "entry.checked_ineligible"] and history[1].reason == entry.check_reason
        else:
            assert actions[1] == "entry.checked_eligible"
        if entry.status in (EntryStatus.IN_REVIEW, EntryStatus.SCORED):
            assert actions[actions.index("entry.review_started") - 1] == "assignment.added"
        if entry.status == EntryStatus.SCORED:
            assert actions[-1] == "entry.scored" and history[-1].actor_email.startswith("expert")
    assert {event.actor_email for event in session.exec(select(AuditEvent).where(AuditEvent.action.like("entry.check%")))} == {
        "chair@demo.local"}

    # Deterministic: the titles follow from the organisations and the seed alone; the names from the seed.
    specs = demo_entry_specs(organisations, random.Random(ENTRY_SEED))
    assert sorted((organisations[s.organisation_index].id, s.title) for s in specs) == sorted((e.organisation_id, e.title) for e in entries)
    assert (specs[0].title, organisations[0].name) == ("基于多模态AI的乡村学校课堂评价应用", "广州海岸线教育科技有限公司")
    assert session.exec(select(User.name).where(User.email == "expert01@demo.local")).one() == "张晓东（华南理工大学）"
    # Last year's entries: other titles, none repeating the demo call's.
    past_specs = demo_entry_specs(organisations, random.Random(PAST_ENTRY_SEED), count=PAST_ENTRY_COUNT,
                                  taken={s.title for s in specs})
    past_entries = session.exec(select(Entry).where(Entry.call_id == past.id)).all()
    assert sorted((organisations[s.organisation_index].id, s.title) for s in past_specs) == sorted(
        (e.organisation_id, e.title) for e in past_entries)
    assert not {e.title for e in past_entries} & {e.title for e in entries}

    # Last year's call: every phase over, every sheet in, its results published in its results phase.
    assert past.year == call.year - 1 and phase_state(past, now=now).status == "closed"
    assert (past.target_count, {q.quota for q in past.quotas}) == (120, {18})
    past_active = session.exec(select(Assignment).where(Assignment.call_id == past.id, Assignment.removed_at.is_(None))).all()
    past_sheets = {sheet.assignment_id: sheet for sheet in session.exec(
        select(ScoreSheet).join(Assignment, Assignment.id == ScoreSheet.assignment_id).where(Assignment.call_id == past.id))}
    assert Counter(a.round_no for a in past_active) == {1: 1360, 2: 1225}
    assert all(past_sheets[a.id].status == SheetStatus.SUBMITTED for a in past_active)
    review_window, results_window = past.phase_window(Phase.REVIEW), past.phase_window(Phase.RESULTS)
    assert all(review_window.starts_at <= sheet.submitted_at < review_window.ends_at for sheet in past_sheets.values())
    # The defence round: the shortlist drawn from the online round's draft, every session confirmed
    # before it began, every defence sheet opened no earlier than the first session's morning.
    rounds = session.exec(select(ReviewRound).where(ReviewRound.call_id == past.id).order_by(ReviewRound.number)).all()
    assert [(r.kind, r.weight) for r in rounds] == [("online", 40.0), ("defence", 60.0)]
    shortlisted = session.exec(select(ShortlistEntry).where(ShortlistEntry.call_id == past.id)).all()
    slots = session.exec(select(DefenceSlot).where(DefenceSlot.call_id == past.id)).all()
    assert len(shortlisted) == len(slots) == 176 and {s.entry_id for s in shortlisted} == {s.entry_id for s in slots}
    assert all(slot.confirmed_at < slot.starts_at and rounds[1].starts_at <= slot.starts_at < rounds[1].ends_at
               for slot in slots)
    online_last = max(sheet.submitted_at for sheet in past_sheets.values() if sheet.round_no == 1)
    assert all(online_last < sheet.opened_at for sheet in past_sheets.values() if sheet.round_no == 2)
    # Through a public notice: the proposed list in the results phase, the official list after the notice.
    official, proposed = published_runs(session, call=past)
    assert (official.id, official.list_kind, proposed.list_kind) == (snapshot.id, "official", "proposed")
    # The online round's draft stays, the record the shortlist was drawn from; the defence round's was published.
    online_draft = draft_run(session, call=past, round_no=1)
    assert draft_run(session, call=past, round_no=2) is None
    assert {s.from_run_id for s in shortlisted} == {online_draft.id}
    # Its certificates: one per entry of the official list, issued by the body named in the call, under its seal.
    issued = session.exec(select(Certificate).where(Certificate.call_id == past.id)).all()
    assert len(issued) == 120 and {c.issuer for c in issued} == {past.certificate_issuer} != {""}
    assert past.certificate_seal_key is not None
    assert snapshot.public_scores and snapshot.published_by_id == chair.id
    assert results_window.starts_at <= proposed.computed_at < proposed.published_at < results_window.ends_at
    published = session.exec(select(AuditEvent).where(AuditEvent.action == "results.published")).one()
    assert (published.occurred_at, published.actor_email, published.after["content_hash"]) == (
        proposed.published_at, "chair@demo.local", proposed.content_hash)
    notice = session.exec(select(Notice).where(Notice.call_id == past.id)).one()
    assert (notice.proposed_run_id, notice.official_run_id) == (proposed.id, official.id)
    assert notice.ends_at < official.published_at and verify(session, proposed)
    objections = session.exec(select(Objection).where(Objection.notice_id == notice.id)).all()
    assert sorted(o.status for o in objections) == ["dismissed", "dismissed", "upheld"]
    assert (official.summary["objections"]["upheld"], official.summary["objections"]["dismissed"]) == (1, 2)

    # Its selection: the target filled among the entries neither vetoed nor excluded, under the quotas.
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == snapshot.id)).all()
    ranked = {row.entry_id: row for row in rows}
    chosen = {row.entry_id for row in rows if row.selected}
    eligible = [row for row in rows if row.veto_status != "confirmed" and row.decision != "excluded_by_chair"]
    assert len(chosen) == min(past.target_count, len(eligible)) == snapshot.summary["selection"]["selected"] == 120
    assert all(count["selected"] <= count["quota"] for count in snapshot.summary["selection"]["domains"])
    assert snapshot.summary["selection"]["warnings"] == [] and snapshot.summary["counts"]["vetoes_pending"] == 0
    decisions = Counter(row.decision for row in rows)
    assert decisions["included_by_chair"] == decisions["excluded_by_chair"] == 1
    # Entries the defence round left behind are never selected; the confirmed veto excludes its entry.
    assert decisions["not_shortlisted"] == 272 - 176
    assert all(not row.selected for row in rows if row.veto_status == "confirmed" or not row.shortlisted)
    assert decisions["withdrawn_after_objection"] == 1
    assert decisions["quota_full"] > 0 and decisions["target_reached"] > 0
    assert all(row.chair_reason for row in rows if row.decision.endswith("_by_chair"))
    # Every ranked entry is selected or not; the others were found ineligible.
    assert set(ranked) == {e.id for e in past_entries if e.status != EntryStatus.INELIGIBLE}
    assert {e.id for e in past_entries if e.status == EntryStatus.SELECTED} == chosen
    assert {e.status for e in past_entries if e.id in ranked and e.id not in chosen} == {EntryStatus.NOT_SELECTED}
    # The chair's decisions, with reasons, before publishing.
    vetoes = session.exec(select(VetoDecision).where(VetoDecision.entry_id.in_(list(ranked)))).all()
    assert sorted(v.confirmed for v in vetoes) == [False] * 5 + [True] and all(v.reason for v in vetoes)
    overrides = session.exec(select(SelectionOverride).where(SelectionOverride.call_id == past.id)).all()
    assert sorted(o.include for o in overrides) == [False, True]
    assert all(results_window.starts_at <= d.decided_at < snapshot.published_at for d in vetoes)
    assert all(results_window.starts_at <= o.created_at < snapshot.published_at and o.reason for o in overrides)

    # The call in review: a draft ranking for the chair, nothing published.
    draft = draft_run(session, call=call)
    assert draft is not None and published_runs(session, call=call) == [] and draft.computed_by_id == chair.id
    assert session.exec(select(func.count()).where(ResultEntry.run_id == draft.id)).one() == 292
    assert draft.summary["counts"]["vetoes_pending"] == 3


def test_demo_review_is_under_way_with_a_realistic_spread(app, runner, session):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    now = utcnow()
    call = session.exec(select(Call).where(Call.name == DEMO_CALL_NAME)).one()
    review = call.phase_window(Phase.REVIEW)
    entries = {e.id: e for e in session.exec(select(Entry).where(Entry.call_id == call.id)).all()}
    in_review = {entry_id for entry_id, e in entries.items() if e.status in (EntryStatus.IN_REVIEW, EntryStatus.SCORED)}
    experts = {u.id: u for u in session.exec(select(User).where(User.email.like("expert%@demo.local"))).all()}
    profiles = {p.user_id: p for p in session.exec(select(ExpertProfile)).all()}

    # Eight panels, one per domain, of 7–9 experts led by one of them; some experts sit on two.
    panels = session.exec(select(Panel).where(Panel.call_id == call.id)).all()
    assert sorted(d for panel in panels for d in panel.domains) == sorted(d.value for d in Domain)
    assert all(len(panel.domains) == 1 and 7 <= len(panel.members) <= 9 for panel in panels)
    assert all(panel.leader_id in {m.user_id for m in panel.members} for panel in panels)
    seats = Counter(m.user_id for panel in panels for m in panel.members)
    assert set(seats) == set(experts) and set(seats.values()) == {1, 2}
    assert {panel.name for panel in panels} >= {"智能制造评审组", "智慧医疗评审组"}

    # Profiles with valid codes, and former employers within and beyond the three years.
    assert set(profiles) == set(experts)
    assert all(normalise_credit_code(p.affiliation_code) == p.affiliation_code for p in profiles.values())
    jobs = [job for p in profiles.values() for job in p.employments]
    assert all(normalise_credit_code(job.credit_code) == job.credit_code for job in jobs)
    assert {job.end_year >= call.year - 3 for job in jobs} == {True, False}

    # Rubrics frozen: the healthcare one for healthcare, the default one otherwise.
    rubrics = {row.domain: row for row in session.exec(select(CallRubric).where(CallRubric.call_id == call.id)).all()}
    assert {domain: row.rubric_key for domain, row in rubrics.items()} == {None: "default", Domain.HEALTHCARE: "healthcare"}
    versions = {v.id: v for v in session.exec(select(RubricVersion)).all()}
    assert all(row.rubric_version_id in versions for row in rubrics.values())

    # No assignment against a conflict of interest; automatic conflicts do occur among panel members.
    assignments = session.exec(select(Assignment).where(Assignment.call_id == call.id)).all()
    active = [a for a in assignments if a.removed_at is None]
    declared = session.exec(
        select(Conflict).where(Conflict.source == ConflictSource.DECLARED, Conflict.entry_id.in_(list(entries)))).all()
    assert len(declared) == 3 and all(c.reason for c in declared)
    assert {(c.entry_id, c.expert_id) for c in declared} == {(a.entry_id, a.expert_id) for a in assignments if a.removed_at}
    assert all(automatic_conflict(profiles[a.expert_id], entries[a.entry_id], year=call.year) is None for a in assignments)
    assert not {(a.entry_id, a.expert_id) for a in active} & {(c.entry_id, c.expert_id) for c in declared}
    panel_of = {panel.domains[0]: panel for panel in panels}
    conflicted = [
        (entry_id, m.user_id) for entry_id in in_review for m in panel_of[entries[entry_id].domain.value].members
        if automatic_conflict(profiles[m.user_id], entries[entry_id], year=call.year) is not None
    ]
    assert len(conflicted) > 30
    assert all(panel_of[entries[a.entry_id].domain.value].id == a.panel_id for a in active)
    assert {a.source for a in active} == {AssignmentSource.AUTOMATIC, AssignmentSource.TOP_UP}

    # Five experts per entry in review, unless the last run said it could not find them.
    per_entry = Counter(a.entry_id for a in active)
    report = last_run(session, call=call)
    assert report.top_up and report.infeasible == []
    assert {entry_id for entry_id in in_review if per_entry[entry_id] != 5} == {s.entry_id for s in report.infeasible}
    assert set(per_entry) == in_review

    # About 80% submitted, 10% drafts, 10% not opened.
    sheets = {sheet.assignment_id: sheet for sheet in session.exec(select(ScoreSheet).where(ScoreSheet.entry_id.in_(list(entries)))).all()}
    assert set(sheets) <= {a.id for a in active}
    statuses = Counter(sheets[a.id].status if a.id in sheets else None for a in active)
    assert 0.75 <= statuses[SheetStatus.SUBMITTED] / len(active) <= 0.85
    assert 0.06 <= statuses[SheetStatus.DRAFT] / len(active) <= 0.14
    assert 0.06 <= statuses[None] / len(active) <= 0.14

    # Every sheet as the services leave it: its domain's frozen rubric, one score per
    # criterion, the weighted total, answered vetoes, required comments, dates in the review.
    vetoed = 0
    for sheet in sheets.values():
        entry = entries[sheet.entry_id]
        assert sheet.rubric_version_id == rubrics.get(entry.domain, rubrics[None]).rubric_version_id
        rubric = versions[sheet.rubric_version_id].content
        scores = {row.criterion_key: row for row in sheet.scores}
        assert sorted(scores) == sorted(c["key"] for c in rubric["criteria"])
        assert review.starts_at <= sheet.opened_at <= sheet.updated_at < now
        for criterion in rubric["criteria"]:
            value = scores[criterion["key"]].score
            assert value is None or (0 <= value <= criterion["max_score"] and value * 2 == int(value * 2))
        if sheet.status == SheetStatus.SUBMITTED:
            assert sheet.total == weighted_total(rubric, {key: row.score for key, row in scores.items()})
            assert sheet.opened_at < sheet.submitted_at == sheet.updated_at and sheet.version == 3
            assert set(sheet.vetoes) == {veto["key"] for veto in rubric["vetoes"]}
            assert all(scores[c["key"]].comment for c in rubric["criteria"] if c["comment_required"])
            vetoed += sheet.vetoed
            assert not sheet.vetoed or sheet.comment
        else:
            assert sheet.total is None and sheet.submitted_at is None and sheet.vetoes == {}
            assert any(row.score is None for row in scores.values()) and any(row.score is not None for row in scores.values())
    assert vetoed == 3
    audit = Counter(session.exec(select(AuditEvent.action).where(
        AuditEvent.object_type == "score_sheets", AuditEvent.object_id.in_([sheet.id for sheet in sheets.values()]))).all())
    assert audit == {"sheet.opened": len(sheets), "sheet.autosaved": len(sheets), "sheet.submitted": statuses[SheetStatus.SUBMITTED]}

    # Lenient and harsh experts, and a few entries the experts disagree on.
    submitted = [sheet for sheet in sheets.values() if sheet.status == SheetStatus.SUBMITTED]
    totals = defaultdict(list)
    for sheet in submitted:
        totals[sheet.expert_id].append(sheet.total)
    means = [sum(values) / len(values) for values in totals.values()]
    assert max(means) - min(means) > 10
    spreads = defaultdict(list)
    for sheet in submitted:
        spreads[sheet.entry_id].append(sheet.total)
    spread = {entry_id: max(values) - min(values) for entry_id, values in spreads.items()}
    assert 5 <= sum(1 for value in spread.values() if value >= 25) <= 20

    # Deterministic: a sheet's content follows from the entry's title and the expert's address.
    titles = {entries[entry_id].title for entry_id in in_review}
    emails = {experts[a.expert_id].email for a in active}
    traits, merits = demo_sheets.expert_traits(emails), demo_sheets.entry_merits(titles)
    disputed = {entry_id for entry_id in in_review if merits[entries[entry_id].title].disputed}
    assert len(disputed) == 8 and all(spread[entry_id] >= 20 for entry_id in disputed)
    assert statistics.median(value for entry_id, value in spread.items() if entry_id not in disputed) < 15
    status_of = {(entries[a.entry_id].title, experts[a.expert_id].email): sheets[a.id].status if a.id in sheets else None
                 for a in active}
    sides = demo_sheets.camps(status_of)
    for sheet in sorted((s for s in submitted if not s.vetoed), key=lambda s: (entries[s.entry_id].title, experts[s.expert_id].email))[:20]:
        entry, email = entries[sheet.entry_id], experts[sheet.expert_id].email
        plan = demo_sheets.plan_sheet(
            versions[sheet.rubric_version_id].content, merit=merits[entry.title], traits=traits[email], email=email,
            status=SheetStatus.SUBMITTED, camp=sides[(entry.title, email)], metric=entry.outcomes[0].metric,
        )
        assert plan.total == sheet.total and plan.scores == {row.criterion_key: row.score for row in sheet.scores}
        assert plan.comment == sheet.comment


def test_demo_load_if_empty_leaves_a_used_database_alone(runner, session, make):
    make.chair()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already has data" in result.output
    assert session.exec(select(User).where(User.email == "chair@demo.local")).first() is None


def test_demo_logins_work_and_pages_open_on_the_call_in_review(client, runner, session):
    """Every demo role logs in. The expert's queue and the chair's review pages
    show the demo call in review, though the current call (banner, new
    entries) is the next one; the chair's results show its draft, and last
    year's published snapshot."""
    runner.invoke(args=["demo", "load"])
    call = session.exec(select(Call).where(Call.name == DEMO_CALL_NAME)).one()
    past = session.exec(select(Call).where(Call.year == call.year - 1)).one()
    draft, snapshot = draft_run(session, call=call), latest_published(session, call=past)
    client.set_cookie("lang", "en")
    response = client.post("/account/login", data={"email": "publicity@demo.local", "password": "demo-password"})
    assert response.status_code == 302
    client.post("/account/logout")
    client.post("/account/login", data={"email": "expert01@demo.local", "password": "demo-password"})
    page = client.get("/review/").get_data(as_text=True)
    assert f'<h2 class="h5 card-title">{DEMO_CALL_NAME}</h2>' in page
    assert 'data-state="submitted"' in page and 'data-state="draft"' in page
    client.post("/account/logout")
    client.post("/account/login", data={"email": "chair@demo.local", "password": "demo-password"})
    for path in ("/review/manage/", "/review/assign/"):
        assert f'<option value="{call.id}" selected>' in client.get(path).get_data(as_text=True), path
    progress = client.get(f"/review/manage/calls/{call.id}/progress").get_data(as_text=True)
    assert "expert01@demo.local" in progress or "张晓东" in progress
    results = client.get("/results/").get_data(as_text=True)
    assert f'href="/results/runs/{draft.id}"' in results and "No snapshot of this call has been published yet." in results
    assert snapshot.content_hash in client.get(f"/results/?call={past.id}").get_data(as_text=True)
    first = session.exec(select(ResultEntry.title).where(ResultEntry.run_id == snapshot.id, ResultEntry.rank == 1)).one()
    assert first in client.get(f"/results/runs/{snapshot.id}").get_data(as_text=True)
    client.post("/account/logout")
    client.post("/account/login", data={"email": "applicant01@demo.local", "password": "demo-password"})
    assert "2027年人工智能应用场景征集（第二批）" in client.get("/entries/").get_data(as_text=True)


@pytest.mark.parametrize(("password", "message"), [
    ("123", "请至少输入12个字符。"),
    ("password1234", "请至少使用以下四类字符中的3类"),
    ("Password-2024!", "常见密码"),
    ("Weak.Person-2026", "不得包含您的邮箱地址"),
])
def test_users_create_enforces_the_password_rules(runner, session, password, message):
    result = runner.invoke(args=["users", "create", "weak.person@example.com", "--role", "chair", "--password", password])
    assert result.exit_code == 1
    assert message in result.output
    assert session.exec(select(User).where(User.email == "weak.person@example.com")).first() is None


def test_demo_load_refuses_production(app, runner, session):
    app.config["SHOWCASE_ENV"] = "production"
    try:
        result = runner.invoke(args=["demo", "load"])
    finally:
        app.config["SHOWCASE_ENV"] = "testing"
    assert result.exit_code == 1 and "never loaded in production" in result.output
    assert session.exec(select(User)).all() == []
