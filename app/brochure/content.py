"""What the brochure prints, read from a published results snapshot.

:func:`brochure_content` turns a call's published snapshot (its selection, or
a hand-picked list of entries) into a :class:`BrochureContent` of plain,
frozen dataclasses: translated labels, printable texts already cut to what
their fixed frame on the page holds (with "…"), photos as blob keys. No ORM
object leaves this module, so the templates cannot run a query, and the
content can be hashed and handed to worker processes.

The brochure's pages are fixed frames (``pages.py``, ``brochure.css``): a
scenario is always exactly one page. The frame sizes below mirror the
stylesheet; the text budgets are computed from them with a conservative
estimate of how Chinese text breaks into lines (:func:`wrap`): every
ideograph and full-width punctuation mark takes one em, Latin letters and
digits about 0.6 em, a line breaks between any two ideographs but not inside
a Latin word, and closing punctuation never starts a line. CSS line heights
are absolute (mm), so the estimate and the layout agree on heights.
"""
from __future__ import annotations

import functools
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_date, format_decimal, get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.brochure.options import BuildOptions
from app.brochure.service import published_snapshot
from app.enums import Domain
from app.errors import DomainError
from app.models import Call, Entry, ResultEntry, ResultRun
from app.pdf.text import document_language, language_tag, printable
from app.reference import CITIES, city_label, technology_label

ELLIPSIS = "…"
SAFETY_EM = 0.5  # left free on every line: kerning, rounding, justification quirks
PT = 25.4 / 72  # millimetres per point

# --- frames (millimetres; they mirror app/static/pdf/brochure.css) ----------

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
BLEED = 3.0  # full-bleed pictures and panels reach this far past the trim
FRAME_WIDTH = 178.0  # a page with margins: 16 mm left and right
FRAME_HEIGHT = 265.0  # 15 mm top, 17 mm bottom (the page number sits there)

MAX_PHOTOS = 3
#: Photo slots (width, height) of a scenario page by the number of photos.
PHOTO_SLOTS: dict[int, tuple[tuple[float, float], ...]] = {
    0: (),
    1: ((178.0, 82.0),),
    2: ((87.0, 82.0), (87.0, 82.0)),
    3: ((116.0, 82.0), (58.0, 39.0), (58.0, 39.0)),
}
COVER_PHOTO = (PAGE_WIDTH + 2 * BLEED, 185.0 + BLEED)  # the cover picture, bleed included

TITLE_WIDTH = FRAME_WIDTH
TITLE_WIDTH_WITH_RANK = 142.0  # the rank badge takes the top right corner
#: Title classes: (class, font size pt, most lines); the first that holds the title wins.
TITLE_CLASSES = (("l", 18.0, 2), ("m", 15.0, 2), ("s", 12.5, 3))
META_WIDTH, META_SIZE = FRAME_WIDTH, 9.0
CAPTION_SIZE = 7.5
CAPTION_PADDING = 6.0  # left and right, inside the photo

TEXT_WIDTH, TEXT_HEIGHT = 114.0, 92.0  # the text column under the photos
LEAD_SIZE, LEAD_LINE, LEAD_GAP = 10.5, 6.2, 2.5  # the summary: pt, line height mm, gap after
BODY_SIZE, BODY_LINE = 9.5, 5.6
HEADING_HEIGHT = 7.0  # a section heading with its margin
SECTION_GAP = 2.0
PANEL_TEXT_WIDTH, PANEL_TEXT_HEIGHT = 150.0, 52.0  # the summary in the panel of a page without photos
PANEL_SIZE, PANEL_LINE = 12.0, 7.4

FIGURES_WIDTH = 56.0  # the key figures column
MAX_FIGURES = 4
METRIC_SIZE, METRIC_LINES = 8.0, 2
FIGURE_CLASSES = (("l", 20.0), ("m", 16.0), ("s", 12.5))  # the big number: class, pt
UNIT_SIZE = 9.0
CHANGE_SIZE = 7.5

TAGS_WIDTH, TAG_SIZE, TAG_LINES = 116.0, 8.0, 2
TAG_EXTRA = 4.6  # padding, border and gap of one tag, mm
DEPLOYMENT_WIDTH = 116.0

OPENER_LIST_WIDTH, OPENER_LIST_SIZE, OPENER_LIST_LINES = 73.0, 8.5, 25
CHART_ROWS = 9  # the opener's chart: the largest groups, the rest summed up as "Other"

