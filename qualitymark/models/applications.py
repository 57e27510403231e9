"""Applications for the mark: pinned to one rubric version, answered in rounds."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime

APPLICATION_STATES = (
    "draft", "submitted", "in_review", "moderation", "decision_pending", "changes_requested",
    "certified", "declined", "withdrawn",
)
# States in which an application is still "open": a co-op may have one open per scheme.
OPEN_STATES = ("draft", "submitted", "in_review", "moderation", "decision_pending", "changes_requested")
# States in which the co-op may edit its self-assessment and evidence.
EDITABLE_STATES = ("draft", "changes_requested")
_OPEN_SQL = "status IN ('draft', 'submitted', 'in_review', 'moderation', 'decision_pending', 'changes_requested')"


class Application(SQLModel, table=True):
    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'in_review', 'moderation', 'decision_pending', "
            "'changes_requested', 'certified', 'declined', 'withdrawn')",
            name="status_known",
        ),
        CheckConstraint("current_round >= 1", name="round_positive"),
        CheckConstraint("(status = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_has_time"),
        # At most one open application per co-op and scheme, enforced by the database.
        Index(
            "uq_application_one_open_per_scheme", "organisation_id", "scheme", unique=True,
            postgresql_where=text(_OPEN_SQL), sqlite_where=text(_OPEN_SQL),
        ),
        # The office dashboard's order: newest change first, a page at a time.
        Index("ix_application_updated_at_id", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    rubric_version_id: int = Field(foreign_key="rubric_version.id", index=True)
    scheme: str = Field(max_length=80)
    status: str = Field(default="draft", max_length=20, index=True)
    current_round: int = Field(default=1)
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A renewal (ISO/IEC 17065 7.10 and the scheme's 3-year cycle) names the certificate it renews.
    # use_alter: application -> certificate -> application is a cycle, created after both tables.
    renews_certificate_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("certificate.id", use_alter=True), nullable=True, index=True))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATES


class AgreementAcceptance(SQLModel, table=True):
    """ISO/IEC 17065 4.1.2: who accepted which version of the scheme agreement, and when."""

    __tablename__ = "agreement_acceptance"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    agreement_version: str = Field(max_length=40)
    agreement_sha256: str = Field(max_length=64)
    accepted_by_id: int = Field(foreign_key="user_account.id")
    accepted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApplicationRound(SQLModel, table=True):
    """One round of answers. Submitting freezes it as a snapshot that never changes again."""

    __tablename__ = "application_round"
    __table_args__ = (
        UniqueConstraint("application_id", "number"),
        CheckConstraint(
            "(submitted_at IS NULL) = (submitted_by_id IS NULL) AND (submitted_at IS NULL) = (snapshot IS NULL)",
            name="submitted_has_who_when_what",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    number: int
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    snapshot: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    snapshot_sha256: str | None = Field(default=None, max_length=64)


class CriterionResponse(SQLModel, table=True):
    """The co-op's self-assessment of one criterion in one round."""

    __tablename__ = "criterion_response"
    __table_args__ = (UniqueConstraint("application_id", "round_number", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    round_number: int
    criterion_id: str = Field(max_length=40)
    level: int | None = Field(default=None)
    narrative: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # Optimistic locking: a save names the version it started from and updates the row only
    # WHERE lock_version still equals it (services/applications.py); otherwise it is a conflict.
    lock_version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


EVIDENCE_TYPES = (
    "policy", "minutes", "register", "survey", "feedback", "accounts", "report", "plan", "photo",
    "testimony", "training", "other",
)


class EvidenceItem(SQLModel, table=True):
    __tablename__ = "evidence_item"
    __table_args__ = (
        UniqueConstraint("application_id", "sha256"),
        CheckConstraint("size_bytes > 0", name="not_empty"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        CheckConstraint("reuse_confirmed_at IS NULL OR reused_from_id IS NOT NULL", name="confirmed_only_if_reused"),
        # A stored file belongs to one upload; a renewal reuses it by reference (reused_from_id).
        Index("uq_evidence_item_storage_key_original", "storage_key", unique=True,
              postgresql_where=text("reused_from_id IS NULL"), sqlite_where=text("reused_from_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    storage_key: str = Field(max_length=64, index=True)
    sha256: str = Field(max_length=64)
    size_bytes: int
    mime_type: str = Field(max_length=120)
    original_name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    evidence_type: str = Field(default="other", max_length=20)
    stakeholder_kind: str | None = Field(default=None, max_length=30)
    round_added: int = Field(default=1)
    uploaded_by_id: int = Field(foreign_key="user_account.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Retention: the file may be deleted after the decision; its hash stays as a record.
    file_deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A renewal starts with the last round's evidence, by reference to the same stored file; the
    # co-op confirms each is still current (or removes it) before it can submit.
    reused_from_id: int | None = Field(default=None, foreign_key="evidence_item.id")
    reuse_confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EvidenceCriterion(SQLModel, table=True):
    __tablename__ = "evidence_criterion"
    __table_args__ = (UniqueConstraint("evidence_id", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="evidence_item.id", index=True, ondelete="CASCADE")
    criterion_id: str = Field(max_length=40)


class ChangeRequest(SQLModel, table=True):
    """What the office or a moderator asked the co-op to change, per criterion (or overall)."""

    __tablename__ = "change_request"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    round_number: int
    criterion_id: str | None = Field(default=None, max_length=40)
    message: str = Field(sa_column=Column(Text, nullable=False))
    requested_by_id: int = Field(foreign_key="user_account.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
