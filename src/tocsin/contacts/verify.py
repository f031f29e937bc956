"""Verifying a contact's number, shared by the API, the dashboard and the command line: issue a
code in one transaction, send it outside any transaction, and check what was typed back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import person_of
from tocsin.billing.commands import check_claims_during_trial
from tocsin.billing.standing import BillingConfig
from tocsin.billing.trials import ClaimKind, claim
from tocsin.contacts.checks import refuse_marked_number
from tocsin.contacts.code_sends import CodeRules, check_consent_code
from tocsin.contacts.languages import language_of_number
from tocsin.contacts.models import Contact
from tocsin.contacts.queries import get_contact, latest_code_id
from tocsin.core.actors import Actor
from tocsin.core.clock import Clock
from tocsin.core.config import Settings
from tocsin.core.errors import NotFound
from tocsin.core.ratelimit import Limits, RateLimiter
from tocsin.core.secretbox import SecretBox
from tocsin.db.engine import Database
from tocsin.messages.org_names import shown_org_name
from tocsin.numbers import consent, sms_stops, verification
from tocsin.numbers.code_delivery import (
    CodeMessage,
    CodeNotSent,
    SmsUnsupported,
    has_sms,
    send_code,
)
from tocsin.numbers.models import ConsentRecord, NumberVerification
from tocsin.numbers.verification import Channel, Confirmation, Purpose, Requester
from tocsin.numbers.verification_calls import seal_spoken_text
from tocsin.providers.choice import ProviderDirectory
from tocsin.telephony.prompts import DEFAULT_LANGUAGE, voice_for


class VerificationServices(Protocol):
    """What verifying a number needs of the running process; `tocsin.runtime.Runtime` is one."""

    @property
    def settings(self) -> Settings: ...
    @property
    def database(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def rate_limiter(self) -> RateLimiter: ...
    @property
    def verification_digest_key(self) -> bytes: ...
    @property
    def verification_box(self) -> SecretBox: ...
    # A number verified during a trial is claimed for it, or ends it if another trial had it.
    @property
    def billing_digest_key(self) -> bytes: ...
    @property
    def billing(self) -> BillingConfig: ...
    def provider_directory(self) -> ProviderDirectory: ...


@dataclass(frozen=True)
class Pending:
    """A code written and committed, waiting to be sent."""

    issued: verification.Issued
    # The organization's name as a code may say it (messages/org_names.py), or None.
    org_name: str | None
    # The organization's voice, so the code sounds like its alerts (when it speaks `language`).
    voice: str | None = None
    # What the code is said or texted in: the number's, the member's or the organization's.
    language: str = DEFAULT_LANGUAGE


def opt_out_url(services: VerificationServices) -> str:
    return f"{services.settings.public_base_url.rstrip('/')}/opt-out"


def issue_for_contact(
    session: Session,
    services: VerificationServices,
    *,
    org_id: str,
    contact_id: str,
    channel: Channel,
    requester: Requester,
    now: datetime,
) -> Pending:
    """Write a code for the contact's number; `deliver` sends it once this has committed."""
    contact = get_contact(session, org_id=org_id, contact_id=contact_id)
    return issue_for_number(
        session, services, contact=contact, channel=channel, requester=requester, now=now
    )


def issue_for_number(
    session: Session,
    services: VerificationServices,
    *,
    contact: Contact,
    channel: Channel,
    requester: Requester,
    now: datetime,
) -> Pending:
    """`issue_for_contact` for a number already found: a plain contact, or a member's own
    number (oncall/methods.py, which first checks who may ask)."""
    org = session.get(Organization, contact.org_id)
    if org is None:
        raise NotFound("organization not found", code="org_not_found")
    # First, before anything is written: this refusal keeps its record.
    refuse_marked_number(
        session,
        org_id=org.id,
        number=contact.phone_e164,
        digest_key=services.billing_digest_key,
        operation="consent.code",
        actor=requester.actor,
        now=now,
    )
    settings = services.settings
    person_id = person_of(session, requester.actor)
    # A code is a call too: it passes what an alert call to the number would, as in force
    # now, so a verification never reaches a number an alert could not.
    check_consent_code(
        session,
        org=org,
        plan=services.billing.plan_in_force(org, now),
        number=contact.phone_e164,
        person_id=person_id,
        rules=CodeRules(settings.throttle_buckets(), settings.sanctioned_region_set()),
        now=now,
    )
    if channel == Channel.SMS and not has_sms(
        services.provider_directory().choices_for(session, contact.org_id).choices
    ):
        raise SmsUnsupported("none of this organization's providers sends SMS; use a call")
    count_code_request(services.rate_limiter, org_id=org.id, person=person_id or f"org:{org.id}")
    issued = verification.issue(
        session,
        purpose=Purpose.CONSENT,
        number=contact.phone_e164,
        channel=channel,
        requester=requester,
        digest_key=services.verification_digest_key,
        now=now,
        org_id=contact.org_id,
        contact_id=contact.id,
    )
    language = language_of_number(session, contact, org)
    return Pending(issued, shown_org_name(org.name), org.voice, language)


