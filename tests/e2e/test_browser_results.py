"""A chair computes the results, decides a veto, publishes; publicity staff
open the snapshot and download the Excel rankings; an expert is turned away."""
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.enums import Domain, EntryStatus, Phase, Role
from app.models import Entry
from tests.e2e.test_browser_entry import log_in
from tests.factories import Factories

pytestmark = pytest.mark.browser


@pytest.fixture
def people(live_server):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        scored = make.scored_call(
            totals=[[88, 90, 86], [70, 72, 68], [93, 91, 95], [60, 65, 62], [80, 78, 82]],
            domains=[Domain.MANUFACTURING, Domain.HEALTHCARE],
            vetoes={2: {"false_information": True}},
            open_phase=Phase.RESULTS,
            name="2026年人工智能应用场景征集（结果）",
            target_count=3,
        )
        publicity = make.staff(Role.PUBLICITY, email="xuan.chuan@province.example.gov.cn")
        found = {
            "chair": scored.chair.email, "publicity": publicity.email, "expert": scored.experts[0].email,
            "vetoed": scored.entries[2].id, "call": scored.call.id,
        }
        session.close()
    return found


def test_chair_publishes_and_publicity_downloads(live_server, new_page, people):
    url = live_server.url
    chair = new_page()
    log_in(chair, url, people["chair"])
    chair.get_by_role("button", name="评审管理").click()  # the staff pages sit in a dropdown
    chair.locator('nav a[href="/results/"]').first.click()
    chair.goto(url + f"/results/?call={people['call']}")
    chair.locator('form[action$="/compute"] button').click()
    expect(chair.locator(".alert-success")).to_be_visible()
    # The pending veto blocks publishing; the link leads to the flagged entry.
    chair.locator('a[href*="flag=veto"]').click()
    chair.locator(f'a[href$="/entries/{people["vetoed"]}"]').click()
    chair.locator('input[value="confirm"]').check()
    chair.locator('form[action$="/veto"] textarea').fill("经核查，申报材料中的投资额与审计报告不符。")
    chair.locator('form[action$="/veto"] button').click()
    expect(chair.locator(".alert-success")).to_be_visible()
    expect(chair.locator("body")).to_contain_text("一票否决")

    chair.goto(url + f"/results/?call={people['call']}")
    chair.locator('input[name="public_scores"]').check()
    chair.locator('input[name="confirm"]').check()
    chair.locator('form[action$="/publish"] button').click()
    flash = chair.locator(".alert-success")
    expect(flash).to_contain_text("SHA-256")
    digest = re.search(r"[0-9a-f]{64}", flash.inner_text()).group(0)

    with live_server.app.app_context():
        session = live_server.app.extensions["db"].sessionmaker()
        vetoed = session.get(Entry, people["vetoed"])
        assert vetoed.status == EntryStatus.NOT_SELECTED
        session.close()

    publicity = new_page()
    log_in(publicity, url, people["publicity"])
    publicity.goto(url + f"/results/?call={people['call']}")
    expect(publicity.locator("body")).to_contain_text(digest)
    expect(publicity.locator('form[action$="/compute"]')).to_have_count(0)
    publicity.locator('a[href^="/results/runs/"]').first.click()
    with publicity.expect_download() as download_info:
        publicity.locator('a[href$="rankings.xlsx"]').click()
    with open(download_info.value.path(), "rb") as downloaded:
        workbook = load_workbook(io.BytesIO(downloaded.read()))
    assert workbook.sheetnames[0] == "总排名"
    titles = [workbook["总排名"].cell(row=r, column=4).value for r in range(2, 7)]
    assert titles[0] == "场景003"  # the best score, even though its veto excludes it from the selection

    expert = new_page()
    log_in(expert, url, people["expert"])
    response = expert.goto(url + "/results/")
    assert response.status == 403
