"""The audit trail: one event per state change, written in the same transaction, append-only
(the database refuses UPDATE and DELETE) and hash-chained: each event's hash covers its content
and the previous event's hash, so a changed or removed event breaks the chain from there on."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column
from sqlmodel import Field, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint("length(hash) = 64 AND length(previous_hash) = 64", name="hashes_are_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Position in the chain: 1, 2, 3, ... with no gaps (assigned under the chain head's lock).
    sequence: int = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # Nullable: the public (complaints) and the system (jobs) act too.
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    action: str = Field(max_length=80)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    request_id: str | None = Field(default=None, max_length=64)
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditChainHead(SQLModel, table=True):
    """One row: the last event's sequence and hash. Appending locks it, so the chain never forks."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    last_sequence: int = Field(default=0)
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)
