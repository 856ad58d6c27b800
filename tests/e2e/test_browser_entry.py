"""An applicant fills in every step, uploads a photo and submits; a chair
returns the entry for revision; the applicant revises and resubmits."""
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.db import utcnow
from app.enums import EntryStatus, Phase
from app.models import Entry
from tests.factories import PASSWORD, Factories, jpeg_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def people(live_server):
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        make.call(open_phase=Phase.SUBMISSION, name="2026年人工智能应用场景征集")
        applicant = make.applicant(email="fang@yunzhi.example.com", name="王芳", phone="13800138000")
        chair = make.chair(email="chair@province.example.gov.cn", name="陈主任")
        emails = applicant.email, chair.email
        session.close()
    return emails


def log_in(page, url, email):
    page.goto(url + "/account/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + "/dashboard")


def entry_status(live_server, title) -> EntryStatus:
    with live_server.app.app_context():
        session = live_server.app.extensions["db"].sessionmaker()
        from sqlmodel import select

        entry = session.exec(select(Entry).where(Entry.title == title)).one()
        status = entry.status
        session.close()
        return status


def test_fill_submit_return_and_resubmit(live_server, new_page, people, tmp_path):
    url = live_server.url
    applicant_email, chair_email = people
    title = "基于机器视觉的PCB缺陷检测"
    photo = tmp_path / "产线.jpg"
    photo.write_bytes(jpeg_bytes(1200, 800))

    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, url, applicant_email)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的申报").click()
    page.get_by_role("button", name="新建申报").click()
    page.wait_for_url(re.compile(r"/entries/\d+/edit/basics$"))
    entry_url = page.url.rsplit("/edit/", 1)[0]

    # Basics — and the autosave survives a reload.
    page.get_by_label("场景名称").fill(title)
    expect(page.locator(".autosave-status")).to_contain_text("已于", timeout=10_000)
    page.reload()
    expect(page.get_by_label("场景名称")).to_have_value(title)
    expect(page.locator('[data-count-for="title"]')).to_contain_text("还可输入")
    page.get_by_label("所属领域").select_option(label="智能制造")
    page.get_by_label("所在城市").select_option(label="深圳")
    page.get_by_label("场景简介").fill("在12条产线部署视觉检测，缺陷检出率由92%提升至99.5%。")
    page.get_by_label("计算机视觉").check()
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url(entry_url + "/edit/solution")
    page.get_by_label("解决的痛点问题").fill("人工目检效率低、漏检率高。")
    page.get_by_label("解决方案").fill("工业相机加边缘推理设备，实时识别并自动分拣缺陷品。")
    page.get_by_label("部署规模").fill("3个工厂、12条产线")
    page.get_by_label("部署开始时间").fill("2024-03-01")
    page.get_by_label("投资额（万元）").fill("850")
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url(entry_url + "/edit/outcomes")
    page.get_by_label("指标").first.fill("缺陷检出率")
    page.get_by_label("实施前").first.fill("92")
    page.get_by_label("实施后").first.fill("99.5")
    page.get_by_label("单位").first.fill("%")
    page.get_by_label("示范推广价值").fill("可推广至电子制造全行业。")
    page.get_by_label("数据安全与伦理措施").fill("数据不出厂，分级授权访问。")
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url(entry_url + "/edit/media")
    page.get_by_label("照片", exact=True).set_input_files(str(photo))
    page.get_by_label("图片说明").fill("检测工位")
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_role("img", name="检测工位")).to_be_visible()
    page.get_by_role("link", name="下一步").click()

    page.wait_for_url(entry_url + "/edit/contacts")
    expect(page.get_by_label("联系电话")).to_have_value("13800138000")
    page.get_by_role("button", name="保存并继续").click()

    page.wait_for_url(entry_url + "/edit/review")
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_url(entry_url)
    expect(page.locator(".status-card")).to_contain_text("已提交")
    assert entry_status(live_server, title) == EntryStatus.SUBMITTED

    # The chair returns it for revision, with a reason and a deadline.
    chair = new_page()
    log_in(chair, url, chair_email)
    chair.get_by_role("button", name="评审管理").click()  # the staff pages sit in a dropdown
    chair.get_by_role("navigation", name="主导航").get_by_role("link", name="形式审查").click()
    chair.get_by_role("link", name=title).click()
    chair.wait_for_url(entry_url)
    chair.get_by_label("退回修改").check()
    chair.get_by_label("原因").fill("请补充投资构成说明。")
    deadline = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai"))
    chair.get_by_label("重新提交截止时间").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    chair.get_by_role("button", name="记录审查结论").click()
    expect(chair.locator(".status-card")).to_contain_text("退回修改")
    assert entry_status(live_server, title) == EntryStatus.RETURNED

    # The applicant sees why, revises and resubmits.
    page.reload()
    expect(page.locator(".status-card")).to_contain_text("请补充投资构成说明。")
    page.get_by_role("link", name="修改并重新提交").click()
    page.get_by_role("link", name=re.compile("痛点与解决方案")).click()
    page.get_by_label("投资说明").fill("含硬件600万元、软件250万元")
    # The step navigation saves the page before it moves on.
    page.get_by_role("button", name=re.compile("核对并提交")).click()
    page.wait_for_url(entry_url + "/edit/review")
    page.get_by_role("button", name="重新提交申报").click()
    page.wait_for_url(entry_url)
    expect(page.locator(".status-card")).to_contain_text("已提交")
    assert entry_status(live_server, title) == EntryStatus.SUBMITTED
