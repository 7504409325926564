"""SQLModel tables, one module per domain. Importing this package registers them all."""

from ofair_app.models.auth import AuthToken, OtpCode
from ofair_app.models.identity import Locale, User, UserRole
from ofair_app.models.leads import (
    AccessEvent,
    AccessReason,
    ConsumerLead,
    ContactAccessLog,
    Lead,
    LeadAttachment,
    LeadCreate,
    LeadUpdate,
    ProfessionalLead,
    Subscription,
    SubscriptionPlan,
    SubscriptionStatus,
)
from ofair_app.models.money import (
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentWebhookEvent,
)
from ofair_app.models.ops import JobRun, JobRunStatus
from ofair_app.models.outbox import OutboxMessage, OutboxStatus
from ofair_app.models.proposals import (
    LeadEvent,
    PhoneRevelation,
    Proposal,
    ProposalAttachment,
    ProposalCreate,
    ProposalUpdate,
    Referral,
    ReferralCreate,
)
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
    "AccessEvent",
    "AccessReason",
    "AdminAuditLog",
    "AuthToken",
    "CategoryRow",
    "Certificate",
    "CertificateStatus",
    "ConsumerLead",
    "ContactAccessLog",
    "JobRun",
    "JobRunStatus",
    "Lead",
    "LeadAttachment",
    "LeadCreate",
    "LeadEvent",
    "LeadUpdate",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Locale",
    "LocalityRow",
    "MemberRole",
    "OtpCode",
    "OutboxMessage",
    "OutboxStatus",
    "Payment",
    "PaymentWebhookEvent",
    "PhoneRevelation",
    "Professional",
    "ProfessionalLead",
    "ProfessionalMember",
    "ProfessionalStatus",
    "Proposal",
    "ProposalAttachment",
    "ProposalCreate",
    "ProposalUpdate",
    "Referral",
    "ReferralCreate",
    "SubcategoryRow",
    "Subscription",
    "SubscriptionPlan",
    "SubscriptionStatus",
    "User",
    "UserRole",
]