def count_code_request(limiter: RateLimiter, *, org_id: str, person: str) -> None:
    """Per person and per organization, never per API key: keys are free to make. Both are
    checked before either is counted, so a refusal by one does not use up the other."""
    what = "verification codes"
    limiter.check(Limits.VERIFICATION, person, what=what)
    limiter.check(Limits.VERIFICATION_ORG, org_id, what=what)
    limiter.hit(Limits.VERIFICATION, person, what=what)
    limiter.hit(Limits.VERIFICATION_ORG, org_id, what=what)


async def deliver(services: VerificationServices, pending: Pending) -> None:
    """Send a committed code, then note how it went; a code that did not go out is an error."""
    row = pending.issued.verification
    directory = services.provider_directory()
    if row.org_id is None or row.purpose == Purpose.CALLER_ID:
        # The platform's own messages: a public opt-out's code, and the code that proves a
        # caller ID, which no account of the organization may present before it is proven.
        chain = directory.platform_chain()
    else:
        with services.database.read() as session:
            chain = directory.choices_for(session, row.org_id)
    message = CodeMessage(
        Purpose(row.purpose),
        pending.issued.code,
        pending.org_name,
        opt_out_url(services),
        pending.language,
    )
    if Channel(row.channel) == Channel.SMS:
        await asyncio.to_thread(_may_text, services, row)
    if Channel(row.channel) == Channel.CALL:
        # Kept sealed, and committed before dialling: a REST provider asks for the words as
        # soon as the call is answered.
        sealed = seal_spoken_text(
            services.verification_box,
            message.spoken(),
            language=message.language,
            in_english=message.in_english().spoken(),
        )

        def keep_text() -> None:
            with services.database.write() as session:
                stored = session.get(NumberVerification, row.id)
                if stored is not None:
                    stored.sealed_code = sealed

        await asyncio.to_thread(keep_text)
    error: CodeNotSent | None = None
    reference: str | None = None
    try:
        if chain.caller_id_missing:
            reasons = "; ".join(passed.reason for passed in chain.passed_over)
            raise CodeNotSent(
                f"no provider may send the code: no proven caller ID ({reasons}); choose one "
                "for the organization's provider accounts"
            )
        reference = await send_code(
            chain.choices,
            verification_id=row.id,
            to_number=row.phone_e164,
            channel=Channel(row.channel),
            message=message,
            # As an alert call's: the organization's voice when it speaks the language.
            voice=voice_for(message.language, pending.voice or services.settings.voice),
        )
    except CodeNotSent as failure:
        error = failure

    def note() -> None:
        with services.database.write() as session:
            stored = session.get(NumberVerification, row.id)
            if stored is not None:
                stored.provider_ref = reference
                stored.send_error = error.message if error else None

    await asyncio.to_thread(note)
    if error is not None:
        raise error


def _may_text(services: VerificationServices, row: NumberVerification) -> None:
    """Raise SmsStopped, once the refusal is recorded and committed, when the number texted
    STOP: the code is not sent."""
    with services.database.write() as session:
        refused = sms_stops.refusal(
            session,
            number=row.phone_e164,
            org_id=row.org_id,
            purpose=f"verification.{row.purpose}",
            reference=row.id,
            now=services.clock.now(),
        )
        stored = session.get(NumberVerification, row.id)
        if refused is not None and stored is not None:
            stored.send_error = refused.message
    if refused is not None:
        raise refused


def confirm_for_contact(
    session: Session,
    services: VerificationServices,
    *,
    org_id: str,
    contact_id: str,
    code: str,
    verification_id: str | None,
    actor: Actor,
    user_agent: str | None,
    now: datetime,
) -> tuple[Confirmation, ConsentRecord | None]:
    """Check a code typed for the contact (the latest one sent when none is named); record
    consent when it is right. Raise the confirmation's error only after the caller commits."""
    contact = get_contact(session, org_id=org_id, contact_id=contact_id)
    return confirm_for_number(
        session,
        services,
        contact=contact,
        code=code,
        verification_id=verification_id,
        actor=actor,
        user_agent=user_agent,
        now=now,
    )


def confirm_for_number(
    session: Session,
    services: VerificationServices,
    *,
    contact: Contact,
    code: str,
    verification_id: str | None,
    actor: Actor,
    user_agent: str | None,
    now: datetime,
) -> tuple[Confirmation, ConsentRecord | None]:
    """`confirm_for_contact` for a number already found; `actor` is whose consent it records."""
    wanted = verification_id or latest_code_id(session, contact)
    if wanted is None:
        raise NotFound("no code was sent to this contact", code="verification_not_found")
    row = verification.find(session, wanted, purpose=Purpose.CONSENT, org_id=contact.org_id)
    if row.contact_id != contact.id or row.phone_e164 != contact.phone_e164:
        raise NotFound("no such verification for this contact", code="verification_not_found")
    result = verification.confirm(
        row, code=code, digest_key=services.verification_digest_key, now=now
    )
    if result.error() is not None:
        return result, None
    record = consent.record(session, verification=row, actor=actor, user_agent=user_agent, now=now)
    # The consent stands whatever this finds: only the trial is at stake.
    check_claims_during_trial(
        session,
        org_id=contact.org_id,
        claims=[claim(ClaimKind.PHONE, row.phone_e164, digest_key=services.billing_digest_key)],
        billing=services.billing,
        actor=actor,
        now=now,
    )
    return result, record
