"""Recording notifications and queueing their mails; the reader's list.

:func:`notify` is called by the service that makes the state change, in
the same transaction: it adds the row, and for kinds that mail, renders the
mail in the recipient's language and stores it in the outbox
(:func:`app.mail.send_after_commit`), sent by the worker after the commit.
Services flush, never commit.
"""
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import force_locale
from sqlmodel import Session, select

from app.audit.services import record
from app.db import utcnow
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.input_rules import page_within
from app.jobs import as_request
from app.mail import send_after_commit
from app.models import Notification, User
from app.notifications.labels import KINDS, mutable_kinds, sentence

PER_PAGE = 20


def mail_language(user: User) -> str:
    """The language of ``user``'s mails: their choice, else the site's."""
    languages = current_app.config["LANGUAGES"]
    return user.language if user.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def in_language_of(user: User) -> Iterator[None]:
    """Render what the block renders (a mail) in ``user``'s mail language —
    in a command too, which has no request (rendering needs one)."""
    with (nullcontext() if has_request_context() else as_request()), force_locale(mail_language(user)):
        yield


@contextmanager
def in_chosen_language(user: User) -> Iterator[None]:
    """Render a mail a person causes from their own browser (a reset link, a
    lockout warning) in the language they chose for mails, else in the
    page's (the best guess for someone who chose none)."""
    with force_locale(user.language) if user.language in current_app.config["LANGUAGES"] else nullcontext():
        yield


def absolute(link: str) -> str:
    """A path inside the site as a link for a mail, on ``BASE_URL``."""
    return current_app.config["BASE_URL"].rstrip("/") + link


def notify(session: Session, *, user: User, kind: str, params: dict[str, Any], link: str,
           mail: dict[str, Any] | None = None, now: datetime | None = None) -> Notification:
    """Tell ``user`` about a change: a notification row and, for a kind that
    mails, a queued mail in the user's language — unless the user turned
    that kind of mail off (essential kinds always go).

    ``params`` are what the sentence needs (JSON values); ``link`` is a path
    inside the site; ``mail`` adds to the mail template's context (objects
    may go there: the mail is rendered now), its ``url`` replacing the
    link's (an invitation's single-use link, which must not be stored);
    ``now`` is the time of the change (default: now). Adds, without a
    flush of its own: a run that tells hundreds of people goes out with
    the caller's next flush.
    """
    spec = KINDS[kind]
    notification = Notification(user_id=user.id, kind=kind, params=params, link=link, created_at=now or utcnow())
    session.add(notification)
    if spec.template and (spec.essential or kind not in (user.muted_mails or [])):
        context = {"user": user, "params": params, "url": absolute(link)} | (mail or {})
        with in_language_of(user):
            send_after_commit(to=user.email, subject=sentence(kind, params), template=spec.template, session=session,
                              **context)
    return notification


# --- the reader's side -------------------------------------------------------------


def unread_count(session: Session, *, user_id: int) -> int:
    """How many of the user's notifications are unread (one indexed count)."""
    return session.exec(
        select(sa.func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).one()


def page_of(session: Session, *, user_id: int, page: int = 1, per_page: int = PER_PAGE):
    """The user's notifications, newest first: ``(rows, total, page)`` (a page
    past the end is the last one)."""
    total = session.exec(select(sa.func.count(Notification.id)).where(Notification.user_id == user_id)).one()
    page = page_within(page, total, per_page)
    rows = session.exec(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total, page


def mark_read(session: Session, *, notification: Notification, now: datetime) -> None:
    """Mark one notification read (a read one keeps its first time). Flushes."""
    if notification.read_at is None:
        notification.read_at = now
        session.add(notification)
        session.flush()


def mark_all_read(session: Session, *, user_id: int, now: datetime) -> int:
    """Mark all of the user's unread notifications read; how many."""
    return session.execute(
        sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now).execution_options(synchronize_session=False)
    ).rowcount


# --- the user's mail settings ---------------------------------------------------------


def set_mail_preferences(session: Session, *, user: User, language: str, muted: list[str]) -> None:
    """Store the language of ``user``'s mails and the kinds of mail they
    turned off (only non-essential kinds can be); audited. Flushes."""
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("Choose one of the languages offered."))
    allowed = {kind.key for kind in mutable_kinds()}
    if not set(muted) <= allowed:
        raise DomainError(_l("Only the mails listed can be turned off."))
    before = {"language": user.language, "muted_mails": list(user.muted_mails or [])}
    user.language = language
    user.muted_mails = sorted(set(muted))
    session.add(user)
    session.flush()
    after = {"language": user.language, "muted_mails": user.muted_mails}
    if after != before:
        record(session, actor=user, action="user.mail_settings_changed", obj=user, before=before, after=after)
