"""A run's rankings as a workbook (.xlsx), a CSV file and a PDF.

All three read one :class:`~app.models.ResultRun` and its
:class:`~app.models.ResultEntry` rows, nothing else, so a published snapshot
exports the same figures for ever. Labels and headers follow the current
language (the request's, or the default language outside a request): with
the default UI language the files come out in Simplified Chinese.

- :func:`rankings_xlsx`: the overall ranking, one sheet per domain and an
  "About" sheet (method, parameters, status, hashes, tie rule).
- :func:`rankings_csv`: the overall ranking, then the hashes.
- :func:`rankings_pdf`: A4 landscape, for reading and printing: the score
  distribution per domain, then one table per domain in domain-rank order.

Spreadsheet cells keep numbers as numbers (scores at full stored precision,
shown with two decimals in Excel), yes/no and flags as translated text, and
entry text neutralised against formulas (:mod:`app.spreadsheets`). The PDF
template gets plain, already formatted strings; Jinja's autoescaping keeps
every title literal.
"""
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from app.db import utcnow
from app.enums import Domain
from app.i18n import lazy_gettext as _l
from app.pdf.render import CSS_FOLDER, render_pdf
from app.pdf.text import document_language, language_tag, printable
from app.reference import city_label
from app.results import aggregation, bootstrap, charts, labels, selection
from app.results.rankings import TIE_RULE
from app.results.verification import verify_url
from app.review.rubrics.services import AGGREGATION_LABELS
from app.spreadsheets import Column, PrintSetup, Sheet, csv_bytes, neutralise, workbook

TEMPLATE = "results/pdf/rankings.html"
STYLESHEET = CSS_FOLDER / "rankings.css"
SCORE_FORMAT = "0.00"
HASH_SHOWN = 12  # hex digits of the public hash (a legacy snapshot's content hash) in the PDF's running header

# C0 controls but tab and newline, DEL, and the C1 controls: no glyph in a
# PDF, not allowed in a workbook.

COLUMNS = (
    Column("rank", _l("Rank")),
    Column("domain_rank", _l("Rank in domain")),
    Column("city_rank", _l("Rank in city")),
    Column("title", _l("Title")),
    Column("organisation", _l("Organisation")),
    Column("domain", _l("Domain")),
    Column("city", _l("City")),
    Column("score", _l("Adjusted score"), SCORE_FORMAT),
    Column("raw_mean", _l("Raw mean"), SCORE_FORMAT),
    Column("raw_median", _l("Median"), SCORE_FORMAT),
    Column("raw_min", _l("Lowest sheet total"), SCORE_FORMAT),
    Column("raw_max", _l("Highest sheet total"), SCORE_FORMAT),
    Column("raw_sd", _l("Standard deviation"), SCORE_FORMAT),
    Column("raw_range", _l("Range"), SCORE_FORMAT),
    Column("sheets", _l("Sheets")),
    Column("assigned", _l("Sheets assigned")),
    Column("rank_interval", None),  # the label names the interval's level: see _headers()
    Column("borderline", _l("Borderline")),
    Column("too_few_sheets", _l("Too few sheets to judge")),
    Column("disagreement", _l("Disagreement")),
    Column("veto", _l("Veto")),
    Column("selected", _l("Selected")),
    Column("decision", _l("Selection decision")),
    Column("chair_reason", _l("Chair's reason")),
)
# Short flags of the PDF's tables.
FLAG_DISPUTED = _l("Disputed")
FLAG_BORDERLINE = _l("Borderline")
FLAG_TOO_FEW_SHEETS = _l("Too few sheets")
VETO_FLAGS = {
    "pending": _l("Veto pending"),
    "confirmed": _l("Veto confirmed"),
    "dismissed": _l("Veto dismissed"),
}
CHAIR_FLAGS = {
    selection.INCLUDED_BY_CHAIR: _l("Included by the chair"),
    selection.EXCLUDED_BY_CHAIR: _l("Excluded by the chair"),
    selection.WITHDRAWN: _l("Withdrawn after an upheld objection"),
}
FLAG_QUOTA_FILL = _l("Quota fill-up")


# --- spreadsheets -------------------------------------------------------------


