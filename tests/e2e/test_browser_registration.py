import pytest

from tests.factories import credit_code

pytestmark = pytest.mark.browser


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
    page.get_by_label("密码", exact=True).fill("browser-password")
    page.get_by_label("确认密码").fill("browser-password")
    page.get_by_role("button", name="注册").click()

    page.wait_for_url(live_server.url + "/dashboard")
    assert "广州云智科技有限公司" in page.content()

    page.get_by_role("button", name="王芳").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/account/login")
    page.get_by_label("电子邮箱").fill("wangfang@yunzhi.example.com")
    page.get_by_label("密码").fill("browser-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "欢迎您，王芳"
    assert "工作台" in page.get_by_role("navigation", name="主导航").inner_text()
