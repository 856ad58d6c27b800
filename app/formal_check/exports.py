"""The entry list as a spreadsheet (.xlsx) or CSV, from plain rows.

Both files have the same columns, headers in the user's language, one row
per entry. Dates are in the call's timezone (``TIMEZONE``): real date-times
in Excel, ``YYYY-MM-DD HH:MM`` in CSV; numbers stay numbers. Text that a
spreadsheet would run as a formula is prefixed with a single quote. The
writing itself is :mod:`app.spreadsheets`.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from app.i18n import lazy_gettext as _l
from app.reference import city_label, technology_label
from app.spreadsheets import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    Column,
    PrintSetup,
    Sheet,
    column_widths,
    csv_bytes,
    filename,
    neutralise,
    workbook,
)

# Re-exported: the views and tests import them from here.
__all__ = [
    "COLUMNS",
    "CSV_MIMETYPE",
    "XLSX_MIMETYPE",
    "Column",
    "column_widths",
    "filename",
    "headers",
    "neutralise",
    "to_csv",
    "to_xlsx",
    "values",
]

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


def to_xlsx(rows, *, zone: ZoneInfo, sheet_title: str, title: str = "") -> bytes:
    """An .xlsx workbook: a bold, frozen header row, then one row per entry;
    printed with ``title`` (the call) and the sheet's name on every page."""
    return workbook([Sheet(title=sheet_title, headers=headers(), rows=[values(row, zone=zone) for row in rows])],
                    printing=PrintSetup(title=title))


def to_csv(rows, *, zone: ZoneInfo) -> bytes:
    """UTF-8 CSV with a byte order mark (so Excel reads the Chinese), same columns."""
    return csv_bytes(headers(), (values(row, zone=zone) for row in rows))
