"""What the brochure prints, read from a published results snapshot.

:func:`brochure_content` turns a call's published snapshot (its selection, or
a hand-picked list of entries) into a :class:`~app.brochure.page_data.BrochureContent`
of plain, frozen dataclasses (:mod:`app.brochure.page_data`): translated
labels, printable texts already cut to what their fixed frame on the page
holds (with "…", :mod:`app.brochure.fitting`), photos as blob keys. No ORM
object leaves this module, so the templates cannot run a query, and the
content can be hashed and handed to worker processes.

The brochure's pages are fixed frames (``pages.py``, ``brochure.css``): a
scenario is always exactly one page. The frame sizes are in
:mod:`app.brochure.frames`; the opener's chart in :mod:`app.brochure.charts`.
"""
from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.brochure.charts import bar_chart, chart_rows
from app.brochure.fitting import (
    ELLIPSIS,
    NO_CUT_END,
    PT,
    SAFETY_EM,
    em_width,
    fit,
    fit_paragraphs,
    line_count,
    sized,
    text_em,
)
from app.brochure.frames import (
    BACK_HEIGHT,
    BACK_LINE,
    BACK_SIZE,
    BACK_WIDTH,
    BODY_LINE,
    BODY_SIZE,
    CAPTION_PADDING,
    CAPTION_SIZE,
    CHANGE_SIZE,
    COVER_SUBTITLE_LINES,
    COVER_SUBTITLE_SIZE,
    COVER_TITLE_CLASSES,
    COVER_TITLE_WIDTH,
    DEPLOYMENT_WIDTH,
    FIGURE_CLASSES,
    FIGURES_WIDTH,
    FOREWORD_HEIGHT,
    FOREWORD_LINE,
    FOREWORD_SIZE,
    FOREWORD_WIDTH,
    HEADING_HEIGHT,
    INDEX_ORGANISATION,
    INDEX_TITLE,
    LEAD_GAP,
    LEAD_LINE,
    LEAD_SIZE,
    MAX_FIGURES,
    MAX_PHOTOS,
    META_SIZE,
    META_WIDTH,
    METRIC_LINES,
    METRIC_SIZE,
    OPENER_LIST_LINES,
    OPENER_LIST_SIZE,
    OPENER_LIST_WIDTH,
    PANEL_LINE,
    PANEL_SIZE,
    PANEL_TEXT_HEIGHT,
    PANEL_TEXT_WIDTH,
    PHOTO_SLOTS,
    RANK_CITY,
    RANK_DOMAIN,
    RANK_ORGANISATION,
    RANK_TITLE,
    RANK_TITLE_WIDE,
    SECTION_GAP,
    TAG_LINES,
    TAG_SIZE,
    TAGS_WIDTH,
    TEXT_HEIGHT,
    TEXT_WIDTH,
    TITLE_CLASSES,
    TITLE_WIDTH,
    TITLE_WIDTH_WITH_RANK,
)
from app.brochure.options import BuildOptions
from app.brochure.page_data import (
    BrochureContent,
    Chapter,
    CityGroup,
    Figure,
    IndexLine,
    OpenerLine,
    Photo,
    RankingRow,
    Scenario,
    Section,
)
from app.enums import Domain
from app.errors import DomainError
from app.i18n import format_number
from app.models import Call, Entry, ResultEntry, ResultRun
from app.pdf.text import document_language, language_tag
from app.pdf.text import printable as _printable

#: :func:`app.pdf.text.printable`, remembered: it checks every character
#: against the fonts, and a rebuild in the same process reads the same texts.
printable = functools.lru_cache(maxsize=65536)(_printable)
from app.reference import CITIES, city_label, technology_label
from app.results.publishing import published_snapshot


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
    # Every scenario prints its organisation, photos and outcomes: one query each for all of them.
    loaded = select(Entry).where(Entry.id.in_(wanted)).options(
        selectinload(Entry.organisation), selectinload(Entry.photos), selectinload(Entry.outcomes))
    entries = {entry.id: entry for entry in session.exec(loaded).all()} if wanted else {}
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
    cover_size, cover_title = sized(title, width_mm=COVER_TITLE_WIDTH, classes=COVER_TITLE_CLASSES)
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
        chart=bar_chart(chart_rows(counts, other=_("Other")), title=chart_title),
        lines=tuple(OpenerLine(s.key, fit(s.title, width_mm=OPENER_LIST_WIDTH, size_pt=OPENER_LIST_SIZE)) for s in shown),
        more=more,
        scenarios=tuple(scenarios),
    )



