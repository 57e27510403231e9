"""All tables, imported here so that Alembic and the app see the whole metadata."""
from qualitymark.models.accounts import (  # noqa: F401
    LOCALES,
    MEMBERSHIP_ROLES,
    STAFF_ROLES,
    STAKEHOLDER_KINDS,
    Consortium,
    ConsortiumMembership,
    Invitation,
    Membership,
    Organisation,
    RecoveryCode,
    StaffRole,
    StakeholderClass,
    User,
)
from qualitymark.models.applications import (  # noqa: F401
    AgreementAcceptance,
    Application,
    ApplicationRound,
    ChangeRequest,
    CriterionResponse,
    EvidenceCriterion,
    EvidenceItem,
)
from qualitymark.models.audit import AuditChainHead, AuditEvent  # noqa: F401
from qualitymark.models.base import metadata  # noqa: F401
from qualitymark.models.jobs import JobRecord  # noqa: F401
from qualitymark.models.rubrics import RubricIntegrityError, RubricVersion  # noqa: F401
from qualitymark.models.reviews import (  # noqa: F401
    AssessorProfile,
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    Decision,
    DecisionCondition,
    ModeratedLevel,
    ReminderSent,
    Score,
)
from qualitymark.models.certificates import (  # noqa: F401
    Certificate,
    CertificateDocument,
    SigningKey,
    StatusList,
)
from qualitymark.models.lifecycle import (  # noqa: F401
    AnnualDeclaration,
    Appeal,
    Complaint,
    Notification,
    NoticeSent,
)
