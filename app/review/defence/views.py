"""The defence pages: the chair's schedule of a defence round (fill a room,
one entry's session, the PDF and Excel schedule per room), and the
applicant's confirmation of their session (on the dashboard and the entry
page, through ``defence_slots_for()``).

Every page is the chair's except the confirmation, which checks that the
user is a member of the entry's organisation.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.audit.services import object_history
from app.calls.services import list_calls, phases_joined
from app.db import db, utcnow
from app.forms import ActionForm
from app.i18n import timezone_name
from app.models import Call, DefenceSlot, Entry
from app.permissions import (
    can_confirm_defence_slot,
    can_schedule_defence,
    can_view_defence_slot,
    require,
)
from app.review.defence import exports, services
from app.review.defence.forms import FillRoomForm, SlotForm, local_value
from app.spreadsheets import XLSX_MIMETYPE, filename
from app.urls import safe_next
from app.web import query_id, send_bytes, write

bp = Blueprint("review_defence", __name__, url_prefix="/review/defence")

# Endpoints that check access themselves (an applicant confirms their session).
_OWN_CHECKS = {"review_defence.confirm"}


@bp.before_request
@login_required
def _chairs_only():
    """Every page here is the chair's, except those in ``_OWN_CHECKS``."""
    if request.endpoint not in _OWN_CHECKS:
        require(can_schedule_defence(current_user))


@bp.app_context_processor
def _slots_of_entry():
    """The entry page shows an entry's sessions to whoever may see them, with
    the confirm button for the organisation's members (``defence_slots_for(entry)``)."""

    def defence_slots_for(entry: Entry) -> list:
        if not can_view_defence_slot(current_user, entry):
            return []
        return [(slot, entry) for slot in services.entry_slots(db.session, entry=entry)]

    return {"defence_slots_for": defence_slots_for, "defence_confirm_form": lambda: ActionForm(formdata=None),
            "defence_now": utcnow()}


def _timezone() -> str:
    return current_app.config["TIMEZONE"]


def _round(call: Call, round_no: int):
    review_round = services.defence_round(db.session, call=call, round_no=round_no)
    if review_round is None:
        abort(404)
    return review_round


# --- the chair's schedule ------------------------------------------------------------


@bp.route("/")
def index():
    """The calls' defence rounds (``?call=`` picks one call)."""
    call_id = query_id("call")
    calls = list_calls(db.session)
    if call_id is not None:
        calls = [call for call in calls if call.id == call_id]
    rounds = [(call, services.defence_rounds(db.session, call=call)) for call in calls]
    return render_template("review/defence/index.html", rounds=[(call, items) for call, items in rounds if items])


