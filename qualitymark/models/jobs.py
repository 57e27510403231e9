"""The job outbox: a job is a row written in the same transaction as the change that asks for it.

The row is the point of truth. A job whose transaction rolls back never existed; one whose
transaction commits is sent to the queue (or run in-process) after the commit, and is sent
again by `qualitymark jobs requeue` if Redis was down or a worker died.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column
from sqlmodel import Field, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime

JOB_STATES = ("pending", "done", "failed")


class JobRecord(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'failed')", name="status_known"),
        CheckConstraint("(status = 'pending') = (finished_at IS NULL)", name="finished_when_not_pending"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(max_length=120)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Optional idempotency key: a second enqueue with the same key is a no-op.
    key: str | None = Field(default=None, max_length=160, unique=True)
    status: str = Field(default="pending", max_length=10, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
