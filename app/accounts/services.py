"""Accounts: registration, login, password reset, invitations, memberships, roles.

Plain functions over a session; they flush but never commit.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.audit.services import record
from app.db import utcnow
from app.enums import STAFF_ROLES, Membership, Role, TokenPurpose
from app.errors import DomainError, InvalidToken, NotAllowed
from app.mail import send_after_commit
from app.models import Organisation, User, UserRole, UserToken

_INVALID_LINK = _l("This link is invalid, has expired or has already been used. Please ask for a new one.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def organisation_by_code(session: Session, credit_code: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.credit_code == credit_code)).first()


def _user_snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "roles": sorted(role.value for role in user.roles),
        "active": user.active,
        "organisation_id": user.organisation_id,
        "membership": user.membership.value if user.membership else None,
    }


@dataclass(frozen=True)
class Registration:
    user: User
    organisation: Organisation
    joined_existing: bool


def register_applicant(
    session: Session,
    *,
    organisation_name: str,
    credit_code: str,
    city_code: str,
    contact_name: str,
    email: str,
    phone: str,
    password: str,
) -> Registration:
    """Create an applicant account, and its organisation unless it exists.

    ``credit_code`` must already be normalised. A code that is already
    registered makes the new account a *pending* member: an approved member
    of that organisation has to accept it before it can act for it.
    """
    email = normalise_email(email)
    if user_by_email(session, email) is not None:
        raise DomainError(_l("An account with this email address already exists. Log in, or reset your password."))
    organisation = organisation_by_code(session, credit_code)
    joined_existing = organisation is not None
    if organisation is None:
        organisation = Organisation(name=organisation_name.strip(), credit_code=credit_code, city_code=city_code)
        session.add(organisation)
        session.flush()
    user = User(
        email=email,
        name=contact_name.strip(),
        phone=phone.strip(),
        password_hash=hash_password(password),
        organisation_id=organisation.id,
        membership=Membership.PENDING if joined_existing else Membership.ACTIVE,
        role_rows=[UserRole(role=Role.APPLICANT)],
    )
    session.add(user)
    session.flush()
    if joined_existing:
        record(session, actor=user, action="organisation.join_requested", obj=user, after=_user_snapshot(user))
        for member in active_members(session, organisation):
            send_after_commit(
                to=member.email,
                subject=_("%(name)s asks to join %(organisation)s", name=user.name, organisation=organisation.name),
                template="join_request",
                member=member,
                applicant=user,
                organisation=organisation,
                url=url_for("accounts.organisation", _external=True),
            )
    else:
        after = _user_snapshot(user) | {
            "organisation": {"name": organisation.name, "credit_code": organisation.credit_code, "city_code": organisation.city_code}
        }
        record(session, actor=user, action="applicant.registered", obj=user, after=after)
    return Registration(user=user, organisation=organisation, joined_existing=joined_existing)


def active_members(session: Session, organisation: Organisation) -> list[User]:
    return list(
        session.exec(
            select(User)
            .where(User.organisation_id == organisation.id, User.membership == Membership.ACTIVE, User.active)
            .order_by(User.id)
        ).all()
    )


# A valid hash to check against when the account does not exist, so that a
# wrong email takes as long as a wrong password (no account enumeration).
_DUMMY_HASH: dict[str, str] = {}


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (for any reason)."""
    user = user_by_email(session, email)
    if user is None or user.password_hash is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("dummy-password", method=method))
        check_password_hash(dummy, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    session.add(user)
    record(session, actor=user, action="user.logged_in", obj=user)
    return user


def load_user_by_session_id(session: Session, session_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>.<auth_version>"`` of an active user."""
    user_id, _sep, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.auth_version != int(version):
        return None
    return user


# --- single-use link tokens -------------------------------------------------


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, *, user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """A fresh link token for ``user``; earlier unused ones of the same purpose stop working."""
    now = utcnow()
    for older in session.exec(
        select(UserToken).where(UserToken.user_id == user.id, UserToken.purpose == purpose, UserToken.used_at.is_(None))
    ):
        older.used_at = now
        session.add(older)
    raw = secrets.token_urlsafe(32)
    session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=_token_hash(raw), expires_at=now + lifetime))
    session.flush()
    return raw


