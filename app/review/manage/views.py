"""The chair's side of review: panels, expert profiles, rubrics, conflicts,
progress, reminders and reopening sheets.

Every page is the chair's, except an expert's profile page, which the
expert may open for their own profile (checked in the view).
"""
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from app.audit.services import object_history
from app.calls.services import (
    call_in_phase,
    current_call,
    list_calls,
    phase_state,
    phases_joined,
)
from app.db import db, utcnow
from app.entries.services import with_call
from app.enums import ConflictSource, Domain, Phase, Role, SheetStatus
from app.forms import ActionForm
from app.input_rules import parse_id
from app.models import Call, Entry, Panel, ScoreSheet, User
from app.permissions import (
    can_edit_expert_profile,
    can_manage_review,
    can_set_assignment_cap,
    require,
    roles_required,
)
from app.review.conflicts import call_conflicts, entry_conflicts, record_conflict, recorded_conflict
from app.review.manage import panels as panel_services
from app.review.manage import profiles, progress, reminders
from app.review.manage.forms import (
    ConflictForm,
    ExpertProfileForm,
    PanelForm,
    ReminderForm,
    ReopenForm,
    RubricChoiceForm,
    profile_data,
)
from app.review.rounds.services import current_round, round_of, rounds_of
from app.review.rubrics import services as rubric_services
from app.review.rubrics.files import RubricError, available_rubrics
from app.web import query_id, query_page, write

bp = Blueprint("review_manage", __name__, url_prefix="/review/manage")

# Endpoints that check access themselves (an expert opens their own profile).
_OWN_CHECKS = {"review_manage.profile"}


@roles_required(Role.CHAIR)
def _chair_only():
    require(can_manage_review(current_user))


@bp.before_request
def _chairs_only():
    """Every page here is the chair's, except those in ``_OWN_CHECKS``."""
    if request.endpoint in _OWN_CHECKS:
        return None
    return _chair_only()


@bp.context_processor
def _labels():
    return {"domain_labels": {domain.value: domain.label for domain in Domain}}


def _problems(error: RubricError) -> list[str]:
    return [
        _("%(file)s, line %(line)s: %(problem)s", file=Path(problem.file).name, line=problem.line, problem=problem.problem)
        if problem.line
        else _("%(file)s: %(problem)s", file=Path(problem.file).name, problem=problem.problem)
        for problem in error.problems
    ]


def _error_messages(attempt) -> list[str]:
    return _problems(attempt.error) if isinstance(attempt.error, RubricError) else [attempt.message]


# --- overview ---------------------------------------------------------------


@bp.route("/")
def index():
    """The call's review at a glance, with links to every chair page: the
    chosen call (``?call=``), else the one in review, else the current one."""
    now = utcnow()
    calls = list_calls(db.session)
    call_id = query_id("call")
    call = (
        next((call for call in calls if call.id == call_id), None)
        or call_in_phase(db.session, phase=Phase.REVIEW, now=now)
        or current_call(db.session, now=now)
    )
    context = {"calls": calls, "call": call}
    if call is not None:
        table = rubric_services.rubric_table(db.session, call=call)
        context |= {
            "state": phase_state(call, now=now),
            "review_open": call.is_phase_open(Phase.REVIEW, now=now),
            "review_window": call.phase_window(Phase.REVIEW),
            "rubric_rows": table,
            "unfrozen_domains": [row for row in table[1:] if row.entries and not row.frozen],
            "panels": panel_services.list_panels(db.session, call=call),
            "counts": progress.call_counts(db.session, call=call),
            "short": progress.short_entries(db.session, call=call, per_page=1),
            "vetoes": progress.veto_flags(db.session, call=call),
            "leftovers": progress.leftovers(db.session, call=call, now=now),
        }
    return render_template("review/manage/index.html", **context)


# --- rubrics ----------------------------------------------------------------


def _round_no(call: Call) -> int:
    """The review round whose rubrics the page shows (``round``; 1 by default, or a call's later round)."""
    number = parse_id(request.values.get("round")) or 1
    if number > 1 and round_of(db.session, call_id=call.id, number=number) is None:
        abort(404)
    return number


