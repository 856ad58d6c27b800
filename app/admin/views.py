"""The chair's staff pages: people (invitations, locked accounts, second
factors), organisations, the site settings, the audit log, the outbox, the system status."""
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.accounts import logins, memberships, second_factor, staff
from app.accounts.views import apply_membership_decision
from app.admin import outbox
from app.admin.forms import AuditFilterForm, InviteForm, MembershipDecisionForm, SiteSettingsForm, StaffForm
from app.audit.exports import audit_csv
from app.audit.services import Subject, events_for_export, events_page, filter_choices, object_history, record
from app.db import db, utcnow
from app.enums import MailStatus, Role
from app.forms import ActionForm
from app.models import Organisation, OutgoingMail, User
from app.ops import health
from app.permissions import (
    can_decide_membership,
    membership_decisions,
    require,
    roles_required,
)
from app.site import services as site
from app.spreadsheets import CSV_MIMETYPE, filename
from app.web import query_page, send_bytes, write, write_during_read

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@roles_required(Role.CHAIR)
def _chairs_only():
    """Every page here is the chair's."""


def _staff_user(user_id: int) -> User:
    user = db.get_or_404(User, user_id, options=[selectinload(User.role_rows)])  # the page shows them
    require(user.is_staff)  # applicant accounts are managed by their organisations
    return user


@bp.route("/users")
def users():
    role = request.args.get("role")
    role = Role(role) if role in {r.value for r in Role} and role != Role.APPLICANT else None
    return render_template(
        "admin/users.html", users=staff.staff_users(db.session, role=role), role=role,
        locked=logins.locked_users(db.session, now=utcnow()), now=utcnow(),
    )


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
def unlock(user_id: int):
    """End a lockout before its time (any account: staff or applicant)."""
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        with write(success=_("The account %(email)s is unlocked.", email=user.email)):
            logins.unlock(db.session, actor=current_user, user=user, now=utcnow())
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/second-factor/reset", methods=["POST"])
def reset_second_factor(user_id: int):
    """Turn off another account's two-step verification (a lost phone)."""
    user = _staff_user(user_id)
    if ActionForm().validate_on_submit():
        with write(success=_("Two-step verification of %(name)s is reset.", name=user.name)):
            second_factor.reset(db.session, actor=current_user, user=user, now=utcnow())
    return redirect(url_for("admin.user", user_id=user.id))


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
            staff.update_staff(db.session, actor=current_user, user=user, roles=form.roles.data, active=form.active.data,
                               now=utcnow())
        if attempt.ok:
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        history=object_history(db.session, object_type="users", object_id=user.id),
        now=utcnow(),
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
        members=memberships.organisation_members(db.session, organisation_id=organisation.id),
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


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The site's name and the filing numbers in the footer."""
    current = site.load_settings(db.session)
    form = SiteSettingsForm(data={"site_name": current.name, "icp_number": current.icp_number,
                                  "police_number": current.police_number,
                                  "programme_target": current.programme_target})
    if form.validate_on_submit():
        values = {site.NAME: form.site_name.data, site.ICP_NUMBER: form.icp_number.data,
                  site.POLICE_NUMBER: form.police_number.data}
        target = form.programme_target.data if form.programme_target.raw_data else None
        if target is not None and target != current.programme_target:  # left out or the same: unchanged
            values[site.PROGRAMME_TARGET] = str(target)
        with write(success=_("The site settings are saved."), form=form) as attempt:
            site.update_settings(db.session, actor=current_user, now=utcnow(), values=values)
        if attempt.ok:
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)


def _audit_filters() -> AuditFilterForm:
    actions, object_types = filter_choices(db.session)
    form = AuditFilterForm(request.args, actions=actions, object_types=object_types)
    form.validate()
    return form


@bp.route("/audit")
def audit_log():
    form = _audit_filters()
    filters = form.filters(zone=ZoneInfo(current_app.config["TIMEZONE"]))
    events, total, page = events_page(db.session, page=query_page(), filters=filters)
    return render_template("admin/audit.html", events=events, total=total, page=page, per_page=50, form=form,
                           args=form.query_args(), retention_days=current_app.config["AUDIT_RETENTION_DAYS"])


@bp.route("/audit/export.csv")
def audit_export():
    """The filtered log as CSV, every page; the download itself is audited."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    filters = _audit_filters().filters(zone=zone)
    data = audit_csv(events_for_export(db.session, filters=filters), zone=zone)
    download_name = filename(_("audit log"), utcnow().astimezone(zone).strftime("%Y%m%d-%H%M"), extension="csv")
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="audit.exported", obj=Subject("audit_events"),
               after={"format": "csv", "filters": filters.described()})
    return send_bytes(data, mimetype=CSV_MIMETYPE, download_name=download_name, cache_control="no-store")


@bp.route("/outbox")
def outbox_list():
    """Every mail the app sent or is sending, newest first; filter by status."""
    status = request.args.get("status")
    status = MailStatus(status) if status in {s.value for s in MailStatus} else None
    listing = outbox.outbox_page(db.session, status=status, page=query_page())
    return render_template("admin/outbox.html", listing=listing, status=status, per_page=50, MailStatus=MailStatus,
                           max_attempts=current_app.config["MAIL_MAX_ATTEMPTS"])


@bp.route("/outbox/<int:mail_id>/retry", methods=["POST"])
def retry_mail(mail_id: int):
    """Send a failed mail again (the worker does, with a fresh count of attempts)."""
    mail = db.get_or_404(OutgoingMail, mail_id)
    if ActionForm().validate_on_submit():
        with write(success=_("The mail to %(email)s is queued again.", email=mail.recipient)):
            outbox.retry_mail(db.session, actor=current_user, mail=mail, now=utcnow())
    return redirect(url_for("admin.outbox_list", status=request.args.get("status") or None))


@bp.route("/status")
def system_status():
    """The readiness checks of ``/readyz``, for people."""
    checks = health.run_checks(current_app._get_current_object())
    return render_template("admin/status.html", checks=checks, ready=all(check.ok for check in checks),
                           checked_at=utcnow())
