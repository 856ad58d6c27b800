from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import memberships, services, staff, tokens
from app.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegistrationForm,
    ResetPasswordForm,
)
from app.db import db, read_only
from app.enums import Membership, Role, TokenPurpose
from app.errors import InvalidToken
from app.extensions import limiter, login_account_and_address_key, login_account_key
from app.forms import ActionForm
from app.i18n import lazy_gettext as _l
from app.models import User
from app.permissions import (
    can_decide_membership,
    can_view_organisation,
    membership_decisions,
    require,
    roles_required,
)
from app.urls import safe_next
from app.web import write

bp = Blueprint("accounts", __name__, url_prefix="/account")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: "20 per hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        with write(form=form.email) as attempt:
            registration = services.register_applicant(
                db.session,
                organisation_name=form.organisation_name.data,
                credit_code=form.credit_code.data,
                city_code=form.city.data,
                contact_name=form.contact_name.data,
                email=form.email.data,
                phone=form.phone.data,
                password=form.password.data,
            )
        if attempt.ok:
            login_user(registration.user)
            if registration.joined_existing:
                flash(
                    _(
                        "%(organisation)s is already registered. Your request to join it has been sent to its members; "
                        "you can act for it once one of them approves.",
                        organisation=registration.organisation.name,
                    ),
                    "warning",
                )
            else:
                flash(_("Welcome! Your organisation %(organisation)s is registered.", organisation=registration.organisation.name), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
# Every attempt is counted before the password is checked (atomically, so a
# burst of parallel requests gets no more tries than sequential ones).
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=login_account_key, methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_IP"], key_func=login_account_and_address_key, methods=["POST"]
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next())
    form = LoginForm()
    if form.validate_on_submit():
        with read_only():
            user_id = services.check_credentials(db.session, email=form.email.data, password=form.password.data)
            db.rollback()  # end the read transaction before writing
        if user_id is not None:
            user = db.session.get(User, user_id)
            with write():
                services.record_login(db.session, user=user)
            login_user(user)
            return redirect(safe_next())
        form.password.errors.append(_("The email address or the password is not correct."))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: "10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with write():
            services.request_password_reset(db.session, email=form.email.data)
        # The same answer whether or not the address has an account.
        flash(
            _("If an account uses this address, we have sent it a link to set a new password. Check your inbox."),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = tokens.check_token(db.session, raw=token, purpose=TokenPurpose.PASSWORD_RESET)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with write(success=_("Your password has been changed. Please log in with the new one."), form=form,
                   reraise=(InvalidToken,)) as attempt:
            services.reset_password(db.session, raw_token=token, password=form.password.data)
        if attempt.ok:
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    user = tokens.check_token(db.session, raw=token, purpose=TokenPurpose.INVITATION)
    form = AcceptInvitationForm(obj=user if not user.name else None, data={"name": user.name, "phone": user.phone})
    if form.validate_on_submit():
        with write(form=form, reraise=(InvalidToken,)) as attempt:
            staff.accept_invitation(
                db.session, raw_token=token, name=form.name.data, phone=form.phone.data, password=form.password.data
            )
        if attempt.ok:
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("accounts/accept_invitation.html", form=form, user=user)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with write(form=form.current_password) as attempt:
            services.change_password(
                db.session, user=current_user, current_password=form.current_password.data, new_password=form.password.data
            )
        if attempt.ok:
            login_user(current_user._get_current_object())  # the session id carries the new auth version
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/organisation")
@roles_required(Role.APPLICANT)
def organisation():
    # Pending and declined accounts must not see who works there.
    require(can_view_organisation(current_user, current_user.organisation_id))
    organisation = current_user.organisation
    return render_template(
        "accounts/organisation.html",
        organisation=organisation,
        members=sorted(organisation.members, key=lambda member: member.id),
        decisions=lambda member: membership_decisions(current_user, member),
    )


@bp.route("/organisation/members/<int:user_id>/<any(approve, decline):decision>", methods=["POST"])
@roles_required(Role.APPLICANT)
def decide_membership(user_id: int, decision: str):
    member = db.get_or_404(User, user_id)
    require(can_decide_membership(current_user, member))
    if ActionForm().validate_on_submit():
        apply_membership_decision(member, decision, reason=None)
    return redirect(url_for("accounts.organisation"))


_DECISIONS = {
    "approve": (Membership.ACTIVE, _l("%(name)s is now a member of %(organisation)s.")),
    "reinstate": (Membership.ACTIVE, _l("%(name)s is now a member of %(organisation)s.")),
    "decline": (Membership.REJECTED, _l("%(name)s is not a member of %(organisation)s.")),
    "remove": (Membership.REJECTED, _l("%(name)s is not a member of %(organisation)s.")),
}


def apply_membership_decision(member: User, decision: str, *, reason: str | None) -> None:
    """Carry out a membership button (approve, decline, remove, reinstate), commit, say what happened."""
    membership, message = _DECISIONS[decision]
    with write(quiet=True) as attempt:
        memberships.set_membership(db.session, actor=current_user, member=member, membership=membership, reason=reason)
    if attempt.ok:
        flash(str(message) % {"name": member.name, "organisation": member.organisation.name}, "success")
    else:
        flash(attempt.message, "warning")


@bp.errorhandler(InvalidToken)
def _invalid_token(error: InvalidToken):
    return render_template("accounts/invalid_link.html", message=error.message), 400
