"""Enumerations shared by models, services and views.

The value is the stable key stored in the database; ``label`` is what users
see, translated.
"""
from enum import StrEnum

from flask_babel import lazy_gettext as _l


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
