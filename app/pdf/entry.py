"""The application form (申报书) of one entry, as a PDF.

:func:`entry_pdf` is what a view or a job calls. It first turns the entry into
an :class:`EntrySheet` of plain, already formatted strings (labels translated,
dates in the call's time zone, photos as ``file://`` URLs of their blobs), so
the template sees no database object and cannot run a query or reach a
relationship; Jinja's autoescaping keeps every applicant text literal.
"""
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import current_app
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from markupsafe import Markup

from app.db import utcnow
from app.enums import EntryStatus
from app.i18n import format_number
from app.models import Entry
from app.pdf.fetcher import storage_url
from app.pdf.render import CSS_FOLDER, render_pdf
from app.pdf.text import document_language, language_tag, printable
from app.reference import city_label, technology_label
from app.storage import storage

TEMPLATE = "pdf/entry.html"
STYLESHEET = CSS_FOLDER / "entry.css"



@dataclass(frozen=True)
class Partner:
    name: str
    credit_code: str  # "" when not given


@dataclass(frozen=True)
class Outcome:
    metric: str
    before: str  # "" when the capability did not exist before
    after: str
    unit: str


@dataclass(frozen=True)
class Photo:
    url: str  # storage: URL of the display rendition (read by the PDF's fetcher)
    caption: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    pages: int


@dataclass(frozen=True)
class EntrySheet:
    """Everything the application form shows, as strings ready to print.

    Long texts are tuples of paragraphs (the applicant's line breaks).
    """

    lang: str  # BCP 47, for <html lang> and the PDF's /Lang
    call_name: str
    number: str
    status: str
    is_draft: bool
    submitted_at: str  # "" when never submitted
    generated_at: str
    generated_iso: str  # W3C date-time, for the PDF's CreationDate

    title: str
    organisation: str
    credit_code: str
    domain: str
    city: str
    partners: tuple[Partner, ...]
    technologies: tuple[str, ...]
    summary: tuple[str, ...]
    problem: tuple[str, ...]
    solution: tuple[str, ...]
    deployment_scale: str
    deployment_period: str
    investment: str  # in 万元, formatted; "" when not given
    investment_note: str
    outcomes: tuple[Outcome, ...]
    replicability: tuple[str, ...]
    data_security: tuple[str, ...]
    contact_name: str
    contact_position: str
    contact_phone: str
    contact_email: str
    photos: tuple[Photo, ...]
    attachments: tuple[Attachment, ...]


def entry_pdf(entry: Entry, *, locale: str | None = None, now: datetime | None = None) -> bytes:
    """The application form of ``entry`` as PDF bytes (A4, Simplified Chinese by default).

    Call it inside an app context. Labels follow ``locale`` when given, else
    the request's UI language, else (no request: a job or the CLI) the
    default language. The entry's organisation, call, outcomes, photos and
    attachments are read here, before rendering.

    A view serves it with :func:`app.web.send_bytes`.
    """
    with document_language(locale):
        sheet = entry_sheet(entry, now=now or utcnow())
        html = current_app.jinja_env.get_template(TEMPLATE).render(
            sheet=sheet,
            # Empty spans that the stylesheet fills with the page counters.
            page_marker=Markup('<span class="page-number"></span>'),
            pages_marker=Markup('<span class="page-count"></span>'),
        )
    return render_pdf(
        html,
        base_url=CSS_FOLDER.as_uri() + "/",
        stylesheets=[STYLESHEET],
        allowed_roots=[CSS_FOLDER],
        blobs=storage(),
    )


def entry_pdf_filename(entry: Entry) -> str:
    """An ASCII download name for the PDF of ``entry``."""
    return f"entry-{entry.id}.pdf"


def entry_sheet(entry: Entry, *, now: datetime, locale: str | None = None) -> EntrySheet:
    """The plain data of the application form of ``entry``; ``locale`` as for :func:`entry_pdf`."""
    with document_language(locale):
        return _sheet(entry, now=now)


def _sheet(entry: Entry, *, now: datetime) -> EntrySheet:
    return EntrySheet(
        lang=language_tag(),
        call_name=printable(entry.call.name),
        number=str(entry.id),
        status=str(entry.status.label),
        is_draft=entry.status == EntryStatus.DRAFT,
        submitted_at=format_datetime(entry.submitted_at, "medium") if entry.submitted_at else "",
        generated_at=format_datetime(now, "medium"),
        generated_iso=now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        title=printable(entry.title),
        organisation=printable(entry.organisation.name),
        credit_code=entry.organisation.credit_code,
        domain=str(entry.domain.label) if entry.domain else "",
        city=str(city_label(entry.city_code)) if entry.city_code else "",
        partners=tuple(
            Partner(name=printable(partner.get("name", "")), credit_code=printable(partner.get("credit_code") or ""))
            for partner in entry.partners or ()
            if partner.get("name")
        ),
        technologies=tuple(printable(str(technology_label(tag))) for tag in entry.tech_tags or ()),
        summary=_paragraphs(entry.summary),
        problem=_paragraphs(entry.problem),
        solution=_paragraphs(entry.solution),
        deployment_scale=printable(entry.deployment_scale),
        deployment_period=_period(entry.deployment_start, entry.deployment_end),
        investment=format_number(entry.investment),
        investment_note=printable(entry.investment_note),
        outcomes=tuple(
            Outcome(
                metric=printable(row.metric),
                before=format_number(row.before),
                after=format_number(row.after),
                unit=printable(row.unit),
            )
            for row in entry.outcomes
        ),
        replicability=_paragraphs(entry.replicability),
        data_security=_paragraphs(entry.data_security),
        contact_name=printable(entry.contact_name),
        contact_position=printable(entry.contact_position),
        contact_phone=printable(entry.contact_phone),
        contact_email=printable(entry.contact_email),
        photos=tuple(
            Photo(url=storage_url(photo.display_key), caption=printable(photo.caption))
            for photo in entry.photos
        ),
        attachments=tuple(
            Attachment(filename=printable(attachment.filename), pages=attachment.pages) for attachment in entry.attachments
        ),
    )




def _paragraphs(value: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in printable(value).splitlines() if line.strip())


def _period(start: date | None, end: date | None) -> str:
    if start is None:
        return ""
    until = format_date(end, "medium") if end else _("ongoing")
    return f"{format_date(start, 'medium')} – {until}"
