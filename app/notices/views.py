"""Staff pages of the public notice (chairs): the call's notice settings,
publishing the proposed list, a notice's objections and their handling,
publishing the official list; and the applicant's page answering a
question about an objection (members of the entry's organisation only).
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlmodel import select
from wtforms.fields.choices import SelectChoice

from app.calls.services import get_call, phases_joined
from app.db import db, utcnow
from app.enums import Role
from app.forms import ActionForm, flash_form_errors
from app.models import (
    Call,
    Entry,
    Notice,
    Objection,
    ObjectionFile,
    ObjectionNote,
    ObjectionQuestion,
    ResultRun,
    User,
    UserRole,
)
from app.notices import objections, services
from app.notices.files import MAX_FILES, check_files
from app.notices.forms import (
    AnswerForm,
    AssignForm,
    DecideForm,
    NoteForm,
    NoticeSettingsForm,
    ProposedPublishForm,
    QuestionForm,
)
from app.notices.periods import days_left
from app.permissions import can_manage_results, is_active_member, require, roles_required
from app.web import read_uploads, send_blob, write

bp = Blueprint("notices", __name__, url_prefix="/notices")


def _chair():
    require(can_manage_results(current_user))


# --- settings and opening ------------------------------------------------------------


@bp.route("/calls/<int:call_id>/settings", methods=["GET", "POST"])
@roles_required(Role.CHAIR)
def settings(call_id: int):
    """Whether the call's results go through a public notice, and how it runs."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    form = NoticeSettingsForm()
    if not form.is_submitted():
        form.required.data, form.days.data = call.notice_required, call.notice_days
        form.working_days.data = "working" if call.notice_working_days else "calendar"
        form.contact.data, form.anonymous.data = call.notice_contact, call.objections_anonymous
    if form.validate_on_submit():
        with write(success=_("The notice settings have been saved."), form=form) as attempt:
            services.update_settings(db.session, call=call, actor=current_user, required=bool(form.required.data),
                                     days=form.days.data, working_days=form.working_days.data == "working",
                                     contact=form.contact.data or "", anonymous=bool(form.anonymous.data))
        if attempt.ok:
            return redirect(url_for("calls.detail", call_id=call.id))
    return render_template("notices/settings.html", form=form, call=call,
                           notice=services.latest_notice(db.session, call_id=call.id))


@bp.route("/runs/<int:run_id>/publish", methods=["POST"])
@roles_required(Role.CHAIR)
def publish(run_id: int):
    """Publish the draft as the proposed list and open the notice."""
    _chair()
    run = db.get_or_404(ResultRun, run_id)
    form = ProposedPublishForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("results.index", call=run.call_id))
    with write() as attempt:
        notice, period = services.publish_proposed(db.session, run=run, actor=current_user, now=utcnow(),
                                                   public_scores=form.public_scores.data, early=form.early.data)
    if not attempt.ok:
        return redirect(url_for("results.index", call=run.call_id))
    flash(_("The proposed list is published and the notice is open until %(end)s. The snapshot's SHA-256 is %(hash)s.",
            end=format_date(notice.ends_at, "long"), hash=run.content_hash), "success")
    if period.uncovered_years:
        flash(_("The Chinese public-holiday calendar installed does not cover %(years)s: Monday to Friday were "
                "counted as working days. Check the end of the period against the State Council's holiday "
                "announcement.", years=", ".join(str(year) for year in period.uncovered_years)), "warning")
    return redirect(url_for("notices.detail", notice_id=notice.id))


# --- a notice and its objections ---------------------------------------------------------


def _notice(notice_id: int) -> Notice:
    return db.get_or_404(Notice, notice_id)


@bp.route("/<int:notice_id>")
@roles_required(Role.CHAIR)
def detail(notice_id: int):
    """The notice's list as it stands, its objections, and the official list."""
    notice = _notice(notice_id)
    now = utcnow()
    rows = services.standing(db.session, notice=notice)
    found = db.session.exec(select(Objection).where(Objection.notice_id == notice.id)
                            .order_by(Objection.submitted_at, Objection.id)).all()
    titles = {item.row.entry_id: item.row.title for item in rows}
    return render_template(
        "notices/detail.html", notice=notice, call=get_call(db.session, notice.call_id), rows=rows,
        objections=found, titles=titles, users=_users({o.assigned_to_id for o in found}),
        blockers=services.official_blockers(db.session, notice=notice, now=now),
        running=services.is_running(notice, now=now), days_left=days_left(notice.ends_at, now=now),
        action_form=ActionForm(), counts=services.decided_counts(db.session, notice=notice),
    )


def _users(ids) -> dict[int, User]:
    ids = [i for i in ids if i]
    return {user.id: user for user in db.session.exec(select(User).where(User.id.in_(ids or [0]))).all()}


