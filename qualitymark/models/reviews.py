"""Peer review: the assessor pool, conflicts, assignments, scores, moderation and decisions."""
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime


class AssessorProfile(SQLModel, table=True):
    """An appointed assessor: where they come from and what they can take on."""

    __tablename__ = "assessor_profile"
    __table_args__ = (CheckConstraint("capacity_per_quarter >= 0", name="capacity_not_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", unique=True)
    home_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    # Short lists kept as comma-separated text: "Gwynedd,Conwy", "en,cy", "A,B,F".
    regions: str = Field(default="", max_length=500)
    languages: str = Field(default="en", max_length=50)
    expertise_sections: str = Field(default="", max_length=200)
    capacity_per_quarter: int = Field(default=4)
    active: bool = Field(default=True)
    appointed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    appointed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @staticmethod
    def split(value: str) -> list[str]:
        return [part.strip() for part in value.split(",") if part.strip()]

    @property
    def language_list(self) -> list[str]:
        return self.split(self.languages)


class ConflictDeclaration(SQLModel, table=True):
    """An assessor's own declaration: 'I have a conflict with this co-op' (e.g. I advised them)."""

    __tablename__ = "conflict_declaration"
    __table_args__ = (UniqueConstraint("assessor_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assessor_id: int = Field(foreign_key="user_account.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    declared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConflictOverride(SQLModel, table=True):
    """A scheme admin's recorded decision to allow an assessor despite a detected conflict."""

    __tablename__ = "conflict_override"
    __table_args__ = (
        UniqueConstraint("assessor_id", "application_id"),
        CheckConstraint("length(reason) >= 20", name="reason_written"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessor_id: int = Field(foreign_key="user_account.id", index=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    conflicts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    admin_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


ASSIGNMENT_STATES = ("invited", "accepted", "declined", "submitted", "withdrawn")
_ACTIVE_ASSIGNMENT_SQL = "status IN ('invited', 'accepted', 'submitted')"


class Assignment(SQLModel, table=True):
    """Assessor × application × round. `overdue` is derived from the due date, never stored."""

    __tablename__ = "assignment"
    __table_args__ = (
        CheckConstraint("status IN ('invited', 'accepted', 'declined', 'submitted', 'withdrawn')",
                        name="status_known"),
        # Accepting needs an explicit "no conflict" declaration: a blank is not one.
        CheckConstraint("status NOT IN ('accepted', 'submitted') OR no_conflict_declared_at IS NOT NULL",
                        name="accepted_declared_no_conflict"),
        CheckConstraint("status <> 'submitted' OR submitted_at IS NOT NULL", name="submitted_has_time"),
        CheckConstraint("status <> 'declined' OR length(decline_reason) > 0", name="declined_has_reason"),
        Index("uq_assignment_active", "application_id", "assessor_id", "round_number", unique=True,
              postgresql_where=text(_ACTIVE_ASSIGNMENT_SQL), sqlite_where=text(_ACTIVE_ASSIGNMENT_SQL)),
        Index("ix_assignment_assessor_status", "assessor_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    assessor_id: int = Field(foreign_key="user_account.id")
    round_number: int
    status: str = Field(default="invited", max_length=12)
    due_date: date
    assigned_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    no_conflict_declared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str = Field(default="", max_length=2000)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    override_id: int | None = Field(default=None, foreign_key="conflict_override.id")

    @property
    def is_open(self) -> bool:
        return self.status in ("invited", "accepted")


class Score(SQLModel, table=True):
    __tablename__ = "score"
    __table_args__ = (UniqueConstraint("assignment_id", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    criterion_id: str = Field(max_length=40)
    level: int | None = Field(default=None)
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    evidence_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ModeratedLevel(SQLModel, table=True):
    __tablename__ = "moderated_level"
    __table_args__ = (UniqueConstraint("application_id", "round_number", "criterion_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    round_number: int
    criterion_id: str = Field(max_length=40)
    level: int
    note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    moderator_id: int = Field(foreign_key="user_account.id")
    moderated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


DECISION_OUTCOMES = ("certify", "certify_with_conditions", "decline")


class Decision(SQLModel, table=True):
    """A certification decision. Append-only: a correction is a new row pointing at the old one."""

    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint("outcome IN ('certify', 'certify_with_conditions', 'decline')", name="outcome_known"),
        CheckConstraint("length(rationale) > 0", name="rationale_written"),
        CheckConstraint("replaces_id IS NULL OR replaces_id <> id", name="does_not_replace_itself"),
        UniqueConstraint("replaces_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    round_number: int
    outcome: str = Field(max_length=30)
    award_id: str | None = Field(default=None, max_length=40)
    rationale: str = Field(sa_column=Column(Text, nullable=False))
    # The scoring engine's verdict on the moderated levels, as the decider saw it.
    verdict: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    decided_by_id: int = Field(foreign_key="user_account.id")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    replaces_id: int | None = Field(default=None, foreign_key="decision.id")


class DecisionCondition(SQLModel, table=True):
    __tablename__ = "decision_condition"

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    due_date: date


class ReminderSent(SQLModel, table=True):
    """One row per reminder sent, so a reminder job that runs twice sends nothing twice."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("assignment_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    kind: str = Field(max_length=40)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
