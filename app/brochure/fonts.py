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

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf
import uharfbuzz as hb
from flask import current_app
from flask_babel import gettext
from fontTools import unicodedata

from app.brochure.files import atomic_write
from app.brochure.fitting import ELLIPSIS, PT, text_em
from app.pdf.fonts import installed_face

#: Bump when the way subsets are cut changes.
FONTS_VERSION = 1
TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates" / "brochure" / "pdf"
#: Printed everywhere whatever the content: page numbers, Latin names, URLs.
ALWAYS = (frozenset(chr(code) for code in range(0x20, 0x7F)) | frozenset("…·—–“”‘’、。，：；！？（）《》【】％")
          | frozenset("\u00a0\u2002\u2003"))  # the spaces that pad the tables' columns (PAD_SPACES)
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
    cut: str = ""  # this cut's subfolder of ``folder`` ("" when none)

    def face_file(self, face: Face) -> Path | None:
        """The file of ``face`` cut for this set (None without cuts)."""
        if not self.folder or not self.cut:
            return None
        return self.folder / self.cut / f"{face.installed.replace(' ', '')}-{face.weight}.otf"


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
    found = FontSet(installed=installed, css="", folder=fonts_folder(), cut=cut[:32])
    rules = []
    for face, (path, index) in sources:
        target = found.face_file(face)
        if not target.exists():
            atomic_write(target, _subset(path, index, characters))
        rules.append(f'@font-face {{ font-family: "{face.family}"; font-weight: {face.weight}; '
                     f'src: url("{target.as_uri()}"); }}')
    return replace(found, css="\n".join(rules))


def _subset(path: str, index: int, characters: str) -> bytes:
    face = hb.Face(hb.Blob.from_file_path(path), index)
    request = hb.SubsetInput()
    request.unicode_set.update(ord(ch) for ch in characters)
    # As WeasyPrint does: plain charstrings compress better in the PDF.
    request.flags = hb.SubsetFlags.DESUBROUTINIZE
    return hb.subset(face, request).blob.data


# Tables WeasyPrint drops from the subsets it embeds (weasyprint/pdf/fonts.py): not used in a PDF.
_DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ")


def share_subsets(pdf, pages_by_cut: dict[Path, list]) -> int:
    """Embed each cut face once in ``pdf``, the merged parts (a ``pikepdf.Pdf``).

    Every part embeds its own subset of each face it uses (≈ 30 kB a face).
    WeasyPrint's subsets keep the glyph ids of the font they were cut from:
    the parts set in one cut (``pages_by_cut``: the folder of the cut → the
    merged pages set in it) can share one subset of that cut to the glyphs
    they all use. Each part keeps its own widths and ToUnicode map, so text
    extraction is unchanged. Parts whose cut is gone keep their own
    subsets. Returns how many font files were replaced.
    """
    replaced = 0
    for folder, cut_pages in pages_by_cut.items():
        groups: dict[Face, dict] = {}
        for page in cut_pages:
            for font in (page.obj.get("/Resources", {}).get("/Font") or {}).values():
                descendants = font.get("/DescendantFonts")
                if not descendants:
                    continue
                cid_font = descendants[0]
                name = str(cid_font.get("/BaseFont", ""))
                descriptor = cid_font.get("/FontDescriptor")
                if "-Subset" not in name or descriptor is None or "/FontFile3" not in descriptor:
                    continue  # not one of our cuts (a fallback font): left as WeasyPrint wrote it
                face = next((f for f in FACES if f.installed.replace(" ", "-") in name
                             and (f.weight == 700) == name.endswith("-Bold")), None)
                if face is not None:
                    groups.setdefault(face, {})[cid_font.objgen] = cid_font
        for face, cid_fonts in groups.items():
            path = folder / f"{face.installed.replace(' ', '')}-{face.weight}.otf"
            if not path.exists():
                continue
            glyphs = {0}
            for cid_font in cid_fonts.values():
                widths = list(cid_font.get("/W", []))
                for start, run in zip(widths[0::2], widths[1::2], strict=False):
                    glyphs.update(range(int(start), int(start) + len(run)))
            stream = pdf.make_stream(_glyph_subset(str(path), 0, glyphs))
            stream.Subtype = pikepdf.Name.OpenType
            for cid_font in cid_fonts.values():
                cid_font.FontDescriptor.FontFile3 = stream
                replaced += 1
    return replaced


def _glyph_subset(path: str, index: int, glyphs: set[int]) -> bytes:
    """The face subset to ``glyphs`` by id, ids kept, as WeasyPrint subsets (no hinting, plain charstrings)."""
    face = hb.Face(hb.Blob.from_file_path(path), index)
    request = hb.SubsetInput()
    request.glyph_set.update(glyphs)
    request.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                     | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING)
    request.drop_table_tag_set.update(int.from_bytes(tag.encode(), "big") for tag in _DROPPED_TABLES)
    return hb.subset(face, request).blob.data



# --- measured columns ---------------------------------------------------------------
#
# The city index and the ranking tables print each row as one line of text:
# WeasyPrint lays out one line box a row four times faster than one box a
# cell (shared/design/PDF_NOTES.md). The columns line up because each cell is
# preceded by spaces whose advance is measured in the font it is set in, so
# that it starts where its column starts (or ends where a right-aligned one
# ends). Noto CJK has no thin or hair space; no-break spaces (≈ 0.22 em),
# en and em spaces together come within ≈ 0.05 em of any width over 2 em.

