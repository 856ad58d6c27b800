"""Staff accounts: invitations, roles, deactivation."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from app.accounts.services import (
    check_password_strength,
    hash_password,
    normalise_email,
    set_password,
    user_by_email,
    user_snapshot,
)
from app.accounts.sessions import end_sessions
from app.accounts.tokens import issue_token, revoke_tokens, use_token
from app.audit.services import record
from app.db import utcnow
from app.enums import STAFF_ROLES, Role, SessionEnd, TokenPurpose
from app.errors import DomainError, NotAllowed
from app.i18n import lazy_gettext as _l
from app.models import User, UserRole
from app.notifications.services import notify
from app.urls import external_url, site_path


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
    url = external_url("accounts.accept_invitation", token=raw)
    # The link holds a single-use token: it goes into the mail only, never into the stored notification.
    notify(session, user=user, kind="invitation", params={"inviter": inviter.name if inviter else None},
           link=site_path("main.dashboard"),
           mail={"inviter": inviter, "roles": sorted(user.roles), "days": days, "url": url})
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
    record(session, actor=inviter, action="user.invited", obj=user, after=user_snapshot(user))
    return user, _send_invitation(session, inviter=inviter, user=user)


def resend_invitation(session: Session, *, inviter: User, user: User) -> None:
    if not user.invitation_pending:
        raise DomainError(_l("This person has already accepted the invitation."))
    _send_invitation(session, inviter=inviter, user=user)
    record(session, actor=inviter, action="user.invitation_resent", obj=user)


def accept_invitation(session: Session, *, raw_token: str, name: str, phone: str, password: str,
                      now: datetime) -> User:
    """Set the invited user's name, phone and password; the link is used up."""
    password_hash = hash_password(password)  # before the first query: no lock held meanwhile
    user = use_token(session, raw=raw_token, purpose=TokenPurpose.INVITATION)
    before = user_snapshot(user)
    user.name = name.strip()
    user.phone = phone.strip()
    set_password(session, user=user, password=password, password_hash=password_hash, now=now, ending=None)
    record(session, actor=user, action="user.invitation_accepted", obj=user, before=before, after=user_snapshot(user))
    return user


def create_staff_user(session: Session, *, email: str, name: str, roles, password: str) -> User:
    """Create a staff account with a password (CLI and demo data)."""
    roles = _check_staff_roles(roles)
    email = normalise_email(email)
    check_password_strength(password, email=email, names=(name,))
    if user_by_email(session, email) is not None:
        raise DomainError(_l("There is already an account with this email address."))
    user = User(
        email=email, name=name, password_hash=hash_password(password), password_changed_at=utcnow(),
        role_rows=[UserRole(role=role) for role in sorted(roles)],
    )
    session.add(user)
    session.flush()
    record(session, actor=None, action="user.created", obj=user, after=user_snapshot(user))
    return user


def update_staff(session: Session, *, actor: User, user: User, roles, active: bool, now: datetime) -> None:
    """Change a staff account's roles and whether it may log in."""
    if user.is_applicant:
        raise NotAllowed(_l("Applicant accounts cannot be given staff roles."))
    roles = _check_staff_roles(roles)
    if user.id == actor.id and (Role.CHAIR not in roles or not active):
        raise DomainError(_l("You cannot remove your own chair role or deactivate yourself; ask another chair."))
    before = user_snapshot(user)
    current = {row.role: row for row in user.role_rows}
    for role in set(current) - roles:
        user.role_rows.remove(current[role])
    for role in sorted(roles - set(current)):
        user.role_rows.append(UserRole(role=role))
    if user.active != active:
        user.active = active
        if not active:  # a deactivated account is logged out at once, its links stop working
            end_sessions(session, user=user, reason=SessionEnd.DEACTIVATED, now=now)
            revoke_tokens(session, user=user)
    session.add(user)
    session.flush()
    after = user_snapshot(user)
    if after != before:
        record(session, actor=actor, action="user.updated", obj=user, before=before, after=after)


def staff_users(session: Session, *, role: Role | None = None) -> list[User]:
    """Everyone who is not an applicant, optionally with one role."""
    roles = [role] if role else list(STAFF_ROLES)
    holders = select(UserRole.user_id).where(UserRole.role.in_(roles))
    return list(session.exec(select(User).where(User.id.in_(holders)).order_by(User.email)
                             .options(selectinload(User.role_rows))).all())  # the list shows them


