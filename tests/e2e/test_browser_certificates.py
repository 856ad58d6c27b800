"""The chair issues the certificates of an official list and they are built;
a member of the selected organisation downloads theirs from the dashboard;
the QR code printed on it, decoded, opens its public verification page,
which says it is valid; the programme page counts the list."""
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factories
from tests.factories.lists import official_list

pytestmark = pytest.mark.browser

ISSUER = "广东省人工智能应用场景征集工作办公室"


@pytest.fixture(scope="module")
def listed(live_server):
    app = live_server.app
    # The QR code links to BASE_URL: here, the live server.
    app.config["BASE_URL"] = live_server.url
    with app.app_context(), app.test_request_context():
        session = app.extensions["db"].sessionmaker()
        make = Factories(session, app)
        call, _run, entries = official_list(
            make, name="2026年人工智能应用场景征集", year=2026,
            rows=[("manufacturing", "440300", True), ("healthcare", "440100", True), ("city", "440600", False)])
        call.certificate_issuer = ISSUER
        session.add(call)
        chair = make.chair()
        member = make.applicant(organisation=entries[0].organisation)
        session.commit()
        data = {"call_id": call.id, "chair": chair.email, "member": member.email, "title": entries[0].title,
                "organisation": entries[0].organisation.name}
        session.close()
    return data


def log_in(page, url, email):
    page.goto(url + "/account/login")
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + "/dashboard")


def decode_qr(pdf_path, tmp_path) -> str:
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("pdftoppm and zbarimg are needed to decode the QR code")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf_path), str(tmp_path / "page")], check=True)
    return subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_a_certificates_qr_code_opens_its_verification_page(live_server, new_page, listed, tmp_path):
    url = live_server.url
    chair = new_page()
    log_in(chair, url, listed["chair"])
    chair.goto(f"{url}/certificates/?call={listed['call_id']}")
    expect(chair.get_by_label("发证单位")).to_have_value(ISSUER)
    chair.get_by_role("button", name="颁发并生成证书").click()
    expect(chair.locator("#build-line")).to_contain_text("已全部生成 2 份证书")
    expect(chair.locator("#certificates tbody tr")).to_have_count(2)
    expect(chair.locator("#download-zip")).to_be_visible()

    member = new_page()
    log_in(member, url, listed["member"])
    link = member.locator(".certificate-downloads a")
    expect(link).to_contain_text(listed["title"])
    with member.expect_download() as download_info:
        link.click()
    pdf_path = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf_path)

    verify_url = decode_qr(pdf_path, tmp_path)
    assert verify_url.startswith(url + "/verify/")
    visitor = new_page()  # no login
    visitor.goto(verify_url)
    expect(visitor.locator("h1")).to_have_text("证书查验")
    expect(visitor.locator("#verify-result")).to_contain_text("有效")
    expect(visitor.locator("#verify-serial")).to_have_text(verify_url.rsplit("/", 1)[1])
    expect(visitor.locator("body")).to_contain_text(listed["organisation"])

    chair.goto(f"{url}/programme/")
    expect(chair.locator("p.lead")).to_contain_text("已遴选示范场景 2 个")
