"""The brochure cut into chunks of pages, and the HTML of each chunk.

Every page of the brochure is a fixed A4 frame (``brochure.css``): the cover,
the foreword, a chapter opener and each scenario are exactly one page; the
table of contents, the city index and the ranking tables are paginated here,
in Python, a fixed number of fixed-height lines per page. So
:func:`chunks` knows each chunk's exact page count before anything is
rendered, the builder knows every start page, and the chunks can be rendered
apart, in parallel, and merged:

- "front": cover, foreword (when there is one), table of contents;
- "chapter": one per domain (or city), an opener then one page per scenario;
- "city_index", "rankings", "back".

:func:`chunk_html` makes a chunk's HTML document, numbered from
``start_page``; :func:`render_chunk` renders it through
:func:`app.pdf.render.render_pdf`. The front matter and the city index need
the final page numbers of every scenario: the builder passes the lines of
:func:`table_of_contents` to chunks whose ``needs_toc`` is true.

Call them inside an app context (templates, image cache, translations).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from app.brochure.fitting import fit
from app.brochure.fonts import NO_SUBSETS, Cell, FontSet, TextStyle, advance_mm, padded_row
from app.brochure.frames import COVER_PHOTO, FRAME_HEIGHT, FRAME_WIDTH, PHOTO_SLOTS
from app.brochure.images import MissingImage, image_cache_dir, print_image, qr_image
from app.brochure.options import PROFILES
from app.brochure.page_data import BrochureContent, Chapter, CityGroup, RankingRow, Scenario
from app.pdf.render import CSS_FOLDER, render_pdf_pages
from app.pdf.text import document_language

logger = logging.getLogger(__name__)

TEMPLATES = "brochure/pdf/{kind}.html"
STYLESHEET = CSS_FOLDER / "brochure.css"
KINDS = ("front", "chapter", "city_index", "rankings", "back")

# Paginated pages (mm; they mirror brochure.css): a heading zone, then lines.
LIST_HEIGHT = FRAME_HEIGHT - 34.0  # below the page heading
TOC_CHAPTER_LINE, TOC_LINE = 10.0, 5.8
TOC_TITLE_WIDTH, TOC_TITLE_SIZE = 146.0, 9.5  # a scenario line: number, title, leader, page
TOC_CHAPTER_WIDTH, TOC_CHAPTER_SIZE = 150.0, 10.5
INDEX_CITY_LINE, INDEX_LINE = 10.0, 5.8
RANKING_HEADER, RANKING_ROW = 8.0, 6.4
# The columns of the tables' rows (mm from the row's left edge; they mirror
# brochure.css): each row is one line of text, padded to its columns.
SANS, SERIF = "Noto Sans CJK SC", "Noto Serif CJK SC"
RANK_TEXT, RANK_BOLD = TextStyle(SANS, 400, 8.0), TextStyle(SANS, 700, 8.0)
RANK_TITLE_TEXT = TextStyle(SERIF, 400, 9.0)
#: (column, left, width, right-aligned) with a score column; without, the title is 10 mm wider.
RANK_COLUMNS = (("rank", 0.0, 10.0, True), ("title", 14.0, 56.0, False), ("organisation", 72.0, 40.0, False),
                ("city", 114.0, 14.0, False), ("domain", 130.0, 21.0, False), ("score", 152.0, 11.0, True),
                ("page", 165.0, 11.5, True))
INDEX_TITLE_TEXT, INDEX_ORG_TEXT, INDEX_PAGE_TEXT = TextStyle(SERIF, 400, 9.5), TextStyle(SANS, 400, 8.0), \
    TextStyle(SANS, 400, 8.5)
INDEX_CITY_TEXT, INDEX_CONTINUED_TEXT = TextStyle(SANS, 700, 10.5), TextStyle(SANS, 400, 10.0)
INDEX_COLUMNS = (("title", 3.0, 104.0), ("organisation", 112.0, 54.0), ("page", 166.0, 12.0))
INDEX_INDENT = 3.0  # an index line's left padding (brochure.css)
RANKING_ROWS = int((LIST_HEIGHT - RANKING_HEADER) // RANKING_ROW)
#: Most scenario pages in a chapter part (a chunk); the first part also has the opener.
PART_SCENARIOS = 9
#: Most pages in a part of the contents, the city index or the ranking tables.
TABLE_PART_PAGES = 3
#: Estimated CPU cost (ms) of rendering a part: a fixed cost per document
#: (parsing the stylesheet, fonts, writing the PDF), then per page by its
#: type, as measured on our brochure (shared/design/PDF_NOTES.md; the city
#: index and the ranking tables are one text line per row). The builder
#: schedules the parts by it, the costliest first, so the workers finish together.
PART_MS = 55.0
PAGE_MS = {"cover": 40.0, "foreword": 40.0, "contents": 65.0, "opener": 44.0, "scenario": 26.0, "city_index": 25.0,
           "rankings": 25.0, "back": 30.0}


@dataclass(frozen=True)
class Bookmark:
    title: str
    page_offset: int  # from the chunk's first page
    level: int  # 0: chapter (or a part of the book), 1: scenario
    key: str = ""  # the chapter's or scenario's key


@dataclass(frozen=True)
class TocLine:
    key: str
    title: str
    page: int
    level: int


@dataclass(frozen=True)
class Chunk:
    key: str
    kind: str
    title: str  # for progress reports
    pages: int  # exact
    payload: object
    bookmarks: list[Bookmark]

    @property
    def needs_toc(self) -> bool:
        """Whether :func:`chunk_html` needs the table of contents (final page numbers)."""
        return self.kind in ("front", "city_index", "rankings")

    @property
    def cost(self) -> float:
        """The estimated CPU time of rendering this part, in ms (:data:`PAGE_MS`)."""
        payload = self.payload
        if self.kind == "chapter":
            pages = PAGE_MS["opener"] * payload.opener + PAGE_MS["scenario"] * len(payload.chapter.scenarios)
        elif self.kind == "front":
            pages = (PAGE_MS["cover"] * payload.cover + PAGE_MS["foreword"] * bool(payload.cover and payload.foreword)
                     + PAGE_MS["contents"] * len(payload.toc_pages))
        else:
            pages = PAGE_MS[self.kind] * self.pages
        return PART_MS + pages


# --- payloads: plain data, hashed by the builder ------------------------------------


@dataclass(frozen=True)
class Doc:
    """What every chunk's document shares."""

    lang: str
    locale: str
    title: str
    author: str
    running: str
    public_scores: bool


