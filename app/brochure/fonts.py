"""The brochure's fonts: Noto CJK cut once per build to the characters it prints.

WeasyPrint subsets the fonts of each document it writes, and the brochure's
parts are separate documents. From the installed Noto CJK files that costs
twice: every part copies each whole 20–26 MB font file into memory, and
each part's subsets keep the font's 65,000 glyph slots (WeasyPrint retains
glyph ids), ≈ 150 kB a face however few characters the part prints. So the
builder first cuts each face to every character the brochure prints
(HarfBuzz, ≈ 0.1 s for the four faces, cached), and the parts are set in
those cuts: a part copies a few hundred kilobytes, and its subsets are a
quarter of the size.

The cuts are declared by ``@font-face`` under their own family names
(``Noto Sans CJK SC Subset``…); ``brochure.css`` names them first and the
installed Noto families right after, so a character a cut lacks still prints
from the installed font. A part's PDF does not depend on which cut it was set
in (the glyphs are the installed font's): a rebuild after an edit that
brings new characters reuses the parts that did not change.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz as hb
from flask import current_app
from flask_babel import gettext

from app.brochure.files import atomic_write
from app.pdf.fonts import installed_face

#: Bump when the way subsets are cut changes.
FONTS_VERSION = 1
TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates" / "brochure" / "pdf"
#: Printed everywhere whatever the content: page numbers, Latin names, URLs.
ALWAYS = frozenset(chr(code) for code in range(0x20, 0x7F)) | frozenset("…·—–“”‘’、。，：；！？（）《》【】％")
_MSGID = re.compile(r"""\b_\(\s*(["'])(.+?)\1""")


@dataclass(frozen=True)
class Face:
    family: str  # the @font-face family brochure.css names first
    installed: str  # the Noto family it is cut from (fontconfig name)
    weight: int  # 400 | 700


FACES = (
    Face("Noto Sans CJK SC Subset", "Noto Sans CJK SC", 400),
    Face("Noto Sans CJK SC Subset", "Noto Sans CJK SC", 700),
    Face("Noto Serif CJK SC Subset", "Noto Serif CJK SC", 400),
    Face("Noto Serif CJK SC Subset", "Noto Serif CJK SC", 700),
)


@dataclass(frozen=True)
class FontSet:
    """The cut faces of one build, as ``@font-face`` rules."""

    installed: str  # a hash of the installed font files: what the glyphs look like
    css: str  # @font-face rules (file:// URLs below the fonts folder); "" when none could be cut
    folder: Path | None  # the fetcher must serve this folder


NO_SUBSETS = FontSet(installed="installed", css="", folder=None)


def fonts_folder() -> Path:
    return Path(current_app.config["BROCHURE_CACHE_FOLDER"]) / "fonts"


def template_text() -> str:
    """What the brochure's templates and stylesheet print on their own: their
    source (literal text) and their labels translated into the current locale."""
    parts = []
    for path in sorted(TEMPLATE_FOLDER.glob("*.html")):
        source = path.read_text(encoding="utf-8")
        parts.append(source)
        parts.extend(gettext(match.group(2)) for match in _MSGID.finditer(source))
    stylesheet = current_app.root_path + "/static/pdf/brochure.css"
    parts.append(Path(stylesheet).read_text(encoding="utf-8"))
    return "".join(parts)


def brochure_fonts(text: str) -> FontSet:
    """The four Noto CJK faces cut to the characters of ``text`` (plus :data:`ALWAYS`).

    The subsets are cached under ``BROCHURE_CACHE_FOLDER/fonts`` by a hash of
    the characters and the installed files, so an unchanged brochure reuses
    them. Without the Noto CJK fonts installed it returns :data:`NO_SUBSETS`
    (the parts then use whatever fontconfig finds, subset part by part).
    """
    sources = [(face, installed_face(face.installed, face.weight)) for face in FACES]
    if any(source is None for _face, source in sources):
        return NO_SUBSETS
    characters = "".join(sorted(set(text) | ALWAYS))
    identity = [(face.family, face.weight, path, index, os.stat(path).st_size, os.stat(path).st_mtime_ns)
                for face, (path, index) in sources]
    installed = hashlib.sha256(json.dumps([FONTS_VERSION, identity]).encode()).hexdigest()
    cut = hashlib.sha256(f"{installed}|{characters}".encode()).hexdigest()
    folder = fonts_folder() / cut[:32]
    rules = []
    for face, (path, index) in sources:
        target = folder / f"{face.installed.replace(' ', '')}-{face.weight}.otf"
        if not target.exists():
            atomic_write(target, _subset(path, index, characters))
        rules.append(f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
                     f'src: url("{target.as_uri()}"); }}')
    return FontSet(installed=installed, css="\n".join(rules), folder=fonts_folder())


def _subset(path: str, index: int, characters: str) -> bytes:
    face = hb.Face(hb.Blob.from_file_path(path), index)
    request = hb.SubsetInput()
    request.unicode_set.update(ord(ch) for ch in characters)
    # As WeasyPrint does: plain charstrings compress better in the PDF.
    request.flags = hb.SubsetFlags.DESUBROUTINIZE
    return hb.subset(face, request).blob.data

