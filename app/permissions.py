"""Who may do what: named predicates, and one way to enforce them.

Views load an object, then ``require(can_…(user, obj))``; a predicate that is
false becomes a 403 page.
"""
from functools import wraps

from flask import abort
from flask_login import current_user

from app.enums import EntryStatus, Membership, Phase, Role, SheetStatus


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


def can_view_organisation(user, organisation_id: int | None) -> bool:
    """Its approved members and chairs see an organisation's accounts."""
    return has_role(user, Role.CHAIR) or is_active_member(user, organisation_id)


def can_decide_membership(user, member) -> bool:
    """Approved members decide colleagues' pending requests to join; chairs
    may also remove or reinstate any applicant account."""
    if member.organisation_id is None or member.id == user.id:
        return False
    if has_role(user, Role.CHAIR):
        return True
    return member.membership == Membership.PENDING and is_active_member(user, member.organisation_id)


_MEMBERSHIP_DECISIONS = {
    Membership.PENDING: ("approve", "decline"),
    Membership.ACTIVE: ("remove",),
    Membership.REJECTED: ("reinstate",),
}


def membership_decisions(user, member) -> tuple[str, ...]:
    """The membership buttons ``user`` may press for ``member``."""
    if member.membership is None or not can_decide_membership(user, member):
        return ()
    return _MEMBERSHIP_DECISIONS[member.membership]


# --- entries ----------------------------------------------------------------


def can_view_entry(user, entry) -> bool:
    """The entry's organisation sees its own entries; chairs see every entry.

    Experts will see the entries assigned to them (review), publicity staff
    the published ones (library); neither exists yet, so neither sees any.
    """
    return has_role(user, Role.CHAIR) or is_active_member(user, entry.organisation_id)


def can_edit_entry(user, entry, *, now) -> bool:
    """Members edit a draft while submissions are open, or a returned entry
    until its resubmission deadline."""
    if not is_active_member(user, entry.organisation_id):
        return False
    if entry.status == EntryStatus.DRAFT:
        return entry.call.is_phase_open(Phase.SUBMISSION, now=now)
    if entry.status == EntryStatus.RETURNED:
        return entry.revision_deadline is not None and now < entry.revision_deadline
    return False


def can_create_entry(user, call, *, now) -> bool:
    return is_active_member(user, user.organisation_id) and call.is_phase_open(Phase.SUBMISSION, now=now)


def can_check_entries(user) -> bool:
    return has_role(user, Role.CHAIR)


# --- expert review ----------------------------------------------------------


def can_manage_review(user) -> bool:
    """Chairs form panels, assign experts, watch progress and reopen sheets."""
    return has_role(user, Role.CHAIR)


def owns_assignment(user, assignment) -> bool:
    """An expert's own, still active assignment (removed ones are closed to them)."""
    return bool(
        has_role(user, Role.EXPERT) and assignment is not None and assignment.expert_id == user.id and assignment.active
    )


def can_score(user, assignment, sheet, *, call, now) -> bool:
    """Experts change their own draft sheet while the review phase runs."""
    return (
        owns_assignment(user, assignment)
        and sheet is not None
        and sheet.expert_id == user.id
        and sheet.status == SheetStatus.DRAFT
        and call.is_phase_open(Phase.REVIEW, now=now)
    )


def can_edit_expert_profile(user, expert) -> bool:
    """Chairs edit any expert's profile; an expert edits their own."""
    if expert is None or not expert.has_role(Role.EXPERT):
        return False
    return has_role(user, Role.CHAIR) or (has_role(user, Role.EXPERT) and user.id == expert.id)


def can_set_assignment_cap(user) -> bool:
    """Only chairs cap how many entries an expert gets per call."""
    return has_role(user, Role.CHAIR)


def can_schedule_defence(user) -> bool:
    """Chairs schedule the defence sessions of a round and print their schedule."""
    return has_role(user, Role.CHAIR)


def can_confirm_defence_slot(user, entry) -> bool:
    """The entry's organisation confirms its own defence session."""
    return is_active_member(user, entry.organisation_id)


def can_view_defence_slot(user, entry) -> bool:
    """Chairs and the entry's organisation see when and where it defends."""
    return has_role(user, Role.CHAIR) or is_active_member(user, entry.organisation_id)


# --- results ----------------------------------------------------------------


def can_manage_results(user) -> bool:
    """Chairs compute results, override the selection and publish snapshots."""
    return has_role(user, Role.CHAIR)


def can_view_results(user) -> bool:
    """Chairs and publicity staff open the results pages (experts never do)."""
    return has_role(user, Role.CHAIR, Role.PUBLICITY)


def can_view_run(user, run) -> bool:
    """Chairs see drafts and snapshots; publicity staff only published snapshots."""
    if run is None:
        return False
    return has_role(user, Role.CHAIR) or (has_role(user, Role.PUBLICITY) and run.published)


def can_view_expert_statistics(user) -> bool:
    """How each expert scored (leniency, speed) stays with the chairs."""
    return has_role(user, Role.CHAIR)


# --- brochure ---------------------------------------------------------------


def can_curate_library(user) -> bool:
    """Publicity staff and chairs curate the public case library: feature,
    hide with a reason, rewrite a public summary, set the home page headline."""
    return has_role(user, Role.CHAIR, Role.PUBLICITY)


def can_build_brochure(user) -> bool:
    """Publicity staff and chairs build and download a call's PDF brochure."""
    return has_role(user, Role.CHAIR, Role.PUBLICITY)


# --- the programme and certificates ------------------------------------------------


def can_view_programme(user) -> bool:
    """Chairs and publicity staff follow the programme's progress towards its target."""
    return has_role(user, Role.CHAIR, Role.PUBLICITY)


def can_manage_certificates(user) -> bool:
    """Chairs set up, issue and build a call's certificates and download them all."""
    return has_role(user, Role.CHAIR)


def can_download_certificate(user, certificate) -> bool:
    """The approved members of the certificate's organisation, and chairs."""
    return has_role(user, Role.CHAIR) or is_active_member(user, certificate.organisation_id)
