"""Details a first-time user noticed (issue 16, item 9): half-width punctuation
after Chinese text, "Asia/Shanghai时区时间", an outcome of 8 shown as "8.0",
a 404 for the favicon on every page. (The failed submit of a score sheet is in
test_review_sheets.py.)"""
import re

from app.enums import EntryStatus, Phase, Role
from app.models import EntryOutcome

CJK = "[\u4e00-\u9fff]"
# A half-width colon, question mark or bracket right after or before Chinese text.
HALF_WIDTH_BESIDE_CJK = re.compile(rf"{CJK}[:?()]|[(]{CJK}")


def _text(page: str) -> str:
    """The page's visible text, roughly: no tags, scripts or styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", "", page)


def test_the_dashboard_and_an_entry_use_full_width_punctuation(client, session, make, login):
    applicant = login(make.applicant())
    entry = make.entry(organisation=applicant.organisation, call=make.call(open_phase=Phase.SUBMISSION))
    entry.investment, entry.investment_note = 860, "含配套设施"
    entry.outcomes = [EntryOutcome(position=0, metric="日均办件量", before=5.0, after=8.0, unit="万件")]
    session.add(entry)
    session.commit()

    dashboard = _text(client.get("/dashboard").get_data(as_text=True))
    view = _text(client.get(f"/entries/{entry.id}").get_data(as_text=True))

    assert "统一社会信用代码：" in dashboard and "我的申报（1）" in dashboard.replace(" ", "").replace("\n", "")
    assert "（含配套设施）" in view
    for page in (dashboard, view):
        assert HALF_WIDTH_BESIDE_CJK.findall(page) == []


def test_a_saved_outcome_of_8_reads_8_not_8_point_0(client, session, make, login):
    applicant = login(make.applicant())
    entry = make.entry(organisation=applicant.organisation, call=make.call(open_phase=Phase.SUBMISSION))
    entry.outcomes = [EntryOutcome(position=0, metric="日均办件量", before=5.0, after=8.0, unit="万件")]
    session.add(entry)
    session.commit()

    view = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    form = client.get(f"/entries/{entry.id}/edit/outcomes").get_data(as_text=True)

    assert ">8<" in view and ">5<" in view and "8.0" not in _text(view)
    assert re.search(r'name="outcomes-0-after"[^>]*value="8"', form)
    assert not re.search(r'value="8\.0"', form)


def test_times_are_said_to_be_beijing_time(client, make, login):
    login(make.chair())
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    entry = make.entry(call=call, status=EntryStatus.SUBMITTED)

    new_call = client.get("/calls/new").get_data(as_text=True)
    decision = client.get(f"/check/entries/{entry.id}/decision").get_data(as_text=True)

    assert "时间均为北京时间。" in new_call
    assert "（北京时间）" in decision
    for page in (new_call, decision):
        assert "Asia/Shanghai" not in page and "时区时间" not in page


def test_times_in_english_name_the_zone_too(client, make, login, english):
    login(make.chair())
    assert "Times are in Beijing time." in client.get("/calls/new").get_data(as_text=True)


def test_every_page_links_a_favicon_that_is_served(client, make, login):
    login(make.staff(Role.EXPERT))
    page = client.get("/review/").get_data(as_text=True)
    links = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert [link.split("?")[0] for link in links] == ["/static/favicon.svg", "/static/favicon.ico"]
    for link in links:
        with client.get(link) as response:
            assert response.status_code == 200 and len(response.data) > 100
    with client.get("/static/favicon.svg") as response:
        assert response.data.startswith(b"<svg")

    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header
