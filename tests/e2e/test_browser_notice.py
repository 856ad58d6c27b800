"""The public notice in a browser: the chair publishes the proposed list, a
visitor files an objection with evidence on the notice page, the chair
upholds it and the next entry moves up, and the official list reaches the
case library."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, Phase
from app.models import Notice
from tests.e2e.test_browser_entry import log_in
from tests.factories import Factories
from tests.factories.entries import pdf_bytes

pytestmark = pytest.mark.browser

CONTACT = "省工业和信息化厅人工智能处 020-12345678"


@pytest.fixture
def people(live_server):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        scored = make.scored_call(
            totals=[[95, 94], [90, 91], [85, 86], [80, 81]], domains=[Domain.MANUFACTURING], open_phase=Phase.RESULTS,
            name="2026年人工智能应用场景征集（公示）", target_count=2, notice_required=True, notice_contact=CONTACT,
        )
        titles = ["智能质检缺陷检测平台", "港口无人集卡智能调度", "城市道路病害智能巡检", "政务热线智能分派"]
        for entry, title in zip(scored.entries, titles, strict=True):
            entry.title = title
            session.add(entry)
        session.commit()
        found = {"chair": scored.chair.email, "call": scored.call.id, "titles": titles}
        session.close()
    return found


def _end_the_period(live_server, call_id):
    with live_server.app.app_context():
        session = live_server.app.extensions["db"].sessionmaker()
        notice = session.exec(select(Notice).where(Notice.call_id == call_id)).one()
        notice.starts_at, notice.ends_at = utcnow() - timedelta(days=8), utcnow() - timedelta(minutes=1)
        session.add(notice)
        session.commit()
        session.close()


def test_objection_upheld_moves_the_next_entry_up_and_the_official_list_reaches_the_library(
        live_server, new_page, people, tmp_path):
    url, titles = live_server.url, people["titles"]
    chair = new_page()
    log_in(chair, url, people["chair"])
    chair.goto(url + f"/results/?call={people['call']}")
    chair.locator('form[action$="/compute"] button').click()
    expect(chair.locator(".alert-success")).to_be_visible()
    expect(chair.locator("#notice-publication")).to_contain_text("公示")
    chair.locator('input[name="confirm"]').check()
    chair.locator('form[action^="/notices/runs/"] button').click()
    expect(chair.locator(".alert-success")).to_contain_text("公示至")
    expect(chair.locator("h1")).to_have_text("公示与异议")

    # A visitor objects to the first entry, with a PDF as evidence.
    visitor = new_page()
    visitor.goto(url + f"/notice/{people['call']}")
    expect(visitor.locator("h1")).to_contain_text("拟入选名单的公示")
    expect(visitor.locator(".notice-list")).to_contain_text(titles[0])
    expect(visitor.locator(".notice-list")).not_to_contain_text(titles[2])
    expect(visitor.locator(".notice-contact")).to_have_text(CONTACT)
    evidence = tmp_path / "证据.pdf"
    evidence.write_bytes(pdf_bytes())
    form = visitor.locator("#objection-form")
    form.get_by_label("所涉场景").select_option(label=titles[0])
    form.get_by_label("姓名").fill("张三")
    form.get_by_label("联系电话").fill("13800138000")
    form.get_by_label("异议理由").fill("该场景申报的应用成效数据与实际不符，部署规模远小于申报材料所述。")
    form.locator('input[type="file"]').set_input_files(str(evidence))
    form.get_by_role("button", name="提交异议").click()
    reference = visitor.locator(".objection-reference")
    expect(reference).to_have_text(re.compile(r"^YY-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$"))
    number = reference.inner_text()

    # The chair upholds it: the third entry moves up.
    chair.reload()
    chair.get_by_role("link", name=number).click()
    expect(chair.locator("body")).to_contain_text("证据.pdf")
    decide = chair.locator("#decide-form")
    decide.get_by_label("成立：该场景退出名单，由下一名场景递补").check()
    decide.get_by_label("理由（异议成立时公开）").fill("经核实，申报的部署规模与实际不符。")
    decide.get_by_role("button", name="保存处理决定").click()
    expect(chair.locator("#objection-decision")).to_contain_text(f"“{titles[2]}”递补进入名单")

    visitor.goto(url + f"/notice/{people['call']}")
    expect(visitor.locator(".notice-list")).to_contain_text("因异议成立退出")
    expect(visitor.locator(".notice-list")).to_contain_text(titles[2])
    expect(visitor.locator("body")).not_to_contain_text("张三")

    # After the period, the official list goes to the library.
    _end_the_period(live_server, people["call"])
    chair.goto(url + "/notices/1")
    chair.get_by_role("button", name="发布正式名单").click()
    expect(chair.locator(".alert-success")).to_contain_text("正式名单已发布")
    visitor.goto(url + "/library/cases")
    expect(visitor.locator("main")).to_contain_text(titles[1])
    expect(visitor.locator("main")).to_contain_text(titles[2])
    expect(visitor.locator("main")).not_to_contain_text(titles[0])
