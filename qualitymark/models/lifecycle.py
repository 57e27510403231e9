"""After the certificate: annual declarations, complaints, appeals, notifications (ISO/IEC 17065
7.9-7.13). Expiry is never stored: it is derived from the certificate's valid_until."""
# No `from __future__ import annotations` in model modules: SQLModel reads the annotations.
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime

DECLARATION_OUTCOMES = ("no_change", "changes_reported")


class AnnualDeclaration(SQLModel, table=True):
    """Surveillance (7.9): each year of validity the co-op confirms nothing material changed, or
    says what did. Year k is due on the k-th anniversary of valid_from; a row exists once made."""

    __tablename__ = "annual_declaration"
    __table_args__ = (
        UniqueConstraint("certificate_id", "year_number"),
        CheckConstraint("outcome IN ('no_change', 'changes_reported')", name="outcome_known"),
        CheckConstraint("outcome = 'no_change' OR length(changes) > 0", name="changes_described"),
        CheckConstraint("(reviewed_at IS NULL) = (reviewed_by_id IS NULL)", name="reviewed_has_who_when"),
    )

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    year_number: int
    due_date: date
    outcome: str = Field(max_length=20)
    changes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    declared_by_id: int = Field(foreign_key="user_account.id")
    declared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The office reads every reported change and records what it made of it.
    reviewed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_note: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


COMPLAINT_STATES = ("received", "investigating", "closed")
COMPLAINT_OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "withdrawn")


class Complaint(SQLModel, table=True):
    """7.13: a complaint from anyone about a certified co-op or about the scheme itself."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint("status IN ('received', 'investigating', 'closed')", name="status_known"),
        CheckConstraint("outcome IS NULL OR outcome IN ('upheld', 'partly_upheld', 'not_upheld', 'withdrawn')",
                        name="outcome_known"),
        CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)", name="closed_has_outcome"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
        CheckConstraint("status = 'received' OR handler_id IS NOT NULL", name="handled_by_someone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True)  # told to the complainant: "CMP-7K3Q9D"
    # About a co-op (and, when given, one of its certificates), or about the scheme when both are null.
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    certificate_id: int | None = Field(default=None, foreign_key="certificate.id")
    complainant_name: str = Field(max_length=200)
    complainant_email: str = Field(max_length=254)
    complainant_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    locale: str = Field(default="en", max_length=5)
    text: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default="received", max_length=20, index=True)
    handler_id: int | None = Field(default=None, foreign_key="user_account.id")
    outcome: str | None = Field(default=None, max_length=20)
    outcome_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


APPEAL_SUBJECTS = ("decision", "suspension")
APPEAL_STATES = ("lodged", "upheld", "dismissed")


class Appeal(SQLModel, table=True):
    """7.13: a co-op asks for a decision about it to be reconsidered. Decided by an officer who
    neither made the decision nor assessed; upheld (a new decision follows) or dismissed."""

    __tablename__ = "appeal"
    __table_args__ = (
        CheckConstraint("subject IN ('decision', 'suspension')", name="subject_known"),
        CheckConstraint("status IN ('lodged', 'upheld', 'dismissed')", name="status_known"),
        CheckConstraint("(subject = 'decision') = (decision_id IS NOT NULL)", name="decision_named"),
        CheckConstraint("(subject = 'suspension') = (certificate_id IS NOT NULL)", name="certificate_named"),
        CheckConstraint("(status = 'lodged') = (decided_at IS NULL)", name="decided_has_time"),
        CheckConstraint("status = 'lodged' OR (length(outcome_reason) > 0 AND handler_id IS NOT NULL)",
                        name="decided_has_reasons"),
        CheckConstraint("length(grounds) > 0", name="grounds_written"),
        # One appeal per decision, and one per suspension (its status_changed_at names it).
        UniqueConstraint("decision_id"),
        UniqueConstraint("certificate_id", "suspended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    subject: str = Field(max_length=20)
    decision_id: int | None = Field(default=None, foreign_key="decision.id")
    certificate_id: int | None = Field(default=None, foreign_key="certificate.id")
    suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    grounds: str = Field(sa_column=Column(Text, nullable=False))
    lodged_by_id: int = Field(foreign_key="user_account.id")
    lodged_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default="lodged", max_length=20, index=True)
    handler_id: int | None = Field(default=None, foreign_key="user_account.id")
    outcome_reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When upheld against a decision: the new decision that followed, once made.
    new_decision_id: int | None = Field(default=None, foreign_key="decision.id")


class Notification(SQLModel, table=True):
    """Something that asks a person to act, in their in-app list. The text is written when shown,
    in the reader's language, from `kind` and `params`; `key` makes sending it idempotent."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    kind: str = Field(max_length=60)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    link: str = Field(default="", max_length=300)
    key: str = Field(max_length=160)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NoticeSent(SQLModel, table=True):
    """One row per scheduled notice (a renewal reminder, an expiry, a missing declaration), so
    a periodic job run twice, or catching up after days of downtime, sends nothing twice."""

    __tablename__ = "notice_sent"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
