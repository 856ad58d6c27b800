"""The chair's formal check pages: the entry table with filters, decisions on
one entry or on a selection, and the Excel and CSV exports of the table."""
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.audit.services import object_history, record
from app.calls.services import current_call
from app.db import db, utcnow
from app.entries import blind
from app.entries.services import with_call
from app.enums import Role
from app.formal_check import exports, services
from app.formal_check.forms import BulkDecisionForm, DecisionForm, TableFilterForm
from app.models import Entry
from app.permissions import can_check_entries, require, roles_required
from app.urls import safe_next
from app.web import query_page, send_bytes, write, write_during_read

bp = Blueprint("formal_check", __name__, url_prefix="/check")


@bp.app_context_processor
def _decision_form():
    """The entry's page shows chairs this decision form (``formal_check_form()``)
    without the entries package importing the formal check."""
    return {"formal_check_form": lambda: DecisionForm(formdata=None)}

# The query string of the table: filters, sort order and page.
_TABLE_KEYS = ("call", "domain", "city", "status", "organisation", "q", "identity", "sort", "order")


@bp.before_request
@roles_required(Role.CHAIR)
def _chairs_only():
    """Every page here is the chair's."""
    require(can_check_entries(current_user))


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _table_request():
    """The call and the filter form the query string asks for: the chosen
    call, else the current one (None when there is no call at all)."""
    form = TableFilterForm(formdata=request.args)
    calls = services.call_choices(db.session)
    form.set_calls(calls)
    call = form.selected_call(calls) or current_call(db.session, now=utcnow())
    if call is not None:
        form.call.data = str(call.id)
    return call, calls, form


def _table_args(call, *, page: bool = True) -> dict:
    """The table's query string as ``url_for`` arguments, with the call made explicit."""
    keys = _TABLE_KEYS + (("page",) if page else ())
    args = {key: request.args[key] for key in keys if request.args.get(key)}
    args["call"] = call.id
    return args


def _render_table(call, calls, filter_form, *, bulk_form, refusals=()):
    context = {"call": call, "calls": calls, "filter_form": filter_form, "bulk_form": bulk_form, "refusals": refusals}
    if call is not None:
        filters = filter_form.filters()
        context |= {
            "filters": filters,
            "table": services.entry_table(
                db.session, call_id=call.id, filters=filters, page=query_page()
            ),
            "args": _table_args(call, page=False),
            "selected": set(bulk_form.entry_ids.data or ()),
        }
    return render_template("formal_check/index.html", **context)


@bp.route("/")
def index():
    call, calls, filter_form = _table_request()
    return _render_table(call, calls, filter_form, bulk_form=BulkDecisionForm(formdata=None))


@bp.route("/decisions", methods=["POST"])
def bulk_decision():
    """One decision for the checked entries: all of them, or none."""
    call, calls, filter_form = _table_request()
    if call is None:
        abort(404)
    form = BulkDecisionForm()
    refusals = []
    if form.validate_on_submit():
        with write(form=form) as attempt:
            entries = services.decide_many(
                db.session,
                call_id=call.id,
                entry_ids=form.entry_ids.data,
                decision=form.target(),
                actor=current_user,
                now=utcnow(),
                reason=form.reason.data,
                revision_deadline=form.deadline(current_app.config["TIMEZONE"]),
            )
        if isinstance(attempt.error, services.SelectionRefused):
            refusals = attempt.error.refusals
        if attempt.ok:
            flash(
                ngettext(
                    "“%(status)s” has been recorded for %(num)s entry.",
                    "“%(status)s” has been recorded for %(num)s entries.",
                    len(entries),
                    status=form.target().label,
                ),
                "success",
            )
            return redirect(url_for("formal_check.index", **_table_args(call)))
    return _render_table(call, calls, filter_form, bulk_form=form, refusals=refusals)


@bp.route("/entries/<int:entry_id>/decision", methods=["GET", "POST"])
def decision(entry_id: int):
    """Record the formal check of one entry (the form is also shown on the
    entry's page, from ``formal_check/_decision_form.html``)."""
    locked = request.method == "POST"
    entry = db.session.get(Entry, entry_id, with_for_update=locked, options=[
        with_call(locked=locked), (selectinload if locked else joinedload)(Entry.organisation)])  # the page shows it
    if entry is None:
        abort(404)
    form = DecisionForm()
    if not form.is_submitted():
        form.next.data = safe_next("formal_check.index")
    if form.validate_on_submit():
        with write(form=form) as attempt:
            services.decide(
                db.session,
                entry=entry,
                decision=form.target(),
                actor=current_user,
                now=utcnow(),
                reason=form.reason.data,
                revision_deadline=form.deadline(current_app.config["TIMEZONE"]),
            )
        if attempt.ok:
            flash(
                _("The formal check of “%(title)s” has been recorded: %(status)s.", title=entry.title, status=entry.status.label),
                "success",
            )
            return redirect(safe_next("formal_check.index"))
    return render_template(
        "formal_check/decision.html",
        entry=entry,
        decision_form=form,
        history=object_history(db.session, object_type="entries", object_id=entry.id),
        identity=blind.identity_check(db.session, entry_id=entry.id) if entry.call.blind_review else None,
        place_label=blind.place_label,
        kind_label=blind.kind_label,
    )


@bp.route("/export.<any(xlsx, csv):fmt>")
def export(fmt: str):
    """The table with its current filters and order, every page, as a file."""
    call, _calls, filter_form = _table_request()
    if call is None:
        abort(404)
    rows = services.export_rows(db.session, call_id=call.id, filters=filter_form.filters())
    zone = _zone()
    stamp = utcnow().astimezone(zone).strftime("%Y%m%d-%H%M")
    download_name = exports.filename(call.name, _("entries"), stamp, extension=fmt)
    if fmt == "xlsx":
        data = exports.to_xlsx(rows, zone=zone, sheet_title=_("Entries"), title=call.name)
        mimetype = exports.XLSX_MIMETYPE
    else:
        data = exports.to_csv(rows, zone=zone)
        mimetype = exports.CSV_MIMETYPE
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="formal_check.exported", obj=call,
               after={"format": fmt, "rows": len(rows), "filters": request.args.to_dict()})
    # Contact details inside: never kept by a browser or a proxy.
    return send_bytes(data, mimetype=mimetype, download_name=download_name, cache_control="no-store")
