"""PostgreSQL restarted under load (an own instance): while it is down every
request fails cleanly — a translated 503 page, or JSON for the autosave
script, never a 500 or a traceback — and afterwards the app recovers by
itself (the pool's pre-ping drops the dead connections), with no submitted
sheet lost."""
import threading

import pytest
import requests

from tests.stack.world import CRITERIA, PASSWORD

pytestmark = pytest.mark.stack

SCORES = {"technology": 60, "integration": 70, "outcomes": 80}  # weighted 40/30/30: 69
MESSAGE = "服务暂时无法连接数据库。您之前保存的内容不会丢失，请一分钟后再试。"


def test_requests_fail_cleanly_while_postgresql_restarts_and_recover_after(make_stack):
    stack = make_stack(experts=3, library=False)
    stack.serve(workers=2)
    experts = []
    for person in stack.world.experts:
        browser = stack.browser()
        browser.login(person.email, PASSWORD)
        sheet_id = stack.world.sheet_ids[person.email]
        browser.get(f"/review/sheets/{sheet_id}")
        form = browser.form(f"/review/sheets/{sheet_id}").fields | {f"score-{k}": str(SCORES[k]) for k in CRITERIA}
        experts.append((browser, sheet_id, form | {"veto-data_breach": "no"}))
    first, second, reader = experts
    assert first[0].post(f"/review/sheets/{first[1]}/submit", first[2]).status_code == 302

    # Load: one expert keeps reading her sheet through the outage.
    statuses, stop = [], threading.Event()

    def read_sheet():
        while not stop.is_set():
            try:
                statuses.append(reader[0].get(f"/review/sheets/{reader[1]}").status_code)
            except requests.ConnectionError as error:
                statuses.append(error)

    load = threading.Thread(target=read_sheet)
    load.start()
    try:
        stack.wait_until(lambda: len(statuses) >= 3, "the first reads")
        stack.postgres.stop("fast")

        page = second[0].get(f"/review/sheets/{second[1]}")
        assert page.status_code == 503, page.text[:2000]
        assert MESSAGE in page.text and "Traceback" not in page.text
        assert page.headers["Retry-After"] == "30"
        autosave = second[0].post(f"/review/sheets/{second[1]}/autosave", second[2],
                                  headers={"Accept": "application/json"})
        assert (autosave.status_code, autosave.json()["ok"], autosave.json()["message"]) == (503, False, MESSAGE)
        refused = second[0].post(f"/review/sheets/{second[1]}/submit", second[2])
        assert refused.status_code == 503 and MESSAGE in refused.text
        second[0].session.cookies.set("lang", "en")
        assert "cannot reach its database" in second[0].get(f"/review/sheets/{second[1]}").text
        second[0].session.cookies.set("lang", "zh")
        stack.wait_until(lambda: 503 in statuses, "the reader to see the outage")

        stack.postgres.start()
        stack.wait_until(lambda: statuses[-1] == 200, "the reader to be served again")
    finally:
        stop.set()
        load.join()

    assert set(statuses) <= {200, 503}, f"{statuses}\n{stack.logs()}"
    # The sheet submitted before the outage is there; the refused one goes through now.
    assert second[0].post(f"/review/sheets/{second[1]}/submit", second[2]).status_code == 302
    assert stack.rows("SELECT id, status, total FROM score_sheets WHERE id IN (:a, :b) ORDER BY id",
                      a=first[1], b=second[1]) == sorted([(first[1], "submitted", 69.0), (second[1], "submitted", 69.0)])
    access = (stack.folder / "gunicorn-access.log").read_text()
    assert " 500 " not in access, access
    assert "Traceback" not in (stack.folder / "gunicorn.log").read_text(), stack.logs()
