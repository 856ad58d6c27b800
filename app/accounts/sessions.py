"""Login sessions on the server: started at login, checked on every request,
touched at most once a minute, ended by logging out, by a password change or
reset, by deactivation, by idling past the timeout or by reaching the
absolute lifetime.

The browser keeps only the session's random token, as Flask-Login's id in
the signed session cookie; the ``user_sessions`` row keeps its SHA-256, so
a copied cookie stops working the moment its row ends. Plain functions over
a session; they flush but never commit.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from sqlmodel import Session, select

from app.audit.services import record
from app.enums import SessionEnd
from app.models import User, UserSession


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: idle timeouts (staff, applicants), the
    absolute lifetime, and how often ``last_seen_at`` is written."""

    idle_staff: timedelta
    idle_applicant: timedelta
    absolute: timedelta
    touch_every: timedelta = timedelta(seconds=60)

    @classmethod
    def from_config(cls, config) -> "SessionPolicy":
        return cls(
            idle_staff=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            idle_applicant=timedelta(minutes=config["SESSION_IDLE_MINUTES_APPLICANT"]),
            absolute=timedelta(minutes=config["SESSION_ABSOLUTE_MINUTES"]),
            touch_every=timedelta(seconds=config["SESSION_TOUCH_SECONDS"]),
        )

    def idle_for(self, user: User) -> timedelta:
        return self.idle_applicant if user.is_applicant else self.idle_staff


def start_session(session: Session, *, user: User, now: datetime, ip_address: str | None, user_agent: str) -> str:
    """A new session for ``user``; returns its token (also attached to ``user``)."""
    raw = secrets.token_urlsafe(32)
    session.add(UserSession(
        user_id=user.id, token_hash=token_hash(raw), created_at=now, last_seen_at=now,
        ip_address=(ip_address or None) and ip_address[:45], user_agent=(user_agent or "")[:255],
    ))
    session.flush()
    user.attach_session(raw)
    return raw


@dataclass(frozen=True)
class SessionCheck:
    """What a request's session token is worth: the open row and its user
    (``valid``), the reason it must end now (``ending``), and whether its
    ``last_seen_at`` is due for an update (``touch_due``)."""

    row: UserSession | None = None
    user: User | None = None
    ending: SessionEnd | None = None
    touch_due: bool = False

    @property
    def valid(self) -> bool:
        return self.row is not None and self.user is not None and self.ending is None


def check_session(session: Session, *, raw: str, now: datetime, policy: SessionPolicy) -> SessionCheck:
    """Look the token up (only reads): the session, its user, the user's roles
    and organisation in one query, since every request of a logged-in user
    asks (every page checks the roles, an applicant's pages show the
    organisation)."""
    found = session.exec(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id, isouter=True)
        .where(UserSession.token_hash == token_hash(raw or ""))
        .options(joinedload(User.role_rows), joinedload(User.organisation))
    ).unique().first()
    if found is None or found[0].ended_at is not None:
        return SessionCheck()
    row, user = found
    if user is None or not user.active:
        return SessionCheck(row=row, ending=SessionEnd.DEACTIVATED)
    if now - row.created_at >= policy.absolute:
        return SessionCheck(row=row, user=user, ending=SessionEnd.EXPIRED)
    if now - row.last_seen_at >= policy.idle_for(user):
        return SessionCheck(row=row, user=user, ending=SessionEnd.IDLE)
    return SessionCheck(row=row, user=user, touch_due=now - row.last_seen_at >= policy.touch_every)


def expires_at(row: UserSession, user: User, *, policy: SessionPolicy) -> tuple[datetime, bool]:
    """When the session ends if nothing happens, and whether that is the
    idle timeout (True: activity or "stay logged in" extends it) or the
    absolute lifetime (False: only logging in again helps)."""
    idle_end = row.last_seen_at + policy.idle_for(user)
    absolute_end = row.created_at + policy.absolute
    return (idle_end, True) if idle_end < absolute_end else (absolute_end, False)


def touch_session(session: Session, *, row: UserSession, now: datetime) -> None:
    row.last_seen_at = now
    session.add(row)


def end_session(session: Session, *, row: UserSession, reason: SessionEnd, now: datetime) -> None:
    """End one session; logging out and timeouts are audited on the account."""
    if row.ended_at is not None:
        return
    row.ended_at, row.end_reason = now, reason
    session.add(row)
    user = session.get(User, row.user_id)
    if reason == SessionEnd.LOGOUT:
        record(session, actor=user, action="user.logged_out", obj=user)
    elif reason in (SessionEnd.IDLE, SessionEnd.EXPIRED):
        record(session, actor=None, action="user.session_expired", obj=user, after={"reason": reason.value})


def end_sessions(session: Session, *, user: User, reason: SessionEnd, now: datetime) -> int:
    """End every open session of ``user`` (the caller audits why); returns how many."""
    result = session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason.value)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def open_sessions(session: Session, *, user: User) -> list[UserSession]:
    return list(session.exec(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.created_at.desc())
    ).all())


def delete_old_sessions(session: Session, *, now: datetime, keep: timedelta, policy: SessionPolicy) -> int:
    """Delete login sessions that ended more than ``keep`` ago, and those never
    ended by a request but past their absolute lifetime as long; how many.
    (Logins and logouts stay in the audit log.)"""
    cutoff = now - keep
    return session.execute(
        sa.delete(UserSession)
        .where(sa.or_(UserSession.ended_at < cutoff, UserSession.created_at < cutoff - policy.absolute))
        .execution_options(synchronize_session=False)
    ).rowcount
