from datetime import datetime

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_url, login_user, logout_user
from sqlalchemy.orm import selectinload

from app.accounts import logins, memberships, registrations, second_factor, services, sessions, staff, tokens
from app.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ConfirmPasswordForm,
    ForgotPasswordForm,
    LoginCodeForm,
    LoginForm,
    OneTimeCodeForm,
    RegistrationForm,
    ResetPasswordForm,
)
from app.db import db, read_only, utcnow
from app.enums import Membership, Role, SessionEnd, TokenPurpose
from app.errors import InvalidToken
from app.extensions import (
    limiter,
    login_account_and_address_key,
    login_account_key,
    login_manager,
    login_pending_key,
    registration_email_key,
)
from app.forms import ActionForm
from app.i18n import lazy_gettext as _l
from app.models import User, UserSession
from app.permissions import (
    can_decide_membership,
    can_view_organisation,
    membership_decisions,
    require,
    roles_required,
)
from app.site.services import load_settings as load_site_settings
from app.urls import safe_next
from app.web import write, write_during_read

bp = Blueprint("accounts", __name__, url_prefix="/account")

# The password step of a login waiting for its second factor (or enrolment), in the signed session cookie.
PENDING_KEY = "login_pending"
PENDING_SECONDS = 300
# Pages an account whose password expired may still open.
_EXPIRED_PASSWORD_ALLOWS = {"accounts.change_password", "accounts.logout", "accounts.session_status",
                            "accounts.keep_alive", "main.set_language", "static"}


# --- the session on the server ---------------------------------------------------------


def _policy() -> sessions.SessionPolicy:
    return sessions.SessionPolicy.from_config(current_app.config)


