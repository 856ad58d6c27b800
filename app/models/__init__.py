"""All tables; importing this module registers them on ``SQLModel.metadata``
(the metadata Alembic compares against)."""
from sqlmodel import SQLModel

from app.db import NAMING_CONVENTION

SQLModel.metadata.naming_convention = NAMING_CONVENTION

from app.models.accounts import (  # noqa: E402
    Organisation,
    PasswordHistory,
    PendingRegistration,
    RecoveryCode,
    User,
    UserRole,
    UserSession,
    UserToken,
)
from app.models.audit import AuditEvent  # noqa: E402
from app.models.brochures import Brochure  # noqa: E402
from app.models.calls import Call, CallPhase, CallQuota  # noqa: E402
from app.models.certificates import Certificate, CertificateBuild  # noqa: E402
from app.models.entries import Entry, EntryAttachment, EntryOutcome, EntryPhoto, IdentityCheck  # noqa: E402
from app.models.library import LibraryCase, LibrarySetting  # noqa: E402
from app.models.mail import OutgoingMail  # noqa: E402
from app.models.notices import Notice, Objection, ObjectionFile, ObjectionNote, ObjectionQuestion  # noqa: E402
from app.models.notifications import Notification  # noqa: E402
from app.models.ops import WorkerHeartbeat  # noqa: E402
from app.models.results import ResultEntry, ResultRun, SelectionOverride, VetoDecision  # noqa: E402
from app.models.review import (  # noqa: E402
    Assignment,
    CallRubric,
    Conflict,
    ExpertEmployment,
    ExpertProfile,
    Panel,
    PanelMember,
    RubricVersion,
    Score,
    ScoreSheet,
)
from app.models.rounds import DefenceSlot, ReviewRound, ShortlistEntry  # noqa: E402
from app.models.site import SiteSetting  # noqa: E402

__all__ = [
    "ShortlistEntry",
    "ReviewRound",
    "ObjectionQuestion",
    "ObjectionNote",
    "ObjectionFile",
    "Objection",
    "Notice",
    "DefenceSlot",
    "CertificateBuild",
    "Certificate",
    "Assignment",
    "AuditEvent",
    "Brochure",
    "Call",
    "CallPhase",
    "CallQuota",
    "CallRubric",
    "Conflict",
    "Entry",
    "EntryAttachment",
    "EntryOutcome",
    "EntryPhoto",
    "LibraryCase",
    "LibrarySetting",
    "ExpertEmployment",
    "ExpertProfile",
    "IdentityCheck",
    "Organisation",
    "Notification",
    "OutgoingMail",
    "PasswordHistory",
    "PendingRegistration",
    "RecoveryCode",
    "Panel",
    "PanelMember",
    "ResultEntry",
    "ResultRun",
    "RubricVersion",
    "Score",
    "ScoreSheet",
    "SelectionOverride",
    "SiteSetting",
    "SQLModel",
    "User",
    "UserRole",
    "UserSession",
    "UserToken",
    "VetoDecision",
    "WorkerHeartbeat",
]
