"""An expert opens the queue, declares no conflict, scores an entry (the
weighted total follows the typing), autosaves, reloads, and submits."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.enums import AssignmentSource, EntryStatus, Phase, SheetStatus
from app.models import ScoreSheet
from app.review.rubrics.files import check_file
from app.review.sheets.scoring import weighted_total
from tests.e2e.test_browser_entry import log_in
from tests.factories import Factories

pytestmark = pytest.mark.browser


@pytest.fixture
def expert_email(live_server):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        call = make.call(open_phase=Phase.REVIEW, name="2026年人工智能应用场景征集（评审）")
        entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, title="港口无人集卡智能调度")
        expert = make.expert(email="zhang.expert@province.example.gov.cn", name="张教授")
        make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)
        email = expert.email
        session.close()
    return email


def sheet_in_database(live_server) -> ScoreSheet:
    with live_server.app.app_context():
        session = live_server.app.extensions["db"].sessionmaker()
        sheet = session.exec(select(ScoreSheet)).one()
        session.close()
        return sheet


def shown(number: float) -> str:
    """A number as the page shows it (no trailing zeros)."""
    return f"{number:g}"


def test_expert_scores_and_submits(live_server, new_page, expert_email):
    url = live_server.url
    rubric = check_file(Path(live_server.app.config["RUBRICS_FOLDER"]) / "default.yaml")
    keys = [criterion["key"] for criterion in rubric["criteria"]]
    scores = {key: [85, 90, 77.5, 70, 75, 88.5, 60, 95][index % 8] for index, key in enumerate(keys)}

    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, url, expert_email)
    page.get_by_role("navigation", name="主导航").locator('a[href="/review/"]').click()
    page.wait_for_url(url + "/review/")
    expect(page.locator(".review-queue")).to_contain_text("港口无人集卡智能调度")
    page.locator(".review-queue a.btn").first.click()

    # The conflict declaration comes first.
    page.wait_for_url(re.compile(r"/review/assignments/\d+$"))
    page.locator("#confirm").check()
    page.locator("form[action$='/no-conflict'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/review/sheets/\d+$"))
    sheet_url = page.url

    # The weighted total follows the typing.
    total = page.locator("#sheet-total")
    expect(total).to_have_text("—")
    first = keys[0]
    page.locator(f"#score-{first}").fill(str(scores[first]))
    expect(total).to_have_text(shown(weighted_total({"criteria": rubric["criteria"][:1]}, {first: scores[first]})))
    for key in keys[1:]:
        page.locator(f"#score-{key}").fill(str(scores[key]))
    expected = weighted_total(rubric, scores)
    expect(total).to_have_text(shown(expected))
    for criterion in rubric["criteria"]:
        if criterion.get("comment_required"):
            page.locator(f"#comment-{criterion['key']}").fill("量化数据完整，有第三方检测报告。")
    for veto in rubric["vetoes"]:
        page.locator(f"#veto-{veto['key']}-no").check()
    page.locator("#comment").fill("场景成熟，推广价值高。")

    # The draft is saved while typing and is there after a reload.
    expect(page.locator(".autosave-status")).to_contain_text("已于", timeout=10_000)
    page.reload()
    for key in keys:
        expect(page.locator(f"#score-{key}")).to_have_value(shown(scores[key]))
    expect(page.locator("#comment")).to_have_value("场景成熟，推广价值高。")
    expect(total).to_have_text(shown(expected))
    assert sheet_in_database(live_server).status == SheetStatus.DRAFT

    # Submitting (after the confirm dialog) locks the sheet.
    page.locator("button.sheet-submit").click()
    page.wait_for_url(sheet_url)
    expect(page.locator(".sheet-locked")).to_be_visible()
    expect(page.locator("input.score-input")).to_have_count(0)
    expect(page.locator("#sheet-total")).to_have_text(shown(expected))
    sheet = sheet_in_database(live_server)
    assert (sheet.status, sheet.total) == (SheetStatus.SUBMITTED, expected)

    page.goto(url + "/review/")
    expect(page.locator('.review-queue tr[data-state="submitted"]')).to_have_count(1)
