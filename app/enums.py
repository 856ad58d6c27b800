"""Every enumeration of the product, each member's translated label declared
beside its value.

The value is the stable key stored in the database (as plain text, see
``app.db.EnumText``); ``label`` is what users see, translated.
"""
from enum import StrEnum

from app.i18n import lazy_gettext as _l


class LabelledEnum(StrEnum):
    """A string enum whose members carry a translated ``label``, declared with
    the value: ``DRAFT = "draft", _l("Draft")``."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self):
        return self._label


class Role(LabelledEnum):
    APPLICANT = "applicant", _l("Applicant")
    EXPERT = "expert", _l("Expert")
    CHAIR = "chair", _l("Chair")
    PUBLICITY = "publicity", _l("Publicity")


STAFF_ROLES = (Role.EXPERT, Role.CHAIR, Role.PUBLICITY)


class Membership(LabelledEnum):
    """An applicant account's standing in its organisation."""

    ACTIVE = "active", _l("Member")
    PENDING = "pending", _l("Awaiting approval")  # asked to join an existing organisation
    REJECTED = "rejected", _l("Request declined")


class SessionEnd(LabelledEnum):
    """Why a login session ended (``user_sessions.end_reason``)."""

    LOGOUT = "logout", _l("Logged out")
    IDLE = "idle", _l("Idle for too long")
    EXPIRED = "expired", _l("Maximum session length reached")
    PASSWORD_CHANGED = "password_changed", _l("Password changed")
    PASSWORD_RESET = "password_reset", _l("Password reset")
    DEACTIVATED = "deactivated", _l("Account deactivated")
    MEMBERSHIP_CHANGED = "membership_changed", _l("Membership of the organisation ended")
    SECOND_FACTOR_RESET = "second_factor_reset", _l("Two-step verification reset")


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"
    INVITATION = "invitation"


class Domain(LabelledEnum):
    """The eight application domains of the call."""

    MANUFACTURING = "manufacturing", _l("Smart manufacturing")
    GOVERNMENT = "government", _l("Smart government services")
    CITY = "city", _l("Smart city")
    HEALTHCARE = "healthcare", _l("Smart healthcare")
    EDUCATION = "education", _l("Smart education")
    FINANCE = "finance", _l("Smart finance")
    SECURITY = "security", _l("Smart public security")
    UNMANNED = "unmanned", _l("Intelligent unmanned systems")


class Technology(LabelledEnum):
    """The fixed vocabulary of AI technologies; entries may add free tags too."""

    COMPUTER_VISION = "computer_vision", _l("Computer vision")
    NLP = "nlp", _l("Natural language processing")
    LARGE_MODELS = "large_models", _l("Large models")
    KNOWLEDGE_GRAPHS = "knowledge_graphs", _l("Knowledge graphs")
    ROBOTICS = "robotics", _l("Robotics")
    SPEECH = "speech", _l("Speech recognition and synthesis")
    MACHINE_LEARNING = "machine_learning", _l("Machine learning and prediction")
    MULTIMODAL = "multimodal", _l("Multimodal AI")
    DIGITAL_TWIN = "digital_twin", _l("Digital twins")
    AUTONOMOUS_SYSTEMS = "autonomous_systems", _l("Autonomous driving and navigation")
    EDGE_AI = "edge_ai", _l("Edge AI")
    RECOMMENDATION = "recommendation", _l("Recommendation and search")


class Phase(LabelledEnum):
    """The phases of a call, in the order they run."""

    SUBMISSION = "submission", _l("Submission")
    FORMAL_CHECK = "formal_check", _l("Formal check")
    REVIEW = "review", _l("Expert review")
    RESULTS = "results", _l("Results")
    PUBLICATION = "publication", _l("Publication")


PHASE_ORDER = tuple(Phase)


class EntryStatus(LabelledEnum):
    """Where an entry stands in the life of a call (see ``entries/states.py``):
    each member has its label and, for the applicant, its ``meaning``."""

    def __new__(cls, value: str, label, meaning):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        member._meaning = meaning
        return member

    DRAFT = "draft", _l("Draft"), _l(
        "Being prepared by your organisation; not yet sent. You can edit it until the submission deadline.")
    SUBMITTED = "submitted", _l("Submitted"), _l(
        "Sent for the formal check; it can no longer be edited. You can withdraw it before the expert review starts.")
    # Returned for revision by the formal check.
    RETURNED = "returned", _l("Returned for revision"), _l(
        "The formal check asks for changes: edit the entry and submit it again before the deadline shown.")
    ELIGIBLE = "eligible", _l("Eligible"), _l("Passed the formal check; it will go to expert review.")
    INELIGIBLE = "ineligible", _l("Ineligible"), _l(
        "Did not pass the formal check, for the reason given; it takes no further part in the call.")
    WITHDRAWN = "withdrawn", _l("Withdrawn"), _l(
        "Withdrawn by your organisation; it takes no further part in the call.")
    IN_REVIEW = "in_review", _l("In expert review"), _l("Being scored by the expert panel.")
    SCORED = "scored", _l("Scored"), _l("Expert scoring is complete; results are being computed.")
    SELECTED = "selected", _l("Selected"), _l("Selected as a showcase scenario.")
    NOT_SELECTED = "not_selected", _l("Not selected"), _l("Not selected as a showcase scenario this time.")
    PUBLISHED = "published", _l("Published"), _l("Published in the public case library.")

    @property
    def meaning(self):
        """What the status means for the applicant, in a sentence."""
        return self._meaning


#: Entries that passed the formal check and take part in expert review (or
#: went through it): the ones review and the selection draw from.
REVIEW_STATUSES = (
    EntryStatus.ELIGIBLE,
    EntryStatus.IN_REVIEW,
    EntryStatus.SCORED,
    EntryStatus.SELECTED,
    EntryStatus.NOT_SELECTED,
    EntryStatus.PUBLISHED,
)


class SheetStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")


class QueueState(LabelledEnum):
    """An assignment as its expert's queue shows it."""

    NOT_OPENED = "not_opened", _l("Not opened")
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted")


class AssignmentSource(LabelledEnum):
    AUTOMATIC = "automatic", _l("Automatic")  # the assignment run
    MANUAL = "manual", _l("Manual")  # a chair, by hand
    TOP_UP = "top_up", _l("Top-up")  # a top-up run after declines
    EXTRA = "extra", _l("Extra expert")  # an extra expert for a disputed entry (results)


class ConflictSource(LabelledEnum):
    DECLARED = "declared", _l("Declared by the expert")
    CHAIR = "chair", _l("Recorded by a chair")


class BrochureStatus(LabelledEnum):
    QUEUED = "queued", _l("Waiting for the worker")
    RUNNING = "running", _l("Building")
    DONE = "done", _l("Ready")
    FAILED = "failed", _l("Failed")


class MailStatus(LabelledEnum):
    """Where an outgoing mail is (``outgoing_mails.status``): waiting for the
    worker (first try or a retry), sent, or given up after the last attempt."""

    QUEUED = "queued", _l("Waiting to be sent")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Sending failed")
