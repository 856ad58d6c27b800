"""The audit log: readable and escaped, filtered, exported as CSV, pruned by
the retention setting; downloads and account events recorded with
translated labels."""
import csv
import html
import io
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfWriter
from sqlmodel import select

from app.db import utcnow
from app.enums import BrochureStatus, Domain, EntryStatus, Phase, Role
from app.models import AuditEvent, Brochure
from tests.factories import PASSWORD
from tests.integration.test_calls import _form


def _events(session, action):
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _event(session, **fields) -> AuditEvent:
    event = AuditEvent(**{"action": "call.updated", "object_type": "calls", "object_id": 1} | fields)
    session.add(event)
    session.commit()
    return event


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


def _rows(page: str) -> str:
    """The table body of the audit page (the filter menus name every action too)."""
    return page[page.index("<tbody>"):page.index("</tbody>")]


def test_audit_log_filters_by_action_actor_object_and_dates(client, session, login, make):
    chair = login(make.chair(email="chair@example.com"))
    now = utcnow()
    _event(session, action="call.updated", actor_email="other@example.com", occurred_at=now - timedelta(days=10))
    _event(session, action="entry.submitted", object_type="entries", occurred_at=now - timedelta(days=3))
    _event(session, action="call.updated", actor_email="chair@example.com", occurred_at=now - timedelta(days=1))

    def shown(query: str) -> str:
        return _rows(client.get("/admin/audit?" + query).get_data(as_text=True))

    assert "user.logged_in" not in shown("action=call.updated") and "call.updated" in shown("action=call.updated")
    assert "user.logged_in" in shown("")
    assert "other@example.com" in shown("actor=OTHER") and "chair@example.com" not in shown("actor=other")
    system = shown("actor=system")
    assert "entry.submitted" in system and "chair@example.com" not in system
    by_type = shown("object_type=entries")
    assert "entry.submitted" in by_type and "call.updated" not in by_type
    since = (now - timedelta(days=5)).date().isoformat()
    until = (now - timedelta(days=2)).date().isoformat()
    window = shown(f"since={since}&until={until}")
    assert "entry.submitted" in window and "call.updated" not in window and "user.logged_in" not in window
    assert "other@example.com" in shown(f"until={(now - timedelta(days=9)).date().isoformat()}")
    page = client.get("/admin/audit?since=not-a-date").get_data(as_text=True)  # a bad date is ignored, not an error
    assert "user.logged_in" in _rows(page) and chair.email in page


def test_audit_log_labels_account_events_in_chinese(client, session, login, make):
    login(make.chair())
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "登录" in _rows(page) and "user.logged_in" in _rows(page)
    assert '<option value="user.logged_in">登录</option>' in page


def test_csv_export_has_a_bom_every_filtered_row_and_no_formulas(client, session, login, make):
    chair = login(make.chair(email="chair@example.com"))
    _event(session, action="call.updated", reason="=HYPERLINK(\"http://evil\")", after={"name": "批次"},
           ip_address="10.0.0.1")
    for n in range(60):  # more than a page
        _event(session, action="entry.autosaved", object_type="entries", object_id=n)

    response = client.get("/admin/audit/export.csv?action=call.updated")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0] == ["时间", "操作人", "操作代码", "操作", "对象", "对象编号", "原因", "变更前", "变更后", "来源IP"]
    [row] = table[1:]
    assert row[2:6] == ["call.updated", "修改征集批次设置", "calls", "1"]
    assert row[6] == "'=HYPERLINK(\"http://evil\")" and row[8] == '{"name": "批次"}' and row[9] == "10.0.0.1"
    assert len(row[0]) == len("2026-12-06 10:00:00")
    everything = list(csv.reader(io.StringIO(client.get("/admin/audit/export.csv").data.decode("utf-8-sig"))))
    assert sum(row[2] == "entry.autosaved" for row in everything) == 60
    [exported, _second] = _events(session, "audit.exported")
    assert (exported.actor_id, exported.after) == (chair.id, {"format": "csv", "filters": {"action": "call.updated"}})


@pytest.mark.parametrize("role", [Role.EXPERT, Role.PUBLICITY])
def test_only_chairs_read_or_export_the_log(client, login, make, role):
    login(make.staff(role))
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_prune_deletes_only_what_the_retention_allows(app, runner, session, monkeypatch):
    old = _event(session, occurred_at=utcnow() - timedelta(days=400)).id
    recent = _event(session, occurred_at=utcnow() - timedelta(days=100)).id

    def kept():
        session.expire_all()
        return set(session.exec(select(AuditEvent.id).where(AuditEvent.id.in_([old, recent]))).all())

    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0 and "keeps every event" in result.output
    assert kept() == {old, recent}

    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 365)
    result = runner.invoke(args=["audit", "prune"])

    assert result.exit_code == 0 and "Deleted 1 audit event(s) older than 365 days" in result.output
    assert kept() == {recent}
    [pruned] = _events(session, "audit.pruned")
    assert (pruned.actor_id, pruned.after["deleted"], pruned.after["retention_days"]) == (None, 1, 365)


def test_a_retention_under_six_months_is_refused(tmp_path):
    from app import create_app
    from app.config import ConfigError
    from tests.conftest import make_test_config

    with pytest.raises(ConfigError, match="AUDIT_RETENTION_DAYS must be 0"):
        create_app(make_test_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, AUDIT_RETENTION_DAYS=30))