def _redeem_token(session: Session, *, raw: str, purpose: TokenPurpose) -> UserToken:
    token = session.exec(select(UserToken).where(UserToken.token_hash == _token_hash(raw or ""))).first()
    if token is None or token.purpose != purpose or token.used_at is not None or token.expires_at <= utcnow():
        raise InvalidToken(_INVALID_LINK)
    return token


def check_token(session: Session, *, raw: str, purpose: TokenPurpose) -> User:
    """The user a still-valid token belongs to (for showing the form), or InvalidToken."""
    token = _redeem_token(session, raw=raw, purpose=purpose)
    return session.get(User, token.user_id)


def _use_token(session: Session, *, raw: str, purpose: TokenPurpose) -> User:
    token = _redeem_token(session, raw=raw, purpose=purpose)
    token.used_at = utcnow()
    session.add(token)
    return session.get(User, token.user_id)


def request_password_reset(session: Session, *, email: str) -> None:
    """Mail a reset link if an active account with a password has this address.

    Says nothing either way: the caller shows the same message whatever happens.
    """
    user = user_by_email(session, email)
    if user is None or not user.active or user.password_hash is None:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    raw = issue_token(session, user=user, purpose=TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=hours))
    record(session, actor=None, action="user.password_reset_requested", obj=user)
    send_after_commit(
        to=user.email,
        subject=_("Reset your Scenario Showcase password"),
        template="password_reset",
        user=user,
        hours=hours,
        url=url_for("accounts.reset_password", token=raw, _external=True),
    )


def _set_password(session: Session, user: User, password: str) -> None:
    """Store a new password hash and log out the user's other sessions."""
    user.password_hash = hash_password(password)
    user.auth_version += 1
    session.add(user)


def reset_password(session: Session, *, raw_token: str, password: str) -> User:
    """Set a new password through a reset link; other sessions are logged out."""
    user = _use_token(session, raw=raw_token, purpose=TokenPurpose.PASSWORD_RESET)
    _set_password(session, user, password)
    record(session, actor=user, action="user.password_reset", obj=user)
    return user


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current_password):
        raise DomainError(_l("The current password is not correct."))
    _set_password(session, user, new_password)
    record(session, actor=user, action="user.password_changed", obj=user)


# --- staff invitations and roles --------------------------------------------


def _check_staff_roles(roles) -> set[Role]:
    roles = {Role(role) for role in roles}
    if not roles:
        raise DomainError(_l("Choose at least one role."))
    if not roles <= set(STAFF_ROLES):
        raise DomainError(_l("Staff can only hold the roles expert, chair and publicity."))
    return roles


def _send_invitation(session: Session, *, inviter: User, user: User) -> str:
    days = current_app.config["INVITATION_DAYS"]
    raw = issue_token(session, user=user, purpose=TokenPurpose.INVITATION, lifetime=timedelta(days=days))
    url = url_for("accounts.accept_invitation", token=raw, _external=True)
    send_after_commit(
        to=user.email,
        subject=_("You are invited to Scenario Showcase"),
        template="invitation",
        user=user,
        inviter=inviter,
        roles=sorted(user.roles),
        days=days,
        url=url,
    )
    return url


def invite_staff(session: Session, *, inviter: User | None, email: str, name: str, roles) -> tuple[User, str]:
    """Create a staff account without a password and mail it a set-password link.

    Returns the user and the link (the CLI prints it).
    """
    roles = _check_staff_roles(roles)
    email = normalise_email(email)
    existing = user_by_email(session, email)
    if existing is not None:
        if existing.is_applicant:
            raise DomainError(_l("This email address belongs to an applicant account; applicant accounts can never be staff."))
        raise DomainError(_l("There is already a staff account with this email address; change its roles on its page."))
    user = User(email=email, name=name.strip(), role_rows=[UserRole(role=role) for role in sorted(roles)])
    session.add(user)
    session.flush()
    record(session, actor=inviter, action="user.invited", obj=user, after=_user_snapshot(user))
    return user, _send_invitation(session, inviter=inviter, user=user)


