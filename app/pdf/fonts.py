"""The fonts every PDF is set in (Noto Sans CJK SC and Noto Serif CJK SC), as
fontconfig finds them, and the characters they can draw.

A character neither face has (an emoji, a script CJK fonts lack) would print
as an empty box, or in whatever font fontconfig substitutes; the PDFs print
:data:`MISSING_GLYPH` instead (``app.pdf.text.printable``).
"""
from __future__ import annotations

import functools
import subprocess

import uharfbuzz as hb

#: The families the PDF stylesheets name (regular weight: bold has the same characters).
FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC")


@functools.cache
def installed_face(family: str, weight: int) -> tuple[str, int] | None:
    """The font file and face index fontconfig has for ``family`` at ``weight``,
    or None when that family is not installed (fontconfig would substitute)."""
    style = "Bold" if weight >= 600 else "Regular"
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{file}\n%{index}\n%{family}\n%{style}", f"{family}:style={style}"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(found) < 4 or family not in found[2].split(",") or style not in found[3].split(","):
        return None
    return found[0], int(found[1] or 0)


@functools.cache
def drawable() -> frozenset[int] | None:
    """The code points every PDF font can draw (those of both families), or
    None when a family is not installed (nothing is known then)."""
    covered = None
    for family in FAMILIES:
        source = installed_face(family, 400)
        if source is None:
            return None
        path, index = source
        points = set(hb.Face(hb.Blob.from_file_path(path), index).unicodes)
        covered = points if covered is None else covered & points
    return frozenset(covered or ())
