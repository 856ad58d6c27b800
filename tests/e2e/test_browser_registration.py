import email
from email import policy
from pathlib import Path

import pytest

from tests.factories import credit_code

pytestmark = pytest.mark.browser


def _mailed_link(live_server, address: str, prefix: str) -> str:
    folder = Path(live_server.app.config["MAIL_OUTBOX_DIR"])
    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            link = next(word for word in message.get_content().split() if prefix in word)
            return live_server.url + link[link.index(prefix):]  # mails link to BASE_URL, not the test server
    raise AssertionError(f"no mail to {address}")


def test_register_log_in_and_see_the_chinese_dashboard(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="注册申报单位").first.click()

    page.get_by_label("单位名称").fill("广州云智科技有限公司")
    page.get_by_label("统一社会信用代码").fill(credit_code(880001, city="440100"))
    page.get_by_label("所在城市").select_option(label="广州")
    page.get_by_label("联系人").fill("王芳")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_label("电子邮箱").fill("wangfang@yunzhi.example.com")
    page.get_by_label("密码", exact=True).fill("Browser-password-9")
    page.get_by_label("确认密码").fill("Browser-password-9")
    page.get_by_role("button", name="注册").click()

    page.wait_for_url(live_server.url + "/account/register/sent")
    assert page.get_by_role("heading", level=1).inner_text() == "请查收邮件"
    page.goto(_mailed_link(live_server, "wangfang@yunzhi.example.com", "/account/register/confirm/"))
    page.get_by_role("button", name="创建账号").click()

    page.wait_for_url(live_server.url + "/dashboard")
    assert "广州云智科技有限公司" in page.content()

    page.get_by_role("button", name="王芳").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/account/login")
    page.get_by_label("电子邮箱").fill("wangfang@yunzhi.example.com")
    page.get_by_label("密码").fill("Browser-password-9")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "欢迎您，王芳"
    assert "工作台" in page.get_by_role("navigation", name="主导航").inner_text()