@dataclass(frozen=True)
class FrontPayload:
    doc: Doc
    title: str
    title_size: str
    subtitle: str
    year: str
    call_name: str
    published: str
    cover_key: str | None
    foreword: tuple[str, ...]
    toc_levels: tuple[int, ...]  # the levels of the table of contents' lines, in order
    toc_pages: tuple[int, ...]  # how many lines each contents page of this part holds
    cover: bool = True  # the first part: cover, foreword, then contents; later parts: contents only
    toc_start: int = 0  # the index of this part's first line of contents


@dataclass(frozen=True)
class ChapterPayload:
    doc: Doc
    chapter: Chapter  # its ``scenarios``: this part's only
    opener: bool  # the chapter's first part starts with the opener page


@dataclass(frozen=True)
class IndexRow:
    kind: str  # "city" (a heading; ``continued`` on a later page) or "line"
    key: str = ""
    city: str = ""
    count: str = ""
    continued: bool = False
    title: str = ""
    organisation: str = ""


@dataclass(frozen=True)
class IndexPayload:
    doc: Doc
    pages: tuple[tuple[IndexRow, ...], ...]
    first: bool = True  # the index's first part (its first page has the heading without "(continued)")


@dataclass(frozen=True)
class RankingsPayload:
    doc: Doc
    title: str
    note: str
    pages: tuple[tuple[RankingRow, ...], ...]
    first: bool = True  # the tables' first part (the note, the heading without "(continued)")


@dataclass(frozen=True)
class BackPayload:
    doc: Doc
    call_name: str
    paragraphs: tuple[str, ...]
    library_url: str


# --- the plan ---------------------------------------------------------------------------


