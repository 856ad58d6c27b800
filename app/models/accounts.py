"""Organisations, user accounts, their roles and single-use tokens."""
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import STAFF_ROLES, Membership, Role, TokenPurpose


class Organisation(SQLModel, table=True):
    """An applicant organisation (申报单位), keyed by its unified social credit code."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18, unique=True)
    city_code: str = Field(max_length=6)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    members: list["User"] = Relationship(back_populates="organisation")


class User(SQLModel, table=True):
    """A person who logs in. Applicants belong to an organisation; staff do not."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    # None until an invited user sets a password: such an account cannot log in.
    password_hash: str | None = Field(default=None, max_length=255)
    name: str = Field(max_length=100)
    phone: str = Field(default="", max_length=30)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    membership: Membership | None = Field(default=None, sa_type=EnumText(Membership, 16))
    active: bool = Field(default=True)
    # Part of the login session id: bumping it logs out every other session.
    auth_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    organisation: Organisation | None = Relationship(back_populates="members")
    role_rows: list["UserRole"] = Relationship(
        back_populates="user",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "lazy": "selectin"},
    )

    # Flask-Login's user interface.
    is_anonymous: ClassVar[bool] = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.auth_version}"

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)

    @property
    def is_applicant(self) -> bool:
        return Role.APPLICANT in self.roles

    @property
    def invitation_pending(self) -> bool:
        return self.password_hash is None


class UserRole(SQLModel, table=True):
    __tablename__ = "user_roles"
    __table_args__ = (sa.UniqueConstraint("user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    role: Role = Field(sa_type=EnumText(Role, 16))

    user: User = Relationship(back_populates="role_rows")


class UserToken(SQLModel, table=True):
    """A single-use, expiring link token (password reset, invitation).

    Only the SHA-256 of the token is stored: a database leak yields no
    working links.
    """

    __tablename__ = "user_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    purpose: TokenPurpose = Field(sa_type=EnumText(TokenPurpose, 20))
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
