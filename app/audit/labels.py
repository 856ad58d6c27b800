"""What the audit log and the histories call an action, translated: every
action the app records has a label here (tests/unit/test_audit_labels.py finds
them all in the source); an unknown key, say from an older version, is shown
as itself. An entry's own history words its steps more briefly
(``app/entries/history.py``)."""
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
    # Entries and their status.
    "entry.created": _l("Entry created"),
    "entry.updated": _l("Entry edited"),
    "entry.autosaved": _l("Entry saved automatically"),
    "entry.deleted": _l("Draft entry deleted"),
    "entry.photo_added": _l("Photo added to the entry"),
    "entry.photo_removed": _l("Photo removed from the entry"),
    "entry.photo_updated": _l("Entry photo changed"),
    "entry.attachment_added": _l("Attachment added to the entry"),
    "entry.attachment_removed": _l("Attachment removed from the entry"),
    "entry.submitted": _l("Entry submitted"),
    "entry.resubmitted": _l("Entry resubmitted after revision"),
    "entry.withdrawn": _l("Entry withdrawn"),
    "entry.reopened": _l("Entry reopened as a draft"),
    "entry.checked_eligible": _l("Formal check: eligible"),
    "entry.returned": _l("Formal check: returned for revision"),
    "entry.checked_ineligible": _l("Formal check: ineligible"),
    "entry.review_started": _l("Expert review started"),
    "entry.scored": _l("Expert scoring complete"),
    "entry.review_resumed": _l("Expert review resumed"),
    "entry.selected": _l("Selected as a showcase scenario"),
    "entry.not_selected": _l("Not selected as a showcase scenario"),
    # Calls, rubrics, panels.
    "call.created": _l("Call created"),
    "call.updated": _l("Call settings changed"),
    "call.phase_started_early": _l("Phase started ahead of its dates"),
    "rubric.chosen": _l("Rubric chosen for a domain"),
    "rubric.override_removed": _l("Domain uses the call's default rubric again"),
    "rubric.frozen": _l("Rubrics frozen"),
    "panel.created": _l("Panel created"),
    "panel.updated": _l("Panel changed"),
    "panel.deleted": _l("Panel deleted"),
    "expert_profile.updated": _l("Expert profile changed"),
    # Expert review.
    "assignment.run": _l("Experts assigned automatically"),
    "assignment.added": _l("Expert assigned"),
    "assignment.removed": _l("Expert assignment removed"),
    "conflict.declared": _l("Conflict of interest declared by the expert"),
    "conflict.chair": _l("Conflict of interest recorded by a chair"),
    "sheet.opened": _l("Score sheet opened"),
    "sheet.saved": _l("Score sheet saved"),
    "sheet.autosaved": _l("Score sheet saved automatically"),
    "sheet.submitted": _l("Score sheet submitted"),
    "sheet.reopened": _l("Score sheet reopened by a chair"),
    "review.reminder_sent": _l("Review reminder sent"),
    "veto.confirmed": _l("Veto confirmed"),
    "veto.dismissed": _l("Veto dismissed"),
    # Defence sessions.
    "defence.slot_scheduled": _l("Defence session scheduled"),
    "defence.slot_changed": _l("Defence session changed"),
    "defence.slot_removed": _l("Defence session cancelled"),
    "defence.slot_confirmed": _l("Defence session confirmed by the applicant"),
    # Results.
    "results.settings_changed": _l("Result settings changed"),
    "results.computed": _l("Results computed"),
    "results.extra_experts": _l("Extra experts assigned to disputed entries"),
    "results.published": _l("Results published"),
    "selection.override_set": _l("Selection decided by the chair"),
    "selection.override_removed": _l("Chair's selection decision removed"),
    # The brochure and the library.
    "brochure.started": _l("Brochure build started"),
    "brochure.built": _l("Brochure built"),
    "brochure.failed": _l("Brochure build failed"),
    "brochure.abandoned": _l("Brochure build abandoned"),
    "library.featured": _l("Case featured in the library"),
    "library.unfeatured": _l("Case no longer featured"),
    "library.hidden": _l("Case hidden from the library"),
    "library.unhidden": _l("Case shown in the library again"),
    "library.summary_edited": _l("Case summary edited"),
    "library.headline": _l("Library headline changed"),
    # Demo data.
    "demo.user_created": _l("Account created (demo data)"),
    "demo.organisation_created": _l("Organisation registered (demo data)"),
    "demo.entry_created": _l("Entry created (demo data)"),
}


def action_label(action: str):
    """The translated name of ``action``, or the key itself."""
    return ACTION_LABELS.get(action, action)
