"""SQLModel tables, one module per domain. Importing this package registers them all."""

from ofair_app.models.auth import AuthToken, OtpCode
from ofair_app.models.identity import Locale, User, UserRole
from ofair_app.models.ops import JobRun, JobRunStatus
from ofair_app.models.outbox import OutboxMessage, OutboxStatus
from ofair_app.models.reference import CategoryRow, LocalityRow, SubcategoryRow
from ofair_app.models.tenancy import (
    AdminAuditLog,
    Certificate,
    CertificateStatus,
    MemberRole,
    Professional,
    ProfessionalMember,
    ProfessionalStatus,
)

__all__ = [
    "AdminAuditLog",
    "AuthToken",
    "CategoryRow",
    "Certificate",
    "CertificateStatus",
    "JobRun",
    "JobRunStatus",
    "Locale",
    "LocalityRow",
    "MemberRole",
    "OtpCode",
    "OutboxMessage",
    "OutboxStatus",
    "Professional",
    "ProfessionalMember",
    "ProfessionalStatus",
    "SubcategoryRow",
    "User",
    "UserRole",
]