FOREWORD_WIDTH, FOREWORD_SIZE, FOREWORD_LINE, FOREWORD_HEIGHT = FRAME_WIDTH, 11.0, 7.2, 224.0
COVER_TITLE_WIDTH = 170.0
COVER_TITLE_CLASSES = (("l", 28.0, 2), ("m", 22.0, 2), ("s", 18.0, 3))
COVER_SUBTITLE_SIZE, COVER_SUBTITLE_LINES = 13.0, 2
BACK_WIDTH, BACK_SIZE, BACK_LINE, BACK_HEIGHT = 150.0, 10.5, 6.8, 122.0

# Table rows: column widths (mm) at their font sizes (pt).
INDEX_TITLE = (104.0, 9.5)
INDEX_ORGANISATION = (54.0, 8.0)
RANK_TITLE = (56.0, 9.0)  # with a score column; without, RANK_TITLE_WIDE
RANK_TITLE_WIDE = 66.0
RANK_ORGANISATION = (40.0, 8.0)
RANK_CITY = (14.0, 8.0)
RANK_DOMAIN = (21.0, 8.0)


# --- the content ---------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    key: str  # master blob key; pages.py has it printed at the slot's size
    caption: str  # "" or one line that fits its slot


@dataclass(frozen=True)
class Figure:
    """A key outcome: the new value big, the change small."""

    metric: str
    value: str  # the value after, formatted
    unit: str
    change: str  # "92 → 99.5", or "New capability" when there was none before
    size: str  # "l" | "m" | "s": the big number's class, so that value and unit fit


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
    tags: tuple[str, ...]
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


# --- text fitting ----------------------------------------------------------------

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
    return lines


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
_NO_CUT_END = set("，、；：,;:（《「『“(。.")


def _cut(text: str, width_em: float, lines: int, indent_em: float) -> str:
    """The longest start of ``text`` that, with "…" added, takes at most ``lines`` lines."""
    wrapped = wrap(text, width_em, indent_em=indent_em)[:lines]
    head, last = wrapped[:-1], wrapped[-1].rstrip()
    budget = width_em - SAFETY_EM - (indent_em if not head else 0.0) - char_em(ELLIPSIS)
    while last and (text_em(last) > budget or last[-1] in _NO_CUT_END):
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


def _sized(text: str, *, width_mm: float, classes) -> tuple[str, str]:
    """(class, text): the first class in which ``text`` fits, else the last one with "…"."""
    for name, size, lines in classes:
        if line_count(text, width_mm=width_mm, size_pt=size) <= lines:
            return name, text
    name, size, lines = classes[-1]
    return name, fit(text, width_mm=width_mm, size_pt=size, lines=lines)


def paragraphs(value: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in printable(value).splitlines() if line.strip())


# --- public URL ---------------------------------------------------------------


def scenario_url(call_year: int, entry_id: int) -> str:
    """The public page of a scenario in the case library (issue 7 serves it)."""
    return f"{_base_url()}/library/{call_year}/{entry_id}"


def library_url(call_year: int) -> str:
    return f"{_base_url()}/library/{call_year}"


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


# --- reading the snapshot ---------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One scenario to print: its entry and, when ranked in the snapshot, its row."""

    entry: Entry
    row: ResultEntry | None

    @property
    def domain(self) -> Domain | None:
        return Domain(self.row.domain) if self.row else self.entry.domain

    @property
    def city_code(self) -> str:
        return (self.row.city_code if self.row else self.entry.city_code) or ""


def brochure_content(session: Session, options: BuildOptions) -> BrochureContent:
    """The brochure ``options`` ask for, in the current language (the default
    one outside a request).

    Scenarios are the snapshot's selection, or ``options.entry_ids`` in that
    order (entries of the call; ranks come from the snapshot when they are in
    it). Chapters follow the domain list (``order="domain"``, scenarios by
    rank in their domain) or the city list (``order="city"``, by rank in their
    city); a hand-picked list keeps its own order inside each chapter.

    Raises DomainError when the call does not exist, has no published
    snapshot (or ``snapshot_id`` is not one of its published snapshots), or a
    hand-picked entry is not in the call.
    """
    with document_language():
        call = session.get(Call, options.call_id)
        if call is None:
            raise DomainError(_("This call does not exist."))
        run = _snapshot(session, call=call, options=options)
        items = _items(session, call=call, run=run, entry_ids=options.entry_ids)
        return _content(call, run, items, options)


