"""Scenario entries (申报项目), their outcome rows, photos and attachments."""
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import Domain, EntryStatus

# Field limits, in characters. Forms, services and templates all read these.
LIMITS = {
    "title": 60,
    "summary": 300,
    "problem": 1500,
    "solution": 3000,
    "deployment_scale": 300,
    "investment_note": 200,
    "replicability": 1500,
    "data_security": 1500,
    "contact_name": 50,
    "contact_position": 50,
    "contact_phone": 30,
    "contact_email": 254,
    "partner_name": 100,
    "metric": 40,
    "unit": 12,
    "caption": 60,
    "free_tag": 20,
}
#: Ranges of the numbers an entry holds (both ends included). Outcome values
#: (before and after) are in the row's own unit: a count, a percentage, yuan…
OUTCOME_RANGE = (-1e12, 1e12)
INVESTMENT_RANGE = (0, 10_000_000)  # in 万元 (10,000 yuan): up to 1,000 亿元
MAX_PARTNERS = 10
MAX_OUTCOMES = 8
MAX_FREE_TAGS = 5
MAX_PHOTOS = 6
MAX_ATTACHMENTS = 5


_VERSION = sa.Column("version", sa.Integer, nullable=False)


class Entry(SQLModel, table=True):
    """One scenario an organisation enters into a call.

    ``version`` is SQLAlchemy's optimistic lock: an UPDATE that finds another
    version than the one it read fails, so two colleagues editing at once
    cannot silently overwrite each other.
    """

    __tablename__ = "entries"
    __table_args__ = (
        sa.Index("ix_entries_call_status", "call_id", "status"),
        sa.Index("ix_entries_call_domain", "call_id", "domain"),
        sa.Index("ix_entries_call_city", "call_id", "city_code"),
        sa.Index("ix_entries_call_submitted", "call_id", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="calls.id", index=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    status: EntryStatus = Field(default=EntryStatus.DRAFT, sa_type=EnumText(EntryStatus, 16))
    version: int = Field(default=None, sa_column=_VERSION)

    title: str = Field(default="", max_length=LIMITS["title"])
    domain: Domain | None = Field(default=None, sa_type=EnumText(Domain, 20))
    city_code: str | None = Field(default=None, max_length=6)
    # [{"name": …, "credit_code": … or ""}]: conflict checks match the codes.
    partners: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    summary: str = Field(default="", max_length=LIMITS["summary"])
    tech_tags: list[str] = Field(default_factory=list, sa_type=sa.JSON)

    problem: str = Field(default="", sa_type=sa.Text)
    solution: str = Field(default="", sa_type=sa.Text)
    deployment_scale: str = Field(default="", max_length=LIMITS["deployment_scale"])
    deployment_start: date | None = Field(default=None)
    deployment_end: date | None = Field(default=None)  # None: still running
    investment: float | None = Field(default=None)  # in 万元 (10,000 yuan)
    investment_note: str = Field(default="", max_length=LIMITS["investment_note"])

    replicability: str = Field(default="", sa_type=sa.Text)
    data_security: str = Field(default="", sa_type=sa.Text)

    contact_name: str = Field(default="", max_length=LIMITS["contact_name"])
    contact_position: str = Field(default="", max_length=LIMITS["contact_position"])
    contact_phone: str = Field(default="", max_length=LIMITS["contact_phone"])
    contact_email: str = Field(default="", max_length=LIMITS["contact_email"])

    # Set by the formal check: why it was returned or refused, and until when
    # a returned entry may be resubmitted.
    check_reason: str | None = Field(default=None, sa_type=sa.Text)
    revision_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    organisation: "Organisation" = Relationship()  # noqa: F821
    call: "Call" = Relationship()  # noqa: F821
    outcomes: list["EntryOutcome"] = Relationship(
        back_populates="entry",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "EntryOutcome.position",
        },
    )
    photos: list["EntryPhoto"] = Relationship(
        back_populates="entry",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "EntryPhoto.position"},
    )
    attachments: list["EntryAttachment"] = Relationship(
        back_populates="entry",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "EntryAttachment.id"},
    )

    __mapper_args__: Any = {"version_id_col": _VERSION}

    @property
    def cover(self) -> "EntryPhoto | None":
        return self.photos[0] if self.photos else None


class EntryOutcome(SQLModel, table=True):
    """A quantified outcome: metric, value before and after, unit (92 → 99.5 %)."""

    __tablename__ = "entry_outcomes"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    position: int = Field(default=0)
    metric: str = Field(max_length=LIMITS["metric"])
    before: float | None = Field(default=None)  # None: the capability did not exist
    after: float
    unit: str = Field(default="", max_length=LIMITS["unit"])

    entry: Entry = Relationship(back_populates="outcomes")


class EntryPhoto(SQLModel, table=True):
    """A photo, re-encoded without metadata in three sizes (see ``entries/images.py``).

    The keys name blobs in the file storage; identical images share a blob.
    """

    __tablename__ = "entry_photos"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    position: int = Field(default=0)
    caption: str = Field(default="", max_length=LIMITS["caption"])
    master_key: str = Field(max_length=120)  # ≤ 3200 px, for print
    display_key: str = Field(max_length=120)  # ≤ 1600 px
    thumb_key: str = Field(max_length=120)  # ≤ 400 px
    width: int
    height: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    entry: Entry = Relationship(back_populates="photos")

    def key(self, size: str) -> str:
        """The blob key of the ``thumb``, ``display`` or ``master`` rendition."""
        return {"thumb": self.thumb_key, "display": self.display_key, "master": self.master_key}[size]


class EntryAttachment(SQLModel, table=True):
    """A supporting PDF, stored as uploaded after checking that it is one.

    ``blind_blob_key`` names the copy without document metadata that experts
    get in blind review, made on the first such download (see
    ``entries/blind.py``); None until then.
    """

    __tablename__ = "entry_attachments"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entries.id", ondelete="CASCADE", index=True)
    filename: str = Field(max_length=120)
    blob_key: str = Field(max_length=120)
    size: int
    pages: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    blind_blob_key: str | None = Field(default=None, max_length=120)

    entry: Entry = Relationship(back_populates="attachments")


class IdentityCheck(SQLModel, table=True):
    """Where a submitted entry names its own organisation (for blind review).

    Made when the entry is submitted, and again when an attachment is added
    to or removed from an entry past the draft (see ``entries/blind.py``).
    ``mentions`` counts every place found (0: none); ``findings`` keeps the
    first few, each ``{"where": {"field": …, "n": …, "page": …}, "kind": …,
    "text": …, "before": …, "after": …}``. A draft has no row.
    """

    __tablename__ = "identity_checks"

    entry_id: int = Field(primary_key=True, foreign_key="entries.id", ondelete="CASCADE")
    mentions: int = Field(default=0)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