def load_session_user(token: str) -> User | None:
    """Flask-Login's user loader: the account of an open, unexpired session.

    The session's last activity is written at most once a minute (never by
    the status request that the expiry warning polls); an idle or expired
    session is ended on the server, and the user told why.
    """
    now = utcnow()
    check = sessions.check_session(db.session, raw=token, now=now, policy=_policy())
    touch = check.touch_due and request.endpoint != "accounts.session_status"
    if check.row is not None and (check.ending is not None or touch):
        row_id = check.row.id
        with write_during_read(quiet=True):
            row = db.session.get(UserSession, row_id)
            if check.ending is not None:
                sessions.end_session(db.session, row=row, reason=check.ending, now=now)
            else:
                sessions.touch_session(db.session, row=row, now=now)
    if not check.valid:
        session.pop("_user_id", None)
        if check.ending == SessionEnd.IDLE:
            g.session_ended = True
            minutes = int(_policy().idle_for(check.user).total_seconds() // 60)
            flash(_("You were logged out after %(n)s minutes without activity. Please log in again.", n=minutes), "info")
        elif check.ending == SessionEnd.EXPIRED:
            g.session_ended = True
            hours = f"{_policy().absolute.total_seconds() / 3600:g}"
            flash(_("You were logged out: a session lasts at most %(n)s hours. Please log in again.", n=hours), "info")
        return None
    user = db.session.get(User, check.row.user_id)
    user.attach_session(token)
    # Kept for the request: the identity map holds an object only while
    # something refers to it, and the session's own pages read the row again.
    g.user_session = check.row
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    """Flask-Login's answer to a page that needs a login (unless the session just ended, which said so)."""
    if not g.pop("session_ended", False):
        flash(str(login_manager.login_message), login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


@bp.before_app_request
def _check_session():
    """Check the login session first thing (so that an expired one ends before
    anything else is read), and send an account whose password expired to
    the change-password page."""
    if request.endpoint in ("static", "main.healthz") or "_user_id" not in session:
        return None
    if not current_user.is_authenticated or request.endpoint in _EXPIRED_PASSWORD_ALLOWS:
        return None
    if services.password_expired(current_user, now=utcnow()):
        flash(_("Your password is older than %(n)s days. Please choose a new one.",
                n=current_app.config["PASSWORD_MAX_AGE_DAYS"]), "warning")
        return redirect(url_for("accounts.change_password"))
    return None


def _current_session() -> UserSession:
    """The request's login session row, as the user loader found it."""
    return g.user_session


def _session_state() -> dict:
    """What the expiry warning needs: seconds left, and whether activity extends them."""
    if not current_user.is_authenticated:
        return {"authenticated": False}
    ends, extendable = sessions.expires_at(_current_session(), current_user, policy=_policy())
    return {"authenticated": True, "expires_in": max(int((ends - utcnow()).total_seconds()), 0),
            "extendable": extendable, "warn_before": current_app.config["SESSION_WARNING_MINUTES"] * 60}


@bp.route("/session")
def session_status():
    """The login session's remaining time (reading it does not extend it)."""
    response = jsonify(_session_state())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/session/keep-alive", methods=["POST"])
@login_required
def keep_alive():
    """The expiry warning's "stay logged in" button: counts as activity."""
    if ActionForm().validate_on_submit():
        with write(quiet=True):
            sessions.touch_session(db.session, row=_current_session(), now=utcnow())
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_session_state())
    return redirect(safe_next())


# --- logging in and out ----------------------------------------------------------------


def _sign_in(user: User, now: datetime) -> None:
    """Open a session for ``user`` in this browser (inside the caller's write)."""
    logins.sign_in(db.session, user=user, now=now, ip_address=request.remote_addr,
                   user_agent=request.user_agent.string)


def _logged_in(user: User, next_url: str):
    """After the commit of :func:`_sign_in`: the session cookie, and where to go."""
    session.pop(PENDING_KEY, None)
    login_user(user)
    if services.password_expired(user, now=utcnow()):
        flash(_("Your password is older than %(n)s days. Please choose a new one.",
                n=current_app.config["PASSWORD_MAX_AGE_DAYS"]), "warning")
        return redirect(url_for("accounts.change_password"))
    return redirect(next_url)


def _ask_second_factor(user: User, next_url: str):
    """The password was right; the second factor (or enrolling one) comes next."""
    session[PENDING_KEY] = {"user_id": user.id, "at": utcnow().timestamp(), "next": next_url}
    if user.second_factor_enabled:
        return redirect(url_for("accounts.second_factor_step"))
    flash(_("Your account must use two-step verification. Set it up now to finish logging in."), "info")
    return redirect(url_for("accounts.two_factor_setup"))


def _pending_user() -> tuple[User | None, str]:
    """The account whose password step is done and recent, and where it goes next."""
    pending = session.get(PENDING_KEY) or {}
    if not pending or utcnow().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None, ""
    # Its roles decide the second factor; signing in (sessions) reads them too.
    user = db.session.get(User, pending["user_id"], options=[selectinload(User.role_rows)])
    if user is None or not user.active or user.is_locked(now=utcnow()):
        session.pop(PENDING_KEY, None)
        return None, ""
    return user, pending.get("next") or url_for("main.dashboard")


def _second_factor_required() -> bool:
    return current_app.config["TWO_FACTOR_REQUIRED"]


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
        now = utcnow()
        with read_only():
            check = logins.check_credentials(db.session, email=form.email.data, password=form.password.data, now=now)
            db.rollback()  # end the read transaction before writing
        if check.ok:
            # Its roles decide whether it needs a second factor.
            user = db.session.get(User, check.user_id, options=[selectinload(User.role_rows)])
            if second_factor.needed(user, required=_second_factor_required()):
                return _ask_second_factor(user, safe_next())
            with write():
                _sign_in(user, now)
            return _logged_in(user, safe_next())
        with write():
            logins.record_failed_login(db.session, email=services.normalise_email(form.email.data), check=check,
                                       now=now, policy=logins.LockoutPolicy.from_config(current_app.config))
        # The same answer whatever went wrong: no account, wrong password, locked, deactivated.
        form.password.errors.append(_("The email address or the password is not correct."))
    return render_template("accounts/login.html", form=form, lockout=logins.LockoutPolicy.from_config(current_app.config))


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(lambda: "10 per 5 minutes", key_func=login_pending_key, methods=["POST"])
def second_factor_step():
    """The second step of a login: the authenticator app's code, or a recovery code."""
    user, next_url = _pending_user()
    if user is None:
        flash(_("Please log in again."), "info")
        return redirect(url_for("accounts.login"))
    if not user.second_factor_enabled:
        return redirect(url_for("accounts.two_factor_setup"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        now = utcnow()
        with write():
            accepted = second_factor.verify(db.session, user=user, code=form.code.data, now=now)
            if accepted:
                _sign_in(user, now)
            else:
                logins.record_failed_login(
                    db.session, email=user.email, check=logins.LoginCheck(user.id, logins.Refusal.SECOND_FACTOR),
                    now=now, policy=logins.LockoutPolicy.from_config(current_app.config))
        if accepted:
            return _logged_in(user, next_url)
        if _pending_user()[0] is None:  # locked by this failure
            flash(_("The email address or the password is not correct."), "danger")
            return redirect(url_for("accounts.login"))
        form.code.errors.append(_("The code is not correct."))
    return render_template("accounts/second_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            with write(quiet=True):
                sessions.end_session(db.session, row=_current_session(), reason=SessionEnd.LOGOUT, now=utcnow())
        logout_user()
        session.pop(PENDING_KEY, None)
        session.pop("totp_enrolment", None)
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


# --- registration ----------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: "20 per hour", methods=["POST"])
# Each accepted registration mails the address: at most a few an hour to one address.
@limiter.limit(lambda: "5 per hour", key_func=registration_email_key, methods=["POST"],
               deduct_when=lambda _response: g.get("registration_mailed", False))
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        with write(form=form.password) as attempt:
            registrations.start_registration(
                db.session,
                organisation_name=form.organisation_name.data,
                credit_code=form.credit_code.data,
                city_code=form.city.data,
                contact_name=form.contact_name.data,
                email=form.email.data,
                phone=form.phone.data,
                password=form.password.data,
                now=utcnow(),
            )
        if attempt.ok:
            g.registration_mailed = True
            # The same page whether or not the address already has an account.
            return redirect(url_for("accounts.registration_sent"))
    return render_template("accounts/register.html", form=form)


@bp.route("/register/sent")
def registration_sent():
    return render_template("accounts/registration_sent.html",
                           hours=current_app.config["REGISTRATION_LINK_HOURS"])


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token: str):
    """The mailed link: a button finishes the registration (a link checker
    that opens the address makes no account)."""
    if current_user.is_authenticated:
        flash(_("Log out first to finish another account's registration."), "warning")
        return redirect(url_for("main.dashboard"))
    pending = registrations.pending_registration(db.session, raw=token, now=utcnow())
    form = ActionForm()
    if form.validate_on_submit():
        now = utcnow()
        with write(reraise=(InvalidToken,)) as attempt:
            registration = registrations.confirm_registration(db.session, raw=token, now=now)
            _sign_in(registration.user, now)
        if attempt.ok:
            if registration.joined_existing:
                flash(_("Your account is ready. An organisation with this credit code is already registered: your "
                        "request to join it has been sent to its members, and you can act for it once one of them "
                        "approves."), "warning")
            else:
                flash(_("Welcome! Your organisation %(organisation)s is registered.",
                        organisation=registration.user.organisation.name), "success")
            return _logged_in(registration.user, url_for("main.dashboard"))
    return render_template("accounts/confirm_registration.html", pending=pending, form=form)


# --- passwords -------------------------------------------------------------------------


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
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        with write(success=_("Your password has been changed. Please log in with the new one."), form=form.password,
                   reraise=(InvalidToken,)) as attempt:
            services.reset_password(db.session, raw_token=token, password=form.password.data, now=utcnow())
        if attempt.ok:
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    user = tokens.check_token(db.session, raw=token, purpose=TokenPurpose.INVITATION)
    form = AcceptInvitationForm(obj=user if not user.name else None, data={"name": user.name, "phone": user.phone},
                                user=user)
    if form.validate_on_submit():
        now = utcnow()
        ask_second_factor = second_factor.needed(user, required=_second_factor_required())
        with write(form=form.password, reraise=(InvalidToken,)) as attempt:
            staff.accept_invitation(db.session, raw_token=token, name=form.name.data, phone=form.phone.data,
                                    password=form.password.data, now=now)
            if not ask_second_factor:
                _sign_in(user, now)
        if attempt.ok:
            if current_user.is_authenticated:
                with write(quiet=True):
                    sessions.end_session(db.session, row=_current_session(), reason=SessionEnd.LOGOUT, now=now)
                logout_user()
            flash(_("Welcome! Your account is ready."), "success")
            if ask_second_factor:
                return _ask_second_factor(user, url_for("main.dashboard"))
            return _logged_in(user, url_for("main.dashboard"))
    return render_template("accounts/accept_invitation.html", form=form, user=user)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(user=user)
    if form.validate_on_submit():
        now = utcnow()
        with write(form=form.password) as attempt:
            services.change_password(db.session, user=user, current_password=form.current_password.data,
                                     new_password=form.password.data, now=now)
            _sign_in(user, now)  # every session ended, this browser gets a new one
        if attempt.ok:
            login_user(user)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("accounts/change_password.html", form=form)


# --- two-step verification -------------------------------------------------------------


def _enrolling_user() -> tuple[User | None, str | None]:
    """Who sets up a second factor here: a logged-in chair or publicity
    account, or a login waiting for one it must have; and where it goes next
    (None: it is logged in already)."""
    if current_user.is_authenticated:
        require(second_factor.can_use(current_user))
        return current_user._get_current_object(), None
    user, next_url = _pending_user()
    return (user, next_url) if user is not None and second_factor.can_use(user) else (None, None)


@bp.route("/two-factor")
@login_required
def two_factor():
    require(second_factor.can_use(current_user))
    return render_template("accounts/two_factor.html", required=_second_factor_required(),
                           codes_left=second_factor.remaining_recovery_codes(db.session, user=current_user),
                           form=ConfirmPasswordForm())


@bp.route("/two-factor/setup", methods=["GET", "POST"])
def two_factor_setup():
    user, next_url = _enrolling_user()
    if user is None:
        return login_manager.unauthorized()
    if user.second_factor_enabled:
        return redirect(url_for("accounts.second_factor_step" if next_url else "accounts.two_factor"))
    form = OneTimeCodeForm()
    secret = session.get("totp_enrolment") if request.method == "POST" else None
    if secret is None:
        secret = session["totp_enrolment"] = second_factor.new_secret()
    if form.validate_on_submit():
        now = utcnow()
        with write(form=form.code) as attempt:
            codes = second_factor.enable(db.session, user=user, secret=secret, code=form.code.data, now=now)
            if next_url:
                _sign_in(user, now)
        if attempt.ok:
            session.pop("totp_enrolment", None)
            if next_url:
                session.pop(PENDING_KEY, None)
                login_user(user)
            # Shown once, never stored in the clear: on this answer, not after a redirect.
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=next_url)
    uri = second_factor.provisioning_uri(secret, email=user.email, issuer=load_site_settings(db.session).name)
    return render_template("accounts/two_factor_setup.html", form=form, qr_code=second_factor.qr_code(uri),
                           secret=second_factor.grouped(secret))


@bp.route("/two-factor/recovery-codes", methods=["POST"])
@login_required
def renew_recovery_codes():
    require(second_factor.can_use(current_user))
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if not services.password_matches(current_user, form.password.data):
            flash(_("The password is not correct."), "danger")
            return redirect(url_for("accounts.two_factor"))
        with write() as attempt:
            codes = second_factor.new_recovery_codes(db.session, user=current_user, now=utcnow())
        if attempt.ok:
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=None)
    return redirect(url_for("accounts.two_factor"))


@bp.route("/two-factor/disable", methods=["POST"])
@login_required
def two_factor_disable():
    require(second_factor.can_use(current_user))
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if not services.password_matches(current_user, form.password.data):
            flash(_("The password is not correct."), "danger")
        else:
            with write(success=_("Two-step verification is off.")):
                second_factor.disable(db.session, user=current_user, required=_second_factor_required())
    return redirect(url_for("accounts.two_factor"))


# --- organisations ---------------------------------------------------------------------


@bp.route("/organisation")
@roles_required(Role.APPLICANT)
def organisation():
    # Pending and declined accounts must not see who works there.
    require(can_view_organisation(current_user, current_user.organisation_id))
    organisation = current_user.organisation
    return render_template(
        "accounts/organisation.html",
        organisation=organisation,
        members=memberships.organisation_members(db.session, organisation_id=organisation.id),
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