def _snapshot(session: Session, *, call: Call, options: BuildOptions) -> ResultRun | None:
    """The snapshot the brochure prints from; None only for hand-picked
    entries of a call that has published nothing yet (no ranks, no scores)."""
    run = published_snapshot(session, call=call, snapshot_id=options.snapshot_id)
    if run is None and options.entry_ids is None:
        raise DomainError(_("This call has no published results yet: publish a snapshot before building the brochure."))
    return run


def _items(session: Session, *, call: Call, run: ResultRun | None, entry_ids: Sequence[int] | None) -> list[_Item]:
    rows = {} if run is None else {
        row.entry_id: row for row in session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id)).all()}
    if entry_ids is None:
        wanted = [row.entry_id for row in sorted(rows.values(), key=lambda row: row.rank) if row.selected]
    else:
        wanted = list(dict.fromkeys(entry_ids))
    entries = {entry.id: entry for entry in session.exec(
        select(Entry).where(Entry.id.in_(wanted)).options(selectinload(Entry.organisation))).all()} if wanted else {}
    missing = [entry_id for entry_id in wanted if entry_id not in entries or entries[entry_id].call_id != call.id]
    if missing:
        raise DomainError(_("Entry %(id)s is not an entry of this call.", id=missing[0]))
    return [_Item(entries[entry_id], rows.get(entry_id)) for entry_id in wanted]


# --- building it ------------------------------------------------------------------