@bp.route("/<int:notice_id>/official", methods=["POST"])
@roles_required(Role.CHAIR)
def official(notice_id: int):
    """Publish the official list."""
    _chair()
    notice = _notice(notice_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with write() as attempt:
        run = services.publish_official(db.session, notice=notice, actor=current_user, now=utcnow())
    if attempt.ok:
        flash(_("The official list is published: the selected scenarios are now in the case library. "
                "The snapshot's SHA-256 is %(hash)s.", hash=run.content_hash), "success")
    return redirect(url_for("notices.detail", notice_id=notice.id))


def _objection(objection_id: int) -> Objection:
    _chair()
    return db.get_or_404(Objection, objection_id)


def _chairs() -> list[User]:
    return list(db.session.exec(select(User).join(UserRole, UserRole.user_id == User.id)
                                .where(UserRole.role == Role.CHAIR, User.active.is_(True)).order_by(User.name)).all())


def _objection_page(objection: Objection, **forms):
    notice = _notice(objection.notice_id)
    assign_form = forms.get("assign") or AssignForm(assignee=objection.assigned_to_id)
    assign_form.assignee.choices = [SelectChoice(user.id, user.name) for user in _chairs()]
    questions = db.session.exec(select(ObjectionQuestion).where(ObjectionQuestion.objection_id == objection.id)
                                .order_by(ObjectionQuestion.asked_at)).all()
    notes = db.session.exec(select(ObjectionNote).where(ObjectionNote.objection_id == objection.id)
                            .order_by(ObjectionNote.created_at, ObjectionNote.id)).all()
    files = db.session.exec(select(ObjectionFile).where(ObjectionFile.objection_id == objection.id)
                            .order_by(ObjectionFile.id)).all()
    people = _users({objection.assigned_to_id, objection.decided_by_id, *(n.author_id for n in notes),
                     *(q.asked_by_id for q in questions), *(q.answered_by_id for q in questions)})
    return render_template(
        "notices/objection.html", objection=objection, notice=notice, call=get_call(db.session, notice.call_id),
        entry=db.session.get(Entry, objection.entry_id),
        replacement=db.session.get(Entry, objection.replacement_entry_id) if objection.replacement_entry_id else None,
        notes=notes, questions=questions, files=files, people=people, assign_form=assign_form,
        note_form=forms.get("note") or NoteForm(), question_form=forms.get("question") or QuestionForm(),
        decide_form=forms.get("decide") or DecideForm(), decided=objection.status in services.DECIDED,
    ), 422 if forms else 200


@bp.route("/objections/<int:objection_id>")
@roles_required(Role.CHAIR)
def objection(objection_id: int):
    return _objection_page(_objection(objection_id))


def _local(value: datetime) -> datetime:
    return value.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))


@bp.route("/objections/<int:objection_id>/<any(assign, note, question, decide):step>", methods=["POST"])
@roles_required(Role.CHAIR)
def handle(objection_id: int, step: str):
    """One handling step: assign, note, question or decide."""
    item = _objection(objection_id)
    form = {"assign": AssignForm, "note": NoteForm, "question": QuestionForm, "decide": DecideForm}[step]()
    if step == "assign":
        form.assignee.choices = [SelectChoice(user.id, user.name) for user in _chairs()]
    if not form.validate_on_submit():
        return _objection_page(item, **{step: form})
    now = utcnow()
    with write(form=form) as attempt:
        if step == "assign":
            objections.assign(db.session, objection=item, assignee=db.session.get(User, form.assignee.data),
                              actor=current_user, now=now)
        elif step == "note":
            objections.add_note(db.session, objection=item, body=form.body.data, actor=current_user, now=now)
        elif step == "question":
            objections.ask(db.session, objection=item, question=form.question.data, due_at=_local(form.due.data),
                           actor=current_user, now=now)
        else:
            objections.decide(db.session, objection=item, upheld=form.outcome.data == "upheld",
                              reason=form.reason.data, actor=current_user, now=now)
    if not attempt.ok:
        return _objection_page(item, **{step: form})
    flash({"assign": _("The objection has been assigned."), "note": _("The note has been saved."),
           "question": _("The question has been sent to the applicant."),
           "decide": _("The decision has been recorded.")}[step], "success")
    return redirect(url_for("notices.objection", objection_id=item.id))


@bp.route("/files/<int:file_id>")
@login_required
def file(file_id: int):
    """An objection's or an answer's file: chairs, and the entry's
    organisation for the files of its own answers."""
    row = db.get_or_404(ObjectionFile, file_id)
    item = db.session.get(Objection, row.objection_id)
    entry = db.session.get(Entry, item.entry_id)
    require(can_manage_results(current_user)
            or (row.question_id is not None and is_active_member(current_user, entry.organisation_id)))
    return send_blob(row.blob_key, mimetype="application/pdf" if row.kind == "pdf" else "image/jpeg",
                     download_name=row.filename, as_attachment=row.kind == "pdf")


# --- the applicant answers -------------------------------------------------------------------


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def question(question_id: int):
    """A question about an objection to the organisation's entry, and its answer."""
    row = db.get_or_404(ObjectionQuestion, question_id)
    item = db.session.get(Objection, row.objection_id)
    entry = db.session.get(Entry, item.entry_id)
    require(is_active_member(current_user, entry.organisation_id))
    form = AnswerForm()
    now = utcnow()
    if form.validate_on_submit():
        with write(form=form) as attempt:
            files = check_files(read_uploads("files", most=MAX_FILES))
            objections.answer(db.session, question=row, text=form.answer.data, files=files, actor=current_user,
                              now=now)
        if attempt.ok:
            flash(_("Your answer has been sent."), "success")
            return redirect(url_for("notices.question", question_id=row.id))
    answer_files = db.session.exec(select(ObjectionFile).where(ObjectionFile.question_id == row.id)).all()
    return render_template("notices/question.html", question=row, entry=entry, form=form, files=answer_files,
                           open=row.answered_at is None and now <= row.due_at and item.status in objections.OPEN,
                           max_files=MAX_FILES), 422 if form.is_submitted() and form.errors else 200

