"""The chair builds a defence schedule (fills a room, is refused a clash,
downloads the printable schedule) and the applicant confirms their session
on the dashboard; the chair then sees who confirmed. In the room, an expert
scores on a tablet: touch targets of 44 px, the total and buttons in view."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.db import utcnow
from app.enums import Domain, EntryStatus, Phase, SheetStatus
from tests.e2e.test_browser_entry import log_in
from tests.e2e.test_browser_library import assert_accessible
from tests.factories import Factories

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def defence(live_server):
    """A call in review with a defence round shortlisting three entries of two
    organisations; an applicant of the first, and a chair."""
    app = live_server.app
    with app.app_context(), app.test_request_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        call = make.call(open_phase=Phase.REVIEW, name="2026年人工智能应用场景征集（复评）")
        make.defence_round(call=call, name="现场答辩")
        first, second = make.organisation(name="甲科技有限公司"), make.organisation(name="乙智能有限公司")
        entries = [
            make.entry(call=call, organisation=first, status=EntryStatus.SCORED, title="智能质检产线",
                       domain=Domain.MANUFACTURING),
            make.entry(call=call, organisation=second, status=EntryStatus.SCORED, title="远程会诊平台",
                       domain=Domain.HEALTHCARE),
            make.entry(call=call, organisation=second, status=EntryStatus.SCORED, title="城市大脑",
                       domain=Domain.CITY),
        ]
        make.shortlist(call=call, entries=entries)
        applicant = make.applicant(first, email="defence.applicant@example.com", name="张三")
        chair = make.chair(email="defence.chair@example.com", name="王组长")
        tomorrow = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo(app.config["TIMEZONE"]))
        data = {"applicant": applicant.email, "chair": chair.email, "call": call.id,
                "start": tomorrow.replace(hour=9, minute=0).strftime("%Y-%m-%dT%H:%M"),
                "clash": tomorrow.replace(hour=9, minute=10).strftime("%Y-%m-%dT%H:%M")}
        session.close()
    return data


def test_chair_builds_a_schedule_and_the_applicant_confirms(live_server, new_page, defence):
    chair = new_page()
    log_in(chair, live_server.url, defence["chair"])
    chair.goto(f"{live_server.url}/review/defence/?call={defence['call']}")
    chair.get_by_role("link", name="现场答辩").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("答辩日程：现场答辩")

    # Fill a room: three consecutive sessions of 20 minutes, 10 minutes apart.
    form = chair.locator("#fill-form")
    form.get_by_label("会议室").fill("第一会议室")
    form.get_by_label("开始时间").fill(defence["start"])
    form.get_by_label("时长（分钟）").fill("20")
    form.get_by_label("场次间隔（分钟）").fill("10")
    form.get_by_role("button", name="连续排场").click()
    expect(chair.locator(".alert-success")).to_contain_text("已安排 3 场答辩。")
    expect(chair.locator(".schedule-counts")).to_have_text("入围的 3 个申报中已有 3 个安排了答辩，0 个已确认。")
    rows = chair.locator("table.defence-schedule tbody tr")
    expect(rows.nth(0)).to_contain_text("智能质检产线")
    expect(rows.nth(0)).to_contain_text("09:00")
    expect(rows.nth(1)).to_contain_text("09:30")
    assert_accessible(chair)

    # Moving the second session onto the first one's time in the same room is refused, nothing changes.
    rows.nth(1).get_by_role("link", name="修改安排").click()
    chair.get_by_label("开始时间").fill(defence["clash"])
    chair.get_by_role("button", name="保存答辩安排").click()
    expect(chair.locator(".alert-danger")).to_contain_text("会议室 第一会议室 在")
    expect(chair.locator(".alert-danger")).to_contain_text("已安排“智能质检产线”答辩")
    chair.get_by_role("link", name="取消").click()
    expect(chair.locator("table.defence-schedule tbody tr").nth(1)).to_contain_text("09:30")

    # The printable schedule of the room.
    with chair.expect_download() as download:
        chair.locator(".schedule-exports li", has_text="第一会议室").get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename.endswith("第一会议室.pdf")

    # The applicant confirms on the dashboard.
    applicant = new_page()
    log_in(applicant, live_server.url, defence["applicant"])
    card = applicant.locator(".defence-slots")
    expect(card).to_contain_text("智能质检产线")
    expect(card).to_contain_text("第一会议室")
    expect(applicant.locator('.todo-list[data-role="applicant"]')).to_contain_text("请确认答辩安排")
    assert_accessible(applicant)
    card.get_by_role("button", name="确认参加").click()
    expect(applicant.locator(".alert-success")).to_contain_text("谢谢，已确认参加答辩。")
    expect(applicant.locator(".defence-slots .slot-confirmed")).to_contain_text("确认参加")
    expect(applicant.locator(".defence-slots")).not_to_contain_text("远程会诊平台")  # another organisation's

    chair.reload()
    expect(chair.locator("table.defence-schedule tbody tr").nth(0).locator(".confirmed-cell")).to_contain_text("张三 已确认")


@pytest.fixture(scope="module")
def tablet_expert(live_server):
    """An expert with a draft sheet (rubric: one criterion, two vetoes) on an entry in review."""
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        call = make.call(open_phase=Phase.REVIEW, name="2026年人工智能应用场景征集（答辩评分）")
        entry = make.entry(call=call, status=EntryStatus.IN_REVIEW, title="港口无人集卡智能调度")
        expert = make.expert(email="tablet.expert@example.com", name="李教授")
        make.assignment(entry=entry, expert=expert, sheet=SheetStatus.DRAFT)
        email = expert.email
        session.close()
    return email


def _box(locator) -> dict:
    return locator.bounding_box()


@pytest.mark.parametrize("size", [(768, 1024), (1024, 768)], ids=["portrait", "landscape"])
def test_an_expert_scores_on_a_tablet(live_server, browser, tablet_expert, size):
    width, height = size
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height}, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, live_server.url, tablet_expert)
        page.goto(live_server.url + "/review/")
        button = page.locator(".review-queue a.btn").first
        assert _box(button)["height"] >= 44
        button.click()
        page.wait_for_url(re.compile(r"/review/sheets/\d+$"))
        if width < 992:  # the entry comes first: a way straight to the scores
            page.get_by_role("link", name="前往评分").click()
            expect(page.locator("#scores-title")).to_be_in_viewport()
        page.locator("input.score-input").first.fill("80")
        # The total and the buttons stay in view while scoring, the targets are large enough to touch.
        actions = page.locator(".sheet-actions")
        expect(actions.locator("#sheet-total")).to_have_text("80")
        expect(actions).to_be_in_viewport(ratio=1)
        for target in (*page.locator(".vetoes .form-check-label").all(), *actions.locator(".btn").all()):
            assert _box(target)["height"] >= 44
        page.locator(".vetoes .form-check-label").first.tap()
        expect(page.locator(".vetoes input[type=radio]").first).to_be_checked()
    finally:
        context.close()


def test_the_desktop_sheet_is_unchanged(live_server, new_page, tablet_expert):
    page = new_page()
    log_in(page, live_server.url, tablet_expert)
    page.goto(live_server.url + "/review/")
    page.locator(".review-queue a.btn").first.click()
    page.wait_for_url(re.compile(r"/review/sheets/\d+$"))
    expect(page.get_by_role("link", name="前往评分")).to_be_hidden()
    assert page.locator(".sheet-actions").evaluate("element => getComputedStyle(element).position") == "static"
