"""Exports of a result run: the workbook, the CSV file and the PDF, in the
default language (Simplified Chinese)."""
import csv
import io
import subprocess

import pytest
from flask_babel import force_locale, get_translations
from openpyxl import load_workbook
from pypdf import PdfReader

from app.db import utcnow
from app.enums import Domain
from app.models import Call
from app.results import exports

HOSTILE = "=cmd|' /C calc'!A0"
MARKUP = "<b>粗体</b>场景"

# Chinese for msgids that app/results/exports.py introduced, used only while
# the catalog lacks them (the lead extracts and translates them; then this
# changes nothing and the catalog's own translation is what the tests read).
PENDING_ZH = {
    "Overall": "总排名",
    "About this export": "说明",
    "Rank": "排名",
    "Rank in domain": "领域内排名",
    "Rank in city": "城市内排名",
    "Adjusted score": "调整后得分",
}


@pytest.fixture(autouse=True)
def _pending_translations(app):
    with app.app_context(), force_locale("zh"):
        catalog = get_translations()._catalog
        added = [msgid for msgid in PENDING_ZH if msgid not in catalog]
        for msgid in added:
            catalog[msgid] = PENDING_ZH[msgid]
    yield
    for msgid in added:
        del catalog[msgid]


@pytest.fixture
def ranked(make, session):
    """Five entries over two domains with quotas, the first with a hostile title."""
    scored = make.scored_call(
        totals=[[80, 82, 84], [70, 60, 65], [90, 91, 89], [55, 85, 70], [75, 76, 77]],
        domains=[Domain.MANUFACTURING, Domain.HEALTHCARE],
        cities=["440100", "440300"],
        name="2026年人工智能应用场景征集",
    )
    scored.entries[0].title = HOSTILE
    scored.entries[1].title = MARKUP
    session.add_all(scored.entries)
    session.commit()
    run = scored.compute(resamples=50)
    rows = sorted(run.rows, key=lambda row: row.rank)
    return run, rows, session.get(Call, run.call_id)


def test_workbook_has_an_overall_sheet_one_per_domain_and_an_about_sheet(app, ranked):
    run, rows, call = ranked
    with app.app_context():
        data = exports.rankings_xlsx(run, list(reversed(rows)), call=call)

    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["总排名", "智能制造", "智慧医疗", "说明"]
    overall = book["总排名"]
    assert overall.freeze_panes == "A2"
    assert overall["A1"].font.b is True
    header = [cell.value for cell in overall[1]]
    assert header[:8] == ["排名", "领域内排名", "城市内排名", "场景名称", "单位", "所属领域", "所在城市", "调整后得分"]
    assert len(header) == len(exports.COLUMNS)

    body = [[cell for cell in row] for row in overall.iter_rows(min_row=2)]
    assert [row[0].value for row in body] == [1, 2, 3, 4, 5]
    assert [row[3].value for row in body] == [row.title if row.title != HOSTILE else "'" + HOSTILE for row in rows]
    for cells, row in zip(body, rows, strict=True):
        score = cells[7]
        assert score.data_type == "n" and score.value == pytest.approx(row.score)
        assert score.number_format == "0.00"
        assert cells[8].value == pytest.approx(row.raw_mean)
        assert cells[14].value == row.sheets == 3 and cells[15].value == 3
        assert cells[21].value == ("是" if row.selected else "否")
    hostile = next(cells[3] for cells in body if HOSTILE in cells[3].value)
    assert hostile.value == "'" + HOSTILE and hostile.data_type == "s"

    manufacturing = book["智能制造"]
    assert manufacturing.freeze_panes == "A2"
    domain_rows = [[cell.value for cell in row] for row in manufacturing.iter_rows(min_row=2)]
    assert [row[1] for row in domain_rows] == [1, 2, 3]
    assert {row[5] for row in domain_rows} == {"智能制造"}

    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True) if row[0]}
    assert about["征集批次"] == "2026年人工智能应用场景征集"
    assert about["年度"] == call.year
    assert about["随机种子"] == run.parameters["seed"]


