"""Applicant organisations and who may act for them."""
import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.services import LOCK_USER_ROW, user_snapshot
from app.accounts.sessions import end_sessions
from app.audit.services import record
from app.db import utcnow
from app.enums import Membership, SessionEnd
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.input_rules import page_within
from app.models import Organisation, User
from app.notifications.services import notify
from app.urls import site_path

_MEMBERSHIP_ACTIONS = {
    (Membership.PENDING, Membership.ACTIVE): "organisation.join_approved",
    (Membership.PENDING, Membership.REJECTED): "organisation.join_declined",
    (Membership.REJECTED, Membership.ACTIVE): "organisation.member_reinstated",
    (Membership.ACTIVE, Membership.REJECTED): "organisation.member_removed",
}


def set_membership(session: Session, *, actor: User, member: User, membership: Membership, reason: str | None = None) -> None:
    """Approve, decline, remove or reinstate an applicant's membership of its organisation.

    Members of the organisation may only decide pending requests; a chair may
    also remove a member (say, one who registered a company's code without
    working there) or reinstate a declined one. The caller checks who may.
    """
    # Lock the row: an approval and a decline clicked at once must not both pass.
    session.refresh(member, with_for_update=LOCK_USER_ROW)
    action = _MEMBERSHIP_ACTIONS.get((member.membership, membership))
    if action is None:
        raise DomainError(_l("This request has already been decided."))
    before = user_snapshot(member)
    # Who was never a member learns the organisation's name only when approved.
    organisation = member.organisation
    known = membership == Membership.ACTIVE or member.membership == Membership.ACTIVE
    # Lazy: the mail writes it in the member's language.
    organisation_label = organisation.name if known else _l(
        "the organisation with the credit code %(code)s", code=organisation.credit_code)
    member.membership = membership
    if membership != Membership.ACTIVE:
        # Whatever the account had open for the organisation is closed.
        end_sessions(session, user=member, reason=SessionEnd.MEMBERSHIP_CHANGED, now=utcnow())
    session.add(member)
    record(session, actor=actor, action=action, obj=member, before=before, after=user_snapshot(member), reason=reason)
    notify(session, user=member, kind="membership.decided",
           params={"organisation": organisation.name if known else None, "credit_code": organisation.credit_code,
                   "approved": membership == Membership.ACTIVE},
           link=site_path("main.dashboard"),
           mail={"member": member, "organisation": organisation_label, "approved": membership == Membership.ACTIVE,
                 "reason": reason})


def list_organisations(session: Session, *, query: str = "", page: int = 1, per_page: int = 50):
    """Organisations matching ``query`` (name or credit code), by name; returns
    ``(rows, total, page)`` (a page past the end is the last one).

    Each row is ``(organisation, members, pending)`` with the counts of active
    and pending accounts.
    """
    members = sa.func.count(User.id).filter(User.membership == Membership.ACTIVE)
    pending = sa.func.count(User.id).filter(User.membership == Membership.PENDING)
    statement = (
        select(Organisation, members, pending)
        .join(User, User.organisation_id == Organisation.id, isouter=True)
        .group_by(Organisation.id)
    )
    if query:
        pattern = f"%{query.strip()}%"
        statement = statement.where(sa.or_(Organisation.name.ilike(pattern), Organisation.credit_code.ilike(pattern.upper())))
    total = session.exec(select(sa.func.count()).select_from(statement.subquery())).one()
    page = page_within(page, total, per_page)
    rows = session.exec(
        statement.order_by(pending.desc(), Organisation.name).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return rows, total, page


def organisation_members(session: Session, *, organisation_id: int) -> list[User]:
    """Every account of the organisation, whatever its membership, oldest first."""
    return list(session.exec(select(User).where(User.organisation_id == organisation_id).order_by(User.id)).all())


def pending_members(session: Session, *, organisation_id: int) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.organisation_id == organisation_id, User.membership == Membership.PENDING).order_by(User.id)
        ).all()
    )
