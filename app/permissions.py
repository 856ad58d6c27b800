"""Who may do what: named predicates, and one way to enforce them.

Views load an object, then ``require(can_…(user, obj))``; a predicate that is
false becomes a 403 page.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from app.enums import Membership, Role


def require(allowed: bool) -> None:
    """Abort with 403 unless ``allowed``."""
    if not allowed:
        abort(403)


def has_role(user, *roles: Role) -> bool:
    return bool(user.is_authenticated and user.has_role(*roles))


def roles_required(*roles: Role):
    """Decorate a view so that only logged-in users with one of ``roles`` reach it."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            require(current_user.has_role(*roles))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_manage_calls(user) -> bool:
    return has_role(user, Role.CHAIR)


def can_manage_staff(user) -> bool:
    return has_role(user, Role.CHAIR)


def can_view_audit_log(user) -> bool:
    return has_role(user, Role.CHAIR)


def is_active_member(user, organisation_id: int | None) -> bool:
    """True for an applicant account that is an approved member of the organisation."""
    return bool(
        has_role(user, Role.APPLICANT)
        and organisation_id is not None
        and user.organisation_id == organisation_id
        and user.membership == Membership.ACTIVE
    )


def can_decide_membership(user, member) -> bool:
    """An approved member may approve or decline a colleague's request to join."""
    return member.id != user.id and is_active_member(user, member.organisation_id)
