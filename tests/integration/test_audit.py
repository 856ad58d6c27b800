import html

from app.enums import Domain
from tests.integration.test_calls import _form


def test_audit_log_shows_changes_readably_and_escaped(client, login, make):
    chair = login(make.chair())
    client.post("/calls/new", data=_form(name="<script>alert(1)</script>智能批次"))

    page = client.get("/admin/audit?action=call.created").get_data(as_text=True)

    assert "call.created" in page and chair.email in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;智能批次" in page
    assert "<script>alert(1)" not in page
    text = html.unescape(page)
    assert f'"{Domain.HEALTHCARE.value}": 25' in text
    # Phase dates are recorded in UTC whatever the chair's timezone.
    assert '"2027-03-01T01:00:00+00:00"' in text


def test_audit_log_filters_by_action(client, login, make):
    login(make.chair())
    page = client.get("/admin/audit?action=call.created").get_data(as_text=True)
    assert "user.logged_in" not in page
    assert "user.logged_in" in client.get("/admin/audit").get_data(as_text=True)
