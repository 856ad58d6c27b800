"""``kill -9`` of ``flask worker`` in the middle of a brochure build: the next
worker to start ends the build as failed with the reason, the file it was
writing is deleted (no partial PDF is ever served), the last good brochure
stays downloadable, and new builds run. On PostgreSQL with the queue in
Redis, and on SQLite with the SQLite queue."""
import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.stack.browser import alert
from tests.stack.world import PASSWORD

pytestmark = pytest.mark.stack


@contextmanager
def build_held(stack, brochure_id: int):
    """Hold the build's row (PostgreSQL) or the database's write lock
    (SQLite): the build can write neither progress nor its end, so it is
    certainly unfinished while this lasts."""
    if stack.database_url.startswith("sqlite"):
        connection = sqlite3.connect(stack.database_url.removeprefix("sqlite:///"), isolation_level=None, timeout=60)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with stack.engine.connect() as connection:
        connection.execute(sa.text("SELECT id FROM brochures WHERE id = :id FOR UPDATE"), {"id": brochure_id})
        yield
        connection.rollback()


def start_build(stack, browser, call_id: int, **fields) -> int:
    browser.get(f"/brochure/?call={call_id}")
    response = browser.submit(f"/brochure/calls/{call_id}/build", **fields)
    assert response.status_code == 302, alert(response.text) + stack.logs()
    return stack.rows("SELECT max(id) FROM brochures WHERE call_id = :call", call=call_id)[0][0]


def finished(stack, browser, call_id: int) -> dict:
    status = stack.wait_until(
        lambda: (payload := browser.get(f"/brochure/calls/{call_id}/status").json())["status"] in ("done", "failed")
        and payload, "the brochure build to end")
    assert status["status"] == "done", f"{status['error']}\n{stack.logs()}"
    return status


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_a_build_whose_worker_was_killed_fails_and_the_last_good_brochure_stays(make_stack, database):
    stack = make_stack(database=database)
    stack.serve(workers=2)
    first_worker = stack.start_worker()
    publicity = stack.browser()
    publicity.login(stack.world.publicity.email, PASSWORD)
    call_id = stack.world.brochure_call_id

    start_build(stack, publicity, call_id)
    good = finished(stack, publicity, call_id)
    good_pdf = publicity.get(good["download"]["url"]).content
    assert good_pdf.startswith(b"%PDF")

    # A print build (every part rendered anew) is killed while it runs.
    killed = start_build(stack, publicity, call_id, profile="print")
    stack.wait_until(lambda: stack.rows("SELECT status FROM brochures WHERE id = :id", id=killed)[0][0] != "queued",
                     "the worker to claim the build")
    with build_held(stack, killed):
        assert stack.rows("SELECT status FROM brochures WHERE id = :id", id=killed) == [("running",)], stack.logs()
        first_worker.kill()
    assert stack.rows("SELECT status FROM brochures WHERE id = :id", id=killed) == [("running",)]

    # The next worker ends it before it takes jobs (READY=1 comes after).
    stack.start_worker()
    status, error, file_key = stack.rows("SELECT status, error, file_key FROM brochures WHERE id = :id", id=killed)[0]
    assert (status, file_key) == ("failed", None)
    assert error == "生成过程被中断（后台任务进程已停止），本次生成已放弃。"
    assert not list((stack.folder / "brochures").glob(f"call-{call_id}/brochure-{killed}-*")), "a partial file is left"
    assert stack.rows("SELECT count(*) FROM audit_events WHERE action = 'brochure.abandoned' AND object_id = :id",
                      id=killed) == [(1,)]

    page = publicity.get(f"/brochure/calls/{call_id}/status").json()
    assert (page["status"], page["error"], page["file_url"]) == ("failed", error, None)
    assert page["download"]["id"] == good["id"]
    assert publicity.get(page["download"]["url"]).content == good_pdf
    assert publicity.get(f"/brochure/calls/{call_id}/builds/{killed}/download").status_code == 404

    # The call is not blocked: a new build runs on the new worker.
    start_build(stack, publicity, call_id, title="重新构建的案例集")
    rebuilt = finished(stack, publicity, call_id)
    assert publicity.get(rebuilt["download"]["url"]).content.startswith(b"%PDF")
