"""Measuring text and cutting it to a frame: pure functions, no Flask, no database.

The brochure's pages are fixed frames (:mod:`app.brochure.frames`): every
text is cut beforehand to what its frame holds, with "…". The budgets come
from a conservative estimate of how Chinese text breaks into lines
(:func:`wrap`): every ideograph and full-width punctuation mark takes one
em, Latin letters and digits about 0.6 em (measured for ASCII), a line
breaks between any two ideographs but not inside a Latin word, and closing
punctuation never starts a line. CSS line heights are absolute (mm), so the
estimate and the layout agree on heights.
"""
from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

ELLIPSIS = "…"
SAFETY_EM = 0.5  # left free on every line: kerning, rounding, justification quirks
PT = 25.4 / 72  # millimetres per point

# Closing punctuation and marks that may not start a line; opening ones may not end one.
_NO_START = set("，。、；：？！）》」』】〕〉”’…·,.;:?!)]}%‰℃")
_NO_END = set("（《「『【〔〈“‘([{")


# Advance widths (em) of printable ASCII, space to "~": the largest of Noto
# Sans CJK SC and Noto Serif CJK SC, regular and bold (read from the fonts).
_ASCII_EM = dict(zip(map(chr, range(32, 127)), (
    .26, .37, .58, .62, .59, .97, .81, .33, .40, .40, .51, .61, .34, .37, .34, .40, .60, .59, .60, .60, .60, .60, .60,
    .59, .60, .60, .34, .34, .61, .61, .61, .52, 1.01, .75, .71, .71, .79, .67, .65, .76, .87, .43, .57, .77, .65, 1.01,
    .82, .79, .68, .79, .76, .63, .70, .82, .74, 1.10, .73, .71, .63, .38, .40, .38, .61, .60, .63, .60, .68, .57, .66,
    .59, .41, .60, .69, .35, .34, .66, .36, 1.01, .69, .63, .68, .65, .50, .50, .43, .68, .58, .88, .60, .59, .52, .38,
    .34, .38, .61,
), strict=True))


@functools.cache  # a brochure measures a few thousand distinct characters a million times
def char_em(ch: str) -> float:
    """The advance width of ``ch`` in em: measured for ASCII, one em for
    ideographs and full-width or ambiguous-width signs, 0.7 em for the rest."""
    if ch in _ASCII_EM:
        return _ASCII_EM[ch]
    return 1.0 if _is_wide(ch) else 0.7


def text_em(text: str) -> float:
    return sum(map(char_em, text))


def _tokens(text: str) -> list[str]:
    """Units a line may break between: an ideograph, or a Latin word with its trailing spaces."""
    tokens: list[str] = []
    for ch in text:
        joins_word = not _is_wide(ch) and tokens and tokens[-1][-1] != " " and not _is_wide(tokens[-1][-1])
        if joins_word or (ch == " " and tokens):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


@functools.cache
def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WFA"


def wrap(text: str, width_em: float, *, indent_em: float = 0.0) -> list[str]:
    """``text`` broken into lines of at most ``width_em`` (the first indented)."""
    return list(_wrap(text, width_em, indent_em))


# Wrapping is most of the time of reading the brochure's content, and a
# rebuild (a job in the same worker process) wraps the same paragraphs at the
# same widths again: remembered, only the texts that changed are wrapped.
@functools.lru_cache(maxsize=32768)
def _wrap(text: str, width_em: float, indent_em: float) -> tuple[str, ...]:
    budget = width_em - SAFETY_EM
    lines: list[str] = []
    line, used = "", indent_em
    for token in _tokens(text):
        word = token.rstrip(" ")
        width = char_em(word) if len(word) == 1 else text_em(word)  # mostly one ideograph
        if used + width > budget and line:
            carried = ""
            # Kinsoku: the token may not start a line, or the line may not end
            # on an opening mark: carry the line's last character over.
            if (token[0] in _NO_START or line[-1] in _NO_END) and len(line) > 1:
                carried, line = line[-1], line[:-1]
            lines.append(line)
            line, used = carried, text_em(carried)
        while width > budget - used and not line:  # a word longer than a line breaks anywhere
            cut = _longest_prefix(token, budget - used)
            lines.append(token[:cut])
            token = token[cut:]
            word = token.rstrip(" ")
            width, used = text_em(word), 0.0
        line += token
        used += width + (len(token) - len(word)) * _ASCII_EM[" "]
    if line or not lines:
        lines.append(line)
    return tuple(lines)


