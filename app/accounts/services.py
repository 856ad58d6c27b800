"""Accounts: registration, login, password reset, invitations, memberships, roles.

Plain functions over a session; they flush but never commit.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.tokens import issue_token, revoke_tokens, use_token
from app.audit.services import record
from app.db import utcnow
from app.enums import Membership, Role, TokenPurpose
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.mail import send_after_commit
from app.models import Organisation, User, UserRole
from app.urls import external_url


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_strength(password: str) -> None:
    """Raise DomainError when ``password`` is too short or too easy to guess."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise DomainError(_l("Use at least %(n)s characters.", n=minimum))
    if password.isdigit() or len(set(password)) < 4:
        raise DomainError(_l("This password is too easy to guess."))


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def organisation_by_code(session: Session, credit_code: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.credit_code == credit_code)).first()


def user_snapshot(user: User) -> dict:
    """What the audit log records of an account."""
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
    password_hash = hash_password(password)  # before the first query: no lock held meanwhile
    email = normalise_email(email)
    if user_by_email(session, email) is not None:
        raise DomainError(_l("An account with this email address already exists. Log in, or reset your password."))
    organisation = organisation_by_code(session, credit_code)
    joined_existing = organisation is not None
    if organisation is None:
        organisation = Organisation(name=organisation_name.strip(), credit_code=credit_code, city_code=city_code)
        session.add(organisation)
        session.flush()
        record(
            session,
            actor=None,
            action="organisation.created",
            obj=organisation,
            after={"name": organisation.name, "credit_code": organisation.credit_code, "city_code": organisation.city_code},
        )
    user = User(
        email=email,
        name=contact_name.strip(),
        phone=phone.strip(),
        password_hash=password_hash,
        organisation_id=organisation.id,
        membership=Membership.PENDING if joined_existing else Membership.ACTIVE,
        role_rows=[UserRole(role=Role.APPLICANT)],
    )
    session.add(user)
    session.flush()
    if joined_existing:
        record(session, actor=user, action="organisation.join_requested", obj=user, after=user_snapshot(user))
        for member in active_members(session, organisation):
            send_after_commit(
                to=member.email,
                subject=_("%(name)s asks to join %(organisation)s", name=user.name, organisation=organisation.name),
                template="join_request",
                member=member,
                applicant=user,
                organisation=organisation,
                url=external_url("accounts.organisation"),
            )
    else:
        record(session, actor=user, action="applicant.registered", obj=user, after=user_snapshot(user))
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


def check_credentials(session: Session, *, email: str, password: str) -> int | None:
    """The id of the active user with these credentials, or None (for any reason).

    Only reads: the caller can run it outside a write transaction, so the slow
    hash check holds no lock.
    """
    user = user_by_email(session, email)
    if user is None or user.password_hash is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("dummy-password", method=method))
        check_password_hash(dummy, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user.id


def record_login(session: Session, *, user: User) -> None:
    user.last_login_at = utcnow()
    session.add(user)
    record(session, actor=user, action="user.logged_in", obj=user)


def load_user_by_session_id(session: Session, session_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>.<auth_version>"`` of an active user."""
    user_id, _sep, version = session_id.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or user.auth_version != int(version):
        return None
    return user


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
        url=external_url("accounts.reset_password", token=raw),
    )


def _set_password(session: Session, user: User, password_hash: str) -> None:
    """Store a new password hash; log out other sessions and kill pending reset links."""
    user.password_hash = password_hash
    user.auth_version += 1
    session.add(user)
    revoke_tokens(session, user=user, purpose=TokenPurpose.PASSWORD_RESET)


def reset_password(session: Session, *, raw_token: str, password: str) -> User:
    """Set a new password through a reset link; other sessions are logged out."""
    password_hash = hash_password(password)  # before the first query: no lock held meanwhile
    user = use_token(session, raw=raw_token, purpose=TokenPurpose.PASSWORD_RESET)
    _set_password(session, user, password_hash)
    record(session, actor=user, action="user.password_reset", obj=user)
    return user


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current_password):
        raise DomainError(_l("The current password is not correct."))
    _set_password(session, user, hash_password(new_password))
    record(session, actor=user, action="user.password_changed", obj=user)