def _scenario(call: Call, item: _Item, *, number: int, public: bool) -> Scenario:
    entry, row = item.entry, item.row
    title_text = printable(row.title if row else entry.title)
    organisation = printable(row.organisation_name if row else entry.organisation.name)
    city = str(city_label(item.city_code)) if item.city_code else ""
    domain = str(item.domain.label) if item.domain else ""
    show_rank = public and row is not None
    title_size, title = sized(title_text, width_mm=TITLE_WIDTH_WITH_RANK if show_rank else TITLE_WIDTH,
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
        figures=tuple(outcome_figure(outcome) for outcome in entry.outcomes[:MAX_FIGURES]),
        tag_lines=tag_lines(entry.tech_tags or ()),
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
        # The summary may take up to a third of the column when sections
        # follow: the whole of it is one scan away (the QR code), while the
        # solution is what a reader of the page is after.
        cap = int((height / 3 if wanted else height) // LEAD_LINE)
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


#: Outcome figures: grouped thousands, at most three decimals.
FIGURE_FORMAT = "#,##0.###"


def outcome_figure(outcome) -> Figure:
    """A key figure: the metric with its unit ("日处理量（件/天）"), the value
    in the largest size in which it fits the column, and the change. The unit
    is set with the metric, not beside the value: a run of another size on
    the value's line costs more to lay out than the whole rest of the figure."""
    value = format_number(outcome.after, FIGURE_FORMAT)
    change = (_("New capability") if outcome.before is None
              else f"{format_number(outcome.before, FIGURE_FORMAT)} → {value}")
    size, value = sized(value, width_mm=FIGURES_WIDTH, classes=FIGURE_CLASSES)
    return Figure(
        metric=metric_label(printable(outcome.metric), printable(outcome.unit)),
        value=value,
        change=fit(change, width_mm=FIGURES_WIDTH, size_pt=CHANGE_SIZE),
        size=size,
    )


def metric_label(metric: str, unit: str) -> str:
    """``metric`` with ``unit`` in brackets, in METRIC_LINES lines of the
    figures column: the metric gives way first ("…" before the unit), the
    unit only when even one character of the metric leaves it no room."""
    def fits(text: str) -> bool:
        return line_count(text, width_mm=FIGURES_WIDTH, size_pt=METRIC_SIZE) <= METRIC_LINES

    def labelled(text: str) -> str:
        return _("%(metric)s (%(unit)s)", metric=text, unit=unit)

    if not unit:
        return fit(metric, width_mm=FIGURES_WIDTH, size_pt=METRIC_SIZE, lines=METRIC_LINES)
    whole = labelled(metric)
    if fits(whole):
        return whole
    for end in range(len(metric) - 1, 0, -1):
        head = metric[:end].rstrip()
        if head[-1] in NO_CUT_END:  # never "质量（…"
            continue
        if fits(shorter := labelled(head + ELLIPSIS)):
            return shorter
    return fit(whole, width_mm=FIGURES_WIDTH, size_pt=METRIC_SIZE, lines=METRIC_LINES)


#: Between two technology labels on a line.
TAG_SEPARATOR = " · "


def tag_lines(tags: Sequence[str]) -> tuple[str, ...]:
    """Technology labels as at most TAG_LINES lines of text, the labels of a
    line joined by TAG_SEPARATOR, none split across lines; a last "…" when
    some were left out. Plain lines, not a box per label: a box each cost
    more to lay out than the rest of the footer."""
    labels = [fit(printable(str(technology_label(tag))), width_mm=TAGS_WIDTH / 2, size_pt=TAG_SIZE) for tag in tags]
    labels = [label for label in labels if label]
    room = em_width(TAGS_WIDTH, TAG_SIZE) - SAFETY_EM
    lines: list[list[str]] = [[]]

    def fits(line: list[str], label: str, last: bool) -> bool:
        # The last line keeps room for the "…" unless this is the last label.
        reserve = 0.0 if last or len(lines) < TAG_LINES else text_em(TAG_SEPARATOR + ELLIPSIS)
        return text_em(TAG_SEPARATOR.join([*line, label])) + reserve <= room

    for index, label in enumerate(labels):
        last = index == len(labels) - 1
        if lines[-1] and not fits(lines[-1], label, last) and len(lines) < TAG_LINES:
            lines.append([])
        if not fits(lines[-1], label, last):
            lines[-1].append(ELLIPSIS)
            break
        lines[-1].append(label)
    return tuple(TAG_SEPARATOR.join(line) for line in lines if line)


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

