"""Role checks on every staff page, CSRF on every form, error pages, headers."""
import pytest

from app.enums import Membership, Role

CHAIR_PAGES = [
    ("GET", "/calls/"),
    ("GET", "/calls/new"),
    ("POST", "/calls/new"),
    ("GET", "/calls/{call}"),
    ("GET", "/calls/{call}/edit"),
    ("POST", "/calls/{call}/edit"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/invite"),
    ("POST", "/admin/users/invite"),
    ("GET", "/admin/users/{staff}"),
    ("POST", "/admin/users/{staff}"),
    ("POST", "/admin/users/{staff}/resend-invitation"),
    ("GET", "/admin/audit"),
]


@pytest.fixture
def objects(make):
    return {"call": make.call().id, "staff": make.staff(Role.EXPERT, password=None).id}


@pytest.mark.parametrize(("method", "path"), CHAIR_PAGES)
@pytest.mark.parametrize("who", ["applicant", "expert", "publicity", "pending_applicant"])
def test_staff_pages_refuse_other_roles(client, login, make, objects, method, path, who):
    users = {
        "applicant": lambda: make.applicant(),
        "pending_applicant": lambda: make.applicant(membership=Membership.PENDING),
        "expert": lambda: make.staff(Role.EXPERT),
        "publicity": lambda: make.staff(Role.PUBLICITY),
    }
    login(users[who]())
    response = client.open(path.format(**objects), method=method)
    assert response.status_code == 403
    assert "您无权访问此页面" in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path"), CHAIR_PAGES)
def test_staff_pages_send_visitors_to_login(client, objects, method, path):
    response = client.open(path.format(**objects), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


@pytest.mark.parametrize(("method", "path"), [p for p in CHAIR_PAGES if p[0] == "GET"])
def test_chair_opens_every_staff_page(client, login, make, objects, method, path):
    login(make.chair())
    assert client.get(path.format(**objects)).status_code == 200


def test_organisation_page_is_for_applicants(client, login, make):
    login(make.staff(Role.CHAIR, Role.EXPERT))
    assert client.get("/account/organisation").status_code == 403


POST_FORMS = [
    "/account/register",
    "/account/login",
    "/account/logout",
    "/account/password/forgot",
    "/account/password",
    "/language",
    "/calls/new",
    "/admin/users/invite",
]


@pytest.mark.parametrize("path", POST_FORMS)
def test_posts_without_csrf_token_are_refused(client, login, make, csrf, path):
    login_user = make.chair()
    # Log in through the form with a real token, as a browser would.
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/account/login", data={"email": login_user.email, "password": "correct-horse-battery", "csrf_token": token}).status_code == 302

    response = client.post(path, data={"email": "x@example.com", "language": "en"})

    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_a_valid_csrf_token_is_accepted(client, csrf):
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/language?next=/account/login", data={"language": "en", "csrf_token": token})
    assert (response.status_code, response.headers["Location"]) == (302, "/account/login")


def test_language_switch_sticks(client):
    assert "登录" in client.get("/account/login").get_data(as_text=True)

    response = client.post("/language?next=/account/login", data={"language": "en"})

    assert response.headers["Location"] == "/account/login"
    assert "lang=en" in response.headers["Set-Cookie"] and "Max-Age=31536000" in response.headers["Set-Cookie"]
    page = client.get("/account/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Forgot your password?" in page
    client.post("/language", data={"language": "zh"})
    assert "忘记密码" in client.get("/account/login").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "xx"})
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)


def test_language_switch_never_redirects_off_site(client):
    response = client.post("/language?next=https://evil.example/", data={"language": "en"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("status", "make_request", "zh_title"),
    [
        (404, lambda c: c.get("/no/such/page"), "页面不存在"),
        (405, lambda c: c.put("/account/login"), "不允许"),
        (413, lambda c: c.post("/account/login", data="x" * (65 * 1024 * 1024), content_type="application/octet-stream"), "过大"),
    ],
)
def test_error_pages_are_translated_pages(client, status, make_request, zh_title):
    response = make_request(client)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert zh_title in page and "<nav" in page and "Traceback" not in page


def test_unexpected_errors_show_a_page_without_a_stack_trace(app, client, monkeypatch):
    from app.main import views

    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setitem(app.view_functions, "main.index", broken)
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "系统出错" in page
    assert "secret internals" not in page and "Traceback" not in page
    assert views  # the module stays imported


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts_and_load_assets_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "<script>" not in page and "onclick" not in page and " style=" not in page
    for url in ("https://", "http://", "//cdn"):
        assert f'src="{url}' not in page and f'href="{url}' not in page


def test_session_cookie_is_httponly_and_samesite(client, make):
    user = make.applicant()
    response = client.post("/account/login", data={"email": user.email, "password": "correct-horse-battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_navigation_fits_the_roles(client, login, make):
    login(make.applicant())
    page = client.get("/dashboard").get_data(as_text=True)
    assert "/account/organisation" in page and "/calls/" not in page and "/admin/users" not in page
    client.post("/account/logout")
    login(make.chair())
    page = client.get("/dashboard").get_data(as_text=True)
    assert "/calls/" in page and "/admin/users" in page and "/admin/audit" in page and "/account/organisation" not in page
