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
from app.brochure.fonts import NO_SUBSETS, FontSet
from app.brochure.frames import COVER_PHOTO, FRAME_HEIGHT, PHOTO_SLOTS
from app.brochure.images import MissingImage, image_cache_dir, print_image, qr_image
from app.brochure.options import PROFILES
from app.brochure.page_data import BrochureContent, Chapter, CityGroup, RankingRow, Scenario
from app.pdf.render import CSS_FOLDER, render_pdf
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
RANKING_ROWS = int((LIST_HEIGHT - RANKING_HEADER) // RANKING_ROW)
#: Most scenario pages in a chapter part (a chunk); the first part also has the opener.
PART_SCENARIOS = 30


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
    toc_pages: tuple[int, ...]  # how many lines each contents page holds


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


@dataclass(frozen=True)
class RankingsPayload:
    doc: Doc
    title: str
    note: str
    pages: tuple[tuple[RankingRow, ...], ...]


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
            index_pages = _index_pages(content.city_index)
            title = _("Index by city")
            body.append(Chunk(key="city-index", kind="city_index", title=title, pages=len(index_pages),
                              payload=IndexPayload(doc=doc, pages=index_pages),
                              bookmarks=[Bookmark(title, 0, 0, "city-index")]))
        if content.rankings:
            ranking_pages = tuple(content.rankings[start:start + RANKING_ROWS]
                                  for start in range(0, len(content.rankings), RANKING_ROWS))
            body.append(Chunk(key="rankings", kind="rankings", title=content.rankings_title, pages=len(ranking_pages),
                              payload=RankingsPayload(doc=doc, title=content.rankings_title, note=content.rankings_note,
                                                      pages=ranking_pages),
                              bookmarks=[Bookmark(content.rankings_title, 0, 0, "rankings")]))
        back = Chunk(key="back", kind="back", title=_("Back cover"), pages=1,
                     payload=BackPayload(doc=doc, call_name=content.call_name,
                                         paragraphs=content.back, library_url=content.library_url),
                     bookmarks=[])
        return [_front(content, doc, body), *body, back]


def _chapter_parts(chapter: Chapter, doc: Doc) -> list[Chunk]:
    """A chapter as chunks of at most PART_SCENARIOS scenario pages, of even
    size, the first with the opener. Each part's payload holds its own
    scenarios only, so a changed scenario re-renders its part and no other.
    Smaller parts would make that faster but every part embeds its own font
    subsets (≈ 90 kB): 30 keeps a 200-scenario brochure in 12 parts."""
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


def _front(content: BrochureContent, doc: Doc, body: list[Chunk]) -> Chunk:
    levels = tuple(bookmark.level for chunk in body for bookmark in chunk.bookmarks)
    toc_pages = _toc_pages(levels)
    bookmarks = []
    offset = 1
    if content.foreword:
        bookmarks.append(Bookmark(_("Foreword"), offset, 0, "foreword"))
        offset += 1
    bookmarks.append(Bookmark(_("Contents"), offset, 0, "contents"))
    return Chunk(
        key="front", kind="front", title=_("Cover and contents"), pages=offset + len(toc_pages),
        payload=FrontPayload(doc=doc, title=content.cover_title, title_size=content.cover_title_size,
                             subtitle=content.subtitle, year=content.year, call_name=content.call_name,
                             published=content.published, cover_key=content.cover_key, foreword=content.foreword,
                             toc_levels=levels, toc_pages=toc_pages),
        bookmarks=bookmarks,
    )


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
               fonts: FontSet = NO_SUBSETS) -> str:
    """The HTML document of ``chunk``, its first page numbered ``start_page``.

    ``toc``: the lines of :func:`table_of_contents` with the final page
    numbers; required when ``chunk.needs_toc``. ``profile``: "screen" or
    "print" (300 dpi images, 3 mm bleed). ``fonts``: the build's cut faces
    (:func:`app.brochure.fonts.brochure_fonts`), declared in the head.
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
        "font_faces": Markup(fonts.css),  # our own rules: file URLs of our cached fonts
    }
    with document_language(payload.doc.locale):
        if chunk.kind == "front":
            context.update(_front_context(payload, toc, dpi=settings.dpi))
        elif chunk.kind == "chapter":
            context.update(_chapter_context(payload, start_page, dpi=settings.dpi))
        elif chunk.kind in ("city_index", "rankings"):
            context["pages_of"] = {line.key: line.page for line in toc}
        elif chunk.kind == "back":
            context["qr_url"] = qr_image(payload.library_url).as_uri()
        return current_app.jinja_env.get_template(TEMPLATES.format(kind=chunk.kind)).render(**context)


def render_chunk(chunk: Chunk, *, start_page: int, toc: list[TocLine] | None = None, profile: str = "screen",
                 fonts: FontSet = NO_SUBSETS) -> bytes:
    """The PDF of ``chunk``: exactly ``chunk.pages`` pages, numbered from ``start_page``,
    set in the cut faces of ``fonts``."""
    html = chunk_html(chunk, start_page=start_page, toc=toc, profile=profile, fonts=fonts)
    roots = [CSS_FOLDER, image_cache_dir(), *([fonts.folder] if fonts.folder else [])]
    return render_pdf(html, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[STYLESHEET], allowed_roots=roots)


def _front_context(payload: FrontPayload, toc: list[TocLine], *, dpi: int) -> dict:
    if tuple(line.level for line in toc) != payload.toc_levels:
        raise ValueError("the table of contents does not match the plan of the front matter")
    toc_pages, start = [], 0
    for count in payload.toc_pages:
        toc_pages.append([_toc_line(line) for line in toc[start:start + count]])
        start += count
    width, height = COVER_PHOTO
    return {"cover_url": _image(payload.cover_key, width, height, dpi), "toc_pages": toc_pages}


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
