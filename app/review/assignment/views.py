"""The chair's assignment pages: automatic runs, top-ups, manual changes."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.calls.services import call_in_phase, current_call, list_calls, phases_joined
from app.db import db, utcnow
from app.entries.services import with_call
from app.enums import Domain, Phase, Role
from app.errors import DomainError
from app.models import Assignment, Call, Entry, User
from app.permissions import can_manage_review, require, roles_required
from app.review.assignment import services
from app.review.assignment.forms import AddExpertForm, RemoveExpertForm, RunForm
from app.review.assignment.overview import entry_assignments, expert_options, overview
from app.review.assignment.reports import last_run
from app.web import write

bp = Blueprint("review_assign", __name__, url_prefix="/review/assign")


@bp.before_request
@roles_required(Role.CHAIR)
def _chairs_only():
    """Every page here is the chair's."""
    require(can_manage_review(current_user))


def domain_label(value):
    """A domain code's translated name (the code itself if unknown)."""
    try:
        return Domain(value).label
    except ValueError:
        return value


def _remove_prefix(assignment_id: int) -> str:
    return f"remove-{assignment_id}"


def _render_overview(call, calls, form):
    context = {"call": call, "calls": calls, "form": form, "domain_label": domain_label}
    if call is not None:
        context |= {
            "overview": overview(db.session, call=call),
            "last_run": last_run(db.session, call=call),
        }
    return render_template("review/assign/index.html", **context)


@bp.route("/")
def index():
    """The chosen call (``?call=``), else the one in review, else the current
    one: panel loads, the entries lacking experts, the run form and the last run."""
    now = utcnow()
    calls = list_calls(db.session)
    call = next((c for c in calls if str(c.id) == request.args.get("call")), None)
    call = call or call_in_phase(db.session, phase=Phase.REVIEW, now=now) or current_call(db.session, now=now)
    form = RunForm(formdata=None, per_entry=call.experts_per_entry if call else None)
    return _render_overview(call, calls, form)


@bp.route("/calls/<int:call_id>/run", methods=["POST"])
def run(call_id: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    form = RunForm()
    if form.validate_on_submit():
        with write(form=form) as attempt:
            report = services.run_assignment(
                db.session, call=call, actor=current_user, now=utcnow(),
                per_entry=form.per_entry.data, seed=form.seed.data, top_up=bool(form.top_up.data),
            )
        if attempt.ok:
            flash(
                ngettext("%(num)s expert assignment made.", "%(num)s expert assignments made.", report.pairs),
                "success" if report.pairs or not report.infeasible else "warning",
            )
            if report.infeasible:
                flash(
                    ngettext("%(num)s entry still lacks experts: see the report.",
                             "%(num)s entries still lack experts: see the report.", len(report.infeasible)),
                    "warning",
                )
            return redirect(url_for("review_assign.report", call_id=call.id))
    return _render_overview(call, list_calls(db.session), form)


@bp.route("/calls/<int:call_id>/report")
def report(call_id: int):
    """The last run's report, as recorded in the audit log."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    return render_template(
        "review/assign/report.html", call=call, run=last_run(db.session, call=call), domain_label=domain_label
    )


def _shown(*, locked: bool = False) -> list:
    """The loader options of an entry's assignment page: its call (the year of
    the conflict checks) and its organisation (compared with the experts')."""
    return [with_call(locked=locked), (selectinload if locked else joinedload)(Entry.organisation)]


def _render_entry(entry, *, add_form=None, remove_forms=None):
    rows = entry_assignments(db.session, entry=entry)
    options = expert_options(db.session, entry=entry)
    add_form = add_form or AddExpertForm(formdata=None)
    add_form.set_options(options)
    remove_forms = remove_forms or {}
    for row in rows:
        if row.assignment.active and row.assignment.id not in remove_forms:
            remove_forms[row.assignment.id] = RemoveExpertForm(formdata=None, prefix=_remove_prefix(row.assignment.id))
    return render_template(
        "review/assign/entry.html",
        entry=entry,
        rows=rows,
        options=options,
        panels=services.domain_panels(db.session, entry=entry),
        add_form=add_form,
        remove_forms=remove_forms,
        domain_label=domain_label,
    )


@bp.route("/entries/<int:entry_id>")
def entry(entry_id: int):
    """One entry's experts, with manual add and remove."""
    return _render_entry(db.get_or_404(Entry, entry_id, options=_shown()))


@bp.route("/entries/<int:entry_id>/add", methods=["POST"])
def add(entry_id: int):
    entry = db.session.get(Entry, entry_id, with_for_update=True, options=_shown(locked=True))
    if entry is None:
        abort(404)
    form = AddExpertForm()
    form.set_options(expert_options(db.session, entry=entry))
    if form.validate_on_submit():
        expert = db.session.get(User, form.expert_id.data, options=[selectinload(User.role_rows)])  # checked: an expert?
        with write(form=form) as attempt:
            if expert is None:
                raise DomainError(_("There is no such expert."))
            services.add_assignment(
                db.session, entry=entry, expert=expert, actor=current_user, reason=form.reason.data, now=utcnow()
            )
        if attempt.ok:
            flash(_("%(name)s has been assigned to “%(title)s”.", name=expert.name, title=entry.title), "success")
            return redirect(url_for("review_assign.entry", entry_id=entry.id))
    return _render_entry(entry, add_form=form)


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
def remove(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        abort(404)
    entry = db.session.get(Entry, assignment.entry_id, options=_shown())
    form = RemoveExpertForm(prefix=_remove_prefix(assignment.id))
    if form.validate_on_submit():
        with write(form=form) as attempt:
            services.remove_assignment(
                db.session, assignment=assignment, actor=current_user, reason=form.reason.data, now=utcnow()
            )
        if attempt.ok:
            expert = db.session.get(User, assignment.expert_id)
            flash(_("%(name)s has been taken off “%(title)s”.", name=expert.name, title=entry.title), "success")
            return redirect(url_for("review_assign.entry", entry_id=entry.id))
    return _render_entry(entry, remove_forms={assignment.id: form})
