"""The expert's side of review: queue, conflict declaration, score sheets.

Every route needs a logged-in expert; each loads the assignment or sheet (404
for unknown ids) and then checks that it is the expert's own, active
assignment (403 otherwise). The entry's photos and attachments reach experts
only through this blueprint; in blind review the attachments under generic
names and as copies without their document metadata (``entries/blind.py``).
"""
from typing import NamedTuple

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.calls.services import get_call
from app.db import db, utcnow, write_intent
from app.entries import blind
from app.entries.documents import UnreadableDocument
from app.enums import Phase, Role, SheetStatus
from app.models import Assignment, Call, Entry, RubricVersion, ScoreSheet
from app.permissions import can_score, owns_assignment, require
from app.review.rounds.services import is_blind, round_of, round_open, rounds_of
from app.review.sheets import services as sheets
from app.review.sheets.forms import ConflictForm, NoConflictForm, SheetForm, sheet_values
from app.review.sheets.scoring import weighted_total
from app.web import query_id, send_blob, write

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.before_request
def _experts_only():
    """Every page here is for logged-in experts."""
    if not current_user.is_authenticated:
        from app.extensions import login_manager

        return login_manager.unauthorized()
    require(current_user.has_role(Role.EXPERT))
    return None


def _assignment(assignment_id: int) -> Assignment:
    assignment = db.get_or_404(Assignment, assignment_id)
    require(owns_assignment(current_user, assignment))
    return assignment


class _Opened(NamedTuple):
    """What every sheet route loads. Held together: the session's identity map
    keeps an object only while something refers to it, so a call or entry
    dropped here would be read again, without what was loaded with it."""

    sheet: ScoreSheet
    assignment: Assignment
    call: Call
    entry: Entry
    rubric_version: RubricVersion


def _sheet(sheet_id: int, *, entry_options=(sheets.ENTRY_KEYS,)) -> _Opened:
    """The expert's own sheet with its scores, its assignment, its call (with
    its phases) and its entry, loaded with ``entry_options`` (by default what
    the conflict check reads)."""
    sheet = db.get_or_404(ScoreSheet, sheet_id, options=[sheets.WITH_SCORES])
    assignment = db.session.get(Assignment, sheet.assignment_id)
    require(owns_assignment(current_user, assignment) and sheet.expert_id == current_user.id)
    # A conflict can appear after the sheet was opened (the profile changed):
    # it closes the entry, its files and the sheet at once.
    call = get_call(db.session, assignment.call_id)
    entry = db.session.get(Entry, sheet.entry_id, options=list(entry_options))
    require(sheets.automatic_conflict_reason(db.session, assignment=assignment, expert=current_user, call=call,
                                             entry=entry) is None)
    return _Opened(sheet, assignment, call, entry, db.session.get(RubricVersion, sheet.rubric_version_id))


def _round(assignment: Assignment):
    """The later round the assignment belongs to (None: round 1, or a call with the one round)."""
    return round_of(db.session, call_id=assignment.call_id, number=assignment.round_no) if assignment.round_no > 1 else None


# --- the queue ------------------------------------------------------------------


@bp.route("/")
def queue():
    """The chosen call's queue (``?call=``), else the one of the call in review
    where the expert has work (see :func:`sheets.queue_call`)."""
    now = utcnow()
    call_id = query_id("call")
    call = db.get_or_404(Call, call_id, options=[joinedload(Call.phases)]) if call_id else sheets.queue_call(db.session, expert=current_user, now=now)
    queue = sheets.expert_queue(db.session, expert=current_user, call=call) if call else None
    return render_template(
        "review/queue.html",
        call=call,
        queue=queue,
        round_names={r.number: r.name for r in rounds_of(db.session, call=call)} if call else {},
        review_state=sheets.review_window_state(call, now=now) if call else "none",
        review_window=call.phase_window(Phase.REVIEW) if call else None,
    )


# --- the conflict declaration ---------------------------------------------------


