"""``kill -9`` of a gunicorn worker while score sheets are being submitted:
every sheet is either submitted with all its scores or still a draft with
its autosaved scores, never half-written (PostgreSQL).

To kill the worker in the middle of a submit's transaction — after it wrote
the scores, before it committed — the test holds a SHARE lock on the audit
table: each submit updates the sheet and its scores, then waits to insert
its audit row. Once every gunicorn worker waits there (pg_stat_activity),
one is killed and the lock released. (On SQLite a writing request holds the
database's lock from its first statement, so no outside lock can stop one
half-way; SQLite's journal makes the same promise.)"""
import os
import signal
import threading

import pytest
import requests

from tests.stack.processes import gunicorn_workers
from tests.stack.world import CRITERIA, PASSWORD

pytestmark = pytest.mark.stack

AUTOSAVED = {"technology": 50.0, "integration": 50.0, "outcomes": 50.0}
SUBMITTED = {"technology": 90.0, "integration": 80.0, "outcomes": 70.0}  # weighted 40/30/30: 81


def fields(form_fields: dict, scores: dict) -> dict:
    return form_fields | {f"score-{key}": f"{scores[key]:g}" for key in CRITERIA} | {"veto-data_breach": "no"}


def test_a_killed_gunicorn_worker_leaves_every_sheet_whole(make_stack):
    stack = make_stack(experts=6, library=False)
    gunicorn = stack.serve(workers=3)
    experts = []
    for person in stack.world.experts:
        browser = stack.browser()
        browser.login(person.email, PASSWORD)
        sheet_id = stack.world.sheet_ids[person.email]
        browser.get(f"/review/sheets/{sheet_id}")
        form = browser.form(f"/review/sheets/{sheet_id}").fields
        saved = browser.post(f"/review/sheets/{sheet_id}/autosave", fields(form, AUTOSAVED),
                             headers={"Accept": "application/json"})
        assert saved.json()["ok"], saved.text
        experts.append((browser, sheet_id, form | {"version": str(saved.json()["version"])}))

    outcomes: dict[int, object] = {}

    def submit(browser, sheet_id, form):
        try:
            outcomes[sheet_id] = browser.post(f"/review/sheets/{sheet_id}/submit", fields(form, SUBMITTED)).status_code
        except requests.ConnectionError as error:
            outcomes[sheet_id] = error

    with stack.engine.connect() as holder:
        holder.exec_driver_sql("LOCK TABLE audit_events IN SHARE MODE")
        threads = [threading.Thread(target=submit, args=expert) for expert in experts]
        for thread in threads:
            thread.start()
        stack.wait_until(lambda: stack.rows(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )[0][0] == 3, "three submits (one per worker) waiting half-way")
        victim = gunicorn_workers(gunicorn.pid)[0]
        os.kill(victim, signal.SIGKILL)
        holder.rollback()
    for thread in threads:
        thread.join()

    cut = [sheet_id for sheet_id, outcome in outcomes.items() if isinstance(outcome, Exception)]
    assert len(cut) == 1, outcomes
    assert sorted(outcome for outcome in outcomes.values() if not isinstance(outcome, Exception)) == [302] * 5

    def sheet(sheet_id):
        (status, total), = stack.rows("SELECT status, total FROM score_sheets WHERE id = :id", id=sheet_id)
        scores = dict(stack.rows("SELECT criterion_key, score FROM scores WHERE sheet_id = :id", id=sheet_id))
        return status, total, scores

    for _browser, sheet_id, _form in experts:
        expected = ("draft", None, AUTOSAVED) if sheet_id in cut else ("submitted", 81.0, SUBMITTED)
        assert sheet(sheet_id) == expected, f"sheet {sheet_id}\n{stack.logs()}"
    assert stack.rows("SELECT count(*) FROM audit_events WHERE action = 'sheet.submitted'") == [(5,)]

    # The master replaced the worker; the expert whose submit was cut sends it again.
    stack.wait_until(lambda: len(gunicorn_workers(gunicorn.pid)) == 3 and victim not in gunicorn_workers(gunicorn.pid),
                     "gunicorn to replace the killed worker")
    browser, sheet_id, form = next(expert for expert in experts if expert[1] in cut)
    assert browser.post(f"/review/sheets/{sheet_id}/submit", fields(form, SUBMITTED)).status_code == 302
    assert sheet(sheet_id) == ("submitted", 81.0, SUBMITTED)