def test_csv_has_a_bom_and_the_overall_rows(app, ranked):
    run, rows, call = ranked
    with app.app_context():
        data = exports.rankings_csv(run, rows, call=call)

    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    # After the ranking, an empty row and what the draft says about its hash.
    table, footer = table[:-2], table[-2:]
    assert footer == [[], ["快照哈希值", "草稿，尚未发布：没有哈希值，其中内容无法核验。"]]
    assert table[0][:2] == ["排名", "领域内排名"] and len(table[0]) == len(exports.COLUMNS)
    assert [line[0] for line in table[1:]] == ["1", "2", "3", "4", "5"]
    assert [line[3] for line in table[1:]] == [row.title if row.title != HOSTILE else "'" + HOSTILE for row in rows]
    assert [float(line[7]) for line in table[1:]] == pytest.approx([row.score for row in rows])
    assert [line[16] for line in table[1:]] == [
        str(row.rank_lo) if row.rank_lo == row.rank_hi else f"{row.rank_lo}–{row.rank_hi}" for row in rows
    ]


def test_pdf_is_landscape_with_chinese_text_embedded_fonts_and_literal_titles(app, ranked, tmp_path):
    run, rows, call = ranked
    with app.app_context():
        data = exports.rankings_pdf(run, rows, call=call)

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    path = tmp_path / "rankings.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert "2026年人工智能应用场景征集" in text
    assert "智能制造" in text and "智慧医疗" in text
    assert "<b>粗体</b>场景" in text
    assert HOSTILE in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    font_rows = [line.split() for line in fonts.splitlines()[2:]]
    assert font_rows and all("Noto" in row[0] for row in font_rows)
    # Name like ABCDEF+NotoSansCJKsc-Regular; the "emb" and "sub" columns say yes.
    assert all("+" in row[0] and row[-5:-3] == ["yes", "yes"] for row in font_rows)


def test_a_published_run_names_its_hash_in_the_pdf_and_the_about_sheet(app, ranked, tmp_path):
    run, rows, call = ranked
    # A frozen snapshot as publishing leaves it (not committed: the export only reads).
    run.published_at = utcnow()
    run.content_hash = "ab12cd34ef56" + "0" * 52
    with app.app_context():
        pdf = exports.rankings_pdf(run, rows, call=call)
        book = load_workbook(io.BytesIO(exports.rankings_xlsx(run, rows, call=call)))

    path = tmp_path / "published.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert "SHA-256 ab12cd34ef56" in text and "SHA-256 ab12cd34ef560" not in text
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True) if row[0]}
    assert about["状态"] == "已发布"
    assert run.content_hash in about.values()


def test_headers_follow_the_request_language(app, ranked):
    run, rows, call = ranked
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        data = exports.rankings_csv(run, rows, call=call)
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[:8] == ["Rank", "Rank in domain", "Rank in city", "Title", "Organisation", "Domain", "City",
                          "Adjusted score"]
    assert header[16] == "Rank interval in domain (90%)"


def test_every_sheet_of_the_workbook_prints_on_a4_landscape_one_page_wide(app, ranked):
    """Issue 16, item 11: the demo's rankings printed as 111 portrait pages of three columns each."""
    run, rows, call = ranked
    with app.app_context():
        book = load_workbook(io.BytesIO(exports.rankings_xlsx(run, rows, call=call)))

    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.paperSize, setup.orientation) == (9, "landscape"), sheet.title  # 9: A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)  # one page wide, as long as needed
        assert sheet.oddHeader.left.text == "2026年人工智能应用场景征集"
        assert sheet.oddHeader.right.text == "&A"  # the sheet's name
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    # The header row repeats on every page of a ranking; the about sheet has none.
    assert [sheet.print_title_rows for sheet in book.worksheets] == ["$1:$1", "$1:$1", "$1:$1", None]
