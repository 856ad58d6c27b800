"""The site's name and filing numbers: edited by chairs, audited, shown on every page."""
import pytest
from sqlmodel import select

from app.enums import Role
from app.models import AuditEvent, SiteSetting

ICP = "粤ICP备12345678号-1"
POLICE = "粤公网安备44010602000001号"


def test_defaults_show_the_translated_name_and_no_filing_numbers(client):
    page = client.get("/").get_data(as_text=True)
    assert "<title>场景示范案例库</title>" in page or "· 场景示范案例库</title>" in page
    assert "备案" not in page and "beian" not in page


def test_chair_sets_the_name_and_numbers_shown_on_every_page(client, session, login, make):
    chair = login(make.chair())
    response = client.post("/admin/settings", data={"site_name": "广东省人工智能应用场景库", "icp_number": ICP,
                                                    "police_number": POLICE})
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/settings")

    for path in ("/", "/library/", "/calls/", "/dashboard"):
        page = client.get(path).get_data(as_text=True)
        assert "广东省人工智能应用场景库</title>" in page and 'navbar-brand fw-semibold" href="/">广东省人工智能应用场景库<' in page, path
        assert f'href="https://beian.miit.gov.cn/" target="_blank" rel="noopener noreferrer">{ICP}</a>' in page, path
        assert ('href="https://beian.mps.gov.cn/#/query/webSearch?code=44010602000001" target="_blank" '
                f'rel="noopener noreferrer">{POLICE}</a>') in page, path
    client.set_cookie("lang", "en")
    assert "广东省人工智能应用场景库</title>" in client.get("/").get_data(as_text=True)  # the chair's name in any language
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "site.settings_updated")).all()
    assert (event.actor_id, event.object_type, event.before, event.after) == (
        chair.id, "site_settings", {"site_name": "", "icp_number": "", "police_number": ""},
        {"site_name": "广东省人工智能应用场景库", "icp_number": ICP, "police_number": POLICE})


def test_saving_unchanged_settings_records_nothing_and_empty_numbers_hide(client, session, login, make):
    login(make.chair())
    client.post("/admin/settings", data={"site_name": "案例库", "icp_number": ICP, "police_number": ""})
    client.post("/admin/settings", data={"site_name": "案例库", "icp_number": ICP, "police_number": ""})
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "site.settings_updated")).all()) == 1
    page = client.get("/").get_data(as_text=True)
    assert ICP in page and "公网安备" not in page
    assert {row.key: row.value for row in session.exec(select(SiteSetting)).all()} == {
        "site_name": "案例库", "icp_number": ICP}


@pytest.mark.parametrize(("field", "value"), [
    ("icp_number", "ICP12345678"), ("icp_number", "粤ICP备123号<script>"), ("police_number", "粤公网安备123号"),
    ("site_name", ""), ("site_name", "名称\r\n换行"), ("site_name", "长" * 61),
])
def test_malformed_values_are_refused(client, session, login, make, field, value):
    login(make.chair())
    data = {"site_name": "案例库", "icp_number": "", "police_number": ""} | {field: value}
    response = client.post("/admin/settings", data=data)
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    assert session.exec(select(SiteSetting)).all() == []


@pytest.mark.parametrize("role", [Role.EXPERT, Role.PUBLICITY])
def test_only_chairs_edit_the_settings(client, session, login, make, role):
    login(make.staff(role))
    assert client.get("/admin/settings").status_code == 403
    assert client.post("/admin/settings", data={"site_name": "x"}).status_code == 403
    assert session.exec(select(SiteSetting)).all() == []
