"""All tables, imported here so that Alembic and the app see the whole metadata."""
from qualitymark.models.accounts import (  # noqa: F401
    LOCALES,
    MEMBERSHIP_ROLES,
    STAFF_ROLES,
    Membership,
    Organisation,
    StaffRole,
    User,
)
from qualitymark.models.audit import AuditEvent  # noqa: F401
from qualitymark.models.base import metadata  # noqa: F401
from qualitymark.models.jobs import JobRecord  # noqa: F401
