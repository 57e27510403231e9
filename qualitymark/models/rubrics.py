"""Published rubric versions. A published version never changes: its canonical content and
that content's SHA-256 are stored together, and reading it back checks the one against the other."""
import hashlib
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime


class RubricIntegrityError(RuntimeError):
    """The stored content no longer matches its hash: someone changed a published rubric."""


class RubricVersion(SQLModel, table=True):
    __tablename__ = "rubric_version"
    __table_args__ = (
        UniqueConstraint("scheme", "version"),
        CheckConstraint("length(content_hash) = 64", name="content_hash_is_sha256"),
        CheckConstraint("retired_at IS NULL OR retired_at >= published_at", name="retired_after_published"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scheme: str = Field(max_length=80, index=True)
    version: str = Field(max_length=40)
    # Numeric parts, so versions sort as 1.2.0 < 1.10.0 in SQL too.
    version_major: int
    version_minor: int
    version_patch: int
    title: str = Field(max_length=300)
    effective_date: date
    content_hash: str = Field(max_length=64)
    canonical: str = Field(sa_column=Column(Text, nullable=False))
    source_yaml: str = Field(sa_column=Column(Text, nullable=False))
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def version_key(self) -> tuple[int, int, int]:
        return (self.version_major, self.version_minor, self.version_patch)

    def verified_canonical(self) -> bytes:
        data = self.canonical.encode("utf-8")
        if hashlib.sha256(data).hexdigest() != self.content_hash:
            raise RubricIntegrityError(
                f"rubric {self.scheme} {self.version}: stored content does not match its SHA-256; "
                "a published rubric must never be edited"
            )
        return data
