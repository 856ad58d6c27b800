"""WeasyPrint's font subsetting parses the array type it hands HarfBuzz once
per process, not once per distinct glyph count (app/pdf/arrays.py)."""
import re

import weasyprint.pdf.fonts
from pypdf import PdfReader
from weasyprint.text.ffi import ffi, harfbuzz_subset

from app.pdf.arrays import OpenArrays
from app.pdf.render import CSS_FOLDER, render_pdf

SIZED = re.compile(r"hb_codepoint_t\[\d+\]")


def test_documents_with_other_glyph_counts_parse_no_new_array_type(tmp_path):
    assert harfbuzz_subset is not None  # else WeasyPrint subsets with fontTools, and this proves nothing
    before = {cdecl for cdecl in ffi._parsed_types if SIZED.fullmatch(cdecl)}
    pdfs = []
    for number, text in enumerate(["场景示范", "人工智能应用场景示范案例库", "AI 0123456789"]):
        pdf = tmp_path / f"{number}.pdf"
        pdf.write_bytes(render_pdf(f"<p>{text}</p>", base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[],
                                   allowed_roots=[CSS_FOLDER]))
        pdfs.append(pdf)
    assert isinstance(weasyprint.pdf.fonts.ffi, OpenArrays)  # installed by the first render
    assert {cdecl for cdecl in ffi._parsed_types if SIZED.fullmatch(cdecl)} == before
    # The subsets are still made: each document prints its own text.
    assert [PdfReader(pdf).pages[0].extract_text().strip() for pdf in pdfs] == [
        "场景示范", "人工智能应用场景示范案例库", "AI 0123456789"]


def test_an_open_array_holds_what_the_sized_one_held():
    arrays = OpenArrays(ffi)
    assert list(arrays.new("hb_codepoint_t[3]", [7, 8, 9])) == [7, 8, 9]
    # A shorter initialiser keeps the declared length (zeros after), as cffi does.
    assert list(arrays.new("hb_codepoint_t[4]", [7, 8])) == [7, 8, 0, 0]
    assert arrays.NULL == ffi.NULL
    # Left as written: bytes (a char[] from bytes would get a NUL more), arrays of arrays, other types.
    assert len(arrays.new("char[4]", b"abcd")) == 4
    assert [list(row) for row in arrays.new("int[2][3]", [[1, 2, 3], [4, 5, 6]])] == [[1, 2, 3], [4, 5, 6]]
    assert arrays.new("unsigned int *", 7)[0] == 7
