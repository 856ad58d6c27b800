"""All tables; importing this module registers them on ``SQLModel.metadata``
(the metadata Alembic compares against)."""
from sqlmodel import SQLModel

from app.db import NAMING_CONVENTION

SQLModel.metadata.naming_convention = NAMING_CONVENTION

from app.models.accounts import Organisation, User, UserRole, UserToken  # noqa: E402
from app.models.audit import AuditEvent  # noqa: E402
from app.models.brochures import Brochure  # noqa: E402
from app.models.calls import Call, CallPhase, CallQuota  # noqa: E402
from app.models.entries import Entry, EntryAttachment, EntryOutcome, EntryPhoto, IdentityCheck  # noqa: E402
from app.models.library import LibraryCase, LibrarySetting  # noqa: E402
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

__all__ = [
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
    "Panel",
    "PanelMember",
    "ResultEntry",
    "ResultRun",
    "RubricVersion",
    "Score",
    "ScoreSheet",
    "SelectionOverride",
    "SQLModel",
    "User",
    "UserRole",
    "UserToken",
    "VetoDecision",
]
