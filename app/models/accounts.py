"""Organisations, user accounts, their roles, single-use tokens, login
sessions, second-factor recovery codes, password history and registrations
waiting for their email confirmation."""
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from app.db import EnumText, UTCDateTime, utcnow
from app.enums import STAFF_ROLES, Membership, Role, SessionEnd, TokenPurpose


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
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the password was last set (None: when the account was created); for PASSWORD_MAX_AGE_DAYS.
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Failed logins since the last success or lockout; LOGIN_LOCKOUT_ATTEMPTS of them lock the account.
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The second factor (TOTP, RFC 6238): the shared secret (base32) once enrolled, and
    # the last time step accepted, so that one code cannot be used twice.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    # The language of this person's mails and notifications (None: the site's).
    language: str | None = Field(default=None, max_length=10)
    # Kinds of non-essential mail this person turned off (app.notifications).
    muted_mails: list[str] = Field(default_factory=list, sa_type=sa.JSON)

    organisation: Organisation | None = Relationship(back_populates="members")
    role_rows: list["UserRole"] = Relationship(
        back_populates="user",
        sa_relationship_kwargs={"cascade": "all, delete-orphan"},
    )

    # Flask-Login's user interface.
    is_anonymous: ClassVar[bool] = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        """Flask-Login's id: the token of the login session this object was
        signed in with or loaded for (see :meth:`attach_session`), never the
        account's own id, so that ending the session on the server ends it."""
        return self.__dict__.get("_session_token")

    def attach_session(self, token: str) -> None:
        """Remember, on this object only (not a column), the login session token it acts under."""
        object.__setattr__(self, "_session_token", token)

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

    @property
    def second_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    def is_locked(self, *, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


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


class UserSession(SQLModel, table=True):
    """One login session, on the server: the browser holds only its random
    token (in Flask-Login's id, inside the signed session cookie); the row
    holds its SHA-256. A session is valid while it has not ended, was used
    within the idle timeout and is younger than the absolute lifetime;
    logging out, changing or resetting the password and deactivating the
    account end it, so a copied cookie stops working."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Updated at most once a minute (SESSION_TOUCH_SECONDS), not on every request.
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_reason: SessionEnd | None = Field(default=None, sa_type=EnumText(SessionEnd, 24))
    ip_address: str | None = Field(default=None, max_length=45)
    user_agent: str = Field(default="", max_length=255)


class RecoveryCode(SQLModel, table=True):
    """A single-use code that replaces the second factor once (the phone is
    lost); only its SHA-256 is stored."""

    __tablename__ = "user_recovery_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PasswordHistory(SQLModel, table=True):
    """A former password's hash, kept while PASSWORD_HISTORY asks for it (no reuse)."""

    __tablename__ = "password_history"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PendingRegistration(SQLModel, table=True):
    """An applicant's registration waiting for the link mailed to its address.

    The account and its organisation are made only when the link is used, so
    registering shows the same page whether the address is new or taken, and
    nobody can register an organisation's credit code with an address they
    do not read. Only the SHA-256 of the link's token is stored.
    """

    __tablename__ = "pending_registrations"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    email: str = Field(max_length=254, index=True)
    organisation_name: str = Field(max_length=200)
    credit_code: str = Field(max_length=18)
    city_code: str = Field(max_length=6)
    contact_name: str = Field(max_length=100)
    phone: str = Field(default="", max_length=30)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
