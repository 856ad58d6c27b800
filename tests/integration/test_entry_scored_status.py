"""An entry is "scored" once every active assignment has a submitted sheet,
and "in review" again when that stops being true: submits, reopened sheets,
experts added (by hand, as an extra expert, by a top-up) and removed,
declared conflicts; audited in the name of whoever caused it, no mail, a
fixed number of queries, safe against concurrent submits, and in the demo."""
import threading
import time
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlmodel import Session, select

from app import create_app
from app.db import utcnow, write_intent
from app.demo.services import DEMO_CALL_NAME
from app.entries.states import sync_scoring_status, transition
from app.enums import AssignmentSource, Domain, EntryStatus, Phase, SheetStatus
from app.errors import DomainError
from app.models import (
    Assignment,
    AuditEvent,
    Call,
    Entry,
    ScoreSheet,
    User,
)
from app.review.assignment import services as assignments
from app.review.sheets import services as sheets
from tests.conftest import make_test_config
from tests.databases import fresh_database
from tests.factories import PASSWORD, Factories, write_rubric

S = EntryStatus
SHEET_FORM = {"score-quality": "82.5", "veto-data_breach": "no", "comment": "整体较好"}


@pytest.fixture
def rubrics(rubric_folder):
    """This test's rubric folder, with the small rubric as the default rubric."""
    write_rubric(rubric_folder)


@pytest.fixture
def call(make, rubrics):
    return make.call(open_phase=Phase.REVIEW, experts_per_entry=2)


@pytest.fixture
def chair(make):
    return make.chair()


@pytest.fixture
def experts(make, call):
    """Three experts on the call's manufacturing panel."""
    experts = [make.expert(name=f"专家{n}") for n in range(3)]
    make.panel(call=call, name="智能制造组", domains=[Domain.MANUFACTURING], experts=experts)
    return experts


@pytest.fixture
def organisation(make):
    return make.organisation()


@pytest.fixture
def applicant(make, organisation):
    return make.applicant(organisation)


@pytest.fixture
def entry(make, call, organisation):
    return make.entry(call=call, organisation=organisation, status=S.IN_REVIEW, photos=0)


@pytest.fixture
def ctx(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


def submit(session, assignment, expert) -> ScoreSheet:
    """The expert opens, fills in and submits their sheet, through the services."""
    now = utcnow()
    sheet = sheets.declare_no_conflict_and_open(session, assignment=assignment, expert=expert, now=now)
    sheets.save_draft(session, sheet=sheet, expert=expert, now=now, version=sheet.version, scores={"quality": 82.5},
                      comments={}, comment="", vetoes={"data_breach": False})
    sheet = sheets.submit_sheet(session, sheet=sheet, expert=expert, now=now)
    session.commit()
    return sheet


def status(session, entry) -> EntryStatus:
    session.expire_all()
    return session.get(Entry, entry.id).status


def moves(session, entry) -> list[AuditEvent]:
    """The entry's scoring moves, oldest first."""
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.object_type == "entries", AuditEvent.object_id == entry.id,
               AuditEvent.action.in_(["entry.scored", "entry.review_resumed"]))
        .order_by(AuditEvent.id)
    ).all()


def scored_entry(make, entry, experts, count=2) -> list[Assignment]:
    """``entry`` with ``count`` experts who have all submitted: scored."""
    rows = [make.assignment(entry=entry, expert=expert) for expert in experts[:count]]
    for row, expert in zip(rows, experts, strict=False):
        submit(make.session, row, expert)
    assert status(make.session, entry) == S.SCORED
    return rows


def csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def log_in(client, user) -> None:
    token = csrf_token(client, "/account/login")
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


# --- submitting -------------------------------------------------------------------------------


