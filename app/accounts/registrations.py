"""Applicants register in two steps: the form, then the link mailed to the
address it gives.

Registering answers the same whether the address is new or already has an
account: a new address gets a link that makes the account (and the
organisation, unless its credit code is registered), a taken one a mail
saying that someone tried to register with it. So the page tells nobody
which addresses have accounts, and nobody registers an organisation's code
with an address they do not read. Someone who joins an organisation that is
already registered learns its name only once a member approves them.

Plain functions over a session; they flush but never commit.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.accounts.services import (
    active_members,
    check_password_strength,
    hash_password,
    normalise_email,
    organisation_by_code,
    user_by_email,
    user_snapshot,
)
from app.audit.services import record
from app.enums import Membership, Role
from app.errors import InvalidToken
from app.i18n import lazy_gettext as _l
from app.mail import send_after_commit
from app.models import Organisation, PendingRegistration, User, UserRole
from app.notifications.services import notify
from app.urls import external_url, site_path

_INVALID_LINK = _l("This link is invalid, has expired or has already been used. Please register again.")


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_registration(
    session: Session,
    *,
    organisation_name: str,
    credit_code: str,
    city_code: str,
    contact_name: str,
    email: str,
    phone: str,
    password: str,
    now: datetime,
) -> None:
    """Mail the address either a link that finishes the registration or, when
    it already has an account, word that someone tried to register with it.

    ``credit_code`` must already be normalised. Says nothing either way: the
    caller shows the same page whatever happens.
    """
    email = normalise_email(email)
    check_password_strength(password, email=email, names=(contact_name, organisation_name))
    password_hash = hash_password(password)  # before the first query: no lock held meanwhile
    # Links nobody used are of no use to anyone once expired.
    delete_expired_registrations(session, now=now)
    existing = user_by_email(session, email)
    if existing is not None:
        record(session, actor=None, action="user.registration_attempted", obj=existing)
        send_after_commit(
            to=existing.email,
            subject=_("Someone tried to register with your address"),
            template="registration_taken",
            user=existing,
            login_url=external_url("accounts.login"),
            reset_url=external_url("accounts.forgot_password"),
        )
        return
    hours = current_app.config["REGISTRATION_LINK_HOURS"]
    raw = secrets.token_urlsafe(32)
    pending = PendingRegistration(
        token_hash=_token_hash(raw), email=email, organisation_name=organisation_name.strip(), credit_code=credit_code,
        city_code=city_code, contact_name=contact_name.strip(), phone=phone.strip(), password_hash=password_hash,
        created_at=now, expires_at=now + timedelta(hours=hours),
    )
    session.add(pending)
    session.flush()
    record(session, actor=None, action="registration.requested", obj=pending,
           after={"email": email, "credit_code": credit_code})
    send_after_commit(
        to=email,
        subject=_("Finish your registration with Scenario Showcase"),
        template="registration_confirm",
        name=pending.contact_name,
        hours=hours,
        url=external_url("accounts.confirm_registration", token=raw),
    )


def delete_expired_registrations(session: Session, *, now: datetime) -> int:
    """Delete registrations whose link expired, used or not: they hold a
    contact's details and a password hash nobody can use any more; how many."""
    return session.execute(
        sa.delete(PendingRegistration).where(PendingRegistration.expires_at <= now)
        .execution_options(synchronize_session=False)
    ).rowcount


def pending_registration(session: Session, *, raw: str, now: datetime, for_update: bool = False) -> PendingRegistration:
    """The still-valid registration of a mailed link, or InvalidToken."""
    query = select(PendingRegistration).where(PendingRegistration.token_hash == _token_hash(raw or ""))
    if for_update:
        query = query.with_for_update()  # one link clicked twice at once: the second waits, then sees it used
    pending = session.exec(query).first()
    if pending is None or pending.used_at is not None or pending.expires_at <= now:
        raise InvalidToken(_INVALID_LINK)
    return pending


@dataclass(frozen=True)
class Registration:
    user: User
    joined_existing: bool


def confirm_registration(session: Session, *, raw: str, now: datetime) -> Registration:
    """Make the account of a mailed link, and its organisation unless the
    credit code is registered: then the account is a *pending* member, which
    an approved member of that organisation has to accept before it can act
    for it (or learn the organisation's name)."""
    pending = pending_registration(session, raw=raw, now=now, for_update=True)
    pending.used_at = now
    session.add(pending)
    if user_by_email(session, pending.email) is not None:
        session.flush()
        raise InvalidToken(_l("An account with this email address already exists. Log in, or reset your password."))
    organisation = organisation_by_code(session, pending.credit_code)
    joined_existing = organisation is not None
    if organisation is None:
        organisation = Organisation(name=pending.organisation_name, credit_code=pending.credit_code,
                                    city_code=pending.city_code)
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
        email=pending.email,
        name=pending.contact_name,
        phone=pending.phone,
        password_hash=pending.password_hash,
        password_changed_at=now,
        organisation_id=organisation.id,
        membership=Membership.PENDING if joined_existing else Membership.ACTIVE,
        role_rows=[UserRole(role=Role.APPLICANT)],
    )
    session.add(user)
    session.flush()
    if joined_existing:
        record(session, actor=user, action="organisation.join_requested", obj=user, after=user_snapshot(user))
        for member in active_members(session, organisation.id):
            notify(session, user=member, kind="membership.requested",
                   params={"name": user.name, "organisation": organisation.name}, link=site_path("accounts.organisation"),
                   mail={"member": member, "applicant": user, "organisation": organisation}, now=now)
    else:
        record(session, actor=user, action="applicant.registered", obj=user, after=user_snapshot(user))
    return Registration(user=user, joined_existing=joined_existing)