def _render_rubrics(call: Call, *, errors=(), status=200):
    now = utcnow()
    round_no = _round_no(call)
    return (
        render_template(
            "review/manage/rubrics.html",
            call=call,
            round_no=round_no,
            review_round=round_of(db.session, call_id=call.id, number=round_no) if round_no > 1 else None,
            rubrics=available_rubrics(),
            rows=rubric_services.rubric_table(db.session, call=call, round_no=round_no),
            aggregations=rubric_services.AGGREGATION_LABELS,
            review_open=call.is_phase_open(Phase.REVIEW, now=now),
            errors=errors,
            history=[event for event in object_history(db.session, object_type="calls", object_id=call.id)
                     if event.action.startswith("rubric.")],
        ),
        status,
    )


@bp.route("/calls/<int:call_id>/rubrics", methods=["GET", "POST"])
def rubrics(call_id: int):
    """Every rubric file (valid or not), and the call's choice per domain."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    if request.method == "GET":
        return _render_rubrics(call)
    form = RubricChoiceForm()
    if not form.validate():
        return _render_rubrics(call, errors=[error for errors in form.errors.values() for error in errors], status=400)
    domain = form.target_domain()
    where = domain.label if domain else _("the call's default")
    with write(success=_("The rubric for %(where)s has been saved.", where=where), quiet=True) as attempt:
        if domain is not None and not form.rubric_key.data:
            rubric_services.clear_override(db.session, actor=current_user, call=call, domain=domain,
                                           round_no=_round_no(call))
        else:
            rubric_services.set_rubric(db.session, actor=current_user, call=call, domain=domain,
                                       rubric_key=form.rubric_key.data, round_no=_round_no(call))
    if not attempt.ok:
        return _render_rubrics(call, errors=_error_messages(attempt), status=400)
    round_no = _round_no(call)
    return redirect(url_for("review_manage.rubrics", call_id=call.id, **({"round": round_no} if round_no > 1 else {})))


@bp.route("/calls/<int:call_id>/rubrics/freeze", methods=["POST"])
def freeze_rubrics(call_id: int):
    """Freeze now the rubric of every domain that has entries in review."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    if not ActionForm().validate_on_submit():
        abort(400)
    with write(quiet=True) as attempt:
        frozen = rubric_services.freeze_rubrics(db.session, actor=current_user, call=call, now=utcnow())
    if not attempt.ok:
        return _render_rubrics(call, errors=_error_messages(attempt), status=400)
    # The count is the table's: freezing the default freezes every domain that uses it.
    if frozen:
        flash(
            ngettext("The rubric of %(num)s domain is frozen.", "The rubrics of %(num)s domains are frozen.", len(frozen)),
            "success",
        )
    else:
        flash(_("Every rubric in use was already frozen: nothing changed."), "info")
    return redirect(url_for("review_manage.rubrics", call_id=call.id))


# --- panels -----------------------------------------------------------------


