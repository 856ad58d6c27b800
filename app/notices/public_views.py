"""The public notice (no login): ``/notice/<call id>`` shows the proposed
list, the period, the contact and, once decided, the outcomes; while the
period runs it takes objections (rate-limited per address). The printable
notice is a PDF.

Nothing here shows investigation notes, questions, answers or who objected;
an upheld objection's public reason is shown with the entry it withdrew.
"""
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale
from wtforms.fields.choices import SelectChoice

from app.calls.services import get_call
from app.db import db, utcnow
from app.extensions import limiter
from app.i18n import lazy_gettext as _l
from app.models import ResultRun
from app.notices import services
from app.notices.files import MAX_FILES, check_files
from app.notices.forms import ObjectionForm
from app.notices.objections import file_objection, questions_of_entry
from app.notices.periods import days_left
from app.notices.render import notice_pdf
from app.web import read_uploads, send_bytes, write

bp = Blueprint("notices_public", __name__)


def objection_limit() -> str:
    """Objections filed per address (``OBJECTION_LIMIT``): a flood gets 429."""
    return current_app.config.get("OBJECTION_LIMIT", "20 per hour")


@bp.app_context_processor
def _running_notices():
    # The library's pages link to the notices that run (a callable: only pages that ask pay for the query).
    return {"running_notices": lambda: services.running_notices(db.session, now=utcnow()),
            "notice_call_name": lambda notice: get_call(db.session, notice.call_id).name,
            "notice_of_call": lambda call_id: services.latest_notice(db.session, call_id=call_id),
            "objection_questions": lambda entry_id: questions_of_entry(db.session, entry_id=entry_id)}


def _notice(call_id: int):
    call = get_call(db.session, call_id)
    notice = services.latest_notice(db.session, call_id=call_id) if call is not None else None
    if notice is None:
        abort(404)
    return call, notice


@bp.route("/notice/<int:call_id>", methods=["GET", "POST"])
@limiter.limit(objection_limit, methods=["POST"])
def notice(call_id: int):
    """The notice page, and the objection form while the period runs."""
    call, notice = _notice(call_id)
    now = utcnow()
    rows = services.standing(db.session, notice=notice)
    running = services.is_running(notice, now=now)
    form = ObjectionForm()
    form.entry.choices = [SelectChoice(0, "—")] + [SelectChoice(item.row.entry_id, item.row.title) for item in rows if item.on_list]
    filed = None
    if request.method == "POST":
        if not running:
            form.form_errors.append(str(_l("The notice period is over: objections can no longer be filed.")))
        elif form.validate_on_submit():
            with write(form=form) as attempt:
                files = check_files(read_uploads("files", most=MAX_FILES))
                filed = file_objection(
                    db.session, notice=notice, entry_id=form.entry.data, name=form.name.data or "",
                    phone=form.phone.data or "", email=form.email.data or "", organisation=form.organisation.data or "",
                    grounds=form.grounds.data or "", anonymous=bool(form.anonymous.data), files=files,
                    language=str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
                    address=request.remote_addr, now=now)
            if not attempt.ok:
                filed = None
    official = db.session.get(ResultRun, notice.official_run_id) if notice.official_run_id else None
    status = 422 if request.method == "POST" and filed is None else 200
    return render_template(
        "notices/public.html", call=call, notice=notice, rows=rows, running=running, form=form, filed=filed,
        days_left=days_left(notice.ends_at, now=now), official=official, max_files=MAX_FILES,
        upheld=services.upheld_objections(db.session, notice=notice),
        decided_counts=services.decided_counts(db.session, notice=notice),
    ), status


@bp.route("/notice/<int:call_id>/notice.pdf")
def notice_document(call_id: int):
    """The printable notice (the proposed list as published)."""
    call, notice = _notice(call_id)
    data = notice_pdf(call, notice, services.standing(db.session, notice=notice))
    return send_bytes(data, mimetype="application/pdf", download_name=f"notice-{call.id}.pdf",
                      cache_control="public, max-age=300")
