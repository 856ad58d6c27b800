"""The printable notice (公示) as a PDF in the usual official layout: the
title "关于……拟入选名单的公示", the body with the period, the table of the
list, the contact for objections, the signature (落款) and the date.

The notice is turned into a :class:`NoticeSheet` of plain strings first, so
the template sees no database object; Jinja's autoescaping keeps every text
literal. Rendered through ``app.pdf.render`` (the locked fetcher, CJK fonts).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from app.enums import Domain
from app.i18n import format_number
from app.models import Call, Notice
from app.notices.periods import BEIJING
from app.notices.services import ListRow
from app.pdf.render import CSS_FOLDER, render_pdf
from app.pdf.text import document_language, language_tag, printable
from app.reference import city_label

TEMPLATE = "pdf/notice.html"
STYLESHEET = CSS_FOLDER / "notice.css"


@dataclass(frozen=True)
class NoticeRow:
    number: int
    title: str
    organisation: str
    domain: str
    city: str
    rank: str
    score: str  # "" unless the notice shows scores


@dataclass(frozen=True)
class NoticeSheet:
    lang: str
    title: str
    body: str
    period: str
    rows: tuple[NoticeRow, ...]
    show_scores: bool
    contact: tuple[str, ...]
    issuer: str
    date: str
    generated_iso: str


def _day(value: datetime) -> str:
    return format_date(value.astimezone(BEIJING).date(), "long")


def notice_sheet(call: Call, notice: Notice, rows: list[ListRow], *, zone: ZoneInfo = BEIJING) -> NoticeSheet:
    """The plain data of the printed notice: the proposed list as published."""
    listed = [item for item in rows if item.proposed]
    unit = _("working days") if notice.working_days else _("calendar days")
    return NoticeSheet(
        lang=language_tag(),
        title=printable(_("Public notice of the proposed list of %(call)s", call=call.name)),
        body=printable(_(
            "After expert review, the following %(num)s scenarios are proposed as showcase AI application "
            "scenarios of %(call)s. They are hereby put up for public notice.", num=len(listed), call=call.name)),
        period=_("The notice runs from %(start)s to %(end)s (%(days)s %(unit)s). Anyone who objects to an entry "
                 "may file an objection with its grounds and evidence within the period, online on the notice page "
                 "or through the contact below.", start=_day(notice.starts_at), end=_day(notice.ends_at),
                 days=notice.period_days, unit=unit),
        rows=tuple(
            NoticeRow(number=number, title=printable(item.row.title), organisation=printable(item.row.organisation_name),
                      domain=str(Domain(item.row.domain).label), city=str(city_label(item.row.city_code)),
                      rank=str(item.row.rank),
                      score=format_number(item.row.score, "0.00") if notice.show_scores else "")
            for number, item in enumerate(listed, start=1)
        ),
        show_scores=notice.show_scores,
        contact=tuple(line for line in (printable(line) for line in notice.contact.splitlines()) if line),
        issuer=printable(call.certificate_issuer) or _("Scenario Showcase"),
        date=_day(notice.starts_at),
        generated_iso=notice.starts_at.astimezone(zone).isoformat(),
    )


def notice_pdf(call: Call, notice: Notice, rows: list[ListRow], *, locale: str | None = None) -> bytes:
    """The printable notice as PDF bytes (A4 portrait)."""
    with document_language(locale):
        sheet = notice_sheet(call, notice, rows)
        html = current_app.jinja_env.get_template(TEMPLATE).render(sheet=sheet)
    return render_pdf(html, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[STYLESHEET], allowed_roots=[CSS_FOLDER])
