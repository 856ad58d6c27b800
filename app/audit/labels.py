"""What the audit log and the histories call an action, translated: the
accounts and security events and the downloads. Actions without a label are
shown by their key (``call.updated``); entries' own steps are labelled by
``app/entries/history.py``."""
from app.i18n import lazy_gettext as _l

ACTION_LABELS = {
    # Logging in and out, sessions, lockout.
    "user.logged_in": _l("Logged in"),
    "user.logged_out": _l("Logged out"),
    "user.login_failed": _l("Failed login"),
    "user.session_expired": _l("Session ended by the timeout"),
    "user.locked": _l("Account locked after failed logins"),
    "user.unlocked": _l("Account unlocked by a chair"),
    # Passwords and the second factor.
    "user.password_changed": _l("Password changed"),
    "user.password_reset_requested": _l("Password reset requested"),
    "user.password_reset": _l("Password reset through the emailed link"),
    "user.second_factor_enabled": _l("Two-step verification turned on"),
    "user.second_factor_disabled": _l("Two-step verification turned off"),
    "user.second_factor_reset": _l("Two-step verification reset by a chair"),
    "user.recovery_code_used": _l("Recovery code used to log in"),
    "user.recovery_codes_renewed": _l("New recovery codes made"),
    "user.mail_settings_changed": _l("Mail settings changed"),
    # Accounts and organisations.
    "registration.requested": _l("Registration started (link mailed)"),
    "user.registration_attempted": _l("Someone tried to register with this address"),
    "applicant.registered": _l("Applicant registered"),
    "user.created": _l("Account created"),
    "user.invited": _l("Invited"),
    "user.invitation_resent": _l("Invitation sent again"),
    "user.invitation_accepted": _l("Invitation accepted"),
    "user.updated": _l("Roles or status changed"),
    "organisation.created": _l("Organisation registered"),
    "organisation.join_requested": _l("Asked to join the organisation"),
    "organisation.join_approved": _l("Request to join approved"),
    "organisation.join_declined": _l("Request to join declined"),
    "organisation.member_removed": _l("Removed from the organisation"),
    "organisation.member_reinstated": _l("Reinstated in the organisation"),
    # Downloads.
    "results.exported": _l("Ranking downloaded"),
    "formal_check.exported": _l("Formal-check entry list downloaded"),
    "entry.pdf_downloaded": _l("Application form downloaded (PDF)"),
    "brochure.downloaded": _l("Brochure downloaded"),
    "audit.exported": _l("Audit log downloaded"),
    # The site and the log itself.
    "site.settings_updated": _l("Site settings changed"),
    "audit.pruned": _l("Old audit events deleted"),
    "mail.retried": _l("Failed mail sent again by a chair"),
}


def action_label(action: str):
    """The translated name of ``action``, or the key itself."""
    return ACTION_LABELS.get(action, action)
