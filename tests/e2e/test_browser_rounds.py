"""Review rounds in the browser: the chair adds a defence round and builds its
shortlist (rule, a removal and an addition with reasons, the panel); an
expert scores in round two on a tablet."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, SheetStatus
from app.models import Assignment, ScoreSheet, ShortlistEntry
from app.review.rounds import shortlist as shortlists
from app.review.rounds.services import RoundSettings, assign_round_panel, save_second_round
from app.review.rubrics.files import check_file
from tests.e2e.test_browser_entry import log_in
from tests.factories import Factories

pytestmark = pytest.mark.browser

TOTALS = [[90, 90, 90], [88, 88, 88], [80, 80, 80], [78, 78, 78], [70, 70, 70], [60, 60, 60]]


def _scored(live_server, **fields):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        scored = make.scored_call(totals=TOTALS, domains=[Domain.MANUFACTURING, Domain.HEALTHCARE], **fields)
        for expert in scored.experts:
            session.refresh(expert)
        return make, session, scored


def _rows(live_server):
    with live_server.app.app_context():
        session = live_server.app.extensions["db"].sessionmaker()
        rows = {item.entry_id: item for item in session.exec(select(ShortlistEntry)).all()}
        session.close()
        return rows


def test_the_chair_builds_a_shortlist(live_server, new_page):
    make, session, scored = _scored(live_server, name="2026年场景征集（两轮）")
    chair_email, call_id = scored.chair.email, scored.call.id
    ids = [entry.id for entry in scored.entries]
    experts = [(expert.id, expert.name) for expert in scored.experts]
    session.close()
    url = live_server.url

    page = new_page()
    log_in(page, url, chair_email)
    page.goto(f"{url}/review/rounds/calls/{call_id}")
    expect(page.locator("h1")).to_contain_text("评审轮次")
    # Weights that do not add up are refused, with what was typed kept.
    page.get_by_label("第一轮权重（%）").fill("50")
    page.get_by_label("第二轮权重（%）").fill("60")
    page.get_by_label("数量").fill("2")
    page.get_by_label("同时纳入线下临界的申报").uncheck()
    page.get_by_role("button", name="保存评审轮次").click()
    expect(page.locator(".alert-danger")).to_contain_text("各轮权重之和须为 100")
    page.get_by_label("第一轮权重（%）").fill("40")
    page.get_by_role("button", name="保存评审轮次").click()
    expect(page.locator(".alert-success")).to_contain_text("评审轮次已保存")
    expect(page.locator("table.review-rounds")).to_contain_text("现场答辩")
    expect(page.locator("table.review-rounds")).to_contain_text("否：答辩不匿名")

    # The shortlist page: compute round 1 first, then draw.
    page.get_by_role("link", name="入围名单与评审组").click()
    page.get_by_role("button", name="计算第 1 轮结果").click()
    page.wait_for_url(re.compile(r"/rounds/2/shortlist$"))
    page.get_by_role("button", name="产生入围名单").click()
    expect(page.locator("#counts-title")).to_have_text("入围名单共 4 项")
    for index in range(4):
        expect(page.locator(f"#entry-{ids[index]}")).to_contain_text("位列本领域前列")
    expect(page.locator(f"#entry-{ids[4]}")).to_contain_text("未入围")

    # Taking an entry off needs a reason.
    row = page.locator(f"#entry-{ids[0]}")
    row.get_by_role("button", name="移出").click()
    expect(page.locator(".alert-danger")).to_be_visible()  # no reason: refused, nothing changed
    expect(page.locator(f"#entry-{ids[0]}")).to_contain_text("位列本领域前列")
    row.locator("input[name=reason]").fill("申报单位书面放弃答辩")
    row.get_by_role("button", name="移出").click()
    expect(page.locator(f"#entry-{ids[0]}")).to_contain_text("主席移出")
    expect(page.locator(f"#entry-{ids[0]}")).to_contain_text("申报单位书面放弃答辩")
    page.locator(f"#entry-{ids[4]}").locator("input[name=reason]").fill("县域唯一案例，补充入围")
    page.locator(f"#entry-{ids[4]}").get_by_role("button", name="加入").click()
    expect(page.locator(f"#entry-{ids[4]}")).to_contain_text("主席增补")

    # Drawing again keeps both decisions.
    page.get_by_role("button", name="重新产生入围名单").click()
    expect(page.locator(f"#entry-{ids[0]}")).to_contain_text("主席移出")
    expect(page.locator(f"#entry-{ids[4]}")).to_contain_text("主席增补")
    expect(page.locator("#counts-title")).to_have_text("入围名单共 4 项")
    rows = _rows(live_server)
    assert (rows[ids[0]].included, rows[ids[0]].chair_reason) == (False, "申报单位书面放弃答辩")
    assert (rows[ids[4]].included, rows[ids[4]].reason) == (True, shortlists.CHAIR_ADDED)

    # The panel: both experts chosen get every shortlisted entry.
    for expert_id, name in experts[:2]:
        page.locator(f"#panel input[value='{expert_id}']").check()
    page.get_by_role("button", name="保存评审组并分配").click()
    expect(page.locator(".alert-success")).to_contain_text("新增 8 项评审任务")
    with live_server.app.app_context():
        session = live_server.app.extensions["db"].sessionmaker()
        pairs = {(a.entry_id, a.expert_id) for a in session.exec(select(Assignment).where(Assignment.round_no == 2))}
        session.close()
    assert {entry_id for entry_id, _expert in pairs} == {ids[1], ids[2], ids[3], ids[4]}


def test_an_expert_scores_in_round_two_on_a_tablet(live_server, browser):
    make, session, scored = _scored(live_server, name="2026年场景征集（答辩）")
    app = live_server.app
    with app.test_request_context():
        save_second_round(session, call=scored.call, actor=scored.chair, settings=RoundSettings(
            first_name="初评", first_weight=40, name="现场答辩", kind="defence", weight=60, starts_at=None,
            ends_at=None, shortlist_basis="overall", shortlist_size=2, shortlist_borderline=False,
            combination="weighted"))
        session.commit()
    scored.compute()
    with app.test_request_context():
        shortlists.draw_shortlist(session, call=scored.call, round_no=2, actor=scored.chair, now=utcnow())
        assign_round_panel(session, call=scored.call, round_no=2, expert_ids=[scored.experts[0].id],
                           actor=scored.chair, now=utcnow())
        session.commit()
    expert_email, top = scored.experts[0].email, scored.entries[0]
    organisation, title = top.organisation.name, top.title
    session.close()

    rubric = check_file(Path(app.config["RUBRICS_FOLDER"]) / "default.yaml")
    context = browser.new_context(locale="zh-CN", viewport={"width": 768, "height": 1024}, has_touch=True)
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        url = live_server.url
        log_in(page, url, expert_email)
        # The dashboard names the round.
        expect(page.locator("main")).to_contain_text("现场答辩")
        page.goto(f"{url}/review/?call={scored.call.id}")
        rows = page.locator(".review-queue tbody tr")
        # Two round-2 entries first (labelled), then the six of round 1.
        expect(rows).to_have_count(8)
        expect(page.locator(".review-queue .badge.text-bg-info")).to_have_count(2)
        row = rows.filter(has_text=title).filter(has=page.locator(".badge.text-bg-info"))
        row.get_by_role("link").last.click()
        page.wait_for_url(re.compile(r"/review/assignments/\d+$"))
        expect(page.locator("main")).to_contain_text("不匿名")
        expect(page.locator("main")).to_contain_text(organisation)
        page.locator("#confirm").check()
        page.locator("form[action$='/no-conflict'] button[type=submit]").click()
        page.wait_for_url(re.compile(r"/review/sheets/\d+$"))
        expect(page.locator(".alert-info")).to_contain_text("现场答辩")
        expect(page.locator(".alert-info")).to_contain_text("不匿名")
        # Nothing on the sheet is wider than the tablet.
        assert page.evaluate("document.documentElement.scrollWidth") <= 768
        for criterion in rubric["criteria"]:
            page.locator(f"#score-{criterion['key']}").fill("85")
            if criterion.get("comment_required"):
                page.locator(f"#comment-{criterion['key']}").fill("答辩表现清晰，数据可信。")
        for veto in rubric["vetoes"]:
            page.locator(f"#veto-{veto['key']}-no").check()
        expect(page.locator(".autosave-status")).to_contain_text("已于", timeout=10_000)
        page.locator("button.sheet-submit").click()
        expect(page.locator(".sheet-locked")).to_be_visible()
    finally:
        context.close()

    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        sheet = session.exec(select(ScoreSheet).where(ScoreSheet.round_no == 2, ScoreSheet.entry_id == top.id)).one()
        session.close()
    assert (sheet.status, sheet.total) == (SheetStatus.SUBMITTED, 85)
