"""The chair's formal check: the entry table, decisions, bulk decisions, exports."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, EntryStatus, Membership, Phase, Role
from app.models import AuditEvent, Entry

S = EntryStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def call(make):
    return make.call(open_phase=Phase.FORMAL_CHECK)


@pytest.fixture
def chair(login, make):
    return login(make.chair())


def _ids(response, checked=False) -> list[int]:
    """The entry ids of the table's rows, in order (only the ticked ones with ``checked``)."""
    boxes = re.findall(r'(<input [^>]*name="entry_ids" value="(\d+)"[^>]*>)', response.get_data(as_text=True))
    return [int(value) for box, value in boxes if not checked or box.endswith(" checked>")]


def _local_input(moment: datetime) -> str:
    """What a datetime-local input sends for ``moment`` in the call's timezone."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _audit(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.object_id)).all()


# --- the table --------------------------------------------------------------


def test_table_lists_the_calls_entries_and_links_them(client, make, chair, call):
    organisation = make.organisation(name="深圳视觉科技有限公司")
    first = make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0, title="产线缺陷检测")
    second = make.entry(call=call, status=S.DRAFT, complete=False, title="草稿场景")
    make.entry(call=make.call(name="另一批次", open_phase=Phase.SUBMISSION), status=S.SUBMITTED, photos=0, title="别的批次")

    response = client.get(f"/check/?call={call.id}")

    page = response.get_data(as_text=True)
    assert sorted(_ids(response)) == [first.id, second.id]
    assert f'href="/entries/{first.id}"' in page and "产线缺陷检测" in page and "深圳视觉科技有限公司" in page
    assert f'href="/check/entries/{first.id}/decision?next=' in page
    assert "别的批次" not in page
    assert "js/formal_check.js" in page


def test_table_defaults_to_the_current_call_and_offers_the_others(client, make, chair, call, english):
    old = make.call(name="往年批次", year=2020, now=utcnow() - timedelta(days=800))
    current = make.entry(call=call, status=S.SUBMITTED, photos=0, title="本年度场景")
    past = make.entry(call=old, status=S.SUBMITTED, photos=0, title="往年场景")

    page = client.get("/check/")
    assert _ids(page) == [current.id]
    text = page.get_data(as_text=True)
    assert f'<option selected value="{call.id}">' in text and f'<option value="{old.id}">往年批次 (2020)</option>' in text

    assert _ids(client.get(f"/check/?call={old.id}")) == [past.id]
    # An unknown call falls back to the current one.
    assert _ids(client.get("/check/?call=999999")) == [current.id]


def test_filters_narrow_the_table(client, make, chair, call):
    guangzhou = make.organisation(name="广州智能医疗研究院", city_code="440100")
    shenzhen = make.organisation(name="深圳无人机有限公司")
    health = make.entry(call=call, organisation=guangzhou, status=S.SUBMITTED, photos=0, title="影像辅助诊断",
                        domain=Domain.HEALTHCARE, city_code="440100", summary="基于深度学习的肺结节筛查。")
    drone = make.entry(call=call, organisation=shenzhen, status=S.SUBMITTED, photos=0, title="电网巡检",
                       domain=Domain.UNMANNED, city_code="440300", summary="无人机自主巡检输电线路。")
    returned = make.entry(call=call, organisation=shenzhen, status=S.RETURNED, photos=0, title="物流配送",
                          domain=Domain.UNMANNED, city_code="440300", summary="末端配送。")

    def ids(query):
        return sorted(_ids(client.get(f"/check/?call={call.id}&{query}")))

    assert ids("domain=unmanned") == [drone.id, returned.id]
    assert ids("city=440100") == [health.id]
    assert ids("status=returned") == [returned.id]
    assert ids("organisation=无人机") == [drone.id, returned.id]
    assert ids("q=肺结节") == [health.id]  # summary
    assert ids("q=巡检") == [drone.id]  # title (and summary)
    assert ids("q=研究院") == [health.id]  # organisation name
    assert ids("q=无人机+配送") == [returned.id]  # every word must match
    assert ids("domain=unmanned&status=submitted") == [drone.id]
    assert ids("q=100%25") == []  # LIKE wildcards are matched literally
    assert ids("domain=nonsense&status=nonsense&city=999999") == sorted([health.id, drone.id, returned.id])


def test_sorting_in_both_directions(client, make, session, chair, call):
    alpha = make.organisation(name="Alpha Robotics")
    zulu = make.organisation(name="Zulu Vision")
    now = utcnow()
    a = make.entry(call=call, organisation=zulu, status=S.ELIGIBLE, photos=0, title="Bravo", domain=Domain.CITY,
                   city_code="445300")
    b = make.entry(call=call, organisation=alpha, status=S.SUBMITTED, photos=0, title="Charlie", domain=Domain.MANUFACTURING,
                   city_code="440100")
    c = make.entry(call=call, organisation=alpha, status=S.RETURNED, photos=0, title="Alpha", domain=Domain.UNMANNED,
                   city_code="440300")
    draft = make.entry(call=call, organisation=zulu, status=S.DRAFT, complete=False, title="Delta")
    for entry, days in ((a, 3), (b, 1), (c, 2)):
        entry.submitted_at = now - timedelta(days=days)
        session.add(entry)
    session.commit()

    def order(sort, direction):
        return _ids(client.get(f"/check/?call={call.id}&sort={sort}&order={direction}"))

    # Entries never submitted come last in both directions.
    assert order("submitted", "asc") == [a.id, c.id, b.id, draft.id]
    assert order("submitted", "desc") == [b.id, c.id, a.id, draft.id]
    assert order("title", "asc") == [c.id, a.id, b.id, draft.id]
    assert order("title", "desc") == [draft.id, b.id, a.id, c.id]
    # Same organisation: the id breaks the tie, in the same direction.
    assert order("organisation", "asc") == [b.id, c.id, a.id, draft.id]
    assert order("organisation", "desc") == [draft.id, a.id, c.id, b.id]
    # Domains in the brief's order (manufacturing … unmanned); no domain last.
    assert order("domain", "asc") == [b.id, a.id, c.id, draft.id]
    assert order("domain", "desc") == [c.id, a.id, b.id, draft.id]
    # Cities by their GB/T 2260 code.
    assert order("city", "asc") == [b.id, c.id, a.id, draft.id]
    # Statuses in the entry's life: draft, submitted, returned, eligible.
    assert order("status", "asc") == [draft.id, b.id, c.id, a.id]
    assert order("status", "desc") == [a.id, c.id, b.id, draft.id]
    # The default: submitted, oldest first.
    assert _ids(client.get(f"/check/?call={call.id}")) == order("submitted", "asc")


def test_sort_links_keep_the_filters_and_toggle_the_direction(client, make, chair, call):
    make.entry(call=call, status=S.SUBMITTED, photos=0, domain=Domain.CITY)
    page = client.get(f"/check/?call={call.id}&domain=city&sort=title&order=asc").get_data(as_text=True)
    assert 'aria-sort="ascending"' in page
    assert f'href="/check/?call={call.id}&amp;domain=city&amp;sort=title&amp;order=desc"' in page
    assert f'href="/check/?call={call.id}&amp;domain=city&amp;sort=city&amp;order=asc"' in page


def _many_entries(session, call, organisation, count, **fields):
    """``count`` submitted entries in one commit (no photos, for speed)."""
    now = utcnow()
    entries = [
        Entry(call_id=call.id, organisation_id=organisation.id, status=S.SUBMITTED, title=f"场景{n:03d}",
              domain=Domain.CITY, city_code="440300", submitted_at=now - timedelta(minutes=count - n), **fields)
        for n in range(count)
    ]
    session.add_all(entries)
    session.commit()
    return entries


def test_pages_of_fifty(client, make, session, chair, call, english):
    entries = _many_entries(session, call, make.organisation(), 55)

    first = client.get(f"/check/?call={call.id}")
    second = client.get(f"/check/?call={call.id}&page=2")
    beyond = client.get(f"/check/?call={call.id}&page=9")

    assert _ids(first) == [entry.id for entry in entries[:50]]
    assert _ids(second) == [entry.id for entry in entries[50:]]
    assert _ids(beyond) == _ids(second)  # past the end: the last page
    text = first.get_data(as_text=True)
    assert "55 entries" in text and "Page 1 of 2" in text
    assert f'href="/check/?page=2&amp;call={call.id}"' in text


def test_table_runs_one_count_and_one_page_query(app, client, make, session, chair, call):
    organisation = make.organisation()
    _many_entries(session, call, organisation, 60)
    make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=1)
    statements = []

    def _record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["db"].engine
    sa.event.listen(engine, "before_cursor_execute", _record)
    try:
        response = client.get(f"/check/?call={call.id}&q=场景&sort=organisation")
    finally:
        sa.event.remove(engine, "before_cursor_execute", _record)

    assert len(_ids(response)) == 50
    on_entries = [s for s in statements if "FROM entries" in s]
    assert len(on_entries) == 2
    assert "count(entries.id)" in on_entries[0] and "JOIN organisations" in on_entries[0]
    assert "LIMIT" in on_entries[1] and "JOIN organisations" in on_entries[1]
    assert not [s for s in statements if re.search(r"entry_photos|entry_outcomes|entry_attachments", s)]


def test_titles_are_escaped(client, make, chair, call):
    make.entry(call=call, status=S.SUBMITTED, photos=0, title="<script>alert(1)</script>")
    page = client.get(f"/check/?call={call.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_chairs_see_the_menu_item(client, make, chair, english):
    assert 'href="/check/">Formal check</a>' in client.get("/").get_data(as_text=True)


def test_no_call_yet(client, chair, english):
    assert "There is no call yet." in client.get("/check/").get_data(as_text=True)
    assert client.get("/check/export.csv").status_code == 404


# --- one decision -----------------------------------------------------------


def test_chair_declares_an_entry_eligible(client, make, session, outbox, chair, call):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation, email="member@example.com")
    make.applicant(organisation=organisation, membership=Membership.PENDING, email="pending@example.com")
    entry = make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0)

    response = client.post(
        f"/check/entries/{entry.id}/decision", data={"decision": "eligible", "next": f"/check/?call={call.id}"}
    )

    assert response.headers["Location"] == f"/check/?call={call.id}"
    session.refresh(entry)
    assert (entry.status, entry.check_reason, entry.revision_deadline) == (S.ELIGIBLE, None, None)
    (event,) = _audit(session, "entry.checked_eligible")
    assert (event.object_id, event.actor_id, event.before, event.after) == (
        entry.id, chair.id, {"status": "submitted"}, {"status": "eligible"},
    )
    assert [message["To"] for message in outbox.messages] == [member.email]
    assert entry.title in outbox.messages[0]["Subject"]
    assert f"“{entry.title}”" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_chair_returns_an_entry_with_a_reason_and_a_local_deadline(client, make, session, outbox, chair, call):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation)
    entry = make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0)
    deadline = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)

    response = client.post(
        f"/check/entries/{entry.id}/decision",
        data={"decision": "returned", "reason": "  请补充应用成效数据。 ", "revision_deadline": _local_input(deadline)},
    )

    assert response.status_code == 302 and response.headers["Location"] == "/check/"
    session.refresh(entry)
    assert (entry.status, entry.check_reason, entry.revision_deadline) == (S.RETURNED, "请补充应用成效数据。", deadline)
    (event,) = _audit(session, "entry.returned")
    assert (event.reason, event.after) == (
        "请补充应用成效数据。", {"status": "returned", "revision_deadline": deadline.isoformat()},
    )
    assert [message["To"] for message in outbox.messages] == [member.email]


def test_chair_declares_an_entry_ineligible_with_a_reason(client, make, session, chair, call):
    entry = make.entry(call=call, status=S.SUBMITTED, photos=0)
    client.post(f"/check/entries/{entry.id}/decision", data={"decision": "ineligible", "reason": "不属于八大领域。"})
    session.refresh(entry)
    assert (entry.status, entry.check_reason) == (S.INELIGIBLE, "不属于八大领域。")
    assert [event.reason for event in _audit(session, "entry.checked_ineligible")] == ["不属于八大领域。"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "ineligible", "reason": "  "}, "Give a reason: the applicant sees it."),
        ({"decision": "returned", "reason": "补充材料"}, "Set a resubmission deadline in the future."),
        ({"decision": "returned", "reason": "补充材料", "revision_deadline": "past"}, "Set a resubmission deadline in the future."),
        ({"decision": "returned", "reason": "补充材料", "revision_deadline": "late"},
         "The resubmission deadline must fall before the formal check ends."),
        ({"decision": "returned", "reason": "补充材料", "revision_deadline": "2027-13-45T99:00"}, "Not a valid datetime value."),
        ({"decision": "published"}, "Not a valid choice."),
        ({}, "Choose a decision."),
    ],
)
def test_refused_decisions_change_nothing(client, make, session, outbox, chair, call, english, data, message):
    entry = make.entry(call=call, status=S.SUBMITTED, photos=0)
    deadlines = {"past": utcnow() - timedelta(hours=1), "late": utcnow() + timedelta(days=30)}
    if data.get("revision_deadline") in deadlines:
        data = data | {"revision_deadline": _local_input(deadlines[data["revision_deadline"]])}

    response = client.post(f"/check/entries/{entry.id}/decision", data=data)

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    session.refresh(entry)
    assert entry.status == S.SUBMITTED
    assert session.exec(select(AuditEvent).where(AuditEvent.object_type == "entries")).all() == []
    assert outbox.messages == []


def test_no_decision_outside_the_submission_and_formal_check_phases(client, make, session, chair, english):
    entry = make.entry(call=make.call(open_phase=Phase.REVIEW), status=S.SUBMITTED, photos=0)
    response = client.post(f"/check/entries/{entry.id}/decision", data={"decision": "eligible"})
    assert "The formal check can only be recorded during the submission and formal check phases." in response.get_data(as_text=True)
    session.refresh(entry)
    assert entry.status == S.SUBMITTED


def test_decision_page_offers_only_the_decisions_the_status_allows(client, make, chair, call, english):
    returned = make.entry(call=call, status=S.RETURNED, photos=0)
    draft = make.entry(call=call, status=S.DRAFT, photos=0)

    page = client.get(f"/check/entries/{returned.id}/decision").get_data(as_text=True)
    assert 'value="eligible"' in page and 'value="ineligible"' in page and 'value="returned"' not in page
    assert 'name="next" value="/check/"' in page and "(Beijing time)" in page and "Asia/Shanghai" not in page
    assert f'href="/entries/{returned.id}"' in page

    page = client.get(f"/check/entries/{draft.id}/decision").get_data(as_text=True)
    assert "cannot take a formal check decision" in page and 'name="decision"' not in page
    assert client.get("/check/entries/999999/decision").status_code == 404


def test_decision_never_redirects_off_site(client, make, chair, call):
    entry = make.entry(call=call, status=S.SUBMITTED, photos=0)
    response = client.post(
        f"/check/entries/{entry.id}/decision", data={"decision": "eligible", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/check/"


# --- bulk decisions ---------------------------------------------------------


def test_bulk_decision_records_every_selected_entry(client, make, session, outbox, chair, call, english):
    organisation = make.organisation()
    make.applicant(organisation=organisation)
    entries = [make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0) for _ in range(3)]
    untouched = make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0)

    response = client.post(
        f"/check/decisions?call={call.id}&domain=manufacturing&page=1",
        data={"decision": "eligible", "entry_ids": [str(entry.id) for entry in entries]},
    )

    assert response.headers["Location"] == f"/check/?call={call.id}&domain=manufacturing&page=1"
    for entry in entries + [untouched]:
        session.refresh(entry)
    assert [entry.status for entry in entries] == [S.ELIGIBLE] * 3 and untouched.status == S.SUBMITTED
    assert [event.object_id for event in _audit(session, "entry.checked_eligible")] == [entry.id for entry in entries]
    assert len(outbox.messages) == 3
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "“Eligible” has been recorded for 3 entries." in page


def test_bulk_return_sets_the_same_reason_and_deadline(client, make, session, chair, call):
    entries = [make.entry(call=call, status=S.SUBMITTED, photos=0) for _ in range(2)]
    deadline = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    client.post(
        f"/check/decisions?call={call.id}",
        data={"decision": "returned", "reason": "缺少照片说明", "revision_deadline": _local_input(deadline),
              "entry_ids": [str(entry.id) for entry in entries]},
    )
    for entry in entries:
        session.refresh(entry)
        assert (entry.status, entry.check_reason, entry.revision_deadline) == (S.RETURNED, "缺少照片说明", deadline)
    assert [event.reason for event in _audit(session, "entry.returned")] == ["缺少照片说明"] * 2


def test_bulk_decision_is_all_or_nothing(client, make, session, outbox, chair, call, english):
    organisation = make.organisation()
    make.applicant(organisation=organisation)
    ok = make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0, title="可以通过的场景")
    draft = make.entry(call=call, organisation=organisation, status=S.DRAFT, photos=0, title="尚未提交的场景")
    eligible = make.entry(call=call, organisation=organisation, status=S.ELIGIBLE, photos=0, title="已经通过的场景")
    other_call = make.entry(call=make.call(), organisation=organisation, status=S.SUBMITTED, photos=0, title="其他批次的场景")

    response = client.post(
        f"/check/decisions?call={call.id}",
        data={"decision": "eligible", "entry_ids": [str(e.id) for e in (ok, draft, eligible, other_call)]},
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was recorded: 3 of the selected entries cannot take this decision." in page
    assert "“尚未提交的场景”: An entry that is “Draft” cannot become “Eligible”." in page
    assert "“已经通过的场景”: An entry that is “Eligible” cannot become “Eligible”." in page
    assert f"“#{other_call.id}”: This entry is not part of the call." in page
    # The selection stays ticked, to be corrected.
    assert sorted(_ids(response, checked=True)) == sorted([ok.id, draft.id, eligible.id])
    for entry in (ok, draft, eligible):
        session.refresh(entry)
    assert (ok.status, draft.status, eligible.status) == (S.SUBMITTED, S.DRAFT, S.ELIGIBLE)
    assert session.exec(select(AuditEvent).where(AuditEvent.object_type == "entries")).all() == []
    assert outbox.messages == []


def test_bulk_decision_needs_a_selection_and_a_reason(client, make, session, chair, call, english):
    entry = make.entry(call=call, status=S.SUBMITTED, photos=0)
    response = client.post(f"/check/decisions?call={call.id}", data={"decision": "eligible"})
    assert "Select at least one entry." in response.get_data(as_text=True)
    response = client.post(f"/check/decisions?call={call.id}", data={"decision": "ineligible", "entry_ids": [str(entry.id)]})
    assert "Give a reason: the applicant sees it." in response.get_data(as_text=True)
    response = client.post(f"/check/decisions?call={call.id}", data={"decision": "eligible", "entry_ids": ["x"]})
    assert "The selection could not be read." in response.get_data(as_text=True)
    session.refresh(entry)
    assert entry.status == S.SUBMITTED


# --- exports ----------------------------------------------------------------


@pytest.fixture
def export_entries(make, session, call):
    organisation = make.organisation(name="@SUM(1+1)*cmd")
    first = make.entry(
        call=call, organisation=organisation, status=S.SUBMITTED, photos=2, title="=HYPERLINK(\"http://evil\")",
        contact_name="+王芳", contact_phone="-1", tech_tags=["computer_vision", "边缘计算"], investment=850.5,
        domain=Domain.HEALTHCARE, city_code="440100",
    )
    second = make.entry(call=call, status=S.RETURNED, photos=0, title="Plain title", investment=1200.0,
                        domain=Domain.CITY, city_code="440300")
    first.submitted_at = datetime(2026, 3, 1, 1, 30, 45, tzinfo=timezone.utc)  # 09:30 in Shanghai
    second.submitted_at = datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)  # 00:00 on 3 March
    session.add_all([first, second])
    session.commit()
    return first, second, organisation


ENGLISH_HEADERS = [
    "ID", "Title", "Organisation", "Unified social credit code", "Domain", "City", "Status", "Submitted at",
    "Contact person", "Contact phone", "Contact email", "AI technologies", "Investment (10,000 yuan)", "Number of photos",
]


def test_excel_export(client, chair, call, export_entries, english):
    first, second, organisation = export_entries

    response = client.get(f"/check/export.xlsx?call={call.id}&sort=submitted&order=asc")

    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and "filename*=UTF-8''" in disposition
    assert disposition.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ENGLISH_HEADERS
    assert rows[1] == [
        first.id, "'=HYPERLINK(\"http://evil\")", "'@SUM(1+1)*cmd", organisation.credit_code, "Smart healthcare",
        "Guangzhou", "Submitted", datetime(2026, 3, 1, 9, 30), "'+王芳", "'-1", "wangfang@example.com",
        "Computer vision、边缘计算", 850.5, 2,
    ]
    assert rows[2][0] == second.id and rows[2][6:8] == ["Returned for revision", datetime(2026, 3, 3, 0, 0)]
    assert rows[2][12:] == [1200, 0]
    assert len(rows) == 3
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b is True
    assert sheet["H2"].number_format == "yyyy-mm-dd hh:mm" and sheet["H2"].is_date
    assert all(sheet.cell(row=r, column=1).data_type == "n" for r in (2, 3))
    assert sheet["B2"].data_type == "s"  # never a formula
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABDHN"}
    # Fits the longest value (Chinese counts double), within 6 … 60.
    assert widths == {"A": 6.0, "B": 28.0, "D": 28.0, "H": 18.0, "N": 18.0}


def test_excel_export_prints_on_a4_landscape_with_the_call_on_every_page(client, chair, call, export_entries):
    response = client.get(f"/check/export.xlsx?call={call.id}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (9, "landscape")
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"
    assert (sheet.oddHeader.left.text, sheet.oddHeader.right.text) == (call.name, "&A")
    assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_excel_headers_follow_the_interface_language(client, chair, call, export_entries):
    response = client.get(f"/check/export.xlsx?call={call.id}")
    headers = [cell.value for cell in next(load_workbook(io.BytesIO(response.data)).active.iter_rows())]
    assert headers[2:4] == ["单位", "统一社会信用代码"] and headers[6] == "状态"


def test_csv_export(client, chair, call, export_entries, english):
    first, second, organisation = export_entries

    response = client.get(f"/check/export.csv?call={call.id}&sort=submitted&order=desc")

    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"].endswith(".csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ENGLISH_HEADERS
    assert [row[0] for row in rows[1:]] == [str(second.id), str(first.id)]
    assert rows[2] == [
        str(first.id), "'=HYPERLINK(\"http://evil\")", "'@SUM(1+1)*cmd", organisation.credit_code, "Smart healthcare",
        "Guangzhou", "Submitted", "2026-03-01 09:30", "'+王芳", "'-1", "wangfang@example.com",
        "Computer vision、边缘计算", "850.5", "2",
    ]
    assert rows[1][7] == "2026-03-03 00:00" and rows[1][12:] == ["1200", "0"]


def test_exports_follow_the_filters(client, chair, call, export_entries):
    _first, second, _organisation = export_entries
    response = client.get(f"/check/export.csv?call={call.id}&status=returned&page=1")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [str(second.id)]


def test_export_filename_names_the_call(client, make, chair):
    call = make.call(name="2026年人工智能应用场景征集", open_phase=Phase.FORMAL_CHECK)
    disposition = client.get(f"/check/export.csv?call={call.id}").headers["Content-Disposition"]
    # RFC 5987: an ASCII fallback and the UTF-8 name, percent-encoded.
    assert "filename*=UTF-8''2026%E5%B9%B4" in disposition


# --- access -----------------------------------------------------------------

ROUTES = [
    ("GET", "/check/"),
    ("POST", "/check/decisions?call={call}"),
    ("GET", "/check/entries/{entry}/decision"),
    ("POST", "/check/entries/{entry}/decision"),
    ("GET", "/check/export.xlsx?call={call}"),
    ("GET", "/check/export.csv?call={call}"),
]


@pytest.fixture
def objects(make, call):
    organisation = make.organisation()
    entry = make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0)
    return {"call": call.id, "entry": entry.id, "organisation": organisation}


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("who", ["applicant", "expert", "publicity"])
def test_only_chairs_reach_the_formal_check(client, login, make, session, objects, method, path, who):
    users = {
        # Even an approved member of the entry's own organisation.
        "applicant": lambda: make.applicant(organisation=objects["organisation"]),
        "expert": lambda: make.staff(Role.EXPERT),
        "publicity": lambda: make.staff(Role.PUBLICITY),
    }
    login(users[who]())
    response = client.open(path.format(**objects), method=method, data={"decision": "eligible", "entry_ids": [str(objects["entry"])]})
    assert response.status_code == 403
    assert session.get(Entry, objects["entry"]).status == S.SUBMITTED


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_visitors_are_sent_to_log_in(client, objects, method, path):
    response = client.open(path.format(**objects), method=method)
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login?next=")


@pytest.mark.parametrize("path", ["/check/decisions?call={call}", "/check/entries/{entry}/decision"])
def test_decisions_need_a_csrf_token(client, make, session, csrf, objects, path):
    chair = make.chair()
    page = client.get("/account/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/account/login", data={"email": chair.email, "password": "correct-horse-battery", "csrf_token": token})

    response = client.post(path.format(**objects), data={"decision": "eligible", "entry_ids": [str(objects["entry"])]})

    assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True)
    assert session.get(Entry, objects["entry"]).status == S.SUBMITTED
    # The pages carry the token their forms need.
    assert 'name="csrf_token"' in client.get(path.format(**objects).replace("/decisions", "/")).get_data(as_text=True)
