from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.audit.services import object_history
from app.calls import services
from app.calls.forms import CallForm
from app.calls.services import phases_joined
from app.db import db, utcnow
from app.enums import Role
from app.i18n import timezone_name
from app.models import Call
from app.permissions import roles_required
from app.web import write

bp = Blueprint("calls", __name__, url_prefix="/calls")


@bp.before_request
@roles_required(Role.CHAIR)
def _chairs_only():
    """Every page here is the chair's."""


@bp.route("/")
def index():
    now = utcnow()
    calls = services.list_calls(db.session)
    return render_template(
        "calls/index.html", calls=calls, states={call.id: services.phase_state(call, now=now) for call in calls}
    )


def _save(form: CallForm, call: Call | None):
    fields = dict(
        name=form.name.data,
        year=form.year.data,
        target_count=form.target_count.data,
        quotas=form.quotas(),
        schedule=form.schedule(current_app.config["TIMEZONE"]),
        **form.review_settings(),
    )
    if call is None:
        return services.create_call(db.session, actor=current_user, **fields)
    services.update_call(db.session, actor=current_user, call=call, **fields)
    return call


def _edit(call: Call | None):
    form = CallForm()
    if call is not None and not form.is_submitted():
        form.fill_from(call, current_app.config["TIMEZONE"])
    elif call is None and not form.is_submitted():
        form.year.data = utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year
        form.prefill(request.args)  # the programme page's suggested target and quotas
    if form.validate_on_submit():
        with write(success=_("The call has been saved."), form=form) as attempt:
            saved = _save(form, call)
        if attempt.ok:
            return redirect(url_for("calls.detail", call_id=saved.id))
    warnings = services.quota_warnings(db.session, call=call, now=utcnow()) if call is not None else []
    return render_template("calls/edit.html", form=form, call=call,
                           timezone=timezone_name(current_app.config["TIMEZONE"]), quota_warnings=warnings)


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _edit(None)


@bp.route("/<int:call_id>/edit", methods=["GET", "POST"])
def edit(call_id: int):
    return _edit(db.get_or_404(Call, call_id, options=[phases_joined(), selectinload(Call.quotas)]))


@bp.route("/<int:call_id>")
def detail(call_id: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined(), selectinload(Call.quotas)])  # the page shows both
    now = utcnow()
    return render_template(
        "calls/detail.html",
        call=call,
        state=services.phase_state(call, now=now),
        quota_warnings=services.quota_warnings(db.session, call=call, now=now),
        history=object_history(db.session, object_type="calls", object_id=call.id),
    )