@bp.route("/assignments/<int:assignment_id>")
def declare(assignment_id: int):
    """Opening an assignment: first the conflict declaration, then the sheet."""
    assignment = _assignment(assignment_id)
    sheet = sheets.sheet_for(db.session, assignment=assignment)
    if sheet is not None:
        return redirect(url_for("review.sheet", sheet_id=sheet.id))
    return _declaration_page(assignment)


def _declaration_page(assignment: Assignment, *, no_conflict_form=None, conflict_form=None, status: int = 200):
    call = get_call(db.session, assignment.call_id)
    entry = db.session.get(Entry, assignment.entry_id, options=[sheets.ENTRY_KEYS])
    return render_template(
        "review/declare.html",
        assignment=assignment,
        entry=entry,
        call=call,
        review_round=_round(assignment),
        blind=is_blind(call, _round(assignment)),
        review_state=sheets.review_window_state(call, now=utcnow()),
        review_window=call.phase_window(Phase.REVIEW),
        automatic_reason=sheets.automatic_conflict_reason(db.session, assignment=assignment, expert=current_user, call=call,
                                                          entry=entry),
        no_conflict_form=no_conflict_form or NoConflictForm(formdata=None),
        conflict_form=conflict_form or ConflictForm(formdata=None),
    ), status


@bp.route("/assignments/<int:assignment_id>/no-conflict", methods=["POST"])
def open_sheet(assignment_id: int):
    assignment = _assignment(assignment_id)
    form = NoConflictForm()
    if not form.validate_on_submit():
        return _declaration_page(assignment, no_conflict_form=form, status=422)
    with write() as attempt:
        sheet = sheets.declare_no_conflict_and_open(db.session, assignment=assignment, expert=current_user, now=utcnow())
    if not attempt.ok:
        return redirect(url_for("review.declare", assignment_id=assignment.id))
    return redirect(url_for("review.sheet", sheet_id=sheet.id))


@bp.route("/assignments/<int:assignment_id>/conflict", methods=["POST"])
def conflict(assignment_id: int):
    assignment = _assignment(assignment_id)
    form = ConflictForm()
    if not form.validate_on_submit():
        return _declaration_page(assignment, conflict_form=form, status=422)
    with write(success=_("Your conflict of interest has been recorded; the entry has been removed from your queue. "
                         "Thank you.")) as attempt:
        sheets.declare_conflict(db.session, assignment=assignment, expert=current_user, reason=form.reason.data, now=utcnow())
    if not attempt.ok:
        return redirect(url_for("review.declare", assignment_id=assignment.id))
    return redirect(url_for("review.queue", call=assignment.call_id))


# --- the score sheet ------------------------------------------------------------


def _form_values(sheet: ScoreSheet) -> dict[str, str]:
    """What the sheet's fields show: the saved values, as the inputs want them."""
    values = {"comment": sheet.comment}
    for row in sheet.scores:
        values[f"score-{row.criterion_key}"] = "" if row.score is None else f"{row.score:g}"
        values[f"comment-{row.criterion_key}"] = row.comment
    for key, answer in sheet.vetoes.items():
        values[f"veto-{key}"] = "yes" if answer else "no"
    return values


