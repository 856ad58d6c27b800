"""Enumerations shared by models, services and views.

The value is the stable key stored in the database; ``label`` is what users
see, translated.
"""
from enum import StrEnum

from app.i18n import lazy_gettext as _l


class LabelledEnum(StrEnum):
    """A string enum whose members have a translated ``label``.

    Each subclass sets ``_labels`` (member → lazy string) after its body.
    """

    @property
    def label(self):
        return type(self)._labels[self]


class Role(LabelledEnum):
    APPLICANT = "applicant"
    EXPERT = "expert"
    CHAIR = "chair"
    PUBLICITY = "publicity"


Role._labels = {
    Role.APPLICANT: _l("Applicant"),
    Role.EXPERT: _l("Expert"),
    Role.CHAIR: _l("Chair"),
    Role.PUBLICITY: _l("Publicity"),
}

STAFF_ROLES = (Role.EXPERT, Role.CHAIR, Role.PUBLICITY)


class Membership(LabelledEnum):
    """An applicant account's standing in its organisation."""

    ACTIVE = "active"
    PENDING = "pending"  # asked to join an existing organisation
    REJECTED = "rejected"


Membership._labels = {
    Membership.ACTIVE: _l("Member"),
    Membership.PENDING: _l("Awaiting approval"),
    Membership.REJECTED: _l("Request declined"),
}


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"


class Phase(LabelledEnum):
    """The phases of a call, in the order they run."""

    SUBMISSION = "submission"
    FORMAL_CHECK = "formal_check"
    REVIEW = "review"
    RESULTS = "results"
    PUBLICATION = "publication"


Phase._labels = {
    Phase.SUBMISSION: _l("Submission"),
    Phase.FORMAL_CHECK: _l("Formal check"),
    Phase.REVIEW: _l("Expert review"),
    Phase.RESULTS: _l("Results"),
    Phase.PUBLICATION: _l("Publication"),
}

PHASE_ORDER = tuple(Phase)


class EntryStatus(LabelledEnum):
    """Where an entry stands in the life of a call (see ``entries/states.py``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # returned for revision by the formal check
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    WITHDRAWN = "withdrawn"
    IN_REVIEW = "in_review"
    SCORED = "scored"
    SELECTED = "selected"
    NOT_SELECTED = "not_selected"
    PUBLISHED = "published"

    @property
    def meaning(self):
        """What the status means for the applicant, in a sentence."""
        return EntryStatus._meanings[self]


EntryStatus._labels = {
    EntryStatus.DRAFT: _l("Draft"),
    EntryStatus.SUBMITTED: _l("Submitted"),
    EntryStatus.RETURNED: _l("Returned for revision"),
    EntryStatus.ELIGIBLE: _l("Eligible"),
    EntryStatus.INELIGIBLE: _l("Ineligible"),
    EntryStatus.WITHDRAWN: _l("Withdrawn"),
    EntryStatus.IN_REVIEW: _l("In expert review"),
    EntryStatus.SCORED: _l("Scored"),
    EntryStatus.SELECTED: _l("Selected"),
    EntryStatus.NOT_SELECTED: _l("Not selected"),
    EntryStatus.PUBLISHED: _l("Published"),
}
EntryStatus._meanings = {
    EntryStatus.DRAFT: _l("Being prepared by your organisation; not yet sent. You can edit it until the submission deadline."),
    EntryStatus.SUBMITTED: _l("Sent for the formal check; it can no longer be edited. You can withdraw it before the expert review starts."),
    EntryStatus.RETURNED: _l("The formal check asks for changes: edit the entry and submit it again before the deadline shown."),
    EntryStatus.ELIGIBLE: _l("Passed the formal check; it will go to expert review."),
    EntryStatus.INELIGIBLE: _l("Did not pass the formal check, for the reason given; it takes no further part in the call."),
    EntryStatus.WITHDRAWN: _l("Withdrawn by your organisation; it takes no further part in the call."),
    EntryStatus.IN_REVIEW: _l("Being scored by the expert panel."),
    EntryStatus.SCORED: _l("Expert scoring is complete; results are being computed."),
    EntryStatus.SELECTED: _l("Selected as a showcase scenario."),
    EntryStatus.NOT_SELECTED: _l("Not selected as a showcase scenario this time."),
    EntryStatus.PUBLISHED: _l("Published in the public case library."),
}


class SheetStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


SheetStatus._labels = {SheetStatus.DRAFT: _l("Draft"), SheetStatus.SUBMITTED: _l("Submitted")}


class AssignmentSource(LabelledEnum):
    AUTOMATIC = "automatic"  # the assignment run
    MANUAL = "manual"  # a chair, by hand
    TOP_UP = "top_up"  # a top-up run after declines
    EXTRA = "extra"  # an extra expert for a disputed entry (results)


AssignmentSource._labels = {
    AssignmentSource.AUTOMATIC: _l("Automatic"),
    AssignmentSource.MANUAL: _l("Manual"),
    AssignmentSource.TOP_UP: _l("Top-up"),
    AssignmentSource.EXTRA: _l("Extra expert"),
}


class ConflictSource(LabelledEnum):
    DECLARED = "declared"  # by the expert
    CHAIR = "chair"  # recorded by a chair


ConflictSource._labels = {ConflictSource.DECLARED: _l("Declared by the expert"), ConflictSource.CHAIR: _l("Recorded by a chair")}
