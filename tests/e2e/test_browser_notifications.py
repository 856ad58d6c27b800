"""The bell: an applicant sees its unread count go up when the chair returns
their entry, opens the list (no serious accessibility violation), follows
the notification to the entry, and the bell is quiet again."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from app.db import utcnow
from app.enums import EntryStatus, Phase
from app.models import OutgoingMail
from tests.e2e.test_browser_entry import log_in
from tests.factories import Factories

pytestmark = pytest.mark.browser


@pytest.fixture
def people(live_server):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        call = make.call(open_phase=Phase.FORMAL_CHECK, name="2027年人工智能应用场景征集（形式审查）")
        applicant = make.applicant(email="li.applicant@example.com", name="李申报")
        entry = make.entry(call=call, organisation=applicant.organisation, status=EntryStatus.SUBMITTED,
                           title="城市内涝智能预警", photos=0)
        chair = make.chair(email="chair.bell@province.example.gov.cn")
        people = {"applicant": applicant.email, "chair": chair.email, "entry": entry.id}
        session.close()
    return people


def _serious_violations(page) -> list:
    results = Axe().run(page)
    return [(violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
            for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]


def _bell(page):
    return page.get_by_role("navigation", name="主导航").locator("a.bell")


def test_the_bell_counts_a_returned_entry(live_server, new_page, people):
    url = live_server.url
    applicant = new_page()
    log_in(applicant, url, people["applicant"])
    expect(_bell(applicant)).to_have_attribute("aria-label", "0条未读通知")

    chair = new_page()
    log_in(chair, url, people["chair"])
    chair.goto(url + f"/check/entries/{people['entry']}/decision")
    chair.locator("input[name=decision][value=returned]").check()
    chair.locator("textarea[name=reason], input[name=reason]").fill("请补充应用成效的量化数据。")
    deadline = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai"))
    chair.locator("input[name=revision_deadline]").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    chair.locator("form[action$='/decision'] button[type=submit]").click()
    expect(chair.locator(".alert-success")).to_be_visible()

    applicant.reload()
    expect(_bell(applicant)).to_have_attribute("aria-label", "1条未读通知")
    expect(_bell(applicant).locator("[data-unread]")).to_have_text("1")

    _bell(applicant).click()
    applicant.wait_for_url(url + "/notifications/")
    item = applicant.locator(".notification-list li").first
    expect(item).to_contain_text("城市内涝智能预警")
    expect(item).to_contain_text("未读")
    assert _serious_violations(applicant) == []

    item.get_by_role("button", name=re.compile("城市内涝智能预警")).click()
    applicant.wait_for_url(url + f"/entries/{people['entry']}")
    expect(_bell(applicant)).to_have_attribute("aria-label", "0条未读通知")

    # The mail is queued for the worker, in the applicant's language (the site's).
    with live_server.app.app_context():
        session = live_server.app.extensions["db"].sessionmaker()
        mail = session.exec(select(OutgoingMail).where(OutgoingMail.recipient == people["applicant"])).one()
        session.close()
    assert "城市内涝智能预警" in mail.subject and "退回修改" in mail.subject

    # The mail settings page, reached from the account menu, passes axe too.
    applicant.goto(url + "/notifications/settings")
    expect(applicant.get_by_role("heading", name="邮件设置")).to_be_visible()
    assert _serious_violations(applicant) == []
