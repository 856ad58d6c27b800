"""The second factor of chair and publicity accounts: a time-based one-time
code (TOTP, RFC 6238: six digits, 30 seconds, an authenticator app such as
Microsoft/Google Authenticator or 腾讯身份验证器) asked after the password,
and single-use recovery codes for a lost phone.

Enrolling shows a QR code (drawn here as a PNG, no outside service) of the
``otpauth://`` address and the secret; a first code confirms it. A code is
accepted within one step either side of now, and never twice (the last step
used is kept). Recovery codes are stored as SHA-256 hashes. With
``TWO_FACTOR_REQUIRED`` chair and publicity accounts must enrol at their
next login; a chair can reset another account's second factor (it then
enrols again). Plain functions over a session; they flush but never commit.
"""
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.services import LOCK_USER_ROW
from app.accounts.sessions import end_sessions
from app.audit.services import record
from app.enums import Role, SessionEnd
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.models import RecoveryCode, User

ROLES = (Role.CHAIR, Role.PUBLICITY)
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def can_use(user) -> bool:
    """Chair and publicity accounts may (or, with TWO_FACTOR_REQUIRED, must) use a second factor."""
    return bool(user.has_role(*ROLES))


def needed(user: User, *, required: bool) -> bool:
    """Whether logging in asks this account for a second factor (or to enrol one)."""
    return user.second_factor_enabled or (required and can_use(user))


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_code(uri: str) -> str:
    """The QR code of ``uri`` as a PNG data URI (served with the page)."""
    return segno.make(uri, error="m").png_data_uri(scale=5, border=4)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _matching_step(secret: str, code: str, *, now: datetime, after: int | None) -> int | None:
    """The time step (now, or one either side) whose code is ``code``, if later than ``after``."""
    code = _normalise(code)
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _issue_recovery_codes(session: Session, *, user: User, now: datetime) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _n in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(raw), created_at=now))
    session.flush()
    return codes


def enable(session: Session, *, user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Turn the second factor on once ``code`` proves the app holds ``secret``;
    returns the new recovery codes (shown once, stored hashed)."""
    if not can_use(user):
        raise DomainError(_l("Two-step verification is for chair and publicity accounts."))
    session.refresh(user, with_for_update=LOCK_USER_ROW)
    if user.second_factor_enabled:
        raise DomainError(_l("Two-step verification is already on for this account."))
    step = _matching_step(secret, code, now=now, after=None)
    if step is None:
        raise DomainError(_l("The code is not correct. Check that the time on your phone is right, and type the "
                             "code the app shows now."))
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    session.add(user)
    record(session, actor=user, action="user.second_factor_enabled", obj=user)
    return _issue_recovery_codes(session, user=user, now=now)


def verify(session: Session, *, user: User, code: str, now: datetime) -> bool:
    """Check a login's second factor: the app's current code (once) or an
    unused recovery code (then used up)."""
    session.refresh(user, with_for_update=LOCK_USER_ROW)  # the same code sent twice at once: one wins
    if not user.second_factor_enabled:
        return False
    step = _matching_step(user.totp_secret, code, now=now, after=user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        session.add(user)
        return True
    recovery = session.exec(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                   RecoveryCode.code_hash == _hash_recovery(code))
    ).first()
    if recovery is None:
        return False
    recovery.used_at = now
    session.add(recovery)
    record(session, actor=user, action="user.recovery_code_used", obj=user,
           after={"recovery_codes_left": remaining_recovery_codes(session, user=user)})
    return True


def remaining_recovery_codes(session: Session, *, user: User) -> int:
    session.flush()
    return session.exec(
        select(sa.func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).one()


def new_recovery_codes(session: Session, *, user: User, now: datetime) -> list[str]:
    """Replace the account's recovery codes (the old ones stop working)."""
    if not user.second_factor_enabled:
        raise DomainError(_l("Two-step verification is not on for this account."))
    record(session, actor=user, action="user.recovery_codes_renewed", obj=user)
    return _issue_recovery_codes(session, user=user, now=now)


def _clear(session: Session, user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    session.add(user)
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(session: Session, *, user: User, required: bool) -> None:
    """Turn one's own second factor off (not while the settings require it)."""
    if required and can_use(user):
        raise DomainError(_l("Two-step verification is required for your account; it cannot be turned off."))
    if not user.second_factor_enabled:
        raise DomainError(_l("Two-step verification is not on for this account."))
    _clear(session, user)
    record(session, actor=user, action="user.second_factor_disabled", obj=user)


def reset(session: Session, *, actor: User, user: User, now: datetime) -> None:
    """A chair turns another account's second factor off (a lost phone): its
    sessions end, and it enrols again at its next login when required."""
    if actor.id == user.id:
        raise DomainError(_l("Ask another chair to reset your own two-step verification."))
    if not user.second_factor_enabled:
        raise DomainError(_l("Two-step verification is not on for this account."))
    _clear(session, user)
    end_sessions(session, user=user, reason=SessionEnd.SECOND_FACTOR_RESET, now=now)
    record(session, actor=actor, action="user.second_factor_reset", obj=user)