def _sheet_page(opened: _Opened, *, errors=None, posted=None, problems=None,
                status: int = 200, address: str | None = None):
    now = utcnow()
    sheet, assignment, call, entry, _version = opened
    if posted is not None:
        # The page again after a refused POST: the entry was loaded for the checks only.
        entry = db.session.get(Entry, sheet.entry_id, options=sheets.ENTRY_SHOWN, populate_existing=True)
    rubric = sheets.rubric_of(db.session, sheet)
    values = _form_values(sheet)
    if posted is not None:
        values.update({key: posted[key] for key in posted if key.startswith(("score-", "comment", "veto-"))})
    scores = {row.criterion_key: row.score for row in sheet.scores}
    return render_template(
        "review/sheet.html",
        sheet=sheet,
        assignment=assignment,
        entry=entry,
        call=call,
        rubric=rubric,
        text=sheets.rubric_text,
        values=values,
        errors=errors or {},
        problems=problems or [],
        editable=can_score(current_user, assignment, sheet, call=call, now=now)
        and round_open(call, _round(assignment), now=now),
        review_state=sheets.review_window_state(call, now=now),
        review_window=call.phase_window(Phase.REVIEW),
        total=weighted_total(rubric, scores) if sheet.status != SheetStatus.SUBMITTED else sheet.total,
        others=sheets.visible_other_sheets(db.session, sheet=sheet, call=call),
        form=SheetForm(formdata=None, data={"version": sheet.version}),
        blind=is_blind(call, _round(assignment)),
        review_round=_round(assignment),
        photo_url=lambda photo, size: url_for("review.photo", sheet_id=sheet.id, photo_id=photo.id, size=size),
        attachment_url=lambda attachment: url_for("review.attachment", sheet_id=sheet.id, attachment_id=attachment.id),
        COMMENT_LIMIT=sheets.COMMENT_LIMIT,
        OVERALL_COMMENT_LIMIT=sheets.OVERALL_COMMENT_LIMIT,
        address=address,
    ), status


def _save(sheet: ScoreSheet, form: SheetForm, *, autosave: bool = False) -> list[str]:
    return sheets.save_draft(
        db.session, sheet=sheet, expert=current_user, now=utcnow(), version=form.version_number(),
        **sheet_values(request.form, sheets.rubric_of(db.session, sheet)), autosave=autosave,
    )


@bp.route("/sheets/<int:sheet_id>", methods=["GET", "POST"])
def sheet(sheet_id: int):
    """The entry (read-only, blind when the call says so) beside the score form.

    POST saves the draft without JavaScript (the script autosaves instead).
    """
    opened = _sheet(sheet_id, entry_options=sheets.ENTRY_SHOWN if request.method == "GET" else (sheets.ENTRY_KEYS,))
    sheet = opened.sheet
    if request.method == "GET":
        # ``?check=1``: back from a submit that found the sheet incomplete; what
        # is missing is worked out again from the saved draft.
        problems = None
        if request.args.get("check") and sheet.status != SheetStatus.SUBMITTED:
            problems = sheets.missing_for_submit(sheets.rubric_of(db.session, sheet), sheet)
        return _sheet_page(opened, problems=problems)
    form = SheetForm()
    if not form.validate_on_submit():
        abort(400)
    with write(success=_("The draft has been saved."), stale=sheets.SheetConflict) as attempt:
        _save(sheet, form)
    if isinstance(attempt.error, sheets.InvalidSheet):
        return _sheet_page(opened, errors=attempt.error.errors, posted=request.form, status=422)
    return redirect(url_for("review.sheet", sheet_id=sheet.id))


@bp.route("/sheets/<int:sheet_id>/autosave", methods=["POST"])
def autosave(sheet_id: int):
    """Save the draft in the background (the page's script calls it as the expert types)."""
    opened = _sheet(sheet_id)
    sheet = opened.sheet
    form = SheetForm()
    if not form.validate_on_submit():
        return jsonify(ok=False, errors={name: [str(e) for e in errs] for name, errs in form.errors.items()}), 422
    with write(stale=sheets.SheetConflict, quiet=True) as attempt:
        changed = _save(sheet, form, autosave=True)
    if isinstance(attempt.error, sheets.InvalidSheet):
        return jsonify(ok=False, message=attempt.message,
                       errors={name: str(text) for name, text in attempt.error.errors.items()}), 422
    if not attempt.ok:
        return jsonify(ok=False, message=attempt.message), attempt.status
    rubric = sheets.rubric_of(db.session, sheet)
    total = weighted_total(rubric, {row.criterion_key: row.score for row in sheet.scores})
    return jsonify(ok=True, version=sheet.version, changed=changed, total=total, saved_at=utcnow().isoformat())


