"""The chair reads the reliability page on a phone: the verdict first, every
figure with its interval, no sideways scrolling, no serious axe violation."""
import pytest
from playwright.sync_api import expect

from app.results.compute import draft_run
from tests.e2e.test_browser_entry import log_in
from tests.e2e.test_browser_library import assert_accessible
from tests.factories import Factories
from tests.integration.test_results_reliability import TOTALS

pytestmark = pytest.mark.browser


@pytest.fixture
def computed(live_server):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        scored = make.scored_call(totals=TOTALS, name="2026年人工智能应用场景征集（信度）")
        scored.compute()
        found = {"chair": scored.chair.email, "run": draft_run(session, call=scored.call).id}
        session.close()
    return found


def test_the_reliability_page_fits_a_phone(live_server, browser, computed):
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        log_in(page, live_server.url, computed["chair"])
        page.goto(live_server.url + f"/results/runs/{computed['run']}/reliability")
        first_card = page.locator("section.card").first
        expect(first_card.locator("p strong")).to_have_text("平均分的信度：良好至优秀。")
        expect(first_card.locator("tbody")).to_contain_text("专家（评分宽严）")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, overflow
        assert_accessible(page)
    finally:
        context.close()