def test_the_last_submitted_sheet_scores_the_entry(app, session, make, entry, experts, applicant, outbox, csrf):
    """Through the expert's pages, CSRF tokens and all: the first of two
    sheets leaves the entry in review, the second scores it."""
    first, second = (make.assignment(entry=entry, expert=expert) for expert in experts[:2])
    version = entry.version

    for number, (assignment, expert) in enumerate(((first, experts[0]), (second, experts[1])), start=1):
        client = app.test_client()
        log_in(client, expert)
        token = csrf_token(client, f"/review/assignments/{assignment.id}")
        response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y", "csrf_token": token})
        assert response.status_code == 302
        sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment.id)).one()
        token = csrf_token(client, f"/review/sheets/{sheet.id}")
        response = client.post(f"/review/sheets/{sheet.id}/submit", data={"csrf_token": token, "version": sheet.version, **SHEET_FORM})
        assert response.status_code == 302
        session.expire_all()
        assert session.get(ScoreSheet, sheet.id).status == SheetStatus.SUBMITTED
        if number == 1:
            assert status(session, entry) == S.IN_REVIEW and moves(session, entry) == []

    assert status(session, entry) == S.SCORED
    [event] = moves(session, entry)
    assert (event.action, event.actor_id, event.actor_email) == ("entry.scored", experts[1].id, experts[1].email)
    assert (event.before, event.after) == ({"status": "in_review"}, {"status": "scored", "assignments": 2, "submitted": 2})
    assert session.get(Entry, entry.id).version == version + 1
    assert outbox.messages == []  # the applicant is not told: the status page says it

    client = app.test_client()
    client.set_cookie("lang", "en")
    log_in(client, applicant)
    assert "Scored" in client.get(f"/entries/{entry.id}").get_data(as_text=True)


def test_a_sheet_that_is_not_the_last_leaves_the_entry_in_review(session, make, entry, experts, ctx):
    rows = [make.assignment(entry=entry, expert=expert) for expert in experts]
    submit(session, rows[0], experts[0])
    submit(session, rows[1], experts[1])
    sheets.declare_no_conflict_and_open(session, assignment=rows[2], expert=experts[2], now=utcnow())  # a draft
    session.commit()
    assert status(session, entry) == S.IN_REVIEW and moves(session, entry) == []


def test_submitting_twice_moves_the_entry_once(session, make, entry, experts, ctx):
    [row] = [make.assignment(entry=entry, expert=experts[0])]
    sheet = submit(session, row, experts[0])
    sheets.submit_sheet(session, sheet=sheet, expert=experts[0], now=utcnow())
    session.commit()
    assert status(session, entry) == S.SCORED and len(moves(session, entry)) == 1


# --- undoing it: reopening, adding experts -----------------------------------------------------


def test_reopening_a_sheet_puts_the_entry_back_in_review(client, login, session, make, entry, experts, chair, applicant, outbox, ctx):
    rows = scored_entry(make, entry, experts)
    sheet = session.exec(select(ScoreSheet).where(ScoreSheet.assignment_id == rows[0].id)).one()

    login(chair)
    response = client.post(f"/review/manage/sheets/{sheet.id}/reopen", data={"reason": "评语与分数不一致"})

    assert response.status_code == 302
    assert status(session, entry) == S.IN_REVIEW
    _scored, resumed = moves(session, entry)
    assert (resumed.action, resumed.actor_id) == ("entry.review_resumed", chair.id)
    assert (resumed.before, resumed.after) == ({"status": "scored"}, {"status": "in_review", "assignments": 2, "submitted": 1})
    assert [message["To"] for message in outbox.messages] == [experts[0].email]  # the expert, not the applicant

    # The expert submits again: scored again.
    sheets.submit_sheet(session, sheet=session.get(ScoreSheet, sheet.id), expert=experts[0], now=utcnow())
    session.commit()
    assert status(session, entry) == S.SCORED
    assert [event.action for event in moves(session, entry)] == ["entry.scored", "entry.review_resumed", "entry.scored"]


