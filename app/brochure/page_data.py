"""What the brochure prints: plain, frozen dataclasses.

:func:`app.brochure.content.brochure_content` fills them: translated labels,
printable texts already cut to their frames (with "…"), photos as blob keys.
No ORM object is part of them, so the templates cannot run a query, and the
content can be hashed and handed to worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class Photo:
    key: str  # master blob key; pages.py has it printed at the slot's size
    caption: str  # "" or one line that fits its slot


@dataclass(frozen=True)
class Figure:
    """A key outcome: the new value big, the change small."""

    metric: str  # with the unit: "日处理量（件/天）"
    value: str  # the value after, formatted
    change: str  # "92 → 99.5", or "New capability" when there was none before
    size: str  # "l" | "m" | "s": the big number's class, so that the value fits


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    key: str  # "scenario-<entry id>": the plan resolves it to a page number
    entry_id: int
    number: str  # "001": its place in the brochure
    title: str
    title_size: str  # "l" | "m" | "s" (TITLE_CLASSES)
    meta: str  # the organisation, cut to leave room for the city on its line
    organisation: str
    city: str
    domain: str
    photos: tuple[Photo, ...]  # 0 to MAX_PHOTOS; the layout follows their number
    lead: tuple[str, ...]  # the summary (in the panel when there is no photo)
    sections: tuple[Section, ...]  # problem and solution, cut to the text column
    figures: tuple[Figure, ...]  # up to MAX_FIGURES
    tag_lines: tuple[str, ...]  # the technology labels, a line of text each
    deployment: str  # "" or one line
    url: str  # its public page: the QR code
    rank: str  # "" unless the snapshot's scores are public
    domain_rank: str
    score: str


@dataclass(frozen=True)
class OpenerLine:
    key: str
    title: str


@dataclass(frozen=True)
class Chapter:
    key: str  # "chapter-<domain>" or "chapter-city-<code>"
    number: str  # "01"
    title: str  # the domain's (or city's) name
    count: str  # "15 scenarios"
    chart_title: str
    chart: Markup  # SVG bars, labels escaped
    lines: tuple[OpenerLine, ...]  # the opener's list of its scenarios (cut to OPENER_LIST_LINES)
    more: str  # "" or "… and 3 more" when the list was cut
    scenarios: tuple[Scenario, ...]


@dataclass(frozen=True)
class IndexLine:
    key: str  # the scenario's key: its page comes from the plan
    title: str
    organisation: str


@dataclass(frozen=True)
class CityGroup:
    code: str
    city: str
    count: str
    lines: tuple[IndexLine, ...]


@dataclass(frozen=True)
class RankingRow:
    key: str
    rank: str  # the overall rank, or the running number when scores are not public
    title: str
    organisation: str
    city: str
    domain: str
    score: str  # "" when scores are not public


@dataclass(frozen=True)
class BrochureContent:
    lang: str  # BCP 47: <html lang> and the PDF's /Lang
    locale: str  # the Babel locale the labels were translated in
    title: str
    subtitle: str
    author: str
    year: str
    call_name: str
    published: str  # the snapshot's publication date, formatted
    running: str  # the running header of content pages
    public_scores: bool
    cover_key: str | None
    cover_title: str  # the title, cut to the cover if it must be
    cover_title_size: str  # "l" | "m" | "s" (COVER_TITLE_CLASSES)
    foreword: tuple[str, ...]  # paragraphs; empty: no foreword page
    chapters: tuple[Chapter, ...]
    city_index: tuple[CityGroup, ...]
    rankings_title: str
    rankings_note: str
    rankings: tuple[RankingRow, ...]
    back: tuple[str, ...]  # paragraphs of the back cover
    library_url: str