@bp.route("/sheets/<int:sheet_id>/submit", methods=["POST"])
def submit(sheet_id: int):
    """Save what the form holds, then submit the sheet (locked from then on)."""
    opened = _sheet(sheet_id)
    sheet = opened.sheet
    form = SheetForm()
    if not form.validate_on_submit():
        abort(400)
    # A double click sends two submits: the second waits here for the first
    # to finish, then finds the sheet submitted instead of a changed version.
    sheet = sheets.lock_sheet(db.session, sheet)
    if sheet.status == SheetStatus.SUBMITTED:
        flash(_("This sheet had already been submitted."), "info")
        return redirect(url_for("review.sheet", sheet_id=sheet.id))
    # An incomplete sheet keeps the draft just saved (committed all the same).
    with write(stale=sheets.SheetConflict, commit_on=(sheets.IncompleteSheet,), quiet=True) as attempt:
        _save(sheet, form)
        sheet = sheets.submit_sheet(db.session, sheet=sheet, expert=current_user, now=utcnow(), version=sheet.version)
    if isinstance(attempt.error, sheets.IncompleteSheet):
        # The draft is saved: back to the sheet's own address (a reload must not
        # post again), which lists what is missing.
        flash(_("The sheet has been saved as a draft but not submitted yet."), "warning")
        return redirect(url_for("review.sheet", sheet_id=sheet.id, check=1))
    if not attempt.ok:
        flash(attempt.message, "danger")
        if isinstance(attempt.error, sheets.InvalidSheet):
            # Nothing was saved: the page shows what was typed, with the errors,
            # and the script puts the sheet's own address in the address bar.
            return _sheet_page(opened._replace(sheet=sheet), errors=attempt.error.errors, posted=request.form, status=422,
                               address=url_for("review.sheet", sheet_id=sheet.id))
        return redirect(url_for("review.sheet", sheet_id=sheet.id))
    flash(_("Your scores have been submitted. Thank you."), "success")
    return redirect(url_for("review.sheet", sheet_id=sheet.id))


# --- the entry's files ----------------------------------------------------------


@bp.route("/sheets/<int:sheet_id>/photos/<int:photo_id>/<any(thumb, display, master):size>.jpg")
def photo(sheet_id: int, photo_id: int, size: str):
    entry = _sheet(sheet_id, entry_options=(sheets.ENTRY_KEYS, selectinload(Entry.photos))).entry
    position = next((index for index, item in enumerate(entry.photos, start=1) if item.id == photo_id), None)
    if position is None:
        abort(404)
    return send_blob(entry.photos[position - 1].key(size), mimetype="image/jpeg", download_name=f"photo-{position}.jpg")


@bp.route("/sheets/<int:sheet_id>/attachments/<int:attachment_id>")
def attachment(sheet_id: int, attachment_id: int):
    opened = _sheet(sheet_id, entry_options=(sheets.ENTRY_KEYS, selectinload(Entry.attachments)))
    assignment, call, entry = opened.assignment, opened.call, opened.entry
    position = next((index for index, item in enumerate(entry.attachments, start=1) if item.id == attachment_id), None)
    if position is None:
        abort(404)
    attachment = entry.attachments[position - 1]
    if not is_blind(call, _round(assignment)):
        return send_blob(attachment.blob_key, mimetype="application/pdf", as_attachment=True,
                         download_name=attachment.filename)
    key = attachment.blind_blob_key
    if not blind.has_blind_copy(attachment):
        # The first download makes the copy, in a writing transaction of its
        # own (on SQLite one that takes the write lock as it begins). A
        # damaged file is the 422 page that says so, never the original.
        db.rollback()
        with write_intent(), write(reraise=(UnreadableDocument,)):
            key = blind.blind_copy(db.session, attachment=attachment)
        if key is None:
            abort(404)
    return send_blob(key, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{_('Attachment %(n)s', n=position)}.pdf")
