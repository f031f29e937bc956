"""Tables of what is known about a phone number.

Verification codes, consent, the do-not-call list, platform opt-outs, the SMS stop list and the
keywords texted to Tocsin's numbers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base, UTCDateTime


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
    # What a call carrying the code says, sealed (`numbers.verification_calls`): REST providers
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
    `created_at`, which only the number's owner can give.

    The proof is a code typed back (`verification_id`) or a STOP texted from the number to one
    of Tocsin's (`keyword_id`, an `SmsKeyword`); the latest request is the one kept."""

    __tablename__ = "platform_opt_outs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    phone_e164: Mapped[str] = mapped_column(String(20), unique=True)
    verification_id: Mapped[str | None] = mapped_column(String(40), default=None)
    keyword_id: Mapped[str | None] = mapped_column(String(40), default=None)
    ip_address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SmsKeyword(Base):
    """Evidence of a keyword texted to one of Tocsin's numbers (STOP, HELP, START and their
    synonyms), as the provider delivered it. One row per provider message: a webhook the
    provider sends again finds its row and does nothing twice. Never deleted; `reply` says what
    became of the one answer: `pending`, `sent`, `failed`, or `none` (`reply_detail` says why no
    answer was due)."""

    __tablename__ = "sms_keywords"
    __table_args__ = (
        UniqueConstraint("provider", "message_id", name="uq_sms_keywords_provider_message"),
        Index("ix_sms_keywords_from_received", "from_number", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The provider's kind (twilio, plivo, telnyx, vonage) and its id for the message.
    provider: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(100))
    # The provider account the message arrived for, and its organization; both NULL for the
    # platform's own provider.
    account_id: Mapped[str | None] = mapped_column(String(40), default=None)
    org_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    # Who texted (E.164) and which of Tocsin's numbers received it.
    from_number: Mapped[str] = mapped_column(String(20))
    to_number: Mapped[str] = mapped_column(String(20))
    # The word as `tocsin.messages.sms.KEYWORDS` names it: STOP, STOPALL, HELP, UNSTOP...
    keyword: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reply: Mapped[str] = mapped_column(String(10))
    reply_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    reply_detail: Mapped[str | None] = mapped_column(Text, default=None)


class SmsStop(Base):
    """A number that texted STOP: Tocsin sends it no text until it texts START. Lifting it
    (`lifted_at`) resumes texts only; calls follow the opt-out the STOP also made.

    `scope` is `platform` for a STOP texted to the platform's own numbers (no text from Tocsin
    at all), or an organization's id for one texted to a number of that organization's own
    provider account (no text on that organization's behalf): see `numbers.sms_stops`."""

    __tablename__ = "sms_stops"
    __table_args__ = (UniqueConstraint("scope", "phone_e164", name="uq_sms_stops_scope_phone"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    phone_e164: Mapped[str] = mapped_column(String(20))
    stopped_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stop_keyword_id: Mapped[str] = mapped_column(String(40))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    lift_keyword_id: Mapped[str | None] = mapped_column(String(40), default=None)