def test_a_chair_adding_an_expert_puts_a_scored_entry_back_in_review(client, login, session, make, entry, experts, chair, ctx):
    scored_entry(make, entry, experts)

    login(chair)
    response = client.post(f"/review/assign/entries/{entry.id}/add", data={"expert_id": str(experts[2].id), "reason": "需要第三位专家"})

    assert response.status_code == 302
    assert status(session, entry) == S.IN_REVIEW
    resumed = moves(session, entry)[-1]
    assert (resumed.action, resumed.actor_id, resumed.after["assignments"], resumed.after["submitted"]) == (
        "entry.review_resumed", chair.id, 3, 2)


def test_an_extra_expert_for_a_disputed_entry_puts_it_back_in_review(session, make, entry, experts, chair, ctx):
    scored_entry(make, entry, experts)

    assignment = assignments.add_assignment(session, entry=entry, expert=experts[2], actor=chair, reason="评分分歧较大",
                                            now=utcnow(), source=AssignmentSource.EXTRA)
    session.commit()

    assert assignment.source == AssignmentSource.EXTRA and status(session, entry) == S.IN_REVIEW
    added = session.exec(select(AuditEvent).where(AuditEvent.action == "assignment.added")).one()
    assert added.after["source"] == "extra"
    with pytest.raises(ValueError):
        assignments.add_assignment(session, entry=entry, expert=experts[2], actor=chair, reason="补充", now=utcnow(),
                                   source=AssignmentSource.TOP_UP)


def test_a_top_up_that_adds_an_expert_puts_a_scored_entry_back_in_review(session, make, call, entry, experts, chair, ctx):
    [row] = [make.assignment(entry=entry, expert=experts[0])]
    submit(session, row, experts[0])
    assert status(session, entry) == S.SCORED  # one expert of two, but all there is

    report = assignments.run_assignment(session, call=call, actor=chair, now=utcnow(), top_up=True)
    session.commit()

    assert report.pairs == 1 and report.moved_to_review == 0
    assert status(session, entry) == S.IN_REVIEW
    resumed = moves(session, entry)[-1]
    assert (resumed.action, resumed.actor_id) == ("entry.review_resumed", chair.id)
    # The history reads in order: the expert added, then review resumed.
    actions = [event.action for event in session.exec(
        select(AuditEvent).where(AuditEvent.object_type == "entries", AuditEvent.object_id == entry.id).order_by(AuditEvent.id))]
    assert actions[-2:] == ["assignment.added", "entry.review_resumed"]


# --- completing it: removals and conflicts ----------------------------------------------------


def test_removing_the_only_outstanding_assignment_scores_the_entry(client, login, session, make, entry, experts, chair, ctx):
    done, outstanding = make.assignment(entry=entry, expert=experts[0]), make.assignment(entry=entry, expert=experts[1])
    submit(session, done, experts[0])
    assert status(session, entry) == S.IN_REVIEW

    login(chair)
    prefix = f"remove-{outstanding.id}"
    response = client.post(f"/review/assign/assignments/{outstanding.id}/remove", data={f"{prefix}-reason": "专家无法按时完成"})

    assert response.status_code == 302
    assert status(session, entry) == S.SCORED
    [event] = moves(session, entry)
    assert (event.action, event.actor_id, event.after) == (
        "entry.scored", chair.id, {"status": "scored", "assignments": 1, "submitted": 1})


def test_a_conflict_declared_by_the_outstanding_expert_scores_the_entry(client, login, session, make, entry, experts, ctx):
    done, outstanding = make.assignment(entry=entry, expert=experts[0]), make.assignment(entry=entry, expert=experts[1])
    submit(session, done, experts[0])

    login(experts[1])
    response = client.post(f"/review/assignments/{outstanding.id}/conflict", data={"reason": "曾为该单位提供咨询"})

    assert response.status_code == 302
    assert status(session, entry) == S.SCORED
    [event] = moves(session, entry)
    assert (event.action, event.actor_id) == ("entry.scored", experts[1].id)


