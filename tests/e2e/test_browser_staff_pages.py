"""The entry wizard keeps no stale browser copy after a save; every page a
first-time user meets after logging in — dashboards, the entry wizard, the
score sheet, the formal check, results and the brochure page — passes
axe-core with no serious or critical violation; the wizard and the score
sheet fit a tablet (768 px) and a phone (375 px) without sideways scrolling."""
import re

import pytest
from playwright.sync_api import expect

from app.enums import EntryStatus, Phase, Role
from tests.e2e.test_browser_entry import log_in
from tests.e2e.test_browser_library import assert_accessible as _assert_accessible
from tests.factories import Factories

pytestmark = pytest.mark.browser

WIZARD_STEPS = ("basics", "solution", "outcomes", "media", "contacts", "review")
# The banner entry_form.js puts above a form whose browser copy differs from the server's.
RESTORE_BANNER = "form .alert-info[role=status]"


@pytest.fixture(scope="module")
def world(live_server):
    """An applicant's draft in a blind call taking entries; a call in its formal
    check with a submitted entry; a call in review whose expert has a sheet to
    score; a call in its results phase, computed and published (for results
    and the brochure page)."""
    app = live_server.app
    with app.app_context(), app.test_request_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        taking = make.call(open_phase=Phase.SUBMISSION, name="2027年人工智能应用场景征集", blind_review=True)
        applicant = make.applicant(email="li.applicant@example.com", name="李敏")
        draft = make.entry(call=taking, organisation=applicant.organisation, title="智慧港口集卡调度")
        checking = make.call(open_phase=Phase.FORMAL_CHECK, name="2026年人工智能应用场景征集（形式审查）")
        submitted = make.entry(call=checking, status=EntryStatus.SUBMITTED, title="基层医疗影像辅助诊断")
        reviewing = make.scored_call(totals=[[88, None]], open_phase=Phase.REVIEW, name="2026年人工智能应用场景征集（评审）")
        draft_sheet = reviewing.sheets[(reviewing.entries[0].id, reviewing.experts[1].id)]
        scored = make.scored_call(totals=[[88, 90, 86], [80, 82, 84], [75, 70, 72]], open_phase=Phase.RESULTS,
                                  name="2025年人工智能应用场景征集")
        run = scored.compute()
        scored.publish(run)
        publicity = make.staff(Role.PUBLICITY, email="lin.publicity@example.gov.cn", name="林敏")
        found = {
            "applicant": applicant.email, "entry": draft.id, "chair": scored.chair.email,
            "expert": reviewing.experts[1].email, "sheet": draft_sheet.id, "publicity": publicity.email,
            "checking": checking.id, "submitted": submitted.id, "scored": scored.call.id, "run": run.id,
        }
        session.close()
    return found


def assert_accessible(page):
    """No serious or critical axe-core violation on the page (named when one is found)."""
    try:
        _assert_accessible(page)
    except AssertionError as error:
        raise AssertionError(f"{page.url}: {error}") from None


