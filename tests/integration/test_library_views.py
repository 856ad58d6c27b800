"""The public case library's pages and open data, without logging in: what
is reachable, what never is, caching, and the brochure's QR codes."""
import csv
import io
import json
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import utcnow
from app.library import services
from app.models import Entry, EntryAttachment, EntryPhoto, LibraryCase, Notice, ResultRun
from app.storage import storage
from tests.factories.library import TITLES


def _case(session, title) -> LibraryCase:
    return session.exec(select(LibraryCase).where(LibraryCase.title == title)).one()


def _everything_public(client, session, library) -> str:
    """Every public page and document, concatenated: what a visitor can reach."""
    urls = ["/library/", "/library/cases", "/library/cases?q=%E6%99%BA", "/library/data",
            "/library/data/cases.json?per_page=100", "/library/data/cases.csv", "/library/data/openapi.json"]
    urls += [f"/library/{case.year}/{case.entry_id}" for case in session.exec(select(LibraryCase)).all()]
    bodies = []
    for url in urls:
        response = client.get(url)
        if response.status_code == 200:
            bodies.append(response.get_data(as_text=True))
    return "\n".join(bodies)


def test_visitors_browse_search_and_open_a_scenario(client, library, session):
    home = client.get("/library/").get_data(as_text=True)
    assert "5" in home and 'role="group"' in home  # the count and the city map
    assert all(f'/library/cases?city={code}' in home for code in ("440300", "440100"))

    found = client.get("/library/cases?q=智能&city=440300").get_data(as_text=True)
    assert TITLES[0] in found and TITLES[2] in found and TITLES[1] not in found

    top = _case(session, TITLES[0])
    page = client.get(f"/library/{top.year}/{top.entry_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and TITLES[0] in text and "缺陷检出率提升至99.5%" in text
    assert '<meta property="og:title" content="智能质检缺陷检测平台">' in text
    assert f'<link rel="canonical" href="http://localhost/library/{top.year}/{top.entry_id}">' in text


def test_nothing_unpublished_or_private_is_reachable(client, library, session):
    # Unselected entries, a hidden case, contact details, attachments, an unpublished photo.
    unselected = session.exec(select(Entry).where(Entry.title == TITLES[5])).one()
    hidden = _case(session, TITLES[3])
    with client.application.test_request_context():
        services.hide(session, case=hidden, reason="暂不公开的原因XYZ", actor=library.chair, now=utcnow())
        attachment = EntryAttachment(entry_id=hidden.entry_id, filename="合同附件.pdf",
                                     blob_key=storage().put(b"%PDF-1.4 secret", suffix=".pdf"), size=15, pages=1)
        late = EntryPhoto(entry_id=_case(session, TITLES[0]).entry_id, caption="未发布的照片", width=10, height=10,
                          master_key="m", display_key=storage().put(b"\xff\xd8late", suffix=".jpg"), thumb_key="t")
        session.add_all([attachment, late])
        session.commit()

    public = _everything_public(client, session, library)

    for secret in (TITLES[5], TITLES[6], TITLES[3], "secret0@example.com", "13800000000", "暂不公开的原因XYZ",
                   "合同附件", "未发布的照片"):
        assert secret not in public, secret
    assert client.get(f"/library/{library.call.year}/{unselected.id}").status_code == 404
    assert client.get(f"/library/{hidden.year}/{hidden.entry_id}").status_code == 404
    assert client.get(f"/library/{hidden.year + 1}/{_case(session, TITLES[0]).entry_id}").status_code == 404
    assert client.get(f"/library/photos/{late.entry_id}/{late.id}").status_code == 404
    assert client.get(f"/library/cases.csv?q={TITLES[3]}").status_code == 404  # no such route either
    rows = list(csv.reader(io.StringIO(client.get("/library/data/cases.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1 + 4  # header and the 4 visible cases


def test_scores_appear_only_when_the_snapshot_publishes_them(client, library, session):
    top = _case(session, TITLES[0])
    document = client.get("/library/data/cases.json?sort=rank").get_json()
    assert document["data"][0]["rank"] == 1 and document["data"][0]["score"] == top.score
    top.rank, top.score = None, None
    session.add(top)
    session.commit()
    document = client.get("/library/data/cases.json?sort=rank").get_json()
    assert all(record["rank"] is None for record in document["data"] if record["title"] == TITLES[0])
    assert "rank-badge" not in client.get(f"/library/{top.year}/{top.entry_id}").get_data(as_text=True)


def test_scores_of_drafts_and_private_snapshots_never_show(client, library, session):
    from app.models import ResultEntry

    library.publish(public_scores=False)
    draft = library.compute()
    draft_scores = {f"{row.score:.2f}" for row in session.exec(
        select(ResultEntry).where(ResultEntry.run_id == draft.id)).all()}

    document = client.get("/library/data/cases.json").get_json()
    assert document["meta"]["total"] == 5
    assert all(record["rank"] is None and record["score"] is None for record in document["data"])
    public = _everything_public(client, session, library)
    assert not any(score in public for score in draft_scores)


def test_open_data_pages_filters_and_refuses_bad_parameters(client, library):
    first = client.get("/library/data/cases.json?per_page=2").get_json()
    assert first["meta"]["total"] == 5 and first["meta"]["pages"] == 3 and len(first["data"]) == 2
    assert first["links"]["prev"] is None and "page=2" in first["links"]["next"]
    assert first["meta"]["licence"] == "CC-BY-4.0"
    assert client.get(first["links"]["next"]).get_json()["data"][0]["id"] != first["data"][0]["id"]

    shenzhen = client.get("/library/data/cases.json?city=440300").get_json()
    assert {record["city_code"] for record in shenzhen["data"]} == {"440300"}

    for query in ("year=x", "domain=nope", "per_page=500", "page=0"):
        response = client.get(f"/library/data/cases.json?{query}")
        assert response.status_code == 400 and response.get_json()["error"]["field"], query

    csv_response = client.get("/library/data/cases.csv?city=440300")
    assert csv_response.mimetype == "text/csv" and csv_response.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv_response.headers["Content-Disposition"]

    spec = client.get("/library/data/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0" and "/library/data/cases.json" in spec["paths"]
    json.dumps(spec)


def test_open_data_numbers_a_case_as_its_address_does(client, library, session):
    """The JSON ``id`` and the CSV's first column are the number in the case's
    stable address, not the library row's own id."""
    # Publish the first case again, as a new row: its row id and entry number now differ.
    first = session.exec(select(LibraryCase).order_by(LibraryCase.id)).first()
    values = first.model_dump(exclude={"id"})
    session.delete(first)
    session.flush()
    session.add(LibraryCase(**values))
    session.flush()
    cases = session.exec(select(LibraryCase)).all()
    assert any(case.id != case.entry_id for case in cases)  # else the test proves nothing
    by_title = {case.title: case for case in cases}

    records = client.get("/library/data/cases.json?per_page=100").get_json()["data"]

    assert {record["id"] for record in records} == {case.entry_id for case in cases}
    for record in records:
        case = by_title[record["title"]]
        assert record["id"] == case.entry_id
        assert record["url"].endswith(f"/library/{case.year}/{case.entry_id}")
        assert client.get(record["url"]).status_code == 200 and record["title"] in client.get(record["url"]).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get("/library/data/cases.csv").data.decode("utf-8-sig"))))
    assert rows[0][0] == "案例编号"
    assert {int(row[0]) for row in rows[1:]} == {case.entry_id for case in cases}


def test_pages_are_revalidated_with_etags_that_change_with_curation(client, library, session):
    first = client.get("/library/cases")
    first = client.get("/library/cases")  # the session's CSRF token exists from the first visit on
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"] and "private" in first.headers["Cache-Control"]
    assert first.headers.get("Last-Modified")

    again = client.get("/library/cases", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""

    with client.application.test_request_context():
        services.set_featured(session, case=_case(session, TITLES[4]), featured=True, actor=library.chair,
                              now=utcnow())
    session.commit()
    changed = client.get("/library/cases", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_home_pages_etag_changes_when_a_notice_period_ends(client, library, session):
    # The home page's banner points to a notice while it runs: its copy must not outlive the period.
    run = session.exec(select(ResultRun).where(ResultRun.call_id == library.call.id)).first()
    notice = Notice(call_id=library.call.id, proposed_run_id=run.id, starts_at=utcnow() - timedelta(days=2),
                    ends_at=utcnow() + timedelta(days=3), period_days=5, contact="020-12345678")
    session.add(notice)
    session.commit()
    client.get("/library/")
    running = client.get("/library/")
    assert f"/notice/{library.call.id}" in running.get_data(as_text=True)
    notice.ends_at = utcnow() - timedelta(minutes=1)
    session.commit()
    ended = client.get("/library/", headers={"If-None-Match": running.headers["ETag"]})
    assert ended.status_code == 200 and f"/notice/{library.call.id}" not in ended.get_data(as_text=True)


@pytest.mark.skipif(not shutil.which("zbarimg") or not shutil.which("pdftoppm"), reason="zbarimg or pdftoppm missing")
def test_the_brochure_qr_code_opens_the_scenario_page(app, client, library, session, tmp_path):
    from app.brochure.builder import build_brochure
    from app.brochure.options import BuildOptions

    with app.app_context():
        result = build_brochure(BuildOptions(call_id=library.call.id, title="案例集"), out_path=tmp_path / "b.pdf")
    from pypdf import PdfReader

    reader = PdfReader(result.path)
    scenario = next(item for group in reader.outline if isinstance(group, list) for item in group)  # a scenario page
    number = str(reader.get_destination_page_number(scenario) + 1)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", number, "-l", number, str(result.path),
                    str(tmp_path / "p")], check=True)
    image = next(tmp_path.glob("p*.png"))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True).stdout.split()
    path = re.sub(r"^https?://[^/]+", "", decoded[0])

    page = client.get(path)
    assert page.status_code == 200
    title = re.search(r"<h1[^>]*>([^<]+)</h1>", page.get_data(as_text=True)).group(1)
    assert title == scenario.title