@bp.route("/calls/<int:call_id>/panels")
def panels(call_id: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    panel_list = panel_services.list_panels(db.session, call=call)
    people = panel_services.panel_people(db.session, panel_list)
    covered = {value for panel in panel_list for value in panel.domains}
    return render_template(
        "review/manage/panels.html",
        call=call,
        panels=panel_list,
        people=people,
        uncovered=[domain for domain in Domain if domain.value not in covered],
    )


def _panel_form(call: Call, panel: Panel | None):
    form = PanelForm()
    form.set_experts(panel_services.expert_choices(db.session))
    if panel is not None and not form.is_submitted():
        form.name.data = panel.name
        form.domains.data = list(panel.domains)
        form.members.data = [member.user_id for member in panel.members]
        form.leader.data = panel.leader_id
    if form.validate_on_submit():
        fields = {"name": form.name.data, "domains": form.domains.data, "member_ids": form.members.data or [], "leader_id": form.leader.data}
        with write(form=form) as attempt:
            if panel is None:
                panel = panel_services.create_panel(db.session, actor=current_user, call=call, **fields)
            else:
                panel_services.update_panel(db.session, actor=current_user, panel=panel, **fields)
        if attempt.ok:
            flash(_("The panel “%(name)s” has been saved.", name=panel.name), "success")
            return redirect(url_for("review_manage.panels", call_id=call.id))
    history = object_history(db.session, object_type="panels", object_id=panel.id) if panel is not None and panel.id else []
    return render_template("review/manage/panel_edit.html", call=call, panel=panel, form=form, history=history)


@bp.route("/calls/<int:call_id>/panels/new", methods=["GET", "POST"])
def new_panel(call_id: int):
    return _panel_form(db.get_or_404(Call, call_id, options=[phases_joined()]), None)


@bp.route("/panels/<int:panel_id>", methods=["GET", "POST"])
def edit_panel(panel_id: int):
    panel = db.get_or_404(Panel, panel_id, options=[selectinload(Panel.members)])
    return _panel_form(db.get_or_404(Call, panel.call_id, options=[phases_joined()]), panel)


@bp.route("/panels/<int:panel_id>/delete", methods=["POST"])
def delete_panel(panel_id: int):
    panel = db.get_or_404(Panel, panel_id, options=[selectinload(Panel.members)])  # the audit lists them
    call_id, name = panel.call_id, panel.name
    if ActionForm().validate_on_submit():
        with write(success=_("The panel “%(name)s” has been deleted.", name=name)) as attempt:
            panel_services.delete_panel(db.session, actor=current_user, panel=panel)
        if not attempt.ok:
            return redirect(url_for("review_manage.edit_panel", panel_id=panel_id))
    return redirect(url_for("review_manage.panels", call_id=call_id))


# --- experts and their profiles -----------------------------------------------


@bp.route("/experts")
def experts():
    people = profiles.list_experts(db.session)
    return render_template(
        "review/manage/experts.html",
        experts=people,
        profiles=profiles.profiles_by_user(db.session, [user.id for user in people]),
    )


@bp.route("/experts/<int:user_id>/profile", methods=["GET", "POST"])
@login_required
def profile(user_id: int):
    """An expert's profile: chairs edit anyone's, an expert their own."""
    expert = db.get_or_404(User, user_id, options=[selectinload(User.role_rows)])
    require(can_edit_expert_profile(current_user, expert))
    current = profiles.profile_of(db.session, expert=expert)
    chair = can_set_assignment_cap(current_user)
    form = ExpertProfileForm(data=profile_data(current), cap_field=chair)
    if form.validate_on_submit():
        with write(success=_("The expert profile of %(name)s has been saved.", name=expert.name), form=form) as attempt:
            profiles.update_profile(db.session, actor=current_user, expert=expert, **form.values())
        if attempt.ok:
            return redirect(url_for("review_manage.profile", user_id=expert.id))
    history = (
        [event for event in object_history(db.session, object_type="users", object_id=expert.id) if event.action.startswith("expert_profile.")]
        if chair
        else []
    )
    return render_template("review/manage/profile.html", expert=expert, form=form, chair=chair, history=history)


# --- conflicts ----------------------------------------------------------------


@bp.route("/calls/<int:call_id>/conflicts", methods=["GET", "POST"])
def conflicts(call_id: int):
    """Conflicts of interest recorded in the call; a chair records one for an
    (expert, entry) pair, which closes the expert's assignment to the entry."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    form = ConflictForm()
    form.set_experts(profiles.list_experts(db.session))
    if not form.is_submitted():
        form.entry_id.data = parse_id(request.args.get("entry"))
        form.expert_id.data = parse_id(request.args.get("expert"))
    if form.validate_on_submit():
        entry = db.session.get(Entry, form.entry_id.data)
        if entry is None or entry.call_id != call.id:
            form.entry_id.errors.append(_("There is no entry with this number in this call."))
        else:
            existing = recorded_conflict(db.session, expert_id=form.expert_id.data, entry_id=entry.id)
            with write(form=form) as attempt:
                record_conflict(
                    db.session, expert_id=form.expert_id.data, entry=entry, source=ConflictSource.CHAIR,
                    reason=form.reason.data, actor=current_user, now=utcnow(),
                )
            if attempt.ok:
                if existing is not None:
                    flash(_("This conflict of interest was already recorded; the expert's assignment to the entry is closed."), "info")
                else:
                    flash(_("The conflict of interest has been recorded and the expert's assignment to the entry closed."), "success")
                return redirect(url_for("review_manage.conflicts", call_id=call.id))
    rows = call_conflicts(db.session, call=call)
    return render_template("review/manage/conflicts.html", call=call, form=form, rows=rows)


# --- progress, reminders, reopening ----------------------------------------------


@bp.route("/calls/<int:call_id>/progress")
def progress_page(call_id: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    now = utcnow()
    # With several rounds the page shows one at a time: the round asked for, else the current one.
    call_rounds = rounds_of(db.session, call=call)
    round_no = None
    if call_rounds:
        asked = parse_id(request.args.get("round"))
        numbers = [r.number for r in call_rounds]
        round_no = asked if asked in numbers else current_round(db.session, call=call)
    return render_template(
        "review/manage/progress.html",
        call=call,
        call_rounds=call_rounds,
        round_no=round_no,
        review_open=call.is_phase_open(Phase.REVIEW, now=now),
        review_window=call.phase_window(Phase.REVIEW),
        counts=progress.call_counts(db.session, call=call, round_no=round_no),
        panel_rows=progress.panel_progress(db.session, call=call, round_no=round_no),
        expert_rows=progress.expert_progress(db.session, call=call, round_no=round_no),
        short=progress.short_entries(db.session, call=call, page=query_page()),
        vetoes=progress.veto_flags(db.session, call=call),
        leftovers=progress.leftovers(db.session, call=call, now=now),
        reminder_after=now - reminders.REMINDER_INTERVAL,
    )


@bp.route("/calls/<int:call_id>/experts/<int:expert_id>")
def expert_progress(call_id: int, expert_id: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    expert = db.get_or_404(User, expert_id)
    return render_template(
        "review/manage/expert_progress.html",
        call=call,
        expert=expert,
        rows=progress.expert_assignments(db.session, call=call, expert_id=expert.id),
        review_open=call.is_phase_open(Phase.REVIEW, now=utcnow()),
    )


def _skipped_text(skipped: reminders.Skipped) -> str:
    if skipped.reminded_at is None:
        return _("%(name)s (account deactivated)", name=skipped.expert.name)
    return _(
        "%(name)s (reminded %(when)s; again from %(next)s)",
        name=skipped.expert.name,
        when=format_datetime(skipped.reminded_at, "short"),
        next=format_datetime(skipped.next_at, "short"),
    )


@bp.route("/calls/<int:call_id>/remind", methods=["POST"])
def remind(call_id: int):
    """Mail a reminder to every expert with open sheets (or to one)."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    form = ReminderForm()
    if not form.validate_on_submit():
        abort(400)
    expert_id = form.expert()
    with write() as attempt:
        result = reminders.send_reminders(db.session, actor=current_user, call=call, now=utcnow(), expert_id=expert_id)
    if attempt.ok:
        if result.sent:
            flash(
                ngettext(
                    "A reminder has been sent to %(num)s expert: %(names)s.",
                    "A reminder has been sent to %(num)s experts: %(names)s.",
                    len(result.sent),
                    names="、".join(user.name for user, _count in result.sent),
                ),
                "success",
            )
        if result.skipped:
            flash(
                _(
                    "Not reminded — at most one reminder per expert every 12 hours: %(names)s.",
                    names="; ".join(_skipped_text(skipped) for skipped in result.skipped),
                ),
                "warning",
            )
    if expert_id is not None and request.form.get("back") == "expert":
        return redirect(url_for("review_manage.expert_progress", call_id=call.id, expert_id=expert_id))
    return redirect(url_for("review_manage.progress_page", call_id=call.id))


@bp.route("/entries/<int:entry_id>")
def entry(entry_id: int):
    """An entry's experts, their sheets and conflicts, for the chair."""
    entry = db.get_or_404(Entry, entry_id, options=[with_call(), joinedload(Entry.organisation)])
    return render_template(
        "review/manage/entry.html",
        entry=entry,
        call=entry.call,
        rows=progress.entry_assignments(db.session, entry=entry),
        conflicts=entry_conflicts(db.session, entry=entry),
        review_open=entry.call.is_phase_open(Phase.REVIEW, now=utcnow()),
        submitted=SheetStatus.SUBMITTED,
    )


@bp.route("/sheets/<int:sheet_id>/reopen", methods=["GET", "POST"])
def reopen_sheet(sheet_id: int):
    """Send a submitted sheet back to its expert, with a reason."""
    sheet = db.get_or_404(ScoreSheet, sheet_id)
    entry = db.get_or_404(Entry, sheet.entry_id, options=[with_call()])
    expert = db.get_or_404(User, sheet.expert_id)
    form = ReopenForm()
    if form.validate_on_submit():
        with write(success=_("The sheet of %(name)s is a draft again; the expert has been told by mail.", name=expert.name),
                   form=form) as attempt:
            reminders.reopen_sheet(db.session, actor=current_user, sheet=sheet, reason=form.reason.data, now=utcnow())
        if attempt.ok:
            return redirect(url_for("review_manage.entry", entry_id=entry.id))
    return render_template(
        "review/manage/reopen.html",
        sheet=sheet,
        entry=entry,
        expert=expert,
        form=form,
        review_open=entry.call.is_phase_open(Phase.REVIEW, now=utcnow()),
        history=object_history(db.session, object_type="score_sheets", object_id=sheet.id),
    )