def chunks(content: BrochureContent) -> list[Chunk]:
    """The brochure's chunks in order, each with its exact page count and bookmarks."""
    with document_language(content.locale):
        doc = Doc(lang=content.lang, locale=content.locale, title=content.title, author=content.author,
                  running=content.running,
                  public_scores=content.public_scores)
        body: list[Chunk] = []
        for chapter in content.chapters:
            body.extend(_chapter_parts(chapter, doc))
        if content.city_index:
            title = _("Index by city")
            for number, part in enumerate(_table_parts(_index_pages(content.city_index))):
                body.append(Chunk(key=_part_key("city-index", number), kind="city_index",
                                  title=_part_title(title, number), pages=len(part),
                                  payload=IndexPayload(doc=doc, pages=part, first=not number),
                                  bookmarks=[] if number else [Bookmark(title, 0, 0, "city-index")]))
        if content.rankings:
            ranking_pages = tuple(content.rankings[start:start + RANKING_ROWS]
                                  for start in range(0, len(content.rankings), RANKING_ROWS))
            title = content.rankings_title
            for number, part in enumerate(_table_parts(ranking_pages)):
                body.append(Chunk(key=_part_key("rankings", number), kind="rankings", title=_part_title(title, number),
                                  pages=len(part),
                                  payload=RankingsPayload(doc=doc, title=title, note=content.rankings_note, pages=part,
                                                          first=not number),
                                  bookmarks=[] if number else [Bookmark(title, 0, 0, "rankings")]))
        back = Chunk(key="back", kind="back", title=_("Back cover"), pages=1,
                     payload=BackPayload(doc=doc, call_name=content.call_name,
                                         paragraphs=content.back, library_url=content.library_url),
                     bookmarks=[])
        return [*_front(content, doc, body), *body, back]


def _part_key(key: str, number: int) -> str:
    return key if number == 0 else f"{key}-{number + 1}"


def _part_title(title: str, number: int) -> str:
    return title if number == 0 else f"{title} · {number + 1}"


