"""Every workbook prints sensibly (issue 16, item 11): A4 landscape, one page
wide, the header row on each page, a header naming the subject and the sheet,
page numbers in the footer."""
import io

from openpyxl import load_workbook

from app.spreadsheets import PrintSetup, Sheet, workbook


def test_print_setup_of_every_sheet(app):
    sheets = [Sheet(title="名单", headers=["编号", "名称"], rows=[[n, f"场景{n}"] for n in range(200)]),
              Sheet(title="说明", headers=(), rows=[["说明", "文字"]])]
    with app.test_request_context():
        data = workbook(sheets, printing=PrintSetup(title="研发 & 应用批次"))

    book = load_workbook(io.BytesIO(data))
    listing, about = book["名单"], book["说明"]
    for sheet in (listing, about):
        assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (9, "landscape")
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        # "&" is Excel's code character in headers: a literal one is doubled.
        assert (sheet.oddHeader.left.text, sheet.oddHeader.right.text) == ("研发 && 应用批次", "&A")
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert (listing.print_title_rows, about.print_title_rows) == ("$1:$1", None)


def test_without_a_title_the_header_still_names_the_sheet(app):
    with app.test_request_context():
        book = load_workbook(io.BytesIO(workbook([Sheet(title="Sheet", headers=["a"], rows=[[1]])])))
    sheet = book["Sheet"]
    assert sheet.oddHeader.right.text == "&A" and not sheet.oddHeader.left.text
