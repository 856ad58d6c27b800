"""The defence schedule of a round, per room: a PDF to print and pin on the
door (A4, through :mod:`app.pdf`) and a workbook (:mod:`app.spreadsheets`,
one sheet per room, set up to print).

Both read the rows of :func:`app.review.defence.services.schedule` and list,
per room, each session's time, entry, organisation, domain, room or video
link and whether the applicant confirmed. Times are in the site's time zone
(Beijing time); sessions by video only are listed under their own heading.
The PDF template gets plain, already formatted strings, never a row.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _

from app.db import utcnow
from app.i18n import lazy_gettext as _l
from app.pdf.render import CSS_FOLDER, render_pdf
from app.pdf.text import document_language, language_tag, printable
from app.review.defence.services import room_label, slot_ends
from app.spreadsheets import Column, PrintSetup, Sheet, neutralise, workbook

TEMPLATE = "review/defence/pdf/schedule.html"
STYLESHEET = CSS_FOLDER / "defence.css"

COLUMNS = (
    Column("starts", _l("Starts")),
    Column("ends", _l("Ends")),
    Column("entry_id", _l("Entry number")),
    Column("title", _l("Title")),
    Column("organisation", _l("Organisation")),
    Column("domain", _l("Domain")),
    Column("room", _l("Room")),
    Column("video_link", _l("Video link")),
    Column("confirmed", _l("Confirmed")),
    Column("confirmed_at", _l("Confirmed at")),
)


def room_heading(room: str) -> str:
    """What a room's section is called ("" is the sessions by video only)."""
    return room or _("By video (no room)")


def by_room(rows: Sequence, room: str | None = None) -> list[tuple[str, list]]:
    """The scheduled rows grouped by room, rooms in order of their first
    session, video-only sessions last; only ``room`` when given."""
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(room_label(row.slot), []).append(row)
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "", item[1][0].slot.starts_at))
    return [(name, items) for name, items in ordered if room is None or name == room]


def _local(value: datetime) -> datetime:
    """An Excel date-time: local time, without a zone (Excel has none)."""
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).replace(tzinfo=None)


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


# --- workbook ----------------------------------------------------------------


def schedule_xlsx(rows: Sequence, *, call, review_round, room: str | None = None) -> bytes:
    """The schedule as a workbook: one sheet per room, a row per session."""
    sheets = [
        Sheet(room_heading(name), [str(column.label) for column in COLUMNS], [_xlsx_row(row) for row in items])
        for name, items in by_room(rows, room)
    ]
    title = f"{call.name} · {review_round.name}"
    return workbook(sheets, printing=PrintSetup(title=title))


def _xlsx_row(row) -> list:
    slot, entry = row.slot, row.entry
    return [
        _local(slot.starts_at), _local(slot_ends(slot)), entry.id, neutralise(entry.title),
        neutralise(row.organisation.name), str(entry.domain.label) if entry.domain else "", neutralise(slot.room),
        neutralise(slot.video_link), _yes_no(slot.confirmed_at is not None),
        _local(slot.confirmed_at) if slot.confirmed_at else None,
    ]


# --- PDF -------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfSession:
    day: str
    time: str
    entry: str
    organisation: str
    domain: str
    place: str
    link: str
    confirmed: str
    is_confirmed: bool


@dataclass(frozen=True)
class PdfRoom:
    name: str
    count: str
    sessions: tuple[PdfSession, ...]


@dataclass(frozen=True)
class ScheduleDocument:
    lang: str
    title: str
    call_name: str
    round_name: str
    generated_at: str
    generated_iso: str
    rooms: tuple[PdfRoom, ...]


def schedule_pdf(rows: Sequence, *, call, review_round, room: str | None = None, now: datetime | None = None) -> bytes:
    """The schedule as a PDF: A4 portrait, a page per room with its sessions
    in time order. Call it inside an app context."""
    with document_language():
        document = schedule_document(rows, call=call, review_round=review_round, room=room, now=now or utcnow())
        html = current_app.jinja_env.get_template(TEMPLATE).render(doc=document)
    return render_pdf(html, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[STYLESHEET], allowed_roots=[CSS_FOLDER])


def schedule_document(rows: Sequence, *, call, review_round, room: str | None, now: datetime) -> ScheduleDocument:
    """The plain data of the schedule PDF (in the current language)."""
    rooms = tuple(
        PdfRoom(printable(room_heading(name)),
                ngettext("%(num)s session", "%(num)s sessions", len(items)),
                tuple(_pdf_session(row) for row in items))
        for name, items in by_room(rows, room)
    )
    return ScheduleDocument(
        lang=language_tag(),
        title=printable(_("Defence schedule: %(round)s, %(call)s", round=review_round.name, call=call.name)),
        call_name=printable(call.name),
        round_name=printable(review_round.name),
        generated_at=format_datetime(now, "short"),
        generated_iso=now.isoformat(timespec="seconds"),
        rooms=rooms,
    )


def _pdf_session(row) -> PdfSession:
    slot, entry = row.slot, row.entry
    confirmed = slot.confirmed_at is not None
    return PdfSession(
        day=format_date(slot.starts_at, "medium"),
        time=f"{format_datetime(slot.starts_at, 'HH:mm')}–{format_datetime(slot_ends(slot), 'HH:mm')}",
        entry=printable(_("No. %(number)s %(title)s", number=entry.id, title=entry.title)),
        organisation=printable(row.organisation.name),
        domain=str(entry.domain.label) if entry.domain else "",
        place=printable(slot.room),
        link=printable(slot.video_link),
        confirmed=(_("Confirmed %(when)s", when=format_datetime(slot.confirmed_at, "short")) if confirmed
                   else _("Not confirmed")),
        is_confirmed=confirmed,
    )