def _fits(page) -> int:
    """How many pixels the page scrolls sideways (0 or less: none)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_saving_a_new_outcome_row_leaves_no_restore_banner(live_server, page, world):
    url = live_server.url
    log_in(page, url, world["applicant"])
    outcomes = url + f"/entries/{world['entry']}/edit/outcomes"
    page.goto(outcomes)
    rows = page.locator(".outcome-row")
    expect(rows).to_have_count(2)  # the saved row and an empty one
    new = rows.nth(1)
    new.get_by_label("指标").fill("单箱作业时间")
    new.get_by_label("实施前").fill("8")
    new.get_by_label("实施后").fill("5")
    new.get_by_label("单位").fill("分钟")
    page.get_by_role("button", name="保存", exact=True).click()

    # The same step comes back with the row saved and a new empty row: no banner.
    page.wait_for_url(outcomes)
    expect(rows).to_have_count(3)
    expect(rows.nth(1).get_by_label("指标")).to_have_value("单箱作业时间")
    expect(page.locator(RESTORE_BANNER)).to_have_count(0)
    page.reload()
    expect(rows).to_have_count(3)
    expect(page.locator(RESTORE_BANNER)).to_have_count(0)
    # Onwards and back: still none.
    page.get_by_role("button", name="保存并继续").click()
    page.wait_for_url(re.compile(r"/edit/media$"))
    page.goto(outcomes)
    expect(page.locator(RESTORE_BANNER)).to_have_count(0)

    # A row the autosave already saved, then "Save" (the server has nothing new): none either.
    third = rows.nth(2)
    third.get_by_label("指标").fill("岸桥利用率")
    third.get_by_label("实施前").fill("60")
    third.get_by_label("实施后").fill("75")
    third.get_by_label("单位").fill("%")
    expect(page.locator(".autosave-status")).to_contain_text("已于", timeout=10_000)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_url(outcomes)
    expect(rows).to_have_count(4)
    expect(rows.nth(2).get_by_label("指标")).to_have_value("岸桥利用率")
    expect(page.locator(RESTORE_BANNER)).to_have_count(0)

    # What is typed and not saved yet is still offered back after a reload
    # (the network is down: no autosave can reach the server, however long it takes).
    page.route("**/autosave/**", lambda route: route.abort())
    page.get_by_label("示范推广价值").fill("可推广至全省内河港口。")
    page.reload()
    expect(page.locator(RESTORE_BANNER)).to_contain_text("尚未保存")
    page.get_by_role("button", name="恢复").click()
    expect(page.get_by_label("示范推广价值")).to_have_value("可推广至全省内河港口。")


def test_applicant_pages_are_accessible_and_fit_a_tablet_and_a_phone(live_server, browser, world):
    url = live_server.url
    for width in (1280, 768, 375):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900}, is_mobile=width < 1000)
        try:
            page = context.new_page()
            log_in(page, url, world["applicant"])
            if width == 1280:
                assert_accessible(page)  # the first page after login
            for step in WIZARD_STEPS:
                page.goto(url + f"/entries/{world['entry']}/edit/{step}")
                expect(page.locator("nav ol.steps")).to_be_visible()
                assert _fits(page) <= 0, (width, step, _fits(page))
                if width == 1280 or step in ("basics", "outcomes"):
                    assert_accessible(page)
            # A blind call: the text steps say not to name the organisation.
            page.goto(url + f"/entries/{world['entry']}/edit/solution")
            expect(page.locator(".blind-notice")).to_contain_text("请勿在以下文字中写出本单位的全称")
        finally:
            context.close()


def test_the_score_sheet_is_accessible_and_fits_a_tablet_and_a_phone(live_server, browser, world):
    url = live_server.url
    for width in (1280, 768, 375):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900}, is_mobile=width < 1000)
        try:
            page = context.new_page()
            log_in(page, url, world["expert"])
            if width == 1280:
                assert_accessible(page)  # the expert's dashboard
            page.goto(url + f"/review/sheets/{world['sheet']}")
            expect(page.locator("#sheet-total")).to_be_visible()
            assert _fits(page) <= 0, (width, _fits(page))
            assert_accessible(page)
        finally:
            context.close()


def test_chair_and_publicity_pages_are_accessible(live_server, new_page, world):
    url = live_server.url
    chair = new_page()
    log_in(chair, url, world["chair"])
    assert_accessible(chair)  # the chair's dashboard
    pages = {
        "/check/?call={checking}": "基层医疗影像辅助诊断",
        "/check/entries/{submitted}/decision": "基层医疗影像辅助诊断",
        "/results/?call={scored}": "",
        "/results/runs/{run}": "场景001",
        "/brochure/?call={scored}": "",
    }
    for path, text in pages.items():
        response = chair.goto(url + path.format(**world))
        assert response.status == 200, path
        if text:
            expect(chair.locator("main")).to_contain_text(text)
        assert_accessible(chair)

    publicity = new_page()
    log_in(publicity, url, world["publicity"])
    assert_accessible(publicity)  # the publicity dashboard
    publicity.goto(url + "/brochure/?call={scored}".format(**world))
    expect(publicity.locator("main h1")).to_be_visible()
    assert_accessible(publicity)