def rankings_xlsx(run, rows: Sequence, *, call) -> bytes:
    """The run as an .xlsx workbook.

    Sheets: "Overall" (总排名) with every row in rank order; one sheet per
    domain that has entries, titled with the domain's label, rows in
    domain-rank order; "About" (说明) with the call, method, parameters,
    status and the tie rule. Each ranking sheet has a bold, frozen header row
    and the columns of :data:`COLUMNS`; every sheet prints on A4 landscape, one
    page wide, with the call's name and the sheet's at the top of each page.
    """
    with document_language():
        header_row = _headers(run)
        formats = [column.number_format for column in COLUMNS] + [SCORE_FORMAT, None] * len(_rounds(run))
        ordered = sorted(rows, key=lambda row: row.rank)
        sheets = [Sheet(title=_("Overall"), headers=header_row, rows=[_cells(row, run) for row in ordered],
                      number_formats=formats)]
        for domain, domain_rows in _by_domain(ordered):
            sheets.append(Sheet(title=str(domain.label), headers=header_row,
                                rows=[_cells(row, run) for row in domain_rows], number_formats=formats))
        sheets.append(Sheet(title=_("About this export"), headers=(), rows=_about(run, rows, call=call)))
        return workbook(sheets, printing=PrintSetup(title=call.name))


def rankings_csv(run, rows: Sequence, *, call) -> bytes:
    """The overall ranking as UTF-8 CSV with a byte order mark: the columns of
    the workbook's first sheet, rows in rank order, numbers as numbers; after
    an empty row, the snapshot's hashes and where to verify them (or that it
    is a draft), as (label, value) rows."""
    with document_language():
        cells = [_cells(row, run) for row in sorted(rows, key=lambda row: row.rank)]
        footer = [[], *([neutralise(label), neutralise(value)] for label, value in _verification(run))]
        return csv_bytes(_headers(run), cells + footer)


def _by_domain(ordered: Sequence) -> list[tuple[Domain, list]]:
    """(domain, its rows in domain-rank order), domains in the order of the domain list."""
    groups: dict[Domain, list] = defaultdict(list)
    for row in ordered:
        groups[Domain(row.domain)].append(row)
    return [(domain, sorted(groups[domain], key=lambda row: row.domain_rank)) for domain in Domain if domain in groups]


def _quotas_apply(run) -> bool:
    return bool(run.parameters.get("quotas"))


def _headers(run) -> list[str]:
    headers = [str(column.label) if column.label is not None else _interval_header(run) for column in COLUMNS]
    for item in _rounds(run):
        headers += [_("%(round)s score", round=item["name"]), _("%(round)s rank", round=item["name"])]
    return headers


def _rounds(run) -> list[dict]:
    """The rounds a run combining several keeps (none for a single round): a
    score and a rank column each, after :data:`COLUMNS`."""
    return list((run.summary or {}).get("rounds") or [])


def _interval_header(run) -> str:
    """With domain quotas the rank interval is the entry's rank within its domain."""
    if _quotas_apply(run):
        return _("Rank interval in domain (%(level)s)", level=_interval_level(run))
    return _("Rank interval (%(level)s)", level=_interval_level(run))


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _joined(items: Sequence[str]) -> str:
    locale = get_locale()
    return ("、" if locale is None or locale.language == "zh" else ", ").join(items)


def _interval(row) -> str:
    return str(row.rank_lo) if row.rank_lo == row.rank_hi else f"{row.rank_lo}–{row.rank_hi}"


