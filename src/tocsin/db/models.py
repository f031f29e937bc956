"""Every table, imported in one place so metadata and migrations see them all."""

from tocsin.accounts.models import ApiKey, Invite, Membership, Organization, RefreshToken, User
from tocsin.billing.models import (
    Adjustment,
    BillingEvent,
    Notice,
    PaymentTransaction,
    Subscription,
    Trial,
    TrialClaim,
    UsageCounter,
)
from tocsin.db.base import Base
from tocsin.delivery.models import CallAttempt, CallJob, Escalation, ProviderAccount
from tocsin.endpoints.models import Contact, Endpoint, EndpointContact
from tocsin.ingest.models import Alert
from tocsin.routing.models import EscalationPolicy
from tocsin.trust.models import (
    AuditEvent,
    ConsentRecord,
    DoNotCall,
    EnforcementAction,
    NumberVerification,
    PlatformOptOut,
    PolicyAcceptance,
    PolicyDocument,
    TrustCase,
)
from tocsin.web.models import WebSession

__all__ = [
    "Adjustment",
    "Alert",
    "ApiKey",
    "AuditEvent",
    "Base",
    "BillingEvent",
    "CallAttempt",
    "CallJob",
    "ConsentRecord",
    "Contact",
    "DoNotCall",
    "Endpoint",
    "EndpointContact",
    "EnforcementAction",
    "Escalation",
    "EscalationPolicy",
    "Invite",
    "Membership",
    "Notice",
    "NumberVerification",
    "Organization",
    "PaymentTransaction",
    "PlatformOptOut",
    "PolicyAcceptance",
    "PolicyDocument",
    "ProviderAccount",
    "RefreshToken",
    "Subscription",
    "Trial",
    "TrialClaim",
    "TrustCase",
    "UsageCounter",
    "User",
    "WebSession",
]
