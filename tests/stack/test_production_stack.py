"""The production configuration as real processes — gunicorn with three
workers, ``flask worker`` on Redis, PostgreSQL, rate limits in Redis, mail
over SMTP — driven through HTTP as users would."""
import io
import threading

import pytest
from pypdf import PdfReader

from tests.stack.browser import alert
from tests.stack.processes import access_log_pids
from tests.stack.world import PASSWORD

pytestmark = pytest.mark.stack


def test_the_production_stack_serves_every_role(make_stack):
    stack = make_stack()
    stack.serve(workers=3)
    stack.start_worker()
    world = stack.world

    # An applicant submits an entry.
    applicant = stack.browser()
    applicant.login(world.applicant.email, PASSWORD)
    applicant.get(f"/entries/{world.entry_id}/edit/review")
    response = applicant.submit(f"/entries/{world.entry_id}/submit")
    assert response.status_code == 302, stack.logs()
    assert stack.rows("SELECT status FROM entries WHERE id = :id", id=world.entry_id) == [("submitted",)]

    # An expert scores and submits a sheet.
    expert = stack.browser()
    expert.login(world.experts[0].email, PASSWORD)
    sheet_id = world.sheet_ids[world.experts[0].email]
    expert.get(f"/review/sheets/{sheet_id}")
    fields = expert.form(f"/review/sheets/{sheet_id}").fields  # the button posts this form to …/submit
    response = expert.post(f"/review/sheets/{sheet_id}/submit", fields | {
        "score-technology": "80", "score-integration": "70", "score-outcomes": "90", "veto-data_breach": "no",
    })
    assert response.status_code == 302, alert(response.text) + stack.logs()
    assert stack.rows("SELECT status, total FROM score_sheets WHERE id = :id", id=sheet_id) == [("submitted", 80.0)]
    assert dict(stack.rows("SELECT criterion_key, score FROM scores WHERE sheet_id = :id", id=sheet_id)) == {
        "technology": 80.0, "integration": 70.0, "outcomes": 90.0}

    # Publicity starts a brochure build; the worker finishes it; the PDF downloads.
    publicity = stack.browser()
    publicity.login(world.publicity.email, PASSWORD)
    call_id = world.brochure_call_id
    publicity.get(f"/brochure/?call={call_id}")
    response = publicity.submit(f"/brochure/calls/{call_id}/build")
    assert response.status_code == 302, alert(response.text) + stack.logs()
    status = stack.wait_until(
        lambda: (payload := publicity.get(f"/brochure/calls/{call_id}/status").json())["status"] in ("done", "failed")
        and payload, "the brochure build to finish")
    assert status["status"] == "done", f"{status['error']}\n{stack.logs()}"
    pdf = publicity.get(status["download"]["url"])
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == status["pages"] > 5

    # A password reset mail reaches the SMTP server; its link opens the reset form.
    visitor = stack.browser()
    visitor.get("/account/password/forgot")
    assert visitor.submit("/account/password/forgot", email=world.applicant.email).status_code == 302
    # The applicant has other mail by now (the receipt of their entry): pick the reset mail by its link.
    mail = stack.wait_until(
        lambda: [m for m in stack.smtp.to(world.applicant.email)
                 if "/account/password/reset/" in m.get_body(("plain",)).get_content()],
        "the password reset mail",
    )[0]
    link = next(word for word in mail.get_body(("plain",)).get_content().split() if "/account/password/reset/" in word)
    assert link.startswith(stack.base_url)
    assert 'name="password"' in visitor.get(link).text


def test_login_rate_limits_hold_across_gunicorn_workers(make_stack):
    """LOGIN_LIMIT_PER_ACCOUNT_AND_IP attempts are let through, spread over the
    workers (each on a connection of its own), and the next one is refused:
    the counter is shared in Redis, not kept per process."""
    stack = make_stack(library=False, LOGIN_LIMIT_PER_ACCOUNT_AND_IP="6 per 15 minutes")
    stack.serve(workers=3)
    target = "nobody@example.com"

    def attempt() -> int:
        visitor = stack.browser(fresh_connections=True)
        visitor.get("/account/login")
        return visitor.submit("/account/login", email=target, password="wrong-password-1").status_code

    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(attempt())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 6, stack.logs()
    served_by = set(access_log_pids(stack.processes, path_prefix="/account/login"))
    assert len(served_by) >= 2, f"the attempts all reached one worker: {served_by}"

    assert attempt() == 429
    # Another account from the same address is not affected.
    other = stack.browser(fresh_connections=True)
    other.get("/account/login")
    assert other.submit("/account/login", email="someone@example.com", password="wrong-password-1").status_code == 200