def _cells(row, run=None) -> list:
    """One row of cells in :data:`COLUMNS` order (text neutralised, numbers as they are),
    then each round's score and rank for a run combining several."""
    flags = [str(labels.DISAGREEMENT.get(key, key)) for key in row.disagreement_flags or ()]
    cells = [
        row.rank,
        row.domain_rank,
        row.city_rank,
        printable(row.title),
        printable(row.organisation_name),
        str(Domain(row.domain).label),
        str(city_label(row.city_code)) if row.city_code else None,
        row.score,
        row.raw_mean,
        row.raw_median,
        row.raw_min,
        row.raw_max,
        row.raw_sd,
        row.raw_range,
        row.sheets,
        row.assigned,
        _interval(row),
        _yes_no(row.borderline),
        _yes_no(bootstrap.too_few_sheets(row.sheets)),
        _joined(flags) if flags else None,
        str(labels.VETO_STATUS.get(row.veto_status, row.veto_status)) if row.veto_status != "none" else None,
        _yes_no(row.selected),
        str(labels.DECISIONS.get(row.decision, row.decision)) if row.decision else None,
        printable(row.chair_reason) or None,
    ]
    for item in _rounds(run) if run is not None else ():
        figures = (row.round_scores or {}).get(str(item["number"])) or {}
        cells += [figures.get("score"), figures.get("rank")]
    return [neutralise(cell) if cell != "" else None for cell in cells]


def _when(value: datetime | None) -> str:
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value else ""


def _status(run) -> str:
    if run.published:
        return _("Published %(time)s", time=_when(run.published_at))
    return _("Draft computed %(time)s", time=_when(run.computed_at))


def _verification(run) -> list[tuple[str, str]]:
    """(label, value) of the snapshot's hashes and where anyone can check
    them; a draft says it has none. Snapshots published before public
    documents existed have only their snapshot hash."""
    if not run.published:
        return [(_("Snapshot hash"), _("Draft, not published: it has no hash, and nothing here can be verified."))]
    facts = []
    if run.public_hash:
        facts.append((_("Public hash (SHA-256)"), run.public_hash))
    facts.append((_("Snapshot hash (SHA-256)"), run.content_hash or ""))
    facts.append((_("Verify it at"), verify_url(run.public_hash or run.content_hash)))
    return facts


def _method(run) -> str:
    return str(AGGREGATION_LABELS.get(run.method, run.method))


def _interval_level(run) -> str:
    lower, upper = run.parameters.get("rank_interval", [5.0, 95.0])
    level = upper - lower
    return f"{level:g}%"


def _about(run, rows: Sequence, *, call) -> list[list]:
    """(label, value) rows of the About sheet."""
    parameters = run.parameters
    counts = run.summary.get("counts", {})
    not_used = _("Not used")
    about = [
        [_("Call"), printable(call.name)],
        [_("Year"), call.year],
        [_("Status"), _("Published") if run.published else _("Draft")],
        [_("Computed at"), _when(run.computed_at)],
    ]
    if run.published:
        about.append([_("Published at"), _when(run.published_at)])
    about += [[label, value] for label, value in _verification(run)]
    about += [
        [_("Aggregation method"), _method(run)],
        [_("Disagreement threshold: standard deviation (points)"), _number(parameters.get("sd_threshold"), not_used)],
        [_("Disagreement threshold: range (points)"), _number(parameters.get("range_threshold"), not_used)],
        [_("Most showcase scenarios per organisation"), _number(parameters.get("organisation_cap"), _("No cap"))],
        [_("Target number of showcase scenarios"), parameters.get("target")],
    ]
    quotas = parameters.get("quotas") or {}
    if quotas:
        for domain in Domain:
            if domain.value in quotas:
                about.append([_("Quota: %(domain)s", domain=domain.label), quotas[domain.value]])
    else:
        about.append([_("Quotas per domain"), _("None")])
    if quotas and "quota_fill" in parameters:
        about.append([_("Unfilled quota places go to the best remaining entries of other domains"),
                      _yes_no(parameters["quota_fill"])])
    about += [
        [_("Bootstrap resamples"), parameters.get("resamples")],
        [_("Seed"), parameters.get("seed")],
        [_("Rank interval"), _intervalprintable(run)],
        [_("Entries ranked"), counts.get("entries", len(rows))],
        [_("Score sheets"), counts.get("sheets")],
        [_("Experts"), counts.get("experts")],
        [_("Selected"), sum(1 for row in rows if row.selected)],
    ]
    about += _tie_rule_rows()
    return [[label, neutralise(value) if isinstance(value, str) else value] for label, value in about]


def _number(value, missing: str):
    return missing if value is None else value


def _intervalprintable(run) -> str:
    if _quotas_apply(run):
        return _("%(level)s bootstrap interval of the entry's rank within its domain", level=_interval_level(run))
    return _("%(level)s bootstrap interval of the entry's rank in the whole call", level=_interval_level(run))


