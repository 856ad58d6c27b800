"""Logging in: checking a password, counting failures, locking an account
after ``LOGIN_LOCKOUT_ATTEMPTS`` failures in a row for
``LOGIN_LOCKOUT_MINUTES``, and the chair's unlock.

The answer to a failed login is the same whatever went wrong (no such
account, wrong password, deactivated, locked): only the audit log, the
chair's people page and a mail to the account's owner tell that an account
was locked. Plain functions over a session; they flush but never commit.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.services import LOCK_USER_ROW, user_by_email
from app.accounts.sessions import start_session
from app.audit.services import Subject, record
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.mail import send_after_commit
from app.models import User
from app.notifications.services import in_chosen_language
from app.urls import external_url

# A valid hash to check against when the account does not exist or is locked,
# so that every refusal takes as long as a wrong password (no account enumeration).
_DUMMY_HASH: dict[str, str] = {}


class Refusal(StrEnum):
    """Why a login was refused (recorded in the audit log, never shown)."""

    UNKNOWN = "unknown_account"
    NO_PASSWORD = "no_password"  # an invitation not yet accepted
    LOCKED = "locked"
    PASSWORD = "wrong_password"
    SECOND_FACTOR = "wrong_second_factor"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginCheck:
    """The outcome of checking a password: the account it names (if any) and
    why it may not log in (None: it may)."""

    user_id: int | None
    refusal: Refusal | None

    @property
    def ok(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int
    duration: timedelta

    @classmethod
    def from_config(cls, config) -> "LockoutPolicy":
        return cls(attempts=config["LOGIN_LOCKOUT_ATTEMPTS"], duration=timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]))


def _dummy_check(password: str) -> None:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    dummy = _DUMMY_HASH.setdefault(method, generate_password_hash("dummy-password", method=method))
    check_password_hash(dummy, password)


def check_credentials(session: Session, *, email: str, password: str, now: datetime) -> LoginCheck:
    """Check a login's password. Only reads: the caller can run it outside a
    write transaction, so the slow hash check holds no lock. A locked
    account's password is not even checked (a guess during the lock learns
    nothing)."""
    user = user_by_email(session, email)
    if user is None or user.password_hash is None:
        _dummy_check(password)
        return LoginCheck(user.id if user else None, Refusal.NO_PASSWORD if user else Refusal.UNKNOWN)
    if user.is_locked(now=now):
        _dummy_check(password)
        return LoginCheck(user.id, Refusal.LOCKED)
    if not check_password_hash(user.password_hash, password):
        return LoginCheck(user.id, Refusal.PASSWORD)
    if not user.active:
        return LoginCheck(user.id, Refusal.INACTIVE)
    return LoginCheck(user.id, None)


def record_failed_login(session: Session, *, email: str, check: LoginCheck, now: datetime,
                        policy: LockoutPolicy) -> None:
    """Audit a refused login; a wrong password or second-factor code counts
    towards the lockout, and the last allowed one locks the account (the
    owner is told by mail)."""
    user = session.get(User, check.user_id) if check.user_id is not None else None
    if user is None:
        record(session, actor=None, action="user.login_failed", obj=Subject("users"),
               after={"email": email, "reason": check.refusal.value})
        return
    session.refresh(user, with_for_update=LOCK_USER_ROW)  # parallel failures all count
    record(session, actor=None, action="user.login_failed", obj=user,
           after={"email": user.email, "reason": check.refusal.value})
    if check.refusal not in (Refusal.PASSWORD, Refusal.SECOND_FACTOR) or user.is_locked(now=now):
        return
    user.failed_logins += 1
    if user.failed_logins >= policy.attempts:
        user.locked_until = now + policy.duration
        user.failed_logins = 0
        record(session, actor=None, action="user.locked", obj=user,
               after={"locked_until": user.locked_until.isoformat(), "failed_logins": policy.attempts})
        with in_chosen_language(user):
            send_after_commit(
                to=user.email,
                subject=_("Your Scenario Showcase account has been locked"),
                template="account_locked",
                user=user,
                attempts=policy.attempts,
                until=format_datetime(user.locked_until, "short"),
                url=external_url("accounts.forgot_password"),
            )
    session.add(user)


def sign_in(session: Session, *, user: User, now: datetime, ip_address: str | None, user_agent: str) -> str:
    """A successful login: a new session (its token returned and attached to
    ``user``), the failure count starts again, the audit log has it."""
    token = start_session(session, user=user, now=now, ip_address=ip_address, user_agent=user_agent)
    user.last_login_at = now
    user.failed_logins = 0
    session.add(user)
    record(session, actor=user, action="user.logged_in", obj=user)
    return token


def locked_users(session: Session, *, now: datetime) -> list[User]:
    """Accounts locked at ``now`` (any role), the longest lock first."""
    return list(session.exec(
        select(User).where(User.locked_until.is_not(None), User.locked_until > now)
        .order_by(User.locked_until.desc(), User.email).options(selectinload(User.role_rows))  # the list shows them
    ).all())


def unlock(session: Session, *, actor: User, user: User, now: datetime) -> None:
    """End an account's lockout before its time (a chair's button)."""
    session.refresh(user, with_for_update=LOCK_USER_ROW)
    if not user.is_locked(now=now):
        raise DomainError(_l("This account is not locked."))
    before = {"locked_until": user.locked_until.isoformat()}
    user.locked_until, user.failed_logins = None, 0
    session.add(user)
    record(session, actor=actor, action="user.unlocked", obj=user, before=before)
