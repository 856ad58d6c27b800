"""The brochure's fonts: Noto CJK cut to the characters printed, cached, and a
fallback to the installed fonts for anything a cut lacks."""
import shutil
import subprocess

import pytest
import uharfbuzz as hb
from flask_babel import force_locale, gettext

from app.brochure import fonts
from app.brochure.fonts import (
    ALWAYS,
    FACES,
    NO_SUBSETS,
    brochure_fonts,
    installed_face,
    template_text,
)
from app.pdf.render import render_pdf

needs_noto = pytest.mark.skipif(
    any(installed_face(face.installed, face.weight) is None for face in FACES), reason="Noto CJK fonts not installed")
needs_poppler = pytest.mark.skipif(not (shutil.which("pdffonts") and shutil.which("pdftotext")),
                                   reason="poppler-utils missing")


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BROCHURE_CACHE_FOLDER", str(tmp_path / "cache"))
    with app.app_context():
        yield tmp_path / "cache" / "fonts"


def _cut_files(font_set):
    return sorted(font_set.folder.glob("*/*.otf"))


@needs_noto
def test_each_face_is_cut_to_the_characters_printed_and_cached(folder):
    cut = brochure_fonts("智能质检平台")

    files = _cut_files(cut)
    assert len(files) == len(FACES) and all(path.parent.parent == folder for path in files)
    for path in files:
        characters = {chr(code) for code in hb.Face(hb.Blob.from_file_path(str(path))).unicodes}
        assert set("智能质检平台") | set("0123456789Aa…，。") <= characters
        assert "医" not in characters  # not printed, not cut
        assert path.stat().st_size < 200_000  # a whole face is 20–26 MB
    for face in FACES:
        assert f'font-family: "{face.family}"; font-weight: {face.weight};' in cut.css
    assert all(path.as_uri() in cut.css for path in files)

    modified = [path.stat().st_mtime_ns for path in files]
    again = brochure_fonts("台平检质能智")  # the same characters in another order
    assert again == cut and [path.stat().st_mtime_ns for path in files] == modified

    other = brochure_fonts("医院智能导诊")
    assert other.css != cut.css and other.installed == cut.installed  # same installed fonts: same glyphs


def test_without_the_noto_fonts_the_installed_fonts_are_used(folder, monkeypatch):
    monkeypatch.setattr(fonts, "installed_face", lambda family, weight: None)

    assert brochure_fonts("智能质检") is NO_SUBSETS
    assert NO_SUBSETS.css == "" and not folder.exists()


def test_template_text_holds_the_translated_labels_and_literal_text(app):
    with app.test_request_context(), force_locale("zh"):
        text = template_text()
        label = gettext("Overall rank")
    assert label != "Overall rank" and label in text
    assert "counter(page)" in text  # the stylesheet's own text too
    assert set("0123456789") <= ALWAYS


@needs_noto
@needs_poppler
def test_a_character_missing_from_the_cut_prints_from_the_installed_font(folder, tmp_path):
    cut = brochure_fonts("智能")
    html = f"""<!doctype html><html lang="zh-CN"><head><style>{cut.css}
        @page {{ size: 80mm 40mm; margin: 5mm }}
        p {{ font-family: "Noto Sans CJK SC Subset", "Noto Sans CJK SC", sans-serif; }}
        </style></head><body><p>智能医疗</p></body></html>"""
    pdf = tmp_path / "fallback.pdf"
    pdf.write_bytes(render_pdf(html, base_url=tmp_path.as_uri() + "/", stylesheets=[], allowed_roots=[cut.folder]))

    names = [line.split()[0] for line in subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]]
    assert any(name.endswith("+Noto-Sans-CJK-SC-Subset") for name in names)  # 智能 from the cut
    assert any(name.endswith("+Noto-Sans-CJK-SC") for name in names)  # 医疗 from the installed font
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "智能医疗" in text
