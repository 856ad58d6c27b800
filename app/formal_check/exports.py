"""The entry list as a spreadsheet (.xlsx) or CSV, from plain rows.

Both files have the same columns, headers in the user's language, one row
per entry. Dates are in the call's timezone (``TIMEZONE``): real date-times
in Excel, ``YYYY-MM-DD HH:MM`` in CSV; numbers stay numbers. Text that a
spreadsheet would run as a formula is prefixed with a single quote.
"""
import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.i18n import lazy_gettext as _l
from app.reference import city_label, technology_label

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
EXCEL_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MIN_WIDTH, MAX_WIDTH = 6, 60

# Spreadsheets treat a cell starting with one of these as a formula (tab and
# carriage return can start one too after a field separator).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    label: object


COLUMNS = (
    Column("id", _l("ID")),
    Column("title", _l("Title")),
    Column("organisation", _l("Organisation")),
    Column("credit_code", _l("Unified social credit code")),
    Column("domain", _l("Domain")),
    Column("city", _l("City")),
    Column("status", _l("Status")),
    Column("submitted_at", _l("Submitted at")),
    Column("contact_name", _l("Contact person")),
    Column("contact_phone", _l("Contact phone")),
    Column("contact_email", _l("Contact email")),
    Column("tech_tags", _l("AI technologies")),
    Column("investment", _l("Investment (10,000 yuan)")),
    Column("photos", _l("Number of photos")),
)


def neutralise(value):
    """``value`` safe to open in a spreadsheet: text that would start a
    formula gets a leading single quote; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A naive date-time in ``zone`` (Excel has no timezones), to the minute."""
    if value is None:
        return None
    return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def headers() -> list[str]:
    """The column headers, translated into the current language."""
    return [str(column.label) for column in COLUMNS]


def values(row, *, zone: ZoneInfo) -> list:
    """One row of cells, in :data:`COLUMNS` order (text neutralised; numbers,
    date-times and empty cells as they are)."""
    cells = [
        row.id,
        row.title,
        row.organisation_name,
        row.credit_code,
        str(row.domain.label) if row.domain else None,
        str(city_label(row.city_code)) if row.city_code else None,
        str(row.status.label),
        _local(row.submitted_at, zone),
        row.contact_name,
        row.contact_phone,
        row.contact_email,
        "、".join(str(technology_label(tag)) for tag in row.tech_tags or []),
        row.investment,
        row.photo_count,
    ]
    return [neutralise(cell) if cell != "" else None for cell in cells]


def _display_width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2026-03-01 09:00")
    text = value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    # Chinese characters take two columns.
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def column_widths(header_row: list[str], rows: list[list]) -> list[float]:
    """A width per column that fits its header and longest cell, within limits."""
    widths = [_display_width(header) for header in header_row]
    for cells in rows:
        for index, cell in enumerate(cells):
            widths[index] = max(widths[index], _display_width(cell))
    return [float(min(max(width + 2, MIN_WIDTH), MAX_WIDTH)) for width in widths]


def to_xlsx(rows, *, zone: ZoneInfo, sheet_title: str) -> bytes:
    """An .xlsx workbook: a bold, frozen header row, then one row per entry."""
    header_row = headers()
    body = [values(row, zone=zone) for row in rows]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    for index, width in enumerate(column_widths(header_row, body), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in header_row:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    for cells in body:
        sheet.append([_xlsx_cell(sheet, cell) for cell in cells])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, value):
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = EXCEL_DATETIME_FORMAT
        return cell
    if isinstance(value, str):
        # Never a formula, whatever neutralise() let through.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    return _SHEET_TITLE_FORBIDDEN.sub("_", title)[:31] or "Sheet1"


def to_csv(rows, *, zone: ZoneInfo) -> bytes:
    """UTF-8 CSV with a byte order mark (so Excel reads the Chinese), same columns."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers())
    for row in rows:
        writer.writerow(
            "" if cell is None else cell.strftime(DATETIME_FORMAT) if isinstance(cell, datetime) else _csv_number(cell)
            for cell in values(row, zone=zone)
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_number(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]+')


def filename(*parts: str, extension: str) -> str:
    """A download name from ``parts`` (Chinese kept; characters that file
    systems refuse replaced)."""
    stem = "-".join(_UNSAFE_FILENAME.sub("_", part).strip(" ._") for part in parts if part)
    return f"{stem or 'export'}.{extension}"