def _tie_rule_steps() -> list[str]:
    return [f"{number}. {step}" for number, step in enumerate(TIE_RULE, start=1)]


def _tie_rule_rows() -> list[list]:
    steps = [_("Entries are ranked by, in order:"), *_tie_rule_steps()]
    rows = [[_("Tie rule") if index == 0 else "", step] for index, step in enumerate(steps)]
    rows.append(["", _("Scores are compared rounded to %(places)s decimal places.", places=aggregation.TIE_DECIMALS)])
    return rows


# --- PDF ------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfRow:
    """One row of a domain table, every figure already formatted."""

    rank: str
    domain_rank: str
    title: str
    organisation: str
    city: str
    score: str
    raw_mean: str
    sd: str
    sheets: str  # "5", or "4/5" while sheets are outstanding
    interval: str
    flags: tuple[str, ...]
    selected: bool
    cut_above: bool  # the row above was selected and this one is not: the cut line


@dataclass(frozen=True)
class PdfDomain:
    label: str
    quota: str  # "" without a quota
    selected: int
    entries: int
    rows: tuple[PdfRow, ...]


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    hash: bool = False  # a hash or an address: small type, broken anywhere


@dataclass(frozen=True)
class RankingsDocument:
    """Everything the rankings PDF shows, as strings ready to print."""

    lang: str  # BCP 47, for <html lang> and the PDF's /Lang
    title: str  # the PDF's title metadata
    call_name: str
    published: bool
    status: str  # running header: "Draft …" or "Published … · SHA-256 …"
    generated_at: str
    generated_iso: str  # W3C date-time, for the PDF's CreationDate
    facts: tuple[Fact, ...]
    interval_label: str
    domains: tuple[PdfDomain, ...]
    legend: tuple[Fact, ...]
    tie_intro: str
    tie_rule: tuple[str, ...]
    tie_note: str
    chart: Markup | None  # inline SVG from app.results.charts (its text escaped there)


def rankings_pdf(run, rows: Sequence, *, call, now: datetime | None = None) -> bytes:
    """The run as a PDF: A4 landscape, a title block with the call, method and
    counts, the distribution of scores per domain, then per domain its quota,
    how many were selected and a table in domain-rank order. Running header:
    the call and "Draft" or the publication date with the start of the
    public hash; footer: "page x of y".

    Call it inside an app context (the request's language, else the default one).
    """
    with document_language():
        document = rankings_document(run, rows, call=call, now=now or utcnow())
        html = current_app.jinja_env.get_template(TEMPLATE).render(
            doc=document,
            # Empty spans that the stylesheet fills with the page counters.
            page_marker=Markup('<span class="page-number"></span>'),
            pages_marker=Markup('<span class="page-count"></span>'),
        )
    return render_pdf(html, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[STYLESHEET], allowed_roots=[CSS_FOLDER])


def rankings_document(run, rows: Sequence, *, call, now: datetime) -> RankingsDocument:
    """The plain data of the rankings PDF (in the current language)."""
    ordered = sorted(rows, key=lambda row: row.rank)
    groups = _by_domain(ordered)
    quotas = run.parameters.get("quotas") or {}
    selected = sum(1 for row in ordered if row.selected)
    counts = run.summary.get("counts", {})
    facts = [
        Fact(_("Aggregation method"), _method(run)),
        Fact(_("Entries ranked"), str(len(ordered))),
        Fact(_("Selected"), _("%(selected)s of a target of %(target)s", selected=selected,
                                target=run.parameters.get("target", ""))),
        Fact(_("Score sheets"), str(counts.get("sheets", sum(row.sheets for row in ordered)))),
        Fact(_("Status"), _status(run)),
    ]
    facts += [Fact(label, value, hash=run.published) for label, value in _verification(run)]
    return RankingsDocument(
        lang=language_tag(),
        title=_("Rankings: %(call)s", call=printable(call.name)),
        call_name=printable(call.name),
        published=run.published,
        status=_running_status(run),
        generated_at=format_datetime(now, "yyyy-MM-dd HH:mm"),
        generated_iso=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        facts=tuple(facts),
        interval_label=_("Interval"),
        domains=tuple(
            PdfDomain(
                label=str(domain.label),
                quota=str(quotas[domain.value]) if domain.value in quotas else "",
                selected=sum(1 for row in domain_rows if row.selected),
                entries=len(domain_rows),
                rows=tuple(
                    _pdf_row(row, cut_above=index > 0 and domain_rows[index - 1].selected and not row.selected)
                    for index, row in enumerate(domain_rows)
                ),
            )
            for domain, domain_rows in groups
        ),
        legend=_legend(run),
        tie_intro=_("Entries are ranked by, in order:"),
        tie_rule=tuple(_tie_rule_steps()),
        tie_note=_("Scores are compared rounded to %(places)s decimal places.", places=aggregation.TIE_DECIMALS),
        chart=_chart(groups),
    )


