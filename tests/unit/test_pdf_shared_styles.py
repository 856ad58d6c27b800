"""Documents rendered in series with ``shared_css`` (the brochure's parts) share
their stylesheets, parsed once per process, whatever their ``@font-face``
rules, unless a stylesheet declares fonts or counter styles of its own
(app/pdf/render.py)."""
from pathlib import Path

from pypdf import PdfReader

from app.pdf import render
from app.pdf.render import render_pdf_pages, stylesheets_key

HTML = "<html><head></head><body><p class='case'>场景示范</p><p class='count'></p></body></html>"


def _render(tmp_path: Path, stylesheet: Path, font_rules: str, name: str) -> str:
    data, _count = render_pdf_pages(HTML, base_url=tmp_path.as_uri() + "/", stylesheets=[stylesheet],
                                    allowed_roots=[tmp_path], shared_css=font_rules)
    (tmp_path / name).write_bytes(data)
    return PdfReader(tmp_path / name).pages[0].extract_text()


def _key(stylesheet: Path):
    return stylesheets_key([stylesheet])


def test_the_stylesheets_are_parsed_once_for_every_set_of_font_rules(tmp_path):
    stylesheet = tmp_path / "plain.css"
    stylesheet.write_text(".count::before { content: 'N' counter(page); } .case { font-weight: bold; }")
    texts = [_render(tmp_path, stylesheet, f"/* the fonts of cut {cut} */", f"{cut}.pdf") for cut in "ab"]
    assert all("场景示范" in text and "N1" in text for text in texts)
    roots = (str(tmp_path),)
    first = render._shared_styles(_key(stylesheet), roots, "/* the fonts of cut a */", 0)
    second = render._shared_styles(_key(stylesheet), roots, "/* the fonts of cut b */", 0)
    assert first[0] is not second[0]  # a font configuration for each set of font rules…
    assert first[2][-1] is second[2][-1] is render._parsed_stylesheets(_key(stylesheet), roots)[0]  # …one parse
    # A changed stylesheet is parsed again.
    stylesheet.write_text(".count::before { content: 'M' counter(page); }")
    assert "M1" in _render(tmp_path, stylesheet, "/* the fonts of cut a */", "changed.pdf")


def test_a_stylesheet_that_declares_counter_styles_is_parsed_with_each_document_s(tmp_path):
    # Its rules register with the counter styles it is parsed with: those must be the document's.
    stylesheet = tmp_path / "counters.css"
    stylesheet.write_text("@counter-style stars { system: cyclic; symbols: '★'; suffix: ''; }\n"
                          ".count::before { content: counter(page, stars) 'P'; }")
    assert render._parsed_stylesheets(_key(stylesheet), (str(tmp_path),)) is None
    assert all("★P" in _render(tmp_path, stylesheet, f"/* cut {cut} */", f"{cut}.pdf") for cut in "ab")


def test_a_stylesheet_that_declares_fonts_is_parsed_with_each_document_s(tmp_path):
    (tmp_path / "face.font").write_bytes(b"not a font: declaring it is enough")
    stylesheet = tmp_path / "fonts.css"
    stylesheet.write_text("@font-face { font-family: Own; src: url(face.font); } .case { font-family: Own; }")
    assert render._parsed_stylesheets(_key(stylesheet), (str(tmp_path),)) is None
