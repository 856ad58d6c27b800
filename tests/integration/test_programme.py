"""The programme's progress: showcase scenarios over all calls' official
lists against the target, by domain, city and year; the gaps and the quota
suggestion copied into a new call; permissions; exports; the library's
public summary; the target setting."""
import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, Role
from app.models import AuditEvent
from tests.factories.lists import official_list

EARLIER = utcnow() - timedelta(days=30)


@pytest.fixture
def calls(make):
    """Two calls with official lists and a third without: 5 scenarios in all.

    2025: an older official list (4 selected) replaced by a newer one from which
    an entry was withdrawn (3 selected: manufacturing 2, healthcare 1).
    2026: an official list (education 1, finance 1), then a proposed list that does not count.
    """
    older, _run, entries = official_list(
        make, name="2025年征集", year=2025, published_at=EARLIER,
        rows=[("manufacturing", "440300", True), ("manufacturing", "440100", True), ("manufacturing", "440300", True),
              ("healthcare", "440100", True), ("city", "440600", False)])
    official_list(make, call=older, entries=entries, selected={0, 1, 3}, list_kind="official",
                  withdrawn={2: "异议成立"})
    newer, _run, entries = official_list(
        make, name="2026年征集", year=2026,
        rows=[("education", "440600", True), ("finance", "440300", True), ("government", "440100", False)])
    official_list(make, call=newer, entries=entries, selected={0}, list_kind="proposed",
                  published_at=utcnow() + timedelta(minutes=1))
    make.call(name="2027年征集", year=2027)
    return older, newer


def _row(page: str, domain: str) -> list[str]:
    """The cells of a domain's row in the programme table."""
    start = page.index(f'<tr data-domain="{domain}">')
    row = page[start:page.index("</tr>", start)]
    import re

    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


def test_counts_read_each_calls_current_official_list(client, login, make, calls):
    login(make.chair())
    page = client.get("/programme/").get_data(as_text=True)
    assert "已遴选示范场景 5 个，目标 200 个（完成 2%），尚差 195 个。" in page
    assert _row(page, "manufacturing") == ["智能制造", "2", "25", "8 %", "23", "23"]
    assert _row(page, "healthcare")[:5] == ["智慧医疗", "1", "25", "4 %", "24"]
    assert _row(page, "education")[1] == "1" and _row(page, "finance")[1] == "1"
    assert _row(page, "government")[1] == "0" and _row(page, "city")[1] == "0"  # not selected, or only proposed
    assert "2025年征集" in page and "2026年征集" in page and "<th scope=\"row\" class=\"fw-normal\">2027年征集" not in page
    assert "2025年合计" in page and "2026年合计" in page


def test_the_suggestion_spreads_the_next_target_and_prefills_a_new_call(client, login, make, calls):
    login(make.chair())
    page = client.get("/programme/?total=39").get_data(as_text=True)
    expected = {"manufacturing": 4} | {domain.value: 5 for domain in Domain if domain != Domain.MANUFACTURING}
    assert {domain.value: int(_row(page, domain.value)[-1]) for domain in Domain} == expected
    assert "按各领域缺口的比例分配" in page
    link = page[page.index('id="copy-quotas"') - 400:page.index('id="copy-quotas"')]
    href = link[link.rindex('href="') + 6:link.rindex('"')].replace("&amp;", "&")
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "/calls/new" and query["target_count"] == ["39"]
    assert {key[6:]: int(value[0]) for key, value in query.items() if key.startswith("quota_")} == expected

    form = client.get(href).get_data(as_text=True)
    assert 'name="target_count"' in form and 'value="39"' in form[form.index('name="target_count"') - 200:][:400]
    segment = form[form.index('id="quota_manufacturing"') - 200:][:400]
    assert 'value="4"' in segment

    bad = client.get("/programme/?total=abc").get_data(as_text=True)
    assert "下一批次目标数须为 1 至 10000 之间的整数" in bad and _row(bad, "manufacturing")[-1] == "23"


def test_only_chairs_and_publicity_staff_see_the_programme_page(client, login, make, calls):
    assert client.get("/programme/").status_code == 302
    for outsider in (make.applicant(), make.expert()):
        login(outsider)
        assert client.get("/programme/").status_code == 403
        assert client.get("/programme/export.csv").status_code == 403
        client.post("/account/logout")
    login(make.staff(Role.PUBLICITY))
    page = client.get("/programme/").get_data(as_text=True)
    assert "已遴选示范场景 5 个" in page and 'id="copy-quotas"' not in page
    client.post("/account/logout")
    login(make.chair())
    assert 'id="copy-quotas"' in client.get("/programme/").get_data(as_text=True)


def test_the_programme_table_exports_as_csv_and_excel(client, session, login, make, calls):
    chair = login(make.chair())
    response = client.get("/programme/export.csv?total=39")
    assert response.mimetype == "text/csv" and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["所属领域", "入选", "分配目标数", "缺口", "下一批次建议名额"]
    assert rows[1] == ["智能制造", "2", "25", "23", "4"] and rows[-1] == ["合计", "5", "200", "195", "39"]
    assert len(rows) == 10

    response = client.get("/programme/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["按领域", "按城市", "按年度"]
    domains = book["按领域"]
    assert [cell.value for cell in domains[2]] == ["智能制造", 2, 25, 23, 23]
    assert domains.page_setup.orientation == "landscape"
    assert [[cell.value for cell in row] for row in book["按年度"].iter_rows(min_row=2)] == [[2025, 3], [2026, 2]]
    assert sorted(row[1].value for row in book["按城市"].iter_rows(min_row=2)) == [1, 2, 2]
    assert client.get("/programme/export.pdf").status_code == 404
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "programme.exported")
                          .order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.after["format"], e.after["total"]) for e in events] == [(chair.id, "csv", 5),
                                                                                   (chair.id, "xlsx", 5)]


def test_the_library_home_shows_the_public_summary(client, make, calls):
    page = client.get("/library/").get_data(as_text=True)
    assert "迈向 200 个示范场景" in page and "历次征集已累计遴选示范场景 5 个，目标 200 个。" in page
    summary = page[page.index('id="programme-domains"'):page.index("</ul>", page.index('id="programme-domains"'))]
    assert "智能制造</span><span>2<" in summary and "智慧医疗</span><span>1<" in summary
    assert "缺口" not in page and "建议名额" not in page


def test_the_chair_sets_the_programme_target(client, session, login, make, calls):
    chair = login(make.chair())
    settings = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="programme_target"' in settings and 'value="200"' in settings
    refused = client.post("/admin/settings", data={"site_name": "案例库", "programme_target": "0"})
    assert refused.status_code == 200 and "专项目标" in refused.get_data(as_text=True)
    client.post("/admin/settings", data={"site_name": "案例库", "programme_target": "160"})
    assert "已遴选示范场景 5 个，目标 160 个" in client.get("/programme/").get_data(as_text=True)
    assert _row(client.get("/programme/").get_data(as_text=True), "manufacturing")[2] == "20"
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "site.settings_updated")).all()
    assert event.actor_id == chair.id and event.before["programme_target"] == "" and event.after["programme_target"] == "160"
