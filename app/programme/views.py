"""The programme page (staff: chairs and publicity): the showcase scenarios
selected over all calls against the programme target, by domain, city and
year, the gaps and the quotas suggested for the next call; its exports."""
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.services import Subject, record
from app.db import db, utcnow
from app.enums import Role
from app.input_rules import Bounds, NumberError
from app.permissions import can_view_programme, require, roles_required
from app.programme import exports
from app.programme.services import Progress, programme_progress
from app.site.services import load_settings
from app.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, filename
from app.web import send_bytes, write_during_read

bp = Blueprint("programme", __name__, url_prefix="/programme")

#: The next call's target, as a call's target may be (``app.calls.services.TARGET_RANGE``).
TARGET_RANGE = (1, 10_000)
NEXT_TOTAL = Bounds(*TARGET_RANGE, whole=True)
FORMATS = {"xlsx": XLSX_MIMETYPE, "csv": CSV_MIMETYPE}


@bp.before_request
@roles_required(Role.CHAIR, Role.PUBLICITY)
def _staff_only():
    require(can_view_programme(current_user))


def _progress() -> tuple[Progress, str | None]:
    """The progress, with the next call's target from ``?total=`` (a message when it is not a valid one)."""
    target = load_settings(db.session).programme_target
    problem = None
    try:
        next_total = NEXT_TOTAL.parse(request.args.get("total"))
    except NumberError:
        next_total = None
        problem = _("The next call's target must be a whole number from %(low)s to %(high)s; the gaps are used instead.",
                    low=TARGET_RANGE[0], high=TARGET_RANGE[1])
    return programme_progress(db.session, target=target, next_total=next_total), problem


def new_call_url(progress: Progress) -> str:
    """The new call form, its target and quotas filled with the suggestion."""
    quotas = {f"quota_{domain.value}": quota for domain, quota in progress.suggested_quotas().items()}
    return url_for("calls.new", target_count=progress.next_total, **quotas)


@bp.route("/")
def index():
    progress, problem = _progress()
    return render_template(
        "programme/index.html", progress=progress, problem=problem,
        new_call_url=new_call_url(progress) if progress.next_total > 0 else None,
        can_create_call=current_user.has_role(Role.CHAIR),
    )


@bp.route("/export.<fmt>")
def export(fmt: str):
    """The programme table as Excel or CSV; the download is audited."""
    if fmt not in FORMATS:
        abort(404)
    progress, _problem = _progress()
    data = exports.to_xlsx(progress) if fmt == "xlsx" else exports.to_csv(progress)
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="programme.exported", obj=Subject("programme"),
               after={"format": fmt, "total": progress.total, "target": progress.target,
                      "next_total": progress.next_total})
    download_name = filename(_("programme progress"), utcnow().strftime("%Y%m%d"), extension=fmt)
    return send_bytes(data, mimetype=FORMATS[fmt], download_name=download_name)
