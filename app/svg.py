"""SVG drawing primitives shared by the results charts (``app.results.charts``)
and the case library's city map (``app.library.citymap``).

Pure: plain values in, ``markupsafe.Markup`` out, no Flask and no database.
The markup is the same for web pages and WeasyPrint PDFs: attributes only
(no CSS), text XML-escaped with the characters XML 1.0 forbids dropped,
numbers rounded to two decimals so that the same input gives byte-identical
output.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def number(x: float) -> str:
    """A number for an attribute: at most two decimals, no trailing zeros, never "-0"."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def clean_text(text: object) -> str:
    """``text`` as a string without the characters XML 1.0 forbids."""
    return _XML_FORBIDDEN.sub("", str(text))


def svg_element(tag: str, content: object = None, /, **attrs: object) -> Markup:
    """An element; ``text_anchor=`` becomes ``text-anchor="…"``, None attributes are left out.

    Numbers are rounded by ``number``, strings escaped; content is escaped unless
    it is already Markup. No content gives an empty element.
    """
    head = [tag]
    for name, value in attrs.items():
        if value is None:
            continue
        shown = number(value) if isinstance(value, int | float) else escape(clean_text(value))
        head.append(f'{name.replace("_", "-")}="{shown}"')
    opening = " ".join(head)
    if content is None:
        return Markup(f"<{opening}/>")
    inner = content if isinstance(content, Markup) else escape(clean_text(content))
    return Markup(f"<{opening}>{inner}</{tag}>")


def join_lines(parts: Iterable[Markup]) -> Markup:
    """Elements one per line."""
    return Markup("\n".join(parts))


def text_width(text: str, font_size: float) -> float:
    """A rough rendered width: full-width (CJK) characters 1 em, others 0.6 em."""
    return font_size * sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def fit_text(text: str, width: float, font_size: float) -> str:
    """``text``, or its longest start that fits ``width`` with "…" added."""
    if text_width(text, font_size) <= width:
        return text
    budget = width - text_width("…", font_size)
    used = 0.0
    for index, ch in enumerate(text):
        used += text_width(ch, font_size)
        if used > budget:
            return text[:index] + "…"
    return text
