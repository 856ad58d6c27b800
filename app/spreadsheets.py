"""Spreadsheet files (.xlsx and CSV) from plain headers and rows.

The generic half of every table export: callers decide the columns and turn
their objects into rows of plain values (str, int, float, datetime, None);
this module writes them.

- .xlsx (openpyxl, write-only): one or more named sheets, each with a bold,
  frozen header row, column widths that fit the content (Chinese counted
  double), numbers as numbers (with an optional per-column number format),
  date-times as real date-times, and text always stored as text — never a
  formula — without the control characters the format cannot hold.
  Every sheet prints sensibly (:class:`PrintSetup`): A4 landscape, one page
  wide, the header row on every page, the workbook's subject and the sheet's
  name at the top and page numbers at the bottom.
- CSV: UTF-8 with a byte order mark, so Excel reads the Chinese; numbers as
  numbers (a whole float without its ".0"), date-times as
  ``YYYY-MM-DD HH:MM``.

Text that a spreadsheet would run as a formula is prefixed with a single
quote by :func:`neutralise`; callers apply it to the text cells they build.
"""
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.i18n import lazy_gettext as _l

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Flask adds "; charset=utf-8" to text types itself.
CSV_MIMETYPE = "text/csv"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
EXCEL_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MIN_WIDTH, MAX_WIDTH = 6, 60
SHEET_TITLE_MAX = 31  # Excel's limit

# Spreadsheets treat a cell starting with one of these as a formula (tab and
# carriage return can start one too after a field separator).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]+')


@dataclass(frozen=True)
class Column:
    """One column of an export: a key, its (lazily translated) header and,
    for numbers, an Excel number format such as ``"0.00"`` (display only:
    the cell keeps its full value)."""

    key: str
    label: object
    number_format: str | None = None


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title, a header row and the rows of cells.

    ``number_formats`` gives a number format per column (None: general); it
    applies to int and float cells only. With no ``headers`` the sheet has no
    header row and nothing is frozen.
    """

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence]
    number_formats: Sequence[str | None] = field(default_factory=tuple)


@dataclass(frozen=True)
class PrintSetup:
    """How the sheets of a workbook print. ``title`` (the call, say) goes at
    the top left of every page, the sheet's name at the top right; ``pages``
    is the footer, with Excel's codes for the page number (``&P``) and the
    page count (``&N``): "第 &P 页，共 &N 页"."""

    title: str = ""
    pages: object = _l("Page &P of &N")


A4 = 9  # Excel's paper size code


def neutralise(value):
    """``value`` safe to open in a spreadsheet: text that would start a
    formula gets a leading single quote; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def display_width(value) -> int:
    """Roughly how many character columns ``value`` takes in a spreadsheet
    (Chinese characters two)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2026-03-01 09:00")
    text = value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def column_widths(header_row: Sequence[str], rows: Iterable[Sequence]) -> list[float]:
    """A width per column that fits its header and longest cell, within limits."""
    widths = [display_width(header) for header in header_row]
    for cells in rows:
        for index, cell in enumerate(cells):
            if index >= len(widths):
                widths.append(0)
            widths[index] = max(widths[index], display_width(cell))
    return [float(min(max(width + 2, MIN_WIDTH), MAX_WIDTH)) for width in widths]


def sheet_title(title: str, *, taken: Iterable[str] = ()) -> str:
    """``title`` as Excel accepts it (no ``[]:*?/\\``, at most 31 characters),
    made unique against ``taken`` (case-insensitively, as Excel compares)."""
    base = _SHEET_TITLE_FORBIDDEN.sub("_", title).strip("'")[:SHEET_TITLE_MAX] or "Sheet1"
    used = {name.casefold() for name in taken}
    candidate, number = base, 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
    return candidate


def workbook(sheets: Sequence[Sheet], *, printing: PrintSetup = PrintSetup()) -> bytes:
    """An .xlsx workbook with ``sheets`` in order (titles made valid and unique),
    each set up to print as ``printing`` says."""
    book = Workbook(write_only=True)
    titles: list[str] = []
    for sheet in sheets:
        titles.append(sheet_title(sheet.title, taken=titles))
        worksheet = book.create_sheet(titles[-1])
        _set_up_printing(worksheet, printing, header_row=bool(sheet.headers))
        _write_sheet(worksheet, sheet)
    if not sheets:
        book.create_sheet("Sheet1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _set_up_printing(worksheet, printing: PrintSetup, *, header_row: bool) -> None:
    """A4 landscape, as many pages down as needed but one page wide (a wide
    ranking printed as is spreads over a hundred pages of three columns), the
    header row repeated on every page, header and footer from ``printing``."""
    worksheet.page_setup.paperSize = A4
    worksheet.page_setup.orientation = "landscape"
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0  # 0: as many pages as the rows need
    if header_row:
        worksheet.print_title_rows = "1:1"
    if printing.title:  # an empty section would read as "&L&R…", which readers misparse
        # "&" starts a code in Excel's header language; a literal one is doubled.
        worksheet.oddHeader.left.text = _header_text(printing.title)
    worksheet.oddHeader.right.text = "&A"  # the sheet's name
    worksheet.oddFooter.center.text = str(printing.pages)


def _header_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text).replace("&", "&&")


def _write_sheet(worksheet, sheet: Sheet) -> None:
    header_row = [str(header) for header in sheet.headers]
    if header_row:
        worksheet.freeze_panes = "A2"
    for index, width in enumerate(column_widths(header_row, sheet.rows), start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    if header_row:
        bold = Font(bold=True)
        header_cells = []
        for header in header_row:
            cell = WriteOnlyCell(worksheet, value=header)
            cell.font = bold
            cell.alignment = Alignment(vertical="center")
            header_cells.append(cell)
        worksheet.append(header_cells)
    formats = list(sheet.number_formats)
    for cells in sheet.rows:
        worksheet.append(
            [_xlsx_cell(worksheet, cell, formats[i] if i < len(formats) else None) for i, cell in enumerate(cells)]
        )


def _xlsx_cell(worksheet, value, number_format: str | None):
    if isinstance(value, datetime):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = EXCEL_DATETIME_FORMAT
        return cell
    if isinstance(value, str):
        # Never a formula, whatever neutralise() let through; control
        # characters that the file format cannot hold are dropped.
        cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell
    if number_format and isinstance(value, int | float) and not isinstance(value, bool):
        cell = WriteOnlyCell(worksheet, value=value)
        cell.number_format = number_format
        return cell
    return value


def csv_bytes(header_row: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 CSV with a byte order mark (so Excel reads the Chinese): numbers as
    numbers, date-times as ``YYYY-MM-DD HH:MM``, None as an empty field."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(header) for header in header_row])
    for cells in rows:
        writer.writerow(_csv_cell(cell) for cell in cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def filename(*parts: str, extension: str) -> str:
    """A download name from ``parts`` (Chinese kept; characters that file
    systems refuse replaced)."""
    stem = "-".join(_UNSAFE_FILENAME.sub("_", part).strip(" ._") for part in parts if part)
    return f"{stem or 'export'}.{extension}"
