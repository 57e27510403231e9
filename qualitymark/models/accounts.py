"""People, the co-ops they belong to, and the staff roles they hold."""
# No `from __future__ import annotations` in model modules: SQLModel reads the annotations.

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime

STAFF_ROLES = ("assessor", "officer", "admin")
MEMBERSHIP_ROLES = ("owner", "member")
LOCALES = ("en", "cy")


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("locale IN ('en', 'cy')", name="locale_known"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    email_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bumped on every password change: sessions and remember-me cookies carry it, so
    # changing the password ends every other session at once.
    session_epoch: int = Field(default=0)
    locale: str = Field(default="en", max_length=5)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_signin_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    staff_roles: list["StaffRole"] = Relationship(
        sa_relationship_kwargs={"lazy": "selectin", "foreign_keys": "[StaffRole.user_id]", "viewonly": True}
    )
    memberships: list["Membership"] = Relationship(sa_relationship_kwargs={"lazy": "selectin", "viewonly": True})

    # Flask-Login's interface. `is_active` is the column above.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role.role for role in self.staff_roles)

    def has_role(self, role: str) -> bool:
        return role in self.role_names


class StaffRole(SQLModel, table=True):
    __tablename__ = "staff_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint("role IN ('assessor', 'officer', 'admin')", name="role_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    granted_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class Organisation(SQLModel, table=True):
    """A co-operative. The full profile arrives with the applications feature."""

    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id"),
        CheckConstraint("role IN ('owner', 'member')", name="role_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    role: str = Field(default="member", max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
