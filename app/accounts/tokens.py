"""Single-use, expiring link tokens (password reset, invitation)."""
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlmodel import Session, select

from app.db import utcnow
from app.enums import TokenPurpose
from app.errors import InvalidToken
from app.i18n import lazy_gettext as _l
from app.models import User, UserToken

_INVALID_LINK = _l("This link is invalid, has expired or has already been used. Please ask for a new one.")


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def revoke_tokens(session: Session, *, user: User, purpose: TokenPurpose | None = None) -> None:
    """Make the user's unused links (of one purpose, or all) stop working."""
    query = select(UserToken).where(UserToken.user_id == user.id, UserToken.used_at.is_(None))
    if purpose is not None:
        query = query.where(UserToken.purpose == purpose)
    now = utcnow()
    for token in session.exec(query):
        token.used_at = now
        session.add(token)


def issue_token(session: Session, *, user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """A fresh link token for ``user``; earlier unused ones of the same purpose stop working."""
    revoke_tokens(session, user=user, purpose=purpose)
    now = utcnow()
    raw = secrets.token_urlsafe(32)
    session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=_token_hash(raw), expires_at=now + lifetime))
    session.flush()
    return raw


def _valid_token(session: Session, *, raw: str, purpose: TokenPurpose, for_update: bool = False) -> tuple[UserToken, User]:
    query = select(UserToken).where(UserToken.token_hash == _token_hash(raw or ""))
    if for_update:
        # Two submissions of one link at once: the second waits, then sees it used.
        query = query.with_for_update()
    token = session.exec(query).first()
    if token is None or token.purpose != purpose or token.used_at is not None or token.expires_at <= utcnow():
        raise InvalidToken(_INVALID_LINK)
    # The link's pages show the roles, check the password against the
    # organisation's name and sign the user in: both come in the same query.
    user = session.get(User, token.user_id, options=[joinedload(User.role_rows), joinedload(User.organisation)])
    if not user.active:
        raise InvalidToken(_INVALID_LINK)
    return token, user


def check_token(session: Session, *, raw: str, purpose: TokenPurpose) -> User:
    """The user a still-valid token belongs to (for showing the form), or InvalidToken."""
    return _valid_token(session, raw=raw, purpose=purpose)[1]


def use_token(session: Session, *, raw: str, purpose: TokenPurpose) -> User:
    token, user = _valid_token(session, raw=raw, purpose=purpose, for_update=True)
    token.used_at = utcnow()
    session.add(token)
    return user




def delete_expired_tokens(session: Session, *, now: datetime) -> int:
    """Delete the link tokens past their expiry, used or not (no link can
    use them any more: the page says the same for a missing one); how many."""
    return session.execute(
        sa.delete(UserToken).where(UserToken.expires_at <= now).execution_options(synchronize_session=False)
    ).rowcount