def resend_invitation(session: Session, *, inviter: User, user: User) -> None:
    if not user.invitation_pending:
        raise DomainError(_l("This person has already accepted the invitation."))
    _send_invitation(session, inviter=inviter, user=user)
    record(session, actor=inviter, action="user.invitation_resent", obj=user)


def accept_invitation(session: Session, *, raw_token: str, name: str, phone: str, password: str) -> User:
    """Set the invited user's name, phone and password; the link is used up."""
    user = _use_token(session, raw=raw_token, purpose=TokenPurpose.INVITATION)
    before = _user_snapshot(user)
    user.name = name.strip()
    user.phone = phone.strip()
    user.password_hash = hash_password(password)
    session.add(user)
    record(session, actor=user, action="user.invitation_accepted", obj=user, before=before, after=_user_snapshot(user))
    return user


def create_staff_user(session: Session, *, email: str, name: str, roles, password: str) -> User:
    """Create a staff account with a password (CLI and demo data)."""
    roles = _check_staff_roles(roles)
    email = normalise_email(email)
    if user_by_email(session, email) is not None:
        raise DomainError(_l("There is already an account with this email address."))
    user = User(
        email=email, name=name, password_hash=hash_password(password), role_rows=[UserRole(role=role) for role in sorted(roles)]
    )
    session.add(user)
    session.flush()
    record(session, actor=None, action="user.created", obj=user, after=_user_snapshot(user))
    return user


def update_staff(session: Session, *, actor: User, user: User, roles, active: bool) -> None:
    """Change a staff account's roles and whether it may log in."""
    if user.is_applicant:
        raise NotAllowed(_l("Applicant accounts cannot be given staff roles."))
    roles = _check_staff_roles(roles)
    if user.id == actor.id and (Role.CHAIR not in roles or not active):
        raise DomainError(_l("You cannot remove your own chair role or deactivate yourself; ask another chair."))
    before = _user_snapshot(user)
    current = {row.role: row for row in user.role_rows}
    for role in set(current) - roles:
        user.role_rows.remove(current[role])
    for role in sorted(roles - set(current)):
        user.role_rows.append(UserRole(role=role))
    if user.active != active:
        user.active = active
        user.auth_version += 1  # a deactivated account is logged out at once
    session.add(user)
    session.flush()
    after = _user_snapshot(user)
    if after != before:
        record(session, actor=actor, action="user.updated", obj=user, before=before, after=after)


def decide_membership(session: Session, *, actor: User, member: User, approve: bool) -> None:
    """An approved member accepts or declines a pending request to join."""
    if member.membership != Membership.PENDING:
        raise DomainError(_l("This request has already been decided."))
    before = _user_snapshot(member)
    member.membership = Membership.ACTIVE if approve else Membership.REJECTED
    session.add(member)
    record(
        session,
        actor=actor,
        action="organisation.join_approved" if approve else "organisation.join_declined",
        obj=member,
        before=before,
        after=_user_snapshot(member),
    )
    send_after_commit(
        to=member.email,
        subject=_("Your request to join %(organisation)s", organisation=member.organisation.name),
        template="join_decision",
        member=member,
        approved=approve,
        url=url_for("main.dashboard", _external=True),
    )


def staff_users(session: Session, *, role: Role | None = None) -> list[User]:
    """Everyone who is not an applicant, optionally with one role."""
    roles = [role] if role else list(STAFF_ROLES)
    holders = select(UserRole.user_id).where(UserRole.role.in_(roles))
    return list(session.exec(select(User).where(User.id.in_(holders)).order_by(User.email)).all())


def pending_members(session: Session, *, organisation_id: int) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.organisation_id == organisation_id, User.membership == Membership.PENDING).order_by(User.id)
        ).all()
    )
