"""Blind review in a real Chromium, in Chinese, at 1366 and 375 px: the
applicant's wizard warns and the review step shows where the texts name the
organisation; the chair's formal check table flags and filters the entry and
the decision page says where; the expert's sheet offers the attachment as a
copy without its document metadata.

Screenshots go to the test's temporary folder, and also to
``$SCREENSHOT_DIR`` when set (to look at them).
"""
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from app.enums import AssignmentSource, EntryStatus, Phase
from tests.e2e.test_browser_entry import log_in
from tests.factories import Factories, credit_code, pdf_bytes

pytestmark = pytest.mark.browser

ORGANISATION = "广州市明珠智能科技股份有限公司"
CODE = credit_code(990001, city="440100")
WIDTHS = (1366, 375)
ATTACHMENT = pdf_bytes(texts=[["技术方案"], [f"申报单位：{ORGANISATION}", f"统一社会信用代码：{CODE}"]],
                       info={"/Author": "欧阳娜娜", "/Title": "明珠智能技术方案", "/Creator": "明珠 WPS"},
                       xmp={"dc:creator": ["欧阳娜娜"]})


@pytest.fixture
def scene(live_server):
    """One organisation with an applicant, a chair and an expert; a blind call open for submissions with
    a complete draft that names the organisation (and another organisation's entry, submitted before
    identity checks existed), and one in review with an entry assigned to the expert."""
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        organisation = make.organisation(name=ORGANISATION, credit_code=CODE, city_code="440100")
        applicant = make.applicant(organisation, email="li@mingzhu.example.com", name="李明")
        chair = make.chair(email="chair.blind@province.example.gov.cn", name="陈主任")
        expert = make.expert(email="expert.blind@province.example.gov.cn", name="张教授")
        texts = {"solution": "由明珠团队在12条产线部署工业相机与边缘推理设备，实时识别缺陷并自动分拣。"}

        open_call = make.call(open_phase=Phase.SUBMISSION, name="2027年人工智能应用场景征集")
        draft = make.entry(call=open_call, organisation=organisation, title="PCB缺陷视觉检测", **texts)
        draft.photos[0].caption = "明珠智能工厂检测工位"
        make.save(draft)
        make.attachment(draft, filename="明珠-技术方案.pdf", pages=2, data=ATTACHMENT)

        make.entry(call=open_call, organisation=make.organisation(name="深圳港航物流有限公司"),
                   status=EntryStatus.SUBMITTED, title="港口无人集卡智能调度")
        review_call = make.call(open_phase=Phase.REVIEW, name="2026年人工智能应用场景征集（评审）")
        reviewed = make.entry(call=review_call, organisation=organisation, status=EntryStatus.IN_REVIEW,
                              title="智慧园区安防巡检", **texts)
        make.attachment(reviewed, filename="明珠-技术方案.pdf", pages=2, data=ATTACHMENT)
        make.assignment(entry=reviewed, expert=expert, source=AssignmentSource.MANUAL)
        ids = {"draft": draft.id, "open_call": open_call.id}
        emails = {"applicant": applicant.email, "chair": chair.email, "expert": expert.email}
        session.close()
    return ids, emails


def shoot(page, tmp_path: Path, name: str) -> None:
    """Full-page screenshots of ``page`` at each width (back to the first width afterwards)."""
    target = os.environ.get("SCREENSHOT_DIR")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = tmp_path / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(target) / path.name)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_blind_review_for_applicant_chair_and_expert(live_server, new_page, scene, tmp_path):
    url = live_server.url
    ids, emails = scene

    # The applicant: a notice on the text steps and the media step; the review step shows where.
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, url, emails["applicant"])
    entry_url = f"{url}/entries/{ids['draft']}"
    page.goto(entry_url + "/edit/solution")
    notice = page.locator(".blind-notice")
    expect(notice).to_contain_text("本批次为盲评：评审专家看不到申报单位。")
    expect(notice).to_contain_text("请勿在以下文字中写出本单位的全称、简称或统一社会信用代码")
    shoot(page, tmp_path, "applicant-solution")
    page.set_viewport_size({"width": 375, "height": 900})
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(entry_url + "/edit/media")
    expect(page.locator(".blind-notice")).to_contain_text("标识（logo）")
    shoot(page, tmp_path, "applicant-media")
    page.goto(entry_url + "/edit/contacts")
    expect(page.locator(".blind-notice")).to_have_count(0)
    page.goto(entry_url + "/edit/review")
    warning = page.locator(".identity-warning")
    expect(warning).to_contain_text("您填写的文字中出现了本单位名称")
    expect(warning.locator("mark").first).to_have_text("明珠")
    expect(warning).to_contain_text("图1的图片说明")
    shoot(page, tmp_path, "applicant-review")
    page.set_viewport_size({"width": 375, "height": 900})
    assert no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url(entry_url)

    # The chair: the table flags the entry, the filter keeps it alone, the decision page says where.
    chair = new_page()
    log_in(chair, url, emails["chair"])
    chair.goto(f"{url}/check/?call={ids['open_call']}")
    expect(chair.get_by_role("columnheader", name="出现单位名称")).to_be_visible()
    badge = chair.locator(".identity-check a.badge")
    expect(badge).to_have_text("出现4处")
    chair.get_by_label("出现单位名称").select_option(label="出现本单位名称")
    chair.get_by_role("button", name="筛选").click()
    chair.wait_for_url(re.compile(r"identity=named"))
    expect(chair.locator("input[name=entry_ids]")).to_have_count(1)
    shoot(chair, tmp_path, "chair-table-named")
    chair.get_by_role("link", name="清除筛选条件").click()
    expect(chair.locator("input[name=entry_ids]")).to_have_count(2)
    shoot(chair, tmp_path, "chair-table")
    chair.set_viewport_size({"width": 375, "height": 900})
    assert no_horizontal_scroll(chair)  # the table scrolls inside its frame
    chair.set_viewport_size({"width": 1366, "height": 900})
    chair.locator(".identity-check a.badge").click()
    chair.wait_for_url(re.compile(r"/check/entries/\d+/decision"))
    findings = chair.locator("#identity")
    expect(findings).to_contain_text("申报材料中有4处出现本单位名称")
    expect(findings).to_contain_text("附件1（明珠-技术方案.pdf）第2页")
    expect(findings.locator("mark")).to_have_count(4)
    shoot(chair, tmp_path, "chair-decision")
    chair.set_viewport_size({"width": 375, "height": 900})
    assert no_horizontal_scroll(chair)

    # The expert: the sheet hides the organisation; the attachment comes without its metadata.
    expert = new_page()
    log_in(expert, url, emails["expert"])
    expert.goto(url + "/review/")
    expert.locator(".review-queue a.btn").first.click()
    expert.locator("#confirm").check()
    expert.locator("form[action$='/no-conflict'] button[type=submit]").click()
    expert.wait_for_url(re.compile(r"/review/sheets/\d+$"))
    expect(expert.locator(".entry-view")).to_contain_text("文档属性均已隐藏")
    assert ORGANISATION not in expert.content()
    with expert.expect_download() as info:
        expert.get_by_role("link", name="附件1").click()
    download = info.value
    assert download.suggested_filename == "附件1.pdf"
    data = Path(download.path()).read_bytes()
    reader = PdfReader(io.BytesIO(data))
    assert not reader.metadata and reader.xmp_metadata is None and len(reader.pages) == 2
    shoot(expert, tmp_path, "expert-sheet")
    expert.set_viewport_size({"width": 375, "height": 900})
    assert no_horizontal_scroll(expert)
