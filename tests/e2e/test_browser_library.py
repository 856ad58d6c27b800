"""A visitor, not logged in, searches the public case library for "质检",
filters by 深圳, opens a scenario and downloads the CSV; the library pages
pass axe-core with no serious or critical violation, work from the keyboard
and fit a phone's screen."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.enums import Domain, Phase
from app.models import EntryOutcome
from tests.factories import Factories

pytestmark = pytest.mark.browser

TITLES = ["智能质检缺陷检测平台", "纺织面料智能质检系统", "基层医疗影像辅助诊断", "港口无人集卡智能调度"]


@pytest.fixture(scope="module")
def published(live_server):
    app = live_server.app
    with app.app_context(), app.test_request_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        scored = make.scored_call(
            totals=[[95, 94, 96], [90, 91, 89], [85, 86, 84], [80, 81, 79]],
            domains=[Domain.MANUFACTURING, Domain.MANUFACTURING, Domain.HEALTHCARE, Domain.MANUFACTURING],
            cities=["440300", "440100", "440300", "440300"], open_phase=Phase.RESULTS, target_count=4,
            name="2026年人工智能应用场景征集",
        )
        for index, entry in enumerate(scored.entries):
            entry.title = TITLES[index]
            entry.summary = ("基于视觉大模型的在线检测，缺陷检出率提升至99.5%，每年节约人工成本约600万元。" if index < 2
                             else "模型辅助决策，效率提升三倍。")
            entry.problem = "人工目检漏检率高。"
            entry.outcomes = [EntryOutcome(position=0, metric="缺陷检出率", before=92.0, after=99.5, unit="%")]
            session.add(entry)
        session.commit()
        scored.publish(public_scores=True)
        session.close()
    return TITLES


def assert_accessible(page):
    results = Axe().run(page)
    serious = [(violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
               for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_a_visitor_searches_filters_opens_and_downloads(live_server, new_page, published):
    page = new_page()
    page.goto(live_server.url + "/library/")
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)

    page.locator("#home-q").fill("质检")
    page.locator('form[role="search"] button[type="submit"]').click()
    expect(page.locator("#result-count")).to_contain_text("2")
    page.locator("#city").select_option("440300")
    page.locator('form[role="search"] button[type="submit"]').click()
    cards = page.locator("article.case-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(TITLES[0])
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.locator('a[href^="/library/data/cases.csv"]').click()
    with open(download_info.value.path(), "rb") as downloaded:
        content = downloaded.read()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert TITLES[0] in text and TITLES[1] not in text and TITLES[2] not in text  # the same filters

    # Keyboard: the scenario's link opens with Enter.
    page.locator("article.case-card a").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(TITLES[0])
    expect(page.locator("body")).to_contain_text("99.5")
    assert_accessible(page)


def test_the_library_fits_a_phone_and_starts_with_a_skip_link(live_server, browser, published):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        for path in ("/library/", "/library/cases?q=智能"):
            page.goto(live_server.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
            assert_accessible(page)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#content"
    finally:
        context.close()


def test_a_visitor_verifies_the_published_snapshot_on_a_phone(live_server, browser, published):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()

        def fits(path=None):
            if path:
                page.goto(live_server.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path or page.url, overflow)
            assert_accessible(page)

        fits("/library/cases")
        fits(page.locator("a.stretched-link").first.get_attribute("href"))  # a scenario, with its snapshot's hash
        expect(page.locator("body")).to_contain_text("入选依据为结果快照")
        fits("/library/data")
        href = page.locator('a[href$="/public.json"]').first.get_attribute("href")
        document = page.request.get(live_server.url + href).text()
        fits("/results/verify")
        page.locator("#document").fill(document)
        page.get_by_role("button", name="开始核验").click()
        expect(page.locator("#verify-result")).to_contain_text("完全一致")
        fits()  # the answer, with both 64-character hashes
    finally:
        context.close()
