"""Curating the public case library (publicity staff and chairs).

One page lists every case of the library, hidden ones included, with the
home page's headline above it; each change is a small POST that calls a
curation service (``app.library.services``: audited, bumps the library's
version), commits once and goes back to the list as it was filtered.
"""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.db import db, utcnow
from app.enums import Role
from app.forms import ActionForm, flash_form_errors
from app.library import search, services
from app.library.forms import HeadlineForm, HideForm, SummaryForm
from app.library.search import filter_messages
from app.models import LibraryCase
from app.permissions import can_curate_library, require, roles_required
from app.urls import safe_next
from app.web import query_page, write

bp = Blueprint("library_manage", __name__, url_prefix="/library/manage")

PER_PAGE = 50
STATES = ("featured", "hidden", "uncurated")


@bp.before_request
@roles_required(Role.CHAIR, Role.PUBLICITY)
def _staff_only():
    require(can_curate_library(current_user))


# --- the list -------------------------------------------------------------------------


@bp.route("/")
def index():
    filters, problems = search.Filters.parse({"q": request.args.get("q", ""), "year": request.args.get("year", "")})
    for message in filter_messages(problems):
        flash(message, "warning")
    state = request.args.get("state") if request.args.get("state") in STATES else None
    result = search.curation_page(db.session, q=filters.q, year=filters.year, state=state, page=query_page(),
                                  per_page=PER_PAGE)
    args = filters.args() | ({"state": state} if state else {})
    here = url_for("library_manage.index", **args, **({"page": result.page} if result.page > 1 else {}))
    return render_template(
        "library/manage/index.html",
        result=result,
        filters=filters,
        state=state,
        args=args,
        here=here,
        years=search.years(db.session, hidden=True),
        headline_form=HeadlineForm(formdata=None, data={"text": services.headline(db.session)}),
        hide_form=HideForm(formdata=None),
    )


# --- changes --------------------------------------------------------------------------


def _back() -> str:
    """Where to go after a change: ``next`` if it is a page of this blueprint, else the list."""
    return safe_next("library_manage.index", within=bp.url_prefix)


@bp.route("/<int:case_id>/feature", methods=["POST"])
def feature(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    if _valid(ActionForm()):
        with write(success=_("“%(title)s” is featured on the library's home page.", title=case.title)):
            services.set_featured(db.session, case=case, featured=True, actor=current_user, now=utcnow())
    return redirect(_back())


@bp.route("/<int:case_id>/unfeature", methods=["POST"])
def unfeature(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    if _valid(ActionForm()):
        with write(success=_("“%(title)s” is no longer featured.", title=case.title)):
            services.set_featured(db.session, case=case, featured=False, actor=current_user, now=utcnow())
    return redirect(_back())


@bp.route("/<int:case_id>/hide", methods=["POST"])
def hide(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    form = HideForm()
    if _valid(form):
        with write(success=_("“%(title)s” is hidden from the public library.", title=case.title)):
            services.hide(db.session, case=case, reason=form.reason.data, actor=current_user, now=utcnow())
    return redirect(_back())


@bp.route("/<int:case_id>/unhide", methods=["POST"])
def unhide(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    if _valid(ActionForm()):
        with write(success=_("“%(title)s” is shown in the public library again.", title=case.title)):
            services.unhide(db.session, case=case, actor=current_user, now=utcnow())
    return redirect(_back())


@bp.route("/headline", methods=["POST"])
def headline():
    form = HeadlineForm()
    if _valid(form):
        with write(success=_("The headline has been saved.")):
            services.set_headline(db.session, text=form.text.data or "", actor=current_user, now=utcnow())
    return redirect(_back())


def _valid(form) -> bool:
    """Whether ``form`` is valid; if not, its errors are flashed (the change is not made)."""
    if form.validate_on_submit():
        return True
    flash_form_errors(form)
    return False


@bp.route("/<int:case_id>/summary", methods=["GET", "POST"])
def summary(case_id: int):
    """The submitted summary, read-only, and the public one to edit; empty or
    unchanged (or the restore button) shows the submitted one again."""
    case = db.get_or_404(LibraryCase, case_id)
    form = SummaryForm(data={"text": case.shown_summary})
    if form.is_submitted() and form.restore.data:
        form.text.data = ""
    if form.validate_on_submit():
        with write(form=form) as attempt:
            services.set_public_summary(db.session, case=case, text=form.text.data or "", actor=current_user,
                                        now=utcnow())
        if attempt.ok:
            if case.public_summary is None:
                flash(_("“%(title)s” shows its submitted summary.", title=case.title), "success")
            else:
                flash(_("The public summary of “%(title)s” has been saved.", title=case.title), "success")
            return redirect(_back())
    return render_template("library/manage/summary.html", case=case, form=form, back=_back())
