"""Trust and safety tables: the audit log, enforcement, consent and opt-outs, the case queue
and policy documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, JSONText, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_id_id", "org_id", "id"),
        # The anomaly scan reads recent events of one action (trial refusals).
        Index("ix_audit_events_action_created_at", "action", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # No foreign key: the audit trail must outlive what it describes.
    org_id: Mapped[str | None] = mapped_column(String(40), default=None)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str | None] = mapped_column(String(40), default=None)
    target_id: Mapped[str | None] = mapped_column(String(40), default=None)
    details: Mapped[Any] = mapped_column(JSONText(), nullable=True, default=None)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EnforcementAction(Base):
    """A warning, suspension or termination of a user, organization, endpoint or number.

    Suspensions and terminations take effect the moment the row is committed: ingest and dial
    time both look for an active one. Nothing is deleted; lifting sets `lifted_at`.
    """

    __tablename__ = "enforcement_actions"
    __table_args__ = (Index("ix_enforcement_actions_target", "scope", "target_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(20))
    # A user, organization or endpoint id, or an E.164 number.
    target_id: Mapped[str] = mapped_column(String(40))
    # The organization the target belongs to (NULL for users and numbers), so it sees why.
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    reason: Mapped[str] = mapped_column(Text)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lifted_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DoNotCall(Base):
    """A number this organization must not call: its callee pressed 9, or someone with access
    to the organization said so. Checked at dial time, so it takes effect on the next call."""

    __tablename__ = "do_not_call"
    __table_args__ = (UniqueConstraint("org_id", "phone_e164", name="uq_do_not_call_org_phone"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    phone_e164: Mapped[str] = mapped_column(String(20))
    # keypad, api or cli
    source: Mapped[str] = mapped_column(String(20))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # The call in which the callee asked, for keypad requests.
    attempt_id: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the number's owner verified it again for this organization; listing it again
    # clears it.
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class NumberVerification(Base):
    """A 6-digit code sent to a number, by call or SMS, to prove someone controls it.

    `purpose` says what a correct code does: `consent` lets an organization call the number
    (and lifts an opt-out); `opt_out` stops every organization calling it. Only a digest of the
    code is kept. Rows are kept after use: they are the evidence behind a consent record, and
    they count towards the send limits.
    """

    __tablename__ = "number_verifications"
    __table_args__ = (Index("ix_number_verifications_phone_created", "phone_e164", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    # NULL for a public opt-out, which belongs to no organization.
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    contact_id: Mapped[str | None] = mapped_column(String(40), default=None)
    phone_e164: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    code_digest: Mapped[str] = mapped_column(String(64))
    # Who asked for the code: a user, an API key, or `public` with the address.
    requested_by_type: Mapped[str] = mapped_column(String(20))
    requested_by_id: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    wrong_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The provider's id of the call or message that carried the code; NULL until it is sent.
    provider_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    send_error: Mapped[str | None] = mapped_column(Text, default=None)
    # What a call carrying the code says, sealed (`delivery.verification_calls`): REST providers
    # ask for it in a callback once the call is answered. Text, because the sealed text of a
    # long organization name runs to a few kilobytes. NULL for an SMS.
    sealed_code: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ConsentRecord(Base):
    """Evidence that the person who controls a number agreed to be called by an organization:
    who entered the code, when, how the code reached them, from where, and which version of the
    acceptable-use policy was in force. Never updated except to say it was withdrawn."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_org_phone", "org_id", "phone_e164"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    phone_e164: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[str | None] = mapped_column(String(40), default=None)
    verification_id: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(10))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(100), default=None)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    policy_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(40), default=None)


class PlatformOptOut(Base):
    """A number whose owner asked, after proving control of it, that nobody on the platform
    call it. An organization may call it again only with consent given after this row's
    `created_at`, which only the number's owner can give."""

    __tablename__ = "platform_opt_outs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    phone_e164: Mapped[str] = mapped_column(String(20), unique=True)
    verification_id: Mapped[str] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TrustCase(Base):
    """An item in the trust and safety queue: an abuse report, an anomaly, or an appeal.

    `fingerprint` lets a detector that fires again on the same pattern find its open case
    instead of filing another. `due_at` is the target for an answer (appeals).
    """

    __tablename__ = "trust_cases"
    __table_args__ = (
        Index("ix_trust_cases_status_id", "status", "id"),
        UniqueConstraint("fingerprint", name="uq_trust_cases_fingerprint"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    summary: Mapped[str] = mapped_column(String(300))
    details: Mapped[Any] = mapped_column(JSONText(), nullable=True, default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(200), default=None)
    # The enforcement action an appeal is against, or one taken on the case.
    action_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    opened_by_type: Mapped[str] = mapped_column(String(20))
    opened_by_id: Mapped[str | None] = mapped_column(String(100), default=None)
    assignee_id: Mapped[str | None] = mapped_column(String(40), default=None)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PolicyDocument(Base):
    """One version of the acceptable-use policy or the terms. A material change is published
    at least 30 days before `effective_at`; until then the previous version stays in force."""

    __tablename__ = "policy_documents"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_policy_documents_kind_version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    summary_of_changes: Mapped[str | None] = mapped_column(Text, default=None)
    material: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PolicyAcceptance(Base):
    __tablename__ = "policy_acceptances"
    __table_args__ = (
        UniqueConstraint("user_id", "document_id", name="uq_policy_acceptances_user_document"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("policy_documents.id", ondelete="CASCADE"))
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
