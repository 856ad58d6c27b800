"""The chair's staff pages: people, invitations, the audit log."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import memberships, staff
from app.accounts.views import apply_membership_decision
from app.admin.forms import InviteForm, MembershipDecisionForm, StaffForm
from app.audit.services import events_page, object_history
from app.db import db
from app.enums import Role
from app.forms import ActionForm
from app.models import Organisation, User
from app.permissions import (
    can_decide_membership,
    membership_decisions,
    require,
    roles_required,
)
from app.web import query_page, write

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required(Role.CHAIR)
def _chairs_only():
    """Every page here is the chair's."""


def _staff_user(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    require(user.is_staff)  # applicant accounts are managed by their organisations
    return user


@bp.route("/users")
def users():
    role = request.args.get("role")
    role = Role(role) if role in {r.value for r in Role} and role != Role.APPLICANT else None
    return render_template(
        "admin/users.html", users=staff.staff_users(db.session, role=role), role=role
    )


@bp.route("/users/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        with write(form=form.email) as attempt:
            user, _url = staff.invite_staff(
                db.session, inviter=current_user, email=form.email.data, name=form.name.data, roles=form.roles.data
            )
        if attempt.ok:
            flash(_("An invitation has been sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    user = _staff_user(user_id)
    form = StaffForm(data={"roles": [role.value for role in user.roles], "active": user.active})
    if form.validate_on_submit():
        with write(success=_("The account of %(name)s has been updated.", name=user.name), form=form.roles) as attempt:
            staff.update_staff(db.session, actor=current_user, user=user, roles=form.roles.data, active=form.active.data)
        if attempt.ok:
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        history=object_history(db.session, object_type="users", object_id=user.id),
    )


@bp.route("/users/<int:user_id>/resend-invitation", methods=["POST"])
def resend_invitation(user_id: int):
    user = _staff_user(user_id)
    if ActionForm().validate_on_submit():
        with write(success=_("A new invitation has been sent to %(email)s.", email=user.email)):
            staff.resend_invitation(db.session, inviter=current_user, user=user)
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/organisations")
def organisations():
    query = (request.args.get("q") or "").strip()[:200]
    rows, total, page = memberships.list_organisations(db.session, query=query, page=query_page())
    return render_template("admin/organisations.html", rows=rows, total=total, page=page, per_page=50, query=query)


@bp.route("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    return render_template(
        "admin/organisation.html",
        organisation=organisation,
        members=sorted(organisation.members, key=lambda member: member.id),
        history=object_history(db.session, object_type="organisations", object_id=organisation.id),
        decisions=lambda member: membership_decisions(current_user, member),
    )


@bp.route("/members/<int:user_id>/<any(approve, decline, remove, reinstate):decision>", methods=["POST"])
def decide_membership(user_id: int, decision: str):
    member = db.get_or_404(User, user_id)
    require(can_decide_membership(current_user, member))
    form = MembershipDecisionForm(decision=decision)
    if form.validate_on_submit():
        apply_membership_decision(member, decision, reason=form.reason.data or None)
    else:
        for error in form.reason.errors:
            flash(error, "danger")
    return redirect(url_for("admin.organisation", organisation_id=member.organisation_id))


@bp.route("/audit")
def audit_log():
    action = request.args.get("action") or None
    events, total, page = events_page(db.session, page=query_page(), action=action)
    return render_template("admin/audit.html", events=events, total=total, page=page, per_page=50, action=action)
