"""Every table, imported in one place so metadata and migrations see them all."""

from tocsin.accounts.models import (
    ApiKey,
    EmailVerification,
    FirstSignUp,
    Invite,
    Membership,
    Organization,
    PasswordReset,
    RefreshToken,
    RevokedAccessToken,
    SignInAddress,
    User,
    WebSession,
)
from tocsin.audit.models import AuditEvent, Notice
from tocsin.billing.models import (
    Adjustment,
    BillingEvent,
    PaddleCustomer,
    PaymentTransaction,
    RefundRequest,
    Subscription,
    SubscriptionCancellation,
    TerminationMark,
    Trial,
    TrialClaim,
    UsageCounter,
)
from tocsin.contacts.models import Contact
from tocsin.db.base import Base
from tocsin.documents.models import PolicyAcceptance, PolicyDocument
from tocsin.endpoints.models import Endpoint, EndpointContact, EscalationPolicy
from tocsin.heartbeats.models import HeartbeatMonitor, HeartbeatPing
from tocsin.mail.models import OutboundEmail
from tocsin.maintenance.models import MaintenanceWindow
from tocsin.numbers.models import (
    ConsentRecord,
    DoNotCall,
    NumberVerification,
    PlatformOptOut,
    SmsKeyword,
    SmsStop,
)
from tocsin.oncall.models import (
    CalendarFeed,
    CalendarToken,
    MemberText,
    NotificationRule,
    Project,
    ProjectMember,
    Rotation,
    Schedule,
    ScheduleOverride,
    ScheduleTemporary,
)
from tocsin.outgoing.models import WebhookDelivery, WebhookSubscription
from tocsin.paging.models import Alert, CallAttempt, CallJob, Escalation, SmsReply
from tocsin.providers.models import CallerId, ProviderAccount, ProviderTestCall
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust.models import HeldOptOut, TrustCase

__all__ = [
    "Adjustment",
    "Alert",
    "ApiKey",
    "AuditEvent",
    "Base",
    "BillingEvent",
    "CalendarFeed",
    "CalendarToken",
    "CallAttempt",
    "CallJob",
    "CallerId",
    "ConsentRecord",
    "Contact",
    "DoNotCall",
    "EmailVerification",
    "Endpoint",
    "EndpointContact",
    "EnforcementAction",
    "Escalation",
    "EscalationPolicy",
    "FirstSignUp",
    "HeartbeatMonitor",
    "HeartbeatPing",
    "HeldOptOut",
    "Invite",
    "MaintenanceWindow",
    "MemberText",
    "Membership",
    "Notice",
    "NotificationRule",
    "NumberVerification",
    "Organization",
    "OutboundEmail",
    "PaddleCustomer",
    "PasswordReset",
    "PaymentTransaction",
    "PlatformOptOut",
    "PolicyAcceptance",
    "PolicyDocument",
    "Project",
    "ProjectMember",
    "ProviderAccount",
    "ProviderTestCall",
    "RefreshToken",
    "RefundRequest",
    "RevokedAccessToken",
    "Rotation",
    "Schedule",
    "ScheduleOverride",
    "ScheduleTemporary",
    "SignInAddress",
    "SmsKeyword",
    "SmsReply",
    "SmsStop",
    "Subscription",
    "SubscriptionCancellation",
    "TerminationMark",
    "Trial",
    "TrialClaim",
    "TrustCase",
    "UsageCounter",
    "User",
    "WebSession",
    "WebhookDelivery",
    "WebhookSubscription",
]