def test_an_entry_without_active_assignments_is_never_scored(session, make, call, entry, experts, chair, ctx):
    # No assignment at all.
    assert sync_scoring_status(session, entry_ids=[entry.id], actor=chair, now=utcnow()) == []
    # Its only expert declares a conflict: nobody is left to score it.
    [row] = [make.assignment(entry=entry, expert=experts[0])]
    sheets.declare_conflict(session, assignment=row, expert=experts[0], reason="亲属任职", now=utcnow())
    session.commit()
    assert status(session, entry) == S.IN_REVIEW and moves(session, entry) == []

    # A scored entry whose every expert is taken off is in review again.
    other = make.entry(call=call, status=S.IN_REVIEW, photos=0)
    [row] = scored_entry(make, other, experts[1:], count=1)
    assignments.remove_assignment(session, assignment=row, actor=chair, reason="评分无效", now=utcnow())
    session.commit()
    assert status(session, other) == S.IN_REVIEW
    assert moves(session, other)[-1].after == {"status": "in_review", "assignments": 0, "submitted": 0}


def test_the_moves_are_not_made_by_hand_and_other_statuses_stay(session, make, call, entry, experts, chair, ctx):
    with pytest.raises(DomainError):
        transition(session, entry=entry, target=S.SCORED, actor=chair, now=utcnow())
    scored_entry(make, entry, experts)
    with pytest.raises(DomainError):
        transition(session, entry=entry, target=S.IN_REVIEW, actor=chair, now=utcnow())

    selected = make.entry(call=call, status=S.SELECTED, photos=0)
    assert sync_scoring_status(session, entry_ids=[selected.id], actor=chair, now=utcnow()) == []
    assert status(session, selected) == S.SELECTED


# --- many entries at once ------------------------------------------------------------------------


def test_the_sync_runs_a_fixed_number_of_queries(app, session, make, call, experts, chair):
    version = make.rubric_version()

    def complete_entries(count):
        entries = [make.entry(call=call, status=S.IN_REVIEW, complete=False) for _ in range(count)]
        for entry in entries:
            for expert in experts[:2]:
                make.assignment(entry=entry, expert=expert, sheet=SheetStatus.SUBMITTED, version=version, total=80.0)
        unfinished = make.entry(call=call, status=S.IN_REVIEW, complete=False)
        make.assignment(entry=unfinished, expert=experts[0])
        session.commit()
        return [entry.id for entry in entries] + [unfinished.id]

    def statements(entry_ids):
        seen = []

        def _record(_conn, _cursor, statement, *_args):
            seen.append(statement.split()[0].upper())

        session.expire_all()
        session.refresh(chair)  # the request's user is loaded already
        engine = app.extensions["db"].engine
        sa.event.listen(engine, "before_cursor_execute", _record)
        try:
            with app.test_request_context():
                moved = sync_scoring_status(session, entry_ids=entry_ids, actor=chair, now=utcnow())
        finally:
            sa.event.remove(engine, "before_cursor_execute", _record)
        assert len(moved) == len(entry_ids) - 1
        return Counter(seen)

    few, many = statements(complete_entries(2)), statements(complete_entries(12))
    # Two reads whatever the number of entries (lock and load them, count
    # their sheets); then one versioned UPDATE and one audit row per move.
    assert few["SELECT"] == many["SELECT"] == 2
    assert many["UPDATE"] <= 12 and many["INSERT"] <= 12


# --- two experts submitting the last two sheets at once ------------------------------------------


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """An app on a database of its own: the threads need committed data."""
    tmp = tmp_path_factory.mktemp("scored-race")
    folder = write_rubric(tmp / "rubrics").parent
    with fresh_database(tmp) as url:
        app = create_app(make_test_config(url, tmp, RUBRICS_FOLDER=str(folder)))
        yield app
        app.extensions["db"].engine.dispose()


