"""Accounts: applicants' organisations, passwords (set, reset, changed,
checked against the policy and the history), what the audit log records of
an account.

Plain functions over a session; they flush but never commit.
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.passwords import PasswordPolicy, check_password, personal_words
from app.accounts.sessions import end_sessions
from app.accounts.tokens import issue_token, revoke_tokens, use_token
from app.audit.services import record
from app.enums import Membership, SessionEnd, TokenPurpose
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.mail import send_after_commit
from app.models import Organisation, PasswordHistory, User
from app.notifications.services import in_chosen_language
from app.urls import external_url


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def password_policy() -> PasswordPolicy:
    return PasswordPolicy.from_config(current_app.config)


def password_words(*, email: str, names=(), user: User | None = None) -> list[str]:
    """What a new password must not contain: the email's local part, the
    person's and the organisation's names (of ``user`` when given)."""
    names = list(names)
    if user is not None:
        names.append(user.name)
        if user.organisation is not None:
            names.append(user.organisation.name)
    return personal_words(email=email, names=names)


def check_password_strength(password: str, *, email: str = "", names=(), user: User | None = None) -> None:
    """Raise DomainError when ``password`` breaks the policy (app/accounts/passwords.py)."""
    email = user.email if user is not None else email
    check_password(password, policy=password_policy(), words=password_words(email=email, names=names, user=user))


def check_password_history(session: Session, *, user: User, password: str) -> None:
    """Raise DomainError when ``password`` is the current one or one of the
    last ``PASSWORD_HISTORY`` - 1 before it (nothing when the history is off)."""
    keep = password_policy().history
    if not keep:
        return
    hashes = [user.password_hash] if user.password_hash else []
    hashes += session.exec(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc()).limit(max(keep - 1, 0))
    ).all()
    if any(check_password_hash(old, password) for old in hashes):
        raise DomainError(_l("Choose a password you have not used as one of your last %(n)s.", n=keep))


def password_matches(user: User, password: str) -> bool:
    """Whether ``password`` is the account's (to confirm a sensitive change)."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def password_expired(user: User, *, now: datetime) -> bool:
    """True when PASSWORD_MAX_AGE_DAYS is set and the password is older."""
    if user.password_hash is None:
        return False
    return password_policy().expired(user.password_changed_at or user.created_at, now=now)


# ``session.refresh(user, with_for_update=LOCK_USER_ROW)``: lock the users row
# only. A refresh repeats the user's loader options, and the login loader
# joins the roles and the organisation: PostgreSQL refuses a plain FOR UPDATE
# on the nullable side of those outer joins.
LOCK_USER_ROW = {"of": User}


def user_by_email(session: Session, email: str) -> User | None:
    """The account with this address, its roles selected in (signing in and
    inviting check them), or None."""
    return session.exec(select(User).where(User.email == normalise_email(email))
                        .options(selectinload(User.role_rows))).first()


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


def active_members(session: Session, organisation_id: int) -> list[User]:
    """The active members of an organisation (by id: the callers hold an entry or a row that names it)."""
    return list(
        session.exec(
            select(User)
            .where(User.organisation_id == organisation_id, User.membership == Membership.ACTIVE, User.active)
            .order_by(User.id)
        ).all()
    )


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
    url = external_url("accounts.reset_password", token=raw)
    with in_chosen_language(user):
        send_after_commit(
            to=user.email,
            subject=_("Reset your Scenario Showcase password"),
            template="password_reset",
            user=user,
            hours=hours,
            url=url,
        )


def set_password(session: Session, *, user: User, password: str, password_hash: str, now: datetime,
                 ending: SessionEnd | None) -> None:
    """Store a new password: checked against the policy and the history, the
    old hash kept for the history, every session ended (``ending``; the
    caller starts a new one for the browser that changed it), pending reset
    links revoked."""
    check_password_strength(password, user=user)
    check_password_history(session, user=user, password=password)
    keep = password_policy().history
    if user.password_hash and keep > 1:
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
        session.flush()
        old = session.exec(
            select(PasswordHistory).where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc()).offset(keep - 1)
        ).all()
        for row in old:
            session.delete(row)
    user.password_hash = password_hash
    user.password_changed_at = now
    session.add(user)
    if ending is not None:
        end_sessions(session, user=user, reason=ending, now=now)
    revoke_tokens(session, user=user, purpose=TokenPurpose.PASSWORD_RESET)


def reset_password(session: Session, *, raw_token: str, password: str, now: datetime) -> User:
    """Set a new password through a reset link: every session is logged out,
    and a lockout ends (whoever reads the account's mail is its owner)."""
    password_hash = hash_password(password)  # before the first query: no lock held meanwhile
    user = use_token(session, raw=raw_token, purpose=TokenPurpose.PASSWORD_RESET)
    set_password(session, user=user, password=password, password_hash=password_hash, now=now,
                 ending=SessionEnd.PASSWORD_RESET)
    if user.is_locked(now=now) or user.failed_logins:
        user.locked_until, user.failed_logins = None, 0
    record(session, actor=user, action="user.password_reset", obj=user)
    return user


def change_password(session: Session, *, user: User, current_password: str, new_password: str, now: datetime) -> None:
    """Change one's own password; every session ends, this one included."""
    if not user.password_hash or not check_password_hash(user.password_hash, current_password):
        raise DomainError(_l("The current password is not correct."))
    set_password(session, user=user, password=new_password, password_hash=hash_password(new_password), now=now,
                 ending=SessionEnd.PASSWORD_CHANGED)
    record(session, actor=user, action="user.password_changed", obj=user)