# --- downloads ---------------------------------------------------------------------------


@pytest.fixture
def published(make):
    scored = make.scored_call(totals=[[80.0, 85.0], [70.0, 75.0]])
    return scored, scored.publish()


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_ranking_downloads_are_audited(client, session, login, make, published, fmt):
    scored, run = published
    publicity = login(make.staff(Role.PUBLICITY))
    response = client.get(f"/results/runs/{run.id}/rankings.{fmt}")
    assert response.status_code == 200
    [event] = _events(session, "results.exported")
    assert (event.actor_id, event.actor_email, event.object_type, event.object_id) == (
        publicity.id, publicity.email, "result_runs", run.id)
    assert event.after == {"format": fmt, "call_id": scored.call.id, "published": True}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_formal_check_downloads_are_audited(client, session, login, make, fmt):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    make.entry(call=call, status=EntryStatus.SUBMITTED)
    chair = login(make.chair())
    assert client.get(f"/check/export.{fmt}?call={call.id}&status=submitted").status_code == 200
    [event] = _events(session, "formal_check.exported")
    assert (event.actor_id, event.object_type, event.object_id) == (chair.id, "calls", call.id)
    assert (event.after["format"], event.after["rows"], event.after["filters"]["status"]) == (fmt, 1, "submitted")


def test_application_pdf_downloads_are_audited_and_labelled_for_chairs_only(client, session, login, make):
    applicant = make.applicant()
    entry = make.entry(organisation=applicant.organisation, status=EntryStatus.SUBMITTED)
    login(applicant)
    assert client.get(f"/entries/{entry.id}/application.pdf").status_code == 200
    [event] = _events(session, "entry.pdf_downloaded")
    assert (event.actor_id, event.object_type, event.object_id, event.after) == (
        applicant.id, "entries", entry.id, {"format": "pdf"})
    history = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "下载了申报书" not in history  # the organisation's history shows its steps, not downloads
    client.post("/account/logout")
    login(make.chair())
    assert "下载了申报书（PDF）" in client.get(f"/entries/{entry.id}").get_data(as_text=True)


def test_brochure_downloads_are_audited(app, client, session, login, make, published, tmp_path, monkeypatch):
    scored, run = published
    monkeypatch.setitem(app.config, "BROCHURE_FOLDER", str(tmp_path / "brochures"))
    chair = make.chair()
    brochure = Brochure(call_id=scored.call.id, snapshot_id=run.id, status=BrochureStatus.DONE, pages=1, size_bytes=1,
                        created_by_id=chair.id, started_at=utcnow(), finished_at=utcnow(),
                        options={"title": "案例集", "profile": "print"}, file_key=f"call-{scored.call.id}/b.pdf")
    session.add(brochure)
    session.commit()
    path = Path(app.config["BROCHURE_FOLDER"]) / brochure.file_key
    path.parent.mkdir(parents=True)
    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    path.write_bytes(out.getvalue())
    publicity = login(make.staff(Role.PUBLICITY))

    with client.get(f"/brochure/calls/{scored.call.id}/download") as response:
        assert response.status_code == 200

    [event] = _events(session, "brochure.downloaded")
    assert (event.actor_id, event.object_type, event.object_id) == (publicity.id, "brochures", brochure.id)
    assert event.after == {"format": "pdf", "call_id": scored.call.id, "profile": "print"}


def test_account_events_show_with_labels_in_a_users_history(client, session, login, make):
    expert = make.staff(Role.EXPERT)
    client.post("/account/login", data={"email": expert.email, "password": "wrong-Password-1"})
    client.post("/account/login", data={"email": expert.email, "password": PASSWORD})
    client.post("/account/logout")
    login(make.chair())
    page = client.get(f"/admin/users/{expert.id}").get_data(as_text=True)
    for label in ("登录失败", "登录", "退出登录"):
        assert f"<td>{label}</td>" in page, label


def test_histories_name_every_action_in_chinese_not_by_its_key(client, session, login, make):
    """Issue 16, item 2: the call page, the formal-check decision page and the
    chair's view of an entry showed ``call.created``, ``entry.autosaved``, ``assignment.added``."""
    chair = login(make.chair())
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    entry = make.entry(call=call, status=EntryStatus.SUBMITTED)
    for action, obj_type, obj_id in (
        ("call.created", "calls", call.id), ("rubric.frozen", "calls", call.id), ("assignment.run", "calls", call.id),
        ("results.computed", "calls", call.id), ("results.published", "calls", call.id),
        ("entry.created", "entries", entry.id), ("entry.autosaved", "entries", entry.id),
        ("assignment.added", "entries", entry.id),
    ):
        _event(session, action=action, object_type=obj_type, object_id=obj_id, actor_email=chair.email)

    call_page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    decision_page = client.get(f"/check/entries/{entry.id}/decision").get_data(as_text=True)
    entry_page = client.get(f"/entries/{entry.id}").get_data(as_text=True)

    for label in ("创建征集批次", "固化评审标准", "自动分配评审专家", "计算评审结果", "发布评审结果"):
        assert label in call_page
    assert "创建申报项目" in decision_page and "申报项目自动保存" in decision_page
    assert "分配评审专家" in entry_page
    for page in (call_page, decision_page, entry_page):
        assert not any(key in page for key in (
            "call.created", "rubric.frozen", "assignment.run", "results.computed", "results.published",
            "entry.created", "entry.autosaved", "assignment.added"))