def test_concurrent_last_submits_score_the_entry(own_app):
    """The first submit holds its transaction open after counting the sheets
    (the other sheet, still a draft, is not complete); the second submit
    must wait for it and count both, or the entry would stay in review."""
    sessionmaker = own_app.extensions["db"].sessionmaker
    with own_app.app_context():
        session = Session(**sessionmaker.kw)  # arranging: a plain session, as the ``session`` fixture
        make = Factories(session, own_app)
        call = make.call(open_phase=Phase.REVIEW)
        entry = make.entry(call=call, status=S.IN_REVIEW, photos=0)
        experts = [make.expert() for _ in range(2)]
        ids = []
        for expert in experts:
            assignment = make.assignment(entry=entry, expert=expert)
            sheet = sheets.declare_no_conflict_and_open(session, assignment=assignment, expert=expert, now=utcnow())
            sheets.save_draft(session, sheet=sheet, expert=expert, now=utcnow(), version=None, scores={"quality": 70},
                              comments={}, comment="", vetoes={"data_breach": False})
            session.commit()
            ids.append((sheet.id, expert.id))
        entry_id = entry.id
        session.close()

    first_done, results = threading.Event(), {}

    def submit_one(index, *, hold=0.0):
        with own_app.app_context(), write_intent():
            session = sessionmaker()
            try:
                sheet_id, expert_id = ids[index]
                # The expert as the login loader gives it: with its roles.
                expert = session.get(User, expert_id, options=[joinedload(User.role_rows)])
                sheets.submit_sheet(session, sheet=session.get(ScoreSheet, sheet_id), expert=expert, now=utcnow())
                results[index] = session.get(Entry, entry_id).status
                first_done.set()
                time.sleep(hold)
                session.commit()
            finally:
                session.close()

    first = threading.Thread(target=submit_one, args=(0,), kwargs={"hold": 0.5})
    first.start()
    assert first_done.wait(timeout=30)
    second = threading.Thread(target=submit_one, args=(1,))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)

    assert results == {0: S.IN_REVIEW, 1: S.SCORED}
    with own_app.app_context():
        session = sessionmaker()
        assert session.get(Entry, entry_id).status == S.SCORED
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "entry.scored", AuditEvent.object_id == entry_id)).all()
        assert [event.actor_id for event in events] == [ids[1][1]]
        session.close()


# --- the demo ------------------------------------------------------------------------------------


def test_the_demo_scores_the_entries_whose_sheets_are_all_in(runner, session):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    call = session.exec(select(Call).where(Call.name == DEMO_CALL_NAME)).one()
    entries = {entry.id: entry for entry in session.exec(select(Entry).where(Entry.call_id == call.id)).all()}
    active = session.exec(select(Assignment).where(Assignment.call_id == call.id, Assignment.removed_at.is_(None))).all()
    sheets_of = {sheet.assignment_id: sheet for sheet in session.exec(select(ScoreSheet)).all()}
    last = defaultdict(list)  # entry id → its submitted sheets
    done = defaultdict(lambda: True)
    for assignment in active:
        sheet = sheets_of.get(assignment.id)
        done[assignment.entry_id] &= sheet is not None and sheet.status == SheetStatus.SUBMITTED
        if sheet is not None and sheet.status == SheetStatus.SUBMITTED:
            last[assignment.entry_id].append(sheet)
    scored = {entry_id for entry_id, entry in entries.items() if entry.status == S.SCORED}
    assert scored == {entry_id for entry_id, complete in done.items() if complete}
    assert 50 <= len(scored) <= 150
    assert {entries[entry_id].status for entry_id in done} - {S.SCORED} == {S.IN_REVIEW}

    # Each as the last submit left it: dated to that submit, in that expert's name.
    emails = dict(session.exec(select(User.id, User.email)).all())
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "entry.scored", AuditEvent.object_id.in_(list(entries)))
    ).all()
    assert sorted(event.object_id for event in events) == sorted(scored)
    for event in events:
        final = max(last[event.object_id], key=lambda sheet: sheet.submitted_at)
        assert (event.occurred_at, event.actor_id, event.actor_email) == (final.submitted_at, final.expert_id, emails[final.expert_id])
        assert entries[event.object_id].updated_at == final.submitted_at

    # Loading again changes nothing.
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert len(session.exec(
        select(AuditEvent).where(AuditEvent.action == "entry.scored", AuditEvent.object_id.in_(list(entries)))
    ).all()) == len(scored)