def _table_parts(table_pages: tuple) -> list[tuple]:
    """Paginated pages in parts of at most TABLE_PART_PAGES, of even size:
    parts render in parallel, and a part is re-rendered on its own."""
    count = max(1, -(-len(table_pages) // TABLE_PART_PAGES))
    size = -(-len(table_pages) // count) or 1
    return [table_pages[start:start + size] for start in range(0, len(table_pages), size)] or [()]


def _chapter_parts(chapter: Chapter, doc: Doc) -> list[Chunk]:
    """A chapter as chunks of at most PART_SCENARIOS scenario pages, of even
    size, the first with the opener. Each part's payload holds its own
    scenarios only, so a changed scenario re-renders its part and no other.
    Parts render in parallel, so small parts keep every worker busy until
    the end; but each part costs ≈ 55 ms of its own and embeds its own font
    subsets: 9 cuts a chapter of 25 into parts of 9, 8 and 8."""
    count = max(1, -(-len(chapter.scenarios) // PART_SCENARIOS))  # parts of even size
    size = -(-len(chapter.scenarios) // count) or 1
    parts = [chapter.scenarios[start:start + size] for start in range(0, len(chapter.scenarios), size)] or [()]
    chunks_ = []
    for number, scenarios in enumerate(parts):
        opener = number == 0
        first = 1 if opener else 0  # the scenarios' page offsets in the part
        chunks_.append(Chunk(
            key=chapter.key if opener else f"{chapter.key}-{number + 1}", kind="chapter",
            title=chapter.title if opener else f"{chapter.title} · {number + 1}",
            pages=first + len(scenarios),
            payload=ChapterPayload(doc=doc, chapter=replace(chapter, scenarios=scenarios), opener=opener),
            bookmarks=([Bookmark(chapter.title, 0, 0, chapter.key)] if opener else [])
            + [Bookmark(s.title, offset, 1, s.key) for offset, s in enumerate(scenarios, start=first)],
        ))
    return chunks_


def _front(content: BrochureContent, doc: Doc, body: list[Chunk]) -> list[Chunk]:
    """The cover, the foreword and the first pages of contents; the other
    pages of contents in parts of their own (at most TABLE_PART_PAGES)."""
    levels = tuple(bookmark.level for chunk in body for bookmark in chunk.bookmarks)
    toc_pages = _toc_pages(levels)
    bookmarks = []
    offset = 1
    if content.foreword:
        bookmarks.append(Bookmark(_("Foreword"), offset, 0, "foreword"))
        offset += 1
    bookmarks.append(Bookmark(_("Contents"), offset, 0, "contents"))
    payload = FrontPayload(doc=doc, title=content.cover_title, title_size=content.cover_title_size,
                           subtitle=content.subtitle, year=content.year, call_name=content.call_name,
                           published=content.published, cover_key=content.cover_key, foreword=content.foreword,
                           toc_levels=levels, toc_pages=())
    title = _("Cover and contents")
    parts, start = [], 0
    # The first part also holds the cover (and foreword): one page of contents fewer.
    first = max(1, TABLE_PART_PAGES - offset + 1)
    cuts = [toc_pages[:first]] + _table_parts(toc_pages[first:]) if len(toc_pages) > first else [toc_pages]
    for number, part in enumerate(cuts):
        parts.append(Chunk(
            key=_part_key("front", number), kind="front", title=_part_title(title, number),
            pages=(offset if number == 0 else 0) + len(part),
            payload=replace(payload, toc_pages=part, cover=not number, toc_start=start),
            bookmarks=[] if number else bookmarks))
        start += sum(part)
    return parts


def _toc_pages(levels: tuple[int, ...]) -> tuple[int, ...]:
    """How many lines each page of contents holds: fixed heights, and a
    chapter line never last on a page when its scenarios follow."""
    heights = [TOC_CHAPTER_LINE if level == 0 else TOC_LINE for level in levels]
    pages: list[int] = []
    start = 0
    while start < len(levels):
        used, end = 0.0, start
        while end < len(levels) and used + heights[end] <= LIST_HEIGHT:
            used += heights[end]
            end += 1
        if end < len(levels) and end - start > 1 and levels[end - 1] == 0 and levels[end] > 0:
            end -= 1  # keep the chapter with its first scenario
        pages.append(end - start)
        start = end
    return tuple(pages) or (0,)


def _index_pages(groups: tuple[CityGroup, ...]) -> tuple[tuple[IndexRow, ...], ...]:
    pages: list[tuple[IndexRow, ...]] = []
    page: list[IndexRow] = []
    used = 0.0
    for group in groups:
        heading = IndexRow(kind="city", city=group.city, count=group.count)
        if used + INDEX_CITY_LINE + INDEX_LINE > LIST_HEIGHT:  # a city starts with at least one line
            pages.append(tuple(page))
            page, used = [], 0.0
        page.append(heading)
        used += INDEX_CITY_LINE
        for line in group.lines:
            if used + INDEX_LINE > LIST_HEIGHT:
                pages.append(tuple(page))
                page = [IndexRow(kind="city", city=group.city, count=group.count, continued=True)]
                used = INDEX_CITY_LINE
            page.append(IndexRow(kind="line", key=line.key, title=line.title, organisation=line.organisation))
            used += INDEX_LINE
    if page:
        pages.append(tuple(page))
    return tuple(pages)


def start_pages(plan: list[Chunk], first: int = 1) -> dict[str, int]:
    """Chunk key → the page number of its first page."""
    positions, page = {}, first
    for chunk in plan:
        positions[chunk.key] = page
        page += chunk.pages
    return positions


def table_of_contents(plan: list[Chunk], positions: dict[str, int] | None = None) -> list[TocLine]:
    """The lines of the table of contents: every bookmark after the front
    matter (chapters, scenarios, the index, the tables) with its page number."""
    positions = positions or start_pages(plan)
    return [
        TocLine(key=bookmark.key, title=bookmark.title, page=positions[chunk.key] + bookmark.page_offset,
                level=bookmark.level)
        for chunk in plan if chunk.kind != "front"
        for bookmark in chunk.bookmarks
    ]


# --- HTML --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoView:
    url: str | None  # None: the image is missing, a placeholder is drawn
    caption: str


@dataclass(frozen=True)
class ScenarioView:
    scenario: Scenario
    page: int
    photos: tuple[PhotoView, ...]
    qr_url: str


def chunk_html(chunk: Chunk, *, start_page: int, toc: list[TocLine] | None = None, profile: str = "screen",
               fonts: FontSet = NO_SUBSETS, font_faces: bool = True) -> str:
    """The HTML document of ``chunk``, its first page numbered ``start_page``.

    ``toc``: the lines of :func:`table_of_contents` with the final page
    numbers; required when ``chunk.needs_toc``. ``profile``: "screen" or
    "print" (300 dpi images, 3 mm bleed). ``fonts``: the build's cut faces
    (:func:`app.brochure.fonts.brochure_fonts`), declared in the head
    (``font_faces``; :func:`render_chunk_pages` hands them to WeasyPrint apart).
    """
    if chunk.kind not in KINDS:
        raise ValueError(f"unknown chunk kind {chunk.kind!r}")
    if chunk.needs_toc and toc is None:
        raise ValueError(f"the {chunk.kind} chunk needs the table of contents")
    settings = PROFILES[profile]
    payload = chunk.payload
    context = {
        "doc": payload.doc,
        "chunk": chunk,
        "start_page": start_page,
        "bleed_mm": settings.bleed_mm,
        "dpi": settings.dpi,
        # Our own rules: file URLs of our cached fonts (render_chunk hands them to WeasyPrint apart).
        "font_faces": Markup(fonts.css if font_faces else ""),
    }
    with document_language(payload.doc.locale):
        if chunk.kind == "front":
            context.update(_front_context(payload, toc, dpi=settings.dpi))
        elif chunk.kind == "chapter":
            context.update(_chapter_context(payload, start_page, dpi=settings.dpi))
        elif chunk.kind == "city_index":
            context["index_pages"] = _index_rows(payload, {line.key: line.page for line in toc})
        elif chunk.kind == "rankings":
            context.update(_ranking_rows(payload, {line.key: line.page for line in toc}))
        elif chunk.kind == "back":
            context["qr_url"] = qr_image(payload.library_url).as_uri()
        return current_app.jinja_env.get_template(TEMPLATES.format(kind=chunk.kind)).render(**context)


def render_chunk(chunk: Chunk, *, start_page: int, toc: list[TocLine] | None = None, profile: str = "screen",
                 fonts: FontSet = NO_SUBSETS) -> bytes:
    """The PDF of ``chunk``: exactly ``chunk.pages`` pages, numbered from ``start_page``,
    set in the cut faces of ``fonts``."""
    return render_chunk_pages(chunk, start_page=start_page, toc=toc, profile=profile, fonts=fonts)[0]


def render_chunk_pages(chunk: Chunk, *, start_page: int, toc: list[TocLine] | None = None, profile: str = "screen",
                       fonts: FontSet = NO_SUBSETS) -> tuple[bytes, int]:
    """:func:`render_chunk`, and the page count of the rendered document.

    The parts of a build share the parsed stylesheet and the loaded fonts
    (the ``@font-face`` rules of ``fonts``): made once per process."""
    html = chunk_html(chunk, start_page=start_page, toc=toc, profile=profile, fonts=fonts, font_faces=False)
    roots = [CSS_FOLDER, image_cache_dir(), *([fonts.folder] if fonts.folder else [])]
    return render_pdf_pages(html, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[STYLESHEET], allowed_roots=roots,
                            shared_css=fonts.css, own_markup=True)


def _front_context(payload: FrontPayload, toc: list[TocLine], *, dpi: int) -> dict:
    if tuple(line.level for line in toc) != payload.toc_levels:
        raise ValueError("the table of contents does not match the plan of the front matter")
    toc_pages, start = [], payload.toc_start
    for count in payload.toc_pages:
        toc_pages.append([_toc_line(line) for line in toc[start:start + count]])
        start += count
    width, height = COVER_PHOTO
    cover_url = _image(payload.cover_key, width, height, dpi) if payload.cover else None
    return {"cover_url": cover_url, "toc_pages": toc_pages}


def _toc_line(line: TocLine) -> TocLine:
    if line.level == 0:
        title = fit(line.title, width_mm=TOC_CHAPTER_WIDTH, size_pt=TOC_CHAPTER_SIZE)
    else:
        title = fit(line.title, width_mm=TOC_TITLE_WIDTH, size_pt=TOC_TITLE_SIZE)
    return TocLine(key=line.key, title=title, page=line.page, level=line.level)


def _chapter_context(payload: ChapterPayload, start_page: int, *, dpi: int) -> dict:
    views = []
    for offset, scenario in enumerate(payload.chapter.scenarios, start=1 if payload.opener else 0):
        slots = PHOTO_SLOTS[len(scenario.photos)]
        photos = tuple(
            PhotoView(url=_image(photo.key, width, height, dpi), caption=photo.caption)
            for photo, (width, height) in zip(scenario.photos, slots, strict=True)
        )
        views.append(ScenarioView(scenario=scenario, page=start_page + offset, photos=photos,
                                  qr_url=qr_image(scenario.url).as_uri()))
    return {"chapter": payload.chapter, "scenarios": views}


def _image(key: str | None, width_mm: float, height_mm: float, dpi: int) -> str | None:
    """The ``file://`` URL of ``key`` printed at that size, or None when it is missing."""
    if not key:
        return None
    try:
        path: Path = print_image(key, width_mm=width_mm, height_mm=height_mm, dpi=dpi)
    except MissingImage as error:
        logger.warning("brochure: %s", error)
        return None
    return path.as_uri()


@dataclass(frozen=True)
class TextRow:
    """A row of a table as one line: (padding, text) of each cell (:func:`fonts.padded_row`)."""

    cells: tuple[tuple[str, str], ...]
    kind: str = "line"  # the index: "city" (a heading) or "line"


def _rank_columns(public_scores: bool) -> list[tuple[str, float, float, bool]]:
    if public_scores:
        return list(RANK_COLUMNS)
    wide = {"title": 10.0}  # no score: the title takes its room, the columns after it move right
    columns, shift = [], 0.0
    for name, left, width, right in RANK_COLUMNS:
        if name == "score":
            continue
        columns.append((name, left + shift, width + wide.get(name, 0.0), right))
        shift += wide.get(name, 0.0)
    return columns


def _ranking_labels(public_scores: bool) -> dict[str, str]:
    return {"rank": _("Rank") if public_scores else _("No."), "title": _("Scenario"), "organisation": _("Organisation"),
            "city": _("City"), "domain": _("Domain"), "score": _("Score"), "page": _("Page")}


def table_labels() -> str:
    """The labels the tables print (in the current locale): the fonts are cut to them too."""
    return "".join([*_ranking_labels(True).values(), *_ranking_labels(False).values(), _("(continued)")])


def _ranking_rows(payload: RankingsPayload, pages_of: dict[str, int]) -> dict:
    """The header and the rows of each page, padded to the columns: rank in
    bold, title in the serif (its own 9 pt), the rest in the row's 8 pt sans;
    the header all in bold sans."""
    columns = _rank_columns(payload.doc.public_scores)
    labels = _ranking_labels(payload.doc.public_scores)
    styles = {"rank": RANK_BOLD, "title": RANK_TITLE_TEXT}
    header = TextRow(tuple(padded_row([Cell(labels[name], left, width, RANK_BOLD, right)
                                       for name, left, width, right in columns])))
    pages_rows = []
    for rows in payload.pages:
        lines = []
        for row in rows:
            values = {"rank": row.rank, "title": row.title, "organisation": row.organisation, "city": row.city,
                      "domain": row.domain, "score": row.score, "page": str(pages_of.get(row.key, ""))}
            # Padded in 8 pt sans (the finest spaces): the spaces before the rank and before the title in
            # the rank's bold span, the others in the row's text; the title in a span of its own.
            lines.append(TextRow(tuple(padded_row([
                Cell(values[name], left, width, styles.get(name, RANK_TEXT), right,
                     pad_style=RANK_BOLD if name in ("rank", "title") else RANK_TEXT)
                for name, left, width, right in columns]))))
        pages_rows.append(lines)
    return {"header": header, "ranking_pages": pages_rows}


def _index_rows(payload: IndexPayload, pages_of: dict[str, int]) -> list[list[TextRow]]:
    """The index's rows on each page, padded to the columns: a city heading
    (its name, "(continued)" on a later page, the count on the right), a
    line (title, organisation, page)."""
    out = []
    for rows in payload.pages:
        lines = []
        for row in rows:
            if row.kind == "city":
                cells = [Cell(row.city, 0.0, FRAME_WIDTH - 30.0, INDEX_CITY_TEXT)]
                if row.continued:
                    cells.append(Cell(_("(continued)"), advance_mm(row.city, INDEX_CITY_TEXT) + 2.0, 30.0,
                                      INDEX_CONTINUED_TEXT))
                else:
                    cells.append(Cell("", 0.0, 0.0, INDEX_CONTINUED_TEXT))
                cells.append(Cell(row.count, FRAME_WIDTH - 30.0, 30.0, INDEX_ORG_TEXT, right=True))
                lines.append(TextRow(tuple(padded_row(cells)), kind="city"))
            else:
                (_t, title_left, title_width), (_o, org_left, org_width), (_p, page_left, page_width) = INDEX_COLUMNS
                # The row's left padding places the title: no spaces before it.
                cells = padded_row([Cell(row.title, title_left - INDEX_INDENT, title_width, INDEX_TITLE_TEXT),
                                    Cell(row.organisation, org_left - INDEX_INDENT, org_width, INDEX_ORG_TEXT),
                                    Cell(str(pages_of.get(row.key, "")), page_left - INDEX_INDENT, page_width,
                                         INDEX_PAGE_TEXT, right=True)], INDEX_ORG_TEXT)
                lines.append(TextRow(tuple(cells)))
        out.append(lines)
    return out
