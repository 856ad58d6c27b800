"""Curating the public case library (publicity staff and chairs).

One page lists every case of the library, hidden ones included, with the
home page's headline above it; each change is a small POST that calls a
curation service (``app.library.services``: audited, bumps the library's
version), commits once and goes back to the list as it was filtered.
"""
from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session, func, select

from app.db import db, utcnow
from app.enums import Role
from app.errors import DomainError
from app.forms import ActionForm, flash_form_errors
from app.library import search, services
from app.library.forms import HeadlineForm, HideForm, SummaryForm
from app.library.views import filter_messages
from app.models import LibraryCase
from app.permissions import can_curate_library, require, roles_required
from app.urls import safe_next

bp = Blueprint("library_manage", __name__, url_prefix="/library/manage")

PER_PAGE = 50
STATES = ("featured", "hidden")


@bp.before_request
@roles_required(Role.CHAIR, Role.PUBLICITY)
def _staff_only():
    require(can_curate_library(current_user))


# --- the list -------------------------------------------------------------------------


def all_cases(session: Session, *, q: str = "", year: int | None = None, state: str | None = None, page: int = 1,
              per_page: int = PER_PAGE) -> search.Page:
    """One page of every case, hidden ones included, newest year first, then by rank.

    Every term of ``q`` must occur in the case's ``search_text`` (lower-cased
    title, shown summary, organisation, tags): a plain substring scan, enough
    for a staff list of a few thousand rows. ``state`` keeps only the
    featured or the hidden cases.
    """
    where = []
    if year:
        where.append(LibraryCase.year == year)
    if state == "featured":
        where.append(LibraryCase.featured.is_(True))
    elif state == "hidden":
        where.append(LibraryCase.hidden.is_(True))
    where.extend(LibraryCase.search_text.like(search.like_pattern(term), escape="\\") for term in search.terms(q))
    total = session.exec(select(func.count()).select_from(LibraryCase).where(*where)).one()
    page = min(max(1, page), max(1, -(-total // per_page)))
    cases = session.exec(
        select(LibraryCase).where(*where)
        .order_by(*search.RANK_ORDER)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return search.Page(cases=list(cases), total=total, page=page, per_page=per_page)


def _years(session: Session) -> list[int]:
    return list(session.exec(select(LibraryCase.year).distinct().order_by(LibraryCase.year.desc())).all())


@bp.route("/")
def index():
    filters, problems = search.Filters.parse({"q": request.args.get("q", ""), "year": request.args.get("year", "")})
    for message in filter_messages(problems):
        flash(message, "warning")
    state = request.args.get("state") if request.args.get("state") in STATES else None
    result = all_cases(db.session, q=filters.q, year=filters.year, state=state,
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    args = filters.args() | ({"state": state} if state else {})
    here = url_for("library_manage.index", **args, **({"page": result.page} if result.page > 1 else {}))
    return render_template(
        "library/manage/index.html",
        result=result,
        filters=filters,
        state=state,
        args=args,
        here=here,
        years=_years(db.session),
        headline_form=HeadlineForm(formdata=None, data={"text": services.headline(db.session)}),
        hide_form=HideForm(formdata=None),
    )


# --- changes --------------------------------------------------------------------------


def _back() -> str:
    """Where to go after a change: ``next`` if it is a page of this blueprint, else the list."""
    return safe_next("library_manage.index", within=bp.url_prefix)


def _apply(form, change: Callable[[], None], success: str):
    """Run ``change`` if ``form`` is valid, commit once and say so; otherwise
    roll back and say why. Either way, back to the list."""
    if not form.validate_on_submit():
        db.rollback()
        flash_form_errors(form)
        return redirect(_back())
    try:
        change()
    except DomainError as error:
        db.rollback()
        flash(str(error.message), "danger")
        return redirect(_back())
    db.commit()
    flash(success, "success")
    return redirect(_back())


@bp.route("/<int:case_id>/feature", methods=["POST"])
def feature(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    return _apply(ActionForm(), lambda: services.set_featured(
        db.session, case=case, featured=True, actor=current_user, now=utcnow()),
        _("“%(title)s” is featured on the library's home page.", title=case.title))


@bp.route("/<int:case_id>/unfeature", methods=["POST"])
def unfeature(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    return _apply(ActionForm(), lambda: services.set_featured(
        db.session, case=case, featured=False, actor=current_user, now=utcnow()),
        _("“%(title)s” is no longer featured.", title=case.title))


@bp.route("/<int:case_id>/hide", methods=["POST"])
def hide(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    form = HideForm()
    return _apply(form, lambda: services.hide(
        db.session, case=case, reason=form.reason.data, actor=current_user, now=utcnow()),
        _("“%(title)s” is hidden from the public library.", title=case.title))


@bp.route("/<int:case_id>/unhide", methods=["POST"])
def unhide(case_id: int):
    case = db.get_or_404(LibraryCase, case_id)
    return _apply(ActionForm(), lambda: services.unhide(db.session, case=case, actor=current_user, now=utcnow()),
                  _("“%(title)s” is shown in the public library again.", title=case.title))


@bp.route("/headline", methods=["POST"])
def headline():
    form = HeadlineForm()
    return _apply(form, lambda: services.set_headline(
        db.session, text=form.text.data or "", actor=current_user, now=utcnow()),
        _("The headline has been saved."))


@bp.route("/<int:case_id>/summary", methods=["GET", "POST"])
def summary(case_id: int):
    """The submitted summary, read-only, and the public one to edit; empty or
    unchanged (or the restore button) shows the submitted one again."""
    case = db.get_or_404(LibraryCase, case_id)
    form = SummaryForm(data={"text": case.shown_summary})
    if form.is_submitted() and form.restore.data:
        form.text.data = ""
    if form.validate_on_submit():
        try:
            services.set_public_summary(db.session, case=case, text=form.text.data or "", actor=current_user,
                                        now=utcnow())
        except DomainError as error:
            db.rollback()
            form.form_errors.append(error.message)
        else:
            db.commit()
            if case.public_summary is None:
                flash(_("“%(title)s” shows its submitted summary.", title=case.title), "success")
            else:
                flash(_("The public summary of “%(title)s” has been saved.", title=case.title), "success")
            return redirect(_back())
    return render_template("library/manage/summary.html", case=case, form=form, back=_back())
