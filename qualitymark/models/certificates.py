"""Certificates, the keys that sign them and the status lists that revoke or suspend them."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from qualitymark.clock import utcnow
from qualitymark.models.base import UTCDateTime


class SigningKey(SQLModel, table=True):
    """A key the issuer signs with. Only the public half is in the database; the private half is a
    file (mode 0600) in the keys folder. Retired keys stay listed so old certificates verify."""

    __tablename__ = "signing_key"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=40, unique=True)  # the DID URL fragment, e.g. "key-1"
    public_key_multibase: str = Field(max_length=80, unique=True)
    private_key_file: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


STATUS_PURPOSES = ("revocation", "suspension")


class StatusList(SQLModel, table=True):
    __tablename__ = "status_list"
    __table_args__ = (
        UniqueConstraint("purpose", "number"),
        CheckConstraint("purpose IN ('revocation', 'suspension')", name="purpose_known"),
        CheckConstraint("size >= 131072", name="big_enough_for_privacy"),
    )

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=20)
    number: int
    size: int = Field(default=131072)
    bits: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    version: int = Field(default=1)
    # The signed BitstringStatusListCredential, regenerated when a bit changes or it nears expiry.
    credential_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    credential_valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


CERTIFICATE_STATES = ("active", "suspended", "withdrawn")


class Certificate(SQLModel, table=True):
    """One per certified application (invariant 4). `expired` is derived from valid_until."""

    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'withdrawn')", name="status_known"),
        CheckConstraint("valid_until > valid_from", name="valid_period"),
        UniqueConstraint("revocation_list_id", "revocation_index"),
        UniqueConstraint("suspension_list_id", "suspension_index"),
        Index("ix_certificate_organisation_issued", "organisation_id", "issued_at"),
        # A co-op's latest certificate (the register shows one per co-op).
        Index("ix_certificate_organisation_id_id", "organisation_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_code: str = Field(max_length=20, unique=True)
    application_id: int = Field(foreign_key="application.id", unique=True)
    decision_id: int = Field(foreign_key="decision.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    rubric_version_id: int = Field(foreign_key="rubric_version.id")
    award_id: str = Field(max_length=40)
    award_name: str = Field(max_length=200)
    award_name_cy: str | None = Field(default=None, max_length=200)
    services: str = Field(default="", max_length=2000)
    valid_from: date
    valid_until: date  # the last day it is valid
    status: str = Field(default="active", max_length=12, index=True)
    status_reason: str = Field(default="", max_length=2000)
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revocation_list_id: int = Field(foreign_key="status_list.id")
    revocation_index: int
    suspension_list_id: int = Field(foreign_key="status_list.id")
    suspension_index: int
    signing_key_id: int = Field(foreign_key="signing_key.id")
    credential_json: str = Field(sa_column=Column(Text, nullable=False))
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def service_list(self) -> list[str]:
        return [line for line in self.services.splitlines() if line.strip()]

    def state_on(self, today: date) -> str:
        """valid, suspended, withdrawn or expired — in that order of precedence after withdrawal."""
        if self.status == "withdrawn":
            return "withdrawn"
        if self.status == "suspended":
            return "suspended"
        # valid_until is the last day of validity, as printed ("valid until 21 November 2029").
        if today > self.valid_until:
            return "expired"
        return "valid"


class CertificateDocument(SQLModel, table=True):
    """A rendered PDF of a certificate, kept so the page does not render it on every request."""

    __tablename__ = "certificate_document"
    __table_args__ = (UniqueConstraint("certificate_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    kind: str = Field(default="pdf", max_length=10)
    rendered_state: str = Field(max_length=12)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    rendered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