def _render_schedule(call: Call, review_round, *, fill_form: FillRoomForm | None = None, status: int = 200):
    rows = services.shortlist(db.session, call=call, round_no=review_round.number)
    slots = [row.slot for row in rows if row.slot is not None]
    if fill_form is None:
        fill_form = FillRoomForm(formdata=None)
        window = services.round_window(call, review_round)
        if window is not None:
            fill_form.starts_at.data = local_value(window[0], _timezone())
    return render_template(
        "review/defence/schedule.html", call=call, review_round=review_round, rows=rows,
        window=services.round_window(call, review_round), rooms=services.rooms(rows),
        confirmers=services.confirmers(db.session, slots), fill_form=fill_form,
        scheduled=len(slots), confirmed=sum(1 for slot in slots if slot.confirmed_at),
        timezone=timezone_name(_timezone()), action_form=ActionForm(formdata=None),
    ), status


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>")
def schedule(call_id: int, round_no: int):
    """The round's shortlist with each entry's session, who confirmed, and the room filler."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    return _render_schedule(call, _round(call, round_no))


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/fill", methods=["POST"])
def fill(call_id: int, round_no: int):
    """Consecutive sessions in one room for the entries without one (all or none)."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    review_round = _round(call, round_no)
    form = FillRoomForm()
    if not form.validate_on_submit():
        return _render_schedule(call, review_round, fill_form=form, status=400)
    with write(form=form) as attempt:
        slots = services.fill_room(
            db.session, actor=current_user, call=call, review_round=review_round, domain=form.chosen_domain(),
            room=form.room.data, video_link=form.video_link.data, starts_at=form.start(_timezone()),
            duration_minutes=form.duration_minutes.data, break_minutes=form.break_minutes.data, now=utcnow())
    if not attempt.ok:
        return _render_schedule(call, review_round, fill_form=form, status=400)
    flash(ngettext("%(num)s session scheduled.", "%(num)s sessions scheduled.", len(slots)), "success")
    return redirect(url_for("review_defence.schedule", call_id=call.id, round_no=round_no))


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/entries/<int:entry_id>", methods=["GET", "POST"])
def slot(call_id: int, round_no: int, entry_id: int):
    """Schedule or change one shortlisted entry's session."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    review_round = _round(call, round_no)
    entry = db.get_or_404(Entry, entry_id)
    if entry.call_id != call.id:
        abort(404)
    current = next((row for row in services.shortlist(db.session, call=call, round_no=round_no)
                    if row.entry.id == entry.id), None)
    if current is None:
        abort(404)
    form = SlotForm()
    if not form.is_submitted():
        if current.slot is not None:
            form.fill_from(current.slot, _timezone())
        else:
            window = services.round_window(call, review_round)
            form.starts_at.data = local_value(window[0], _timezone()) if window else None
    if form.validate_on_submit():
        with write(form=form, success=_("The session of “%(title)s” has been saved.", title=entry.title)) as attempt:
            services.schedule_slot(
                db.session, actor=current_user, call=call, review_round=review_round, entry=entry,
                room=form.room.data, video_link=form.video_link.data, starts_at=form.start(_timezone()),
                duration_minutes=form.duration_minutes.data, note=form.note.data, now=utcnow())
        if attempt.ok:
            return redirect(url_for("review_defence.schedule", call_id=call.id, round_no=round_no))
    return render_template(
        "review/defence/slot.html", call=call, review_round=review_round, row=current, form=form,
        window=services.round_window(call, review_round), timezone=timezone_name(_timezone()),
        action_form=ActionForm(formdata=None),
        history=object_history(db.session, object_type=DefenceSlot.__tablename__, object_id=current.slot.id)
        if current.slot else [],
    ), 400 if form.is_submitted() else 200


@bp.route("/slots/<int:slot_id>/remove", methods=["POST"])
def remove(slot_id: int):
    """Take a session off the schedule."""
    slot = db.get_or_404(DefenceSlot, slot_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(success=_("The session has been cancelled.")):
        services.remove_slot(db.session, actor=current_user, slot=slot, now=utcnow())
    return redirect(url_for("review_defence.schedule", call_id=slot.call_id, round_no=slot.round_no))


def _export_rows(call_id: int, round_no: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    review_round = _round(call, round_no)
    room = request.args.get("room")
    rows = services.schedule(db.session, call=call, round_no=round_no)
    if room is not None and room not in services.rooms(rows):
        abort(404)
    return call, review_round, rows, room


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/schedule.pdf")
def schedule_pdf(call_id: int, round_no: int):
    """The printable schedule: every room (a page each), or ``?room=`` one."""
    call, review_round, rows, room = _export_rows(call_id, round_no)
    data = exports.schedule_pdf(rows, call=call, review_round=review_round, room=room)
    name = filename(call.name, review_round.name, room or "", extension="pdf")
    return send_bytes(data, mimetype="application/pdf", download_name=name)


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/schedule.xlsx")
def schedule_xlsx(call_id: int, round_no: int):
    """The schedule as a workbook: a sheet per room, or ``?room=`` one."""
    call, review_round, rows, room = _export_rows(call_id, round_no)
    data = exports.schedule_xlsx(rows, call=call, review_round=review_round, room=room)
    name = filename(call.name, review_round.name, room or "", extension="xlsx")
    return send_bytes(data, mimetype=XLSX_MIMETYPE, download_name=name)


# --- the applicant's confirmation ------------------------------------------------------


@bp.route("/slots/<int:slot_id>/confirm", methods=["POST"])
def confirm(slot_id: int):
    """A member of the entry's organisation confirms its session."""
    slot = db.get_or_404(DefenceSlot, slot_id)
    entry = db.get_or_404(Entry, slot.entry_id)
    require(can_confirm_defence_slot(current_user, entry))
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(success=_("Thank you: your attendance at the defence session is confirmed.")):
        services.confirm_slot(db.session, actor=current_user, slot=slot, now=utcnow())
    return redirect(safe_next("main.dashboard"))
