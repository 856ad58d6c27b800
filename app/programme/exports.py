"""The programme table as a spreadsheet (.xlsx) or CSV: one row per domain
(selected, its share of the target, the gap, the suggested quota), then the
total; Excel gets a sheet per city and per year as well. Headers in the
user's language; the writing itself is :mod:`app.spreadsheets`."""
from flask_babel import gettext as _

from app.i18n import lazy_gettext as _l
from app.programme.services import Progress
from app.reference import city_label
from app.spreadsheets import PrintSetup, Sheet, csv_bytes, workbook

DOMAIN_HEADERS = (_l("Domain"), _l("Selected"), _l("Share of the target"), _l("Gap"),
                  _l("Suggested quota for the next call"))


def domain_rows(progress: Progress) -> list[list]:
    """The programme table's rows: one per domain, then the total."""
    rows = [[str(row.domain.label), row.selected, row.target, row.gap, row.suggested] for row in progress.domains]
    rows.append([_("Grand total"), progress.total, progress.target, progress.gap_total, progress.next_total])
    return rows


def to_csv(progress: Progress) -> bytes:
    """The programme table as UTF-8 CSV with a byte order mark."""
    return csv_bytes([str(header) for header in DOMAIN_HEADERS], domain_rows(progress))


def to_xlsx(progress: Progress) -> bytes:
    """The programme table (by domain), and the counts by city and by year, as a workbook."""
    sheets = [
        Sheet(title=_("By domain"), headers=[str(header) for header in DOMAIN_HEADERS], rows=domain_rows(progress)),
        Sheet(title=_("By city"), headers=[_("City"), _("Selected")],
              rows=[[str(city_label(code)), count] for code, count in progress.cities]),
        Sheet(title=_("By year"), headers=[_("Year"), _("Selected")],
              rows=[[year, count] for year, count in progress.years]),
    ]
    title = _("Showcase scenarios: %(total)s of %(target)s", total=progress.total, target=progress.target)
    return workbook(sheets, printing=PrintSetup(title=title))
