"""Each role logs in, lands on the dashboard, sees its to-dos and follows one
to the page where it is dealt with; the dashboard passes axe-core and fits a
phone's screen."""
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.db import utcnow
from app.enums import EntryStatus, Membership, Phase, Role
from tests.e2e.test_browser_entry import log_in
from tests.factories import Factories

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def people(live_server):
    """An applicant with a returned entry, an expert with an entry to declare,
    a chair with entries waiting for the formal check, publicity staff with
    published cases to curate; their e-mail addresses by role."""
    app = live_server.app
    with app.app_context(), app.test_request_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        published = make.scored_call(totals=[[90, 91, 89], [80, 81, 79]], open_phase=Phase.RESULTS, target_count=2,
                                     name="2025年人工智能应用场景征集")
        published.publish()
        checking = make.call(open_phase=Phase.FORMAL_CHECK, name="2026年人工智能应用场景征集（形式审查）")
        applicant = make.applicant(email="li.applicant@example.com", name="李经理")
        make.entry(call=checking, organisation=applicant.organisation, status=EntryStatus.RETURNED,
                   title="智慧政务一网通办", check_reason="请补充部署规模的证明材料",
                   revision_deadline=utcnow() + timedelta(days=3))
        for _ in range(2):
            make.entry(call=checking, status=EntryStatus.SUBMITTED)
        make.applicant(organisation=make.organisation(), membership=Membership.PENDING)
        reviewing = make.call(open_phase=Phase.REVIEW, name="2026年人工智能应用场景征集（评审）")
        expert = make.expert(email="zhang.expert@example.com", name="张教授")
        make.assignment(entry=make.entry(call=reviewing, status=EntryStatus.IN_REVIEW, title="港口无人集卡智能调度"),
                        expert=expert)
        chair = make.chair(email="wang.chair@example.com", name="王组长")
        publicity = make.staff(Role.PUBLICITY, email="zhao.publicity@example.com", name="赵宣传")
        emails = {"applicant": applicant.email, "expert": expert.email, "chair": chair.email,
                  "publicity": publicity.email}
        session.close()
    return emails


# role, the to-do to follow (its text on the dashboard), the target page's heading
WALKS = [
    ("applicant", "已退回修改：请修改后重新提交", "智慧政务一网通办"),
    ("expert", "1 个申报项目待您声明利益冲突", "我的评审"),
    ("chair", "2 个申报项目待形式审查", "形式审查"),
    ("publicity", "案例库中 2 个案例待整理", "案例库"),
]


@pytest.mark.parametrize(("role", "todo", "heading"), WALKS, ids=[walk[0] for walk in WALKS])
def test_each_role_follows_a_todo_from_the_dashboard(live_server, new_page, people, role, todo, heading):
    page = new_page()
    log_in(page, live_server.url, people[role])

    todos = page.locator(f'.todo-list[data-role="{role}"]')
    expect(todos).to_be_visible()
    link = todos.get_by_role("link", name=todo)
    expect(link).to_be_visible()
    serious = [(violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
               for violation in Axe().run(page).response["violations"] if violation["impact"] in ("serious", "critical")]
    assert serious == [], serious

    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_the_dashboard_shows_reason_and_days_left_and_fits_a_phone(live_server, new_page, people):
    page = new_page()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server.url, people["applicant"])

    item = page.locator('[data-todo="returned"]')
    expect(item).to_contain_text("原因：请补充部署规模的证明材料")
    expect(item).to_contain_text("还剩 3 天")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
