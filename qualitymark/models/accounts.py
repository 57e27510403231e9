"""People, the co-ops they belong to, and the staff roles they hold."""
# No `from __future__ import annotations` in model modules: SQLModel reads the annotations.

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
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
    # Two-factor sign-in (TOTP, RFC 6238). Required for officers and admins, open to everyone.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None)  # the last code's time step: a code works once

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
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def needs_two_factor(self) -> bool:
        """Officers and admins decide and administer: they must sign in with a second factor."""
        return self.has_role("officer") or self.has_role("admin")

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role.role for role in self.staff_roles)

    def has_role(self, role: str) -> bool:
        return role in self.role_names


class RecoveryCode(SQLModel, table=True):
    """One-time codes for when the authenticator is lost. Only their SHA-256 is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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
    """A co-operative: its profile, the classes of its members and their votes."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "coop_type IN ('worker', 'consumer', 'multi_stakeholder', 'user_led', 'social')", name="coop_type_known"
        ),
        # The register's order by name, and its search inside names (ILIKE '%...%') on PostgreSQL,
        # through trigrams (migration 0008 creates pg_trgm); SQLite makes this a plain index.
        Index("ix_organisation_name_id", "name", "id"),
        Index("ix_organisation_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=80, unique=True)
    legal_form: str = Field(default="", max_length=120)
    registered_number: str = Field(default="", max_length=40)
    region: str = Field(default="", max_length=120, index=True)
    coop_type: str = Field(default="multi_stakeholder", max_length=20)
    # One service per line, as the co-op describes them (home care, supported living, ...).
    services: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]


STAKEHOLDER_KINDS = (
    "people_using_services", "workers", "volunteers", "family_members", "supporters", "investors",
)


class StakeholderClass(SQLModel, table=True):
    __tablename__ = "stakeholder_class"
    __table_args__ = (
        UniqueConstraint("organisation_id", "kind"),
        CheckConstraint(
            "kind IN ('people_using_services', 'workers', 'volunteers', 'family_members', 'supporters', 'investors')",
            name="kind_known",
        ),
        CheckConstraint("member_count >= 0", name="member_count_not_negative"),
        CheckConstraint("voting_share_basis_points BETWEEN 0 AND 10000", name="voting_share_is_a_percentage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=30)
    member_count: int = Field(default=0)
    # Hundredths of a percent: exact, and no floats in the database.
    voting_share_basis_points: int = Field(default=0)


class Consortium(SQLModel, table=True):
    """A consortium or network of co-ops. Sharing one is a conflict of interest for assessors."""

    __tablename__ = "consortium"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class ConsortiumMembership(SQLModel, table=True):
    __tablename__ = "consortium_membership"
    __table_args__ = (UniqueConstraint("organisation_id", "consortium_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    consortium_id: int = Field(foreign_key="consortium.id", index=True, ondelete="CASCADE")


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


class Invitation(SQLModel, table=True):
    """An owner's invitation to join a co-op. Only the SHA-256 of the emailed token is kept."""

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'member')", name="role_known"),
        CheckConstraint("(accepted_at IS NULL) = (accepted_by_id IS NULL)", name="accepted_by_someone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    role: str = Field(default="member", max_length=20)
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