def _running_status(run) -> str:
    if run.published:
        return _("Published %(date)s · SHA-256 %(hash)s", date=format_date(run.published_at, "medium"),
                 hash=(run.public_hash or run.content_hash or "")[:HASH_SHOWN])
    return _("Draft")


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _pdf_row(row, *, cut_above: bool) -> PdfRow:
    flags = []
    if row.disagreement_flags:
        flags.append(str(FLAG_DISPUTED))
    if row.borderline:
        flags.append(str(FLAG_BORDERLINE))
    if bootstrap.too_few_sheets(row.sheets):
        flags.append(str(FLAG_TOO_FEW_SHEETS))
    if row.veto_status in VETO_FLAGS:
        flags.append(str(VETO_FLAGS[row.veto_status]))
    if row.decision in CHAIR_FLAGS:
        flags.append(str(CHAIR_FLAGS[row.decision]))
    if row.decision == selection.QUOTA_FILL:
        flags.append(str(FLAG_QUOTA_FILL))
    return PdfRow(
        rank=str(row.rank),
        domain_rank=str(row.domain_rank),
        title=printable(row.title),
        organisation=printable(row.organisation_name),
        city=str(city_label(row.city_code)) if row.city_code else "",
        score=_figure(row.score),
        raw_mean=_figure(row.raw_mean),
        sd=_figure(row.raw_sd),
        sheets=str(row.sheets) if row.sheets >= row.assigned else f"{row.sheets}/{row.assigned}",
        interval=_interval(row),
        flags=tuple(flags),
        selected=bool(row.selected),
        cut_above=cut_above,
    )


def _legend(run) -> tuple[Fact, ...]:
    parameters = run.parameters
    thresholds = []
    if parameters.get("sd_threshold") is not None:
        thresholds.append(_("standard deviation ≥ %(value)s", value=f"{parameters['sd_threshold']:g}"))
    if parameters.get("range_threshold") is not None:
        thresholds.append(_("range ≥ %(value)s", value=f"{parameters['range_threshold']:g}"))
    return (
        Fact(_("Interval"), _intervalprintable(run)),
        Fact(_("Sheets"), _("Score sheets counted; “4/5”: one assigned sheet is outstanding")),
        Fact(str(FLAG_DISPUTED), _("The experts disagree: %(thresholds)s", thresholds=_joined(thresholds))
             if thresholds else _("The experts disagree")),
        Fact(str(FLAG_BORDERLINE), _("The rank interval crosses the cut line of the selection")),
        Fact(str(FLAG_TOO_FEW_SHEETS), _("Fewer than %(n)s sheets: the rank interval is estimated from how much the "
                                         "experts disagree across the group, not from this entry’s own sheets.",
                                         n=bootstrap.MIN_SHEETS_TO_JUDGE)),
        Fact(str(FLAG_QUOTA_FILL), _("Selected into a place another domain left unfilled")),
        Fact("✓", _("Selected as a showcase scenario; a green line marks where the selection stops")),
    )


def _chart(groups) -> Markup | None:
    """The distribution of adjusted scores per domain, or None when there is nothing to draw."""
    if not groups:
        return None
    return charts.distribution_svg(
        [(str(domain.label), [row.score for row in domain_rows]) for domain, domain_rows in groups],
        title=_("Distribution of adjusted scores by domain"),
        axis_label=_("Adjusted score"),
    )