def _content(call: Call, run: ResultRun | None, items: list[_Item], options: BuildOptions) -> BrochureContent:
    public = bool(run and run.public_scores)
    year = str(options.year or call.year)
    title = printable(options.title) or printable(call.name)
    chapters, ordered = _chapters(call, items, order=options.order, public=public,
                                  hand_picked=options.entry_ids is not None)
    cover_key = options.cover_key or next((s.photos[0].key for s in ordered if s.photos), None)
    cover_size, cover_title = _sized(title, width_mm=COVER_TITLE_WIDTH, classes=COVER_TITLE_CLASSES)
    foreword, _lines = fit_paragraphs(paragraphs(options.foreword), width_mm=FOREWORD_WIDTH, size_pt=FOREWORD_SIZE,
                                      lines=int(FOREWORD_HEIGHT // FOREWORD_LINE))
    back, _lines = fit_paragraphs(paragraphs(options.back_text), width_mm=BACK_WIDTH, size_pt=BACK_SIZE,
                                  lines=int(BACK_HEIGHT // BACK_LINE), indent_em=0.0)
    return BrochureContent(
        lang=language_tag(),
        locale=str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        title=title,
        subtitle=fit(printable(options.subtitle), width_mm=COVER_TITLE_WIDTH, size_pt=COVER_SUBTITLE_SIZE,
                     lines=COVER_SUBTITLE_LINES),
        author=printable(call.name),
        year=year,
        call_name=printable(call.name),
        published=format_date(run.published_at, "long") if run and run.published_at else "",
        running=fit(f"{year} · {title}" if year not in title else title, width_mm=110.0, size_pt=7.5),
        public_scores=public,
        cover_key=cover_key,
        cover_title=cover_title,
        cover_title_size=cover_size,
        foreword=foreword,
        chapters=tuple(chapters),
        city_index=_city_index(ordered),
        rankings_title=_("Ranking tables") if public else _("List of showcase scenarios"),
        rankings_note=(_("By adjusted score in the published results of %(date)s.", date=format_date(run.published_at, "long"))
                       if public else _("In the order of this brochure.")),
        rankings=_rankings(ordered, items, public=public),
        back=back,
        library_url=library_url(call.year),
    )


def _chapters(call: Call, items: list[_Item], *, order: str, public: bool,
              hand_picked: bool) -> tuple[list[Chapter], list[Scenario]]:
    """The chapters in order, and every scenario in page order.

    A snapshot's selection is ordered by rank in the domain (or city); a
    hand-picked list keeps its order inside each chapter.
    """
    groups: dict[str, list[_Item]] = defaultdict(list)
    if order == "city":
        for item in items:
            groups[item.city_code].append(item)
        city_order = list(CITIES)
        keys = sorted(groups, key=lambda code: (city_order.index(code) if code in CITIES else len(city_order), code))
    else:
        for item in items:
            groups[item.domain.value if item.domain else ""].append(item)
        domain_order = [domain.value for domain in Domain]
        keys = sorted(groups, key=lambda value: (domain_order.index(value) if value in domain_order else len(domain_order), value))

    chapters: list[Chapter] = []
    ordered: list[Scenario] = []
    for number, key in enumerate(keys, start=1):
        group = groups[key]
        if not hand_picked:
            group = sorted(group, key=lambda item: item.row.city_rank if order == "city" else item.row.domain_rank)
        scenarios = []
        for item in group:
            scenarios.append(_scenario(call, item, number=len(ordered) + 1, public=public))
            ordered.append(scenarios[-1])
        chapters.append(_chapter(key, number, scenarios, order=order))
    return chapters, ordered


def _chapter(key: str, number: int, scenarios: list[Scenario], *, order: str) -> Chapter:
    if order == "city":
        title = str(city_label(key)) if key else _("Other")
        chapter_key = f"chapter-city-{key or 'other'}"
        counts = Counter(scenario.domain for scenario in scenarios)
        chart_title = _("Scenarios by domain")
    else:
        title = str(Domain(key).label) if key else _("Other")
        chapter_key = f"chapter-{key or 'other'}"
        counts = Counter(scenario.city for scenario in scenarios)
        chart_title = _("Scenarios by city")
    shown = list(scenarios)
    more = ""
    if len(shown) > OPENER_LIST_LINES:
        shown = shown[: OPENER_LIST_LINES - 1]
        more = _("… and %(count)s more", count=len(scenarios) - len(shown))
    return Chapter(
        key=chapter_key,
        number=f"{number:02d}",
        title=fit(title, width_mm=170.0, size_pt=30.0),
        count=ngettext("%(num)s showcase scenario", "%(num)s showcase scenarios", len(scenarios)),
        chart_title=chart_title,
        chart=bar_chart(_chart_rows(counts), title=chart_title),
        lines=tuple(OpenerLine(s.key, fit(s.title, width_mm=OPENER_LIST_WIDTH, size_pt=OPENER_LIST_SIZE)) for s in shown),
        more=more,
        scenarios=tuple(scenarios),
    )


def _chart_rows(counts: Counter) -> list[tuple[str, int]]:
    rows = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    if len(rows) > CHART_ROWS:
        rest = sum(count for _label, count in rows[CHART_ROWS - 1:])
        rows = rows[: CHART_ROWS - 1] + [(_("Other"), rest)]
    return rows


def _scenario(call: Call, item: _Item, *, number: int, public: bool) -> Scenario:
    entry, row = item.entry, item.row
    title_text = printable(row.title if row else entry.title)
    organisation = printable(row.organisation_name if row else entry.organisation.name)
    city = str(city_label(item.city_code)) if item.city_code else ""
    domain = str(item.domain.label) if item.domain else ""
    show_rank = public and row is not None
    title_size, title = _sized(title_text, width_mm=TITLE_WIDTH_WITH_RANK if show_rank else TITLE_WIDTH,
                               classes=TITLE_CLASSES)
    photos = _photos(entry)
    lead, sections = _texts(entry, photos=len(photos))
    return Scenario(
        key=f"scenario-{entry.id}",
        entry_id=entry.id,
        number=f"{number:03d}",
        title=title,
        title_size=title_size,
        meta=fit(organisation, width_mm=(TITLE_WIDTH_WITH_RANK if show_rank else META_WIDTH) - 6.0
                 - text_em(city) * META_SIZE * PT, size_pt=META_SIZE),
        organisation=organisation,
        city=city,
        domain=domain,
        photos=photos,
        lead=lead,
        sections=sections,
        figures=tuple(_figure(outcome) for outcome in entry.outcomes[:MAX_FIGURES]),
        tags=_tags(entry.tech_tags or ()),
        deployment=(fit(_("Deployment: %(scale)s", scale=printable(entry.deployment_scale)), width_mm=DEPLOYMENT_WIDTH,
                        size_pt=8.0) if printable(entry.deployment_scale) else ""),
        url=scenario_url(call.year, entry.id),
        rank=str(row.rank) if show_rank else "",
        domain_rank=str(row.domain_rank) if show_rank else "",
        score=f"{row.score:.2f}" if show_rank else "",
    )


def _photos(entry: Entry) -> tuple[Photo, ...]:
    chosen = [photo for photo in entry.photos if photo.master_key][:MAX_PHOTOS]
    slots = PHOTO_SLOTS[len(chosen)]
    return tuple(
        Photo(key=photo.master_key,
              caption=fit(printable(photo.caption), width_mm=width - 2 * CAPTION_PADDING, size_pt=CAPTION_SIZE))
        for photo, (width, _height) in zip(chosen, slots, strict=True)
    )


def _texts(entry: Entry, *, photos: int) -> tuple[tuple[str, ...], tuple[Section, ...]]:
    """The summary and the problem and solution sections, cut to their frames.

    With photos, the summary leads the text column in a larger size; without,
    it fills the panel in the photos' place and the column holds the rest.
    """
    summary = paragraphs(entry.summary)
    wanted = [(_("The challenge"), paragraphs(entry.problem)), (_("The solution"), paragraphs(entry.solution))]
    wanted = [(heading, texts) for heading, texts in wanted if texts]
    height = TEXT_HEIGHT
    if photos:
        lead_lines = sum(line_count(p, width_mm=TEXT_WIDTH, size_pt=LEAD_SIZE) for p in summary)
        # The summary may take up to half the column when sections follow.
        cap = int((height / 2 if wanted else height) // LEAD_LINE)
        lead, used = fit_paragraphs(summary, width_mm=TEXT_WIDTH, size_pt=LEAD_SIZE, lines=min(lead_lines, cap),
                                    indent_em=0.0)
        height -= used * LEAD_LINE + (LEAD_GAP if used else 0)
    else:
        lead, _used = fit_paragraphs(summary, width_mm=PANEL_TEXT_WIDTH, size_pt=PANEL_SIZE,
                                     lines=int(PANEL_TEXT_HEIGHT // PANEL_LINE), indent_em=0.0)
    sections = []
    needs = [sum(line_count(p, width_mm=TEXT_WIDTH, size_pt=BODY_SIZE, indent_em=2.0) for p in texts)
             for _heading, texts in wanted]
    budget = [0] * len(wanted)
    for index in range(len(wanted)):
        height -= HEADING_HEIGHT + (SECTION_GAP if index else 0)
    available = max(0, int(height // BODY_LINE))
    # The challenge is kept short (at most 4 lines) when a solution follows; the rest goes to the solution.
    caps = [4 if len(wanted) > 1 and index == 0 else available for index in range(len(wanted))]
    for index, need in enumerate(needs):
        budget[index] = min(need, caps[index], available - sum(budget))
    for index, need in enumerate(needs):  # lines left over go to who still needs them
        budget[index] += min(need - budget[index], available - sum(budget))
    for (heading, texts), lines in zip(wanted, budget, strict=True):
        if lines >= 1:
            kept, _used = fit_paragraphs(texts, width_mm=TEXT_WIDTH, size_pt=BODY_SIZE, lines=lines)
            sections.append(Section(heading=heading, paragraphs=kept))
    return lead, tuple(sections)


def _figure(outcome) -> Figure:
    """A key figure: the value in the largest size in which value and unit fit
    the column. A number is never cut while its unit can give way."""
    value = format_decimal(outcome.after)
    unit = printable(outcome.unit)
    change = _("New capability") if outcome.before is None else f"{format_decimal(outcome.before)} → {value} {unit}".strip()

    def width(text: str, points: float) -> float:
        return (text_em(text) + SAFETY_EM) * points * PT

    gap = 1.5  # mm between value and unit
    for size, points in FIGURE_CLASSES:
        if width(value, points) + width(unit, UNIT_SIZE) + gap <= FIGURES_WIDTH:
            break
    else:  # the smallest size: the unit gives way first, then the number
        room = FIGURES_WIDTH - width(value, points) - gap
        unit = fit(unit, width_mm=room, size_pt=UNIT_SIZE) if room >= width("…", UNIT_SIZE) * 2 else ""
        value = fit(value, width_mm=FIGURES_WIDTH, size_pt=points)
    return Figure(
        metric=fit(printable(outcome.metric), width_mm=FIGURES_WIDTH, size_pt=METRIC_SIZE, lines=METRIC_LINES),
        value=value,
        unit=unit,
        change=fit(change, width_mm=FIGURES_WIDTH, size_pt=CHANGE_SIZE),
        size=size,
    )


def _tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Technology labels that fit in TAG_LINES lines; a last "…" when some were left out."""
    labels = [fit(printable(str(technology_label(tag))), width_mm=TAGS_WIDTH / 2, size_pt=TAG_SIZE) for tag in tags]
    labels = [label for label in labels if label]
    kept: list[str] = []
    line, used = 1, 0.0
    ellipsis_width = text_em(ELLIPSIS) * TAG_SIZE * PT + TAG_EXTRA
    for index, label in enumerate(labels):
        width = text_em(label) * TAG_SIZE * PT + TAG_EXTRA
        last = index == len(labels) - 1
        room = TAGS_WIDTH - used - (0 if last or line < TAG_LINES else ellipsis_width)
        if width > room:
            if line < TAG_LINES:
                line, used = line + 1, 0.0
                room = TAGS_WIDTH - (0 if last or line < TAG_LINES else ellipsis_width)
            if width > room:
                kept.append(ELLIPSIS)
                break
        kept.append(label)
        used += width
    return tuple(kept)


def _city_index(ordered: list[Scenario]) -> tuple[CityGroup, ...]:
    groups: dict[str, list[Scenario]] = defaultdict(list)
    codes: dict[str, str] = {}
    for scenario in ordered:
        groups[scenario.city].append(scenario)
    for code in CITIES:
        codes.setdefault(str(city_label(code)), code)
    city_order = list(CITIES)
    names = sorted(groups, key=lambda name: (city_order.index(codes[name]) if name in codes else len(city_order), name))
    return tuple(
        CityGroup(
            code=codes.get(name, ""),
            city=name or _("Other"),
            count=ngettext("%(num)s scenario", "%(num)s scenarios", len(groups[name])),
            lines=tuple(
                IndexLine(key=s.key, title=fit(s.title, width_mm=INDEX_TITLE[0], size_pt=INDEX_TITLE[1]),
                          organisation=fit(s.organisation, width_mm=INDEX_ORGANISATION[0], size_pt=INDEX_ORGANISATION[1]))
                for s in groups[name]
            ),
        )
        for name in names
    )


def _rankings(ordered: list[Scenario], items: list[_Item], *, public: bool) -> tuple[RankingRow, ...]:
    """Public scores: the brochure's ranked scenarios by overall rank. Otherwise
    every scenario in brochure order, numbered, without rank or score."""
    scenarios = {scenario.entry_id: scenario for scenario in ordered}
    if public:
        ranked = sorted((item for item in items if item.row is not None), key=lambda item: item.row.rank)
        pairs = [(str(item.row.rank), f"{item.row.score:.2f}", scenarios[item.entry.id]) for item in ranked]
    else:
        pairs = [(str(index), "", scenario) for index, scenario in enumerate(ordered, start=1)]
    return tuple(
        RankingRow(
            key=scenario.key,
            rank=rank,
            title=fit(scenario.title, width_mm=RANK_TITLE[0] if public else RANK_TITLE_WIDE, size_pt=RANK_TITLE[1]),
            organisation=fit(scenario.organisation, width_mm=RANK_ORGANISATION[0], size_pt=RANK_ORGANISATION[1]),
            city=fit(scenario.city, width_mm=RANK_CITY[0], size_pt=RANK_CITY[1]),
            domain=fit(scenario.domain, width_mm=RANK_DOMAIN[0], size_pt=RANK_DOMAIN[1]),
            score=score,
        )
        for rank, score, scenario in pairs
    )


# --- the opener's chart -----------------------------------------------------------


#: The chart's text: the build's cut of Noto Sans CJK SC first (app/brochure/fonts.py).
CHART_FONTS = "&#39;Noto Sans CJK SC Subset&#39;, &#39;Noto Sans CJK SC&#39;, sans-serif"


def bar_chart(rows: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars of counts, labels left, counts right: inline SVG (text escaped)."""
    label_width, bar_width, count_width, row_height, font = 64.0, 170.0, 24.0, 22.0, 11.0
    width = label_width + bar_width + count_width
    height = max(1, len(rows)) * row_height
    most = max((count for _label, count in rows), default=1) or 1
    parts = [f"<title>{escape(title)}</title>"]
    for index, (label, count) in enumerate(rows):
        y = index * row_height
        length = max(2.0, bar_width * count / most)
        shown = fit(label, width_mm=label_width - 6, size_pt=font / PT)  # SVG units in place of mm
        parts.append(
            f'<text x="{label_width - 6:.0f}" y="{y + 15:.0f}" text-anchor="end" fill="#33465e">{escape(shown)}</text>'
            f'<rect x="{label_width:.0f}" y="{y + 4:.0f}" width="{length:.1f}" height="14" fill="#1d4e89"/>'
            f'<text x="{label_width + length + 5:.1f}" y="{y + 15:.0f}" fill="#1d4e89" font-weight="bold">{count}</text>'
        )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" role="img" '
        f'aria-label="{escape(title)}" font-family="{CHART_FONTS}" font-size="{font:.0f}">'
        + "".join(parts) + "</svg>"
    )
