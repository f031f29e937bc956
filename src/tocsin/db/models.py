"""Every table, imported in one place so metadata and migrations see them all."""

from tocsin.accounts.models import ApiKey, Invite, Membership, Organization, RefreshToken, User
from tocsin.db.base import Base
from tocsin.delivery.models import CallAttempt, CallJob, Escalation, ProviderAccount
from tocsin.endpoints.models import Contact, Endpoint, EndpointContact
from tocsin.ingest.models import Alert
from tocsin.routing.models import EscalationPolicy
from tocsin.trust.models import AuditEvent, DoNotCall

__all__ = [
    "Alert",
    "ApiKey",
    "AuditEvent",
    "Base",
    "CallAttempt",
    "CallJob",
    "Contact",
    "DoNotCall",
    "Endpoint",
    "EndpointContact",
    "Escalation",
    "EscalationPolicy",
    "Invite",
    "Membership",
    "Organization",
    "ProviderAccount",
    "RefreshToken",
    "User",
]