def _longest_prefix(text: str, width_em: float) -> int:
    used = 0.0
    for index, ch in enumerate(text):
        used += char_em(ch)
        if used > width_em:
            return max(1, index)
    return len(text)


def em_width(width_mm: float, size_pt: float) -> float:
    """How many em of a ``size_pt`` font fit in ``width_mm``."""
    return width_mm / (size_pt * PT)


@functools.lru_cache(maxsize=32768)  # as _wrap: a rebuild fits the same texts again
def fit(text: str, *, width_mm: float, size_pt: float, lines: int = 1, indent_em: float = 0.0) -> str:
    """``text`` if it takes at most ``lines`` lines of ``width_mm``, else its
    longest start that does, ending in "…". One line is cut anywhere (it is
    set without wrapping); more lines are wrapped as the text column wraps."""
    width = em_width(width_mm, size_pt)
    if lines == 1:
        budget = width - SAFETY_EM - indent_em
        if text_em(text) <= budget:
            return text
        used, budget = 0.0, budget - char_em(ELLIPSIS)
        for index, ch in enumerate(text):
            used += char_em(ch)
            if used > budget:
                return text[:index].rstrip() + ELLIPSIS
        return text
    wrapped = wrap(text, width, indent_em=indent_em)
    if len(wrapped) <= lines:
        return text
    return _cut("".join(wrapped[:lines]), width, lines, indent_em)


# A cut text does not end on these before its "…".
NO_CUT_END = set("，、；：,;:（《「『“(。.")


def _cut(text: str, width_em: float, lines: int, indent_em: float) -> str:
    """The longest start of ``text`` that, with "…" added, takes at most ``lines`` lines."""
    wrapped = wrap(text, width_em, indent_em=indent_em)[:lines]
    head, last = wrapped[:-1], wrapped[-1].rstrip()
    budget = width_em - SAFETY_EM - (indent_em if not head else 0.0) - char_em(ELLIPSIS)
    while last and (text_em(last) > budget or last[-1] in NO_CUT_END):
        last = last[:-1].rstrip()
    return "".join(head) + last + ELLIPSIS


def line_count(text: str, *, width_mm: float, size_pt: float, indent_em: float = 0.0) -> int:
    return len(wrap(text, em_width(width_mm, size_pt), indent_em=indent_em))


def fit_paragraphs(paragraphs: Sequence[str], *, width_mm: float, size_pt: float, lines: int,
                   indent_em: float = 2.0) -> tuple[tuple[str, ...], int]:
    """The paragraphs that fit in ``lines`` lines, and the lines they take.

    A paragraph that does not fit is cut with "…"; when whole paragraphs are
    left out, the last one kept ends in "…" too.
    """
    kept: list[str] = []
    used = 0
    width = em_width(width_mm, size_pt)
    for index, paragraph in enumerate(paragraphs):
        left = lines - used
        need = len(wrap(paragraph, width, indent_em=indent_em))
        if need <= left:
            kept.append(paragraph)
            used += need
            continue
        if left > 0:
            kept.append(_cut(paragraph, width, left, indent_em))
            used = lines
        elif kept and index < len(paragraphs):
            last = kept[-1]
            kept[-1] = _cut(last, width, len(wrap(last, width, indent_em=indent_em)), indent_em)
        break
    return tuple(kept), used


def sized(text: str, *, width_mm: float, classes) -> tuple[str, str]:
    """(class, text): the first class in which ``text`` fits, else the last one with "…"."""
    for name, size, lines in classes:
        if line_count(text, width_mm=width_mm, size_pt=size) <= lines:
            return name, text
    name, size, lines = classes[-1]
    return name, fit(text, width_mm=width_mm, size_pt=size, lines=lines)
