"""The navigation and the ranking table at common widths (issue 16, item 1):
at 1280–1366 px the chair's bar grew to 80 px and broke every label mid-word
("工作/台", "征集批/次", "简体/中文"), and ranking headers wrapped ("排/名").
The bar stays one line at 1280, 1366 and 1440 px and collapses on a phone;
no menu label and no ranking header wraps; the staff pages sit in dropdowns."""
import re

import pytest
from playwright.sync_api import expect

from app.enums import Domain, Phase, Role
from tests.e2e.test_browser_accounts import shoot
from tests.e2e.test_browser_entry import log_in
from tests.e2e.test_browser_library import assert_accessible
from tests.factories import Factories

pytestmark = pytest.mark.browser

WIDTHS = (1280, 1366, 1440, 375)
ONE_LINE_BAR = 64  # px: Bootstrap's navbar with one row of links is 56


@pytest.fixture(scope="module")
def world(live_server):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        scored = make.scored_call(
            totals=[[88, 90, 86], [70, 72, 68], [93, 91, 95]],
            domains=[Domain.MANUFACTURING, Domain.HEALTHCARE, Domain.CITY],
            open_phase=Phase.RESULTS, name="2026年人工智能应用场景征集",
        )
        run = scored.compute(resamples=50)
        # The widest menu: a chair who also reviews.
        chair = make.staff(Role.CHAIR, Role.EXPERT, name="欧阳建国")
        found = {"chair": chair.email, "applicant": make.applicant().email,
                 "publicity": make.staff(Role.PUBLICITY).email, "run": run.id}
        session.close()
    return found


def _wrapped(page, selector: str) -> list[str]:
    """The texts of the visible ``selector`` elements that take more than one line."""
    # The text's boxes, one or more per line; Latin and Chinese glyphs on one
    # line may sit a pixel or two apart, a new line is at least half a font lower.
    return page.locator(selector).evaluate_all(
        """elements => elements.filter(element => element.offsetParent !== null).flatMap(element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            const tops = [...range.getClientRects()].filter(rect => rect.width > 0)
                .map(rect => rect.top).sort((a, b) => a - b);
            const gap = parseFloat(getComputedStyle(element).fontSize) / 2;
            const lines = tops.filter((top, index) => index === 0 || top - tops[index - 1] > gap).length;
            return lines > 1 ? [element.innerText.trim()] : [];
        })""")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_chairs_bar_stays_one_line_and_no_label_wraps(live_server, browser, world, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, world["chair"])

    bar = page.locator("nav.navbar").bounding_box()
    assert bar["height"] <= ONE_LINE_BAR, (width, bar)
    if width < 1200:  # collapsed: open the menu to see its labels
        page.get_by_role("button", name="菜单").click()
        expect(page.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    else:
        # Expanded, everything sits on the bar's one row, inside the window.
        for selector in (".navbar-brand", "#nav > ul > li", "#nav > form"):
            for box in (item.bounding_box() for item in page.locator(selector).all()):
                assert box["y"] + box["height"] <= bar["y"] + bar["height"] and box["x"] + box["width"] <= width
    assert _wrapped(page, ".navbar-brand, #nav .nav-link, #nav .btn") == []

    # The staff pages are grouped: 评审管理 opens onto the review steps.
    page.get_by_role("button", name="评审管理").click()
    group = page.locator(".dropdown-menu.show")
    expect(group.get_by_role("link")).to_have_text(["征集批次", "形式审查", "专家评审", "结果评定"])
    assert _wrapped(page, ".dropdown-menu.show .dropdown-item") == []
    assert_accessible(page)  # the open dropdown too
    shoot(page, "chair-navigation", width)
    group.get_by_role("link", name="结果评定").click()
    page.wait_for_url(f"{live_server.url}/results/**")
    expect(page.locator("#nav .dropdown-toggle.active")).to_have_text("评审管理")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_ranking_headers_never_break_inside_a_word(live_server, browser, world, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, world["chair"])
    page.goto(f"{live_server.url}/results/runs/{world['run']}")
    headers = page.locator("table thead th")
    expect(headers.first).to_be_visible()
    assert "排名" in headers.all_inner_texts()
    assert _wrapped(page, "table thead th") == []
    context.close()


@pytest.mark.parametrize("role", ["applicant", "publicity"])
@pytest.mark.parametrize("width", (1280, 375))
def test_other_roles_bars_stay_one_line_too(live_server, browser, world, role, width):
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, live_server.url, world[role])
    assert page.locator("nav.navbar").bounding_box()["height"] <= ONE_LINE_BAR
    if width < 1200:
        page.get_by_role("button", name="菜单").click()
        expect(page.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    assert _wrapped(page, ".navbar-brand, #nav .nav-link, #nav .btn") == []
    # Applicants and publicity staff have few links: no dropdown but their own menu.
    assert page.locator("#nav > ul.me-auto .dropdown-toggle").count() == 0
    context.close()