PAD_SPACES = ("\u2003", "\u2002", "\u00a0")  # em, en, no-break space: never collapsed, never a break
_MOST_NARROW = 12  # no-break spaces tried in one padding


@dataclass(frozen=True)
class TextStyle:
    """How a cell is set: the installed family, weight and size (as brochure.css sets it)."""

    family: str  # "Noto Sans CJK SC" | "Noto Serif CJK SC"
    weight: int  # 400 | 700
    size_pt: float


@dataclass(frozen=True)
class Cell:
    text: str
    left_mm: float  # where its column starts, from the row's left edge
    width_mm: float  # the column's width: a longer text is cut with "…"
    style: TextStyle
    right: bool = False  # aligned on the column's right edge (numbers)
    pad_style: TextStyle | None = None  # the style of the spaces before it, when not the row's


@functools.cache
def _shaper(family: str, weight: int) -> tuple[hb.Font, int] | None:
    source = installed_face(family, weight)
    if source is None:
        return None
    path, index = source
    face = hb.Face(hb.Blob.from_file_path(path), index)
    return hb.Font(face), face.upem


@functools.lru_cache(maxsize=65536)
def advance_mm(text: str, style: TextStyle) -> float:
    """The advance of ``text`` set in ``style``, in mm, shaped by HarfBuzz as
    Pango shapes it (kerning included). The cut faces have the installed
    fonts' metrics; without the fonts installed, the estimate of
    :mod:`app.brochure.fitting`."""
    shaper = _shaper(style.family, style.weight)
    if not text:
        return 0.0
    if shaper is None:
        return text_em(text) * style.size_pt * PT
    font, upem = shaper
    total = 0
    for run, script in _script_runs(text):
        buffer = hb.Buffer()
        buffer.add_str(run)
        buffer.guess_segment_properties()
        buffer.script = script
        hb.shape(font, buffer)
        total += sum(position.x_advance for position in buffer.glyph_positions)
    return total / upem * style.size_pt * PT


_NO_SCRIPT = frozenset({"Zyyy", "Zinh", "Zzzz"})  # common (punctuation, digits, spaces), inherited, unknown


def _script_runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut where its script changes, as Pango itemises it before
    shaping: a common character (punctuation, digits, spaces) belongs to the
    run it follows (at the start, to the first script after it). Shaped as one
    buffer, a title starting with Latin letters would set its "…" in the Latin
    script, narrower than Pango prints it in the Han run around it."""
    runs: list[list] = []
    for character in text:
        script = unicodedata.script(character)
        if script in _NO_SCRIPT:
            if runs:
                runs[-1][0] += character
            else:
                runs.append([character, None])
        elif runs and runs[-1][1] in (script, None):
            runs[-1][0] += character
            runs[-1][1] = script
        else:
            runs.append([character, script])
    return [(run, script or "Zyyy") for run, script in runs]


@functools.lru_cache(maxsize=64)
def _spaces(style: TextStyle) -> tuple[float, float, float]:
    return tuple(advance_mm(space, style) for space in PAD_SPACES)


@functools.lru_cache(maxsize=65536)
def padding(width_mm: float, style: TextStyle) -> str:
    """Spaces (:data:`PAD_SPACES`) of ``style`` whose advance comes closest to ``width_mm``."""
    if width_mm <= 0:
        return ""
    em, en, narrow = _spaces(style)
    best, best_error = (0, 0, 0), width_mm
    for narrow_count in range(_MOST_NARROW + 1):
        for en_count in (0, 1):
            rest = width_mm - narrow_count * narrow - en_count * en
            if rest < -em / 2:
                break
            em_count = max(0, round(rest / em))
            error = abs(rest - em_count * em)
            if error < best_error - 1e-9:
                best, best_error = (em_count, en_count, narrow_count), error
    return "".join(space * count for space, count in zip(PAD_SPACES, best, strict=True))


def cut_to(text: str, width_mm: float, style: TextStyle) -> str:
    """``text``, or its longest start that fits ``width_mm`` with "…", by measured advances."""
    if advance_mm(text, style) <= width_mm:
        return text
    room = width_mm - advance_mm(ELLIPSIS, style)
    low, high = 0, len(text)  # the longest prefix that fits: binary search (advances grow with length)
    while low < high:
        middle = (low + high + 1) // 2
        if advance_mm(text[:middle].rstrip(), style) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS if low else ""


def padded_row(cells: list[Cell], pad_style: TextStyle | None = None) -> list[tuple[str, str]]:
    """(padding, text) of each cell: set one after the other on one line, the
    padding in the cell's ``pad_style``, else in ``pad_style``, else in the
    cell's own style, and the text in
    the cell's style, each text starts where its column starts (or ends
    where a right-aligned column ends), in every row alike. Texts longer
    than their column are cut with "…". Pad in the smallest size of the
    row: its spaces come closest to any width."""
    out, x = [], 0.0
    for cell in cells:
        style = cell.pad_style or pad_style or cell.style
        text = cut_to(cell.text, cell.width_mm, cell.style)
        width = advance_mm(text, cell.style)
        start = cell.left_mm + cell.width_mm - width if cell.right else cell.left_mm
        pad = padding(start - x, style)
        out.append((pad, text))
        x += advance_mm(pad, style) + width
    return out
