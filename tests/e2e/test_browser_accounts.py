"""The accounts and security pages in Chinese, at a laptop's and a phone's
width: two-step verification set up and used, the expiry warning on the
entry wizard (and what it says once the session has ended), the chair's
people page with a locked account, the site settings and the footer, the
audit log's filters. With SCREENSHOT_DIR set, each step is saved there as
<name>-<width>.png."""
import os
import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.db import utcnow
from app.enums import Phase, Role
from app.models import UserSession
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser

WIDTHS = (1366, 375)
SHOTS = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None


@pytest.fixture(scope="module")
def world(live_server):
    """A chair; for each width its own applicant with a draft, publicity account and locked account."""
    app = live_server.app
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        call = make.call(open_phase=Phase.SUBMISSION, name="2026年人工智能应用场景征集（账号）")
        make.chair(email="chair@province.example.gov.cn", name="陈主任")
        entries = {}
        for width in WIDTHS:
            applicant = make.applicant(email=f"fang{width}@yunzhi.example.com", name="王芳", phone="13800138000")
            entries[width] = make.entry(call=call, organisation=applicant.organisation, title="基于机器视觉的PCB缺陷检测").id
            make.staff(Role.PUBLICITY, email=f"publicity{width}@province.example.gov.cn", name="林敏")
            make.applicant(email=f"locked{width}@example.com", name="李雷", locked_until=utcnow() + timedelta(minutes=12))
        session.close()
    return entries


def shoot(page, name: str, width: int) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def log_in(page, url, email, *, then="/dashboard"):
    page.goto(url + "/account/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + then)


@pytest.mark.parametrize("width", WIDTHS)
def test_two_step_verification_set_up_and_used(live_server, browser, world, width):
    url = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    email = f"publicity{width}@province.example.gov.cn"
    log_in(page, url, email)
    page.goto(url + "/account/two-factor")
    expect(page.get_by_role("heading", level=1)).to_have_text("两步验证")
    page.get_by_role("link", name="设置两步验证").click()
    qr = page.get_by_role("img", name="身份验证器应用的二维码")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 100  # drawn by the app, served with the page
    shoot(page, "two-factor-setup", width)
    secret = page.locator("code.user-select-all").inner_text().replace(" ", "")
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="开启两步验证").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("恢复码")
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    shoot(page, "recovery-codes", width)
    page.get_by_role("link", name="我已妥善保存，继续").click()
    expect(page.locator(".alert-success")).to_contain_text("两步验证已于")

    # Log out, log in again: the code is asked after the password.
    page.goto(url + "/dashboard")
    if width < 1200:  # the menu collapses below Bootstrap's xl breakpoint
        page.get_by_role("button", name="菜单").click()
        # Bootstrap ignores clicks inside the menu while it is still sliding open.
        expect(page.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("button", name="林敏").click()
    expect(page.locator("#nav .dropdown-menu")).to_be_visible()
    page.get_by_role("button", name="退出登录").click()
    log_in(page, url, email, then="/account/login/verify")
    shoot(page, "two-factor-login", width)
    page.get_by_label("身份验证器应用中的验证码，或恢复码").fill(codes[0])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + "/dashboard")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_entry_wizard_warns_before_the_session_ends(live_server, browser, world, width, monkeypatch):
    url, app = live_server.url, live_server.app
    monkeypatch.setitem(app.config, "SESSION_WARNING_MINUTES", 120)  # warn at once, for the picture
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    log_in(page, url, f"fang{width}@yunzhi.example.com")
    page.goto(f"{url}/entries/{world[width]}/edit/basics")
    warning = page.locator(".session-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("会话将在")
    expect(warning.get_by_role("button", name="保持登录")).to_be_visible()
    shoot(page, "session-warning", width)

    warning.get_by_role("button", name="保持登录").click()
    expect(warning).to_contain_text("会话将在")  # still logged in

    with app.app_context():  # the session ends on the server (another tab logged out)
        session = app.extensions["db"].sessionmaker()
        session.execute(sa.update(UserSession).where(UserSession.ended_at.is_(None)).values(ended_at=utcnow()))
        session.commit()
        session.close()
    warning.get_by_role("button", name="保持登录").click()
    expect(warning).to_contain_text("您的会话已结束")
    expect(warning.get_by_role("link", name="登录")).to_be_visible()
    shoot(page, "session-ended", width)
    assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_chairs_people_settings_and_audit_pages(live_server, browser, world, width):
    url = live_server.url
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(url + "/account/login")
    expect(page.get_by_text("连续5次输错密码后，账号将被锁定15分钟")).to_be_visible()
    shoot(page, "login", width)
    log_in(page, url, "chair@province.example.gov.cn")

    page.goto(url + "/admin/users")
    locked = page.get_by_role("region", name="已锁定的账号")
    expect(locked).to_contain_text(f"locked{width}@example.com")
    shoot(page, "people-locked", width)

    page.get_by_role("link", name="网站设置").click()
    page.get_by_label("网站名称").fill("广东省人工智能应用场景库")
    page.get_by_label("ICP备案号").fill("粤ICP备12345678号-1")
    page.get_by_label("公安备案号").fill("粤公网安备 44010602000001号")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("网站设置已保存")
    expect(page.locator(".navbar-brand")).to_have_text("广东省人工智能应用场景库")
    assert re.search("广东省人工智能应用场景库$", page.title())
    footer = page.locator("footer")
    expect(footer.get_by_role("link", name="粤ICP备12345678号-1")).to_have_attribute("href", "https://beian.miit.gov.cn/")
    expect(footer.get_by_role("link", name="粤公网安备 44010602000001号")).to_have_attribute(
        "href", "https://beian.mps.gov.cn/#/query/webSearch?code=44010602000001")
    shoot(page, "site-settings", width)

    page.goto(url + "/admin/users")
    locked.get_by_role("button", name=f"解锁 locked{width}@example.com").click()
    expect(page.locator(".alert-success")).to_contain_text(f"locked{width}@example.com")

    page.goto(url + "/admin/audit")
    page.get_by_label("操作", exact=True).select_option(label="评审组长已解锁账号")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("chair@province.example.gov.cn")
    expect(rows.first).to_contain_text("评审组长已解锁账号")
    shoot(page, "audit-log", width)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    context.close()
