"""Adding, proving and removing an organization's caller IDs.

A caller ID is usable once proven, in one of three ways:

- a code sent to the number, by call or SMS, through the platform's own providers and from the
  platform's own number (no account of the organization may present the number before it is
  proven), typed back: usable through every provider account of the organization;
- the provider account's own records: a Twilio, Plivo, Telnyx or Vonage account that owns the
  number, or (Twilio) has it as a verified caller ID (`callerids.ownership`): usable only
  through that account.

- the server's operator vouching for it from the shell (`attest_caller_id`), with a reason
  kept in the audit log: usable through every account, as a code's proof is.

Choosing one for a provider account or an endpoint is part of their own commands
(`providers.caller_ids.choosable` says what may be chosen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import person_of
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.contacts.checks import refuse_marked_number
from tocsin.contacts.code_sends import CodeRules, check_consent_code
from tocsin.contacts.verify import Pending, VerificationServices, count_code_request
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TocsinError
from tocsin.core.ids import new_id
from tocsin.endpoints.models import Endpoint
from tocsin.numbers import verification
from tocsin.numbers.code_delivery import SmsUnsupported, has_sms
from tocsin.numbers.verification import Channel, Confirmation, Purpose, Requester
from tocsin.providers.caller_ids import get_caller_id
from tocsin.providers.models import (
    PROVEN_FOR_EVERY_ACCOUNT,
    CallerId,
    CallerIdProof,
    ProviderAccount,
)
from tocsin.restrictions.blocks import require_writable
from tocsin.safety import screen_caller_id
from tocsin.telephony.prompts import resolve_language


def add_caller_id(
    session: Session,
    *,
    org_id: str,
    number: str,
    region: str | None,
    actor: Actor,
    now: datetime,
) -> CallerId:
    """Record a number the organization wants to show; unproven, so not usable yet. A national
    number is read in `region`, else in the organization's home country."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    org = session.get(Organization, org_id)
    home = org.home_region if org is not None else None
    verdict = screen_caller_id(number, region or home)
    if verdict.e164 is None or not verdict.allowed:
        raise InvalidInput(
            f"this number cannot be a caller ID: {verdict.summary()}",
            code="caller_id_refused",
            details={"field": "number", "reasons": verdict.reasons()},
        )
    exists = session.scalar(
        select(CallerId.id).where(CallerId.org_id == org_id, CallerId.number == verdict.e164)
    )
    if exists is not None:
        raise Conflict(
            f"{verdict.e164} is already one of this organization's caller IDs",
            code="caller_id_exists",
        )
    caller_id = CallerId(
        id=new_id("cid"), org_id=org_id, number=verdict.e164, created_at=now, updated_at=now
    )
    session.add(caller_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALLER_ID_ADDED,
        at=now,
        org_id=org_id,
        details={"number": caller_id.number},
        target_type="caller_id",
        target_id=caller_id.id,
    )
    return caller_id


def remove_caller_id(
    session: Session, *, org_id: str, caller_id_id: str, actor: Actor, now: datetime
) -> None:
    """Remove a caller ID no provider account or endpoint has chosen: removing one in use
    would leave its calls with nothing to present, so another must be chosen first."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    caller_id = get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id)
    users = [
        *session.scalars(
            select(ProviderAccount.name).where(ProviderAccount.caller_id_id == caller_id.id)
        ),
        *session.scalars(select(Endpoint.name).where(Endpoint.caller_id_id == caller_id.id)),
    ]
    if users:
        raise Conflict(
            f"{caller_id.number} is chosen by {', '.join(users)}; choose another caller ID "
            "for them first",
            code="caller_id_in_use",
        )
    session.delete(caller_id)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALLER_ID_REMOVED,
        at=now,
        org_id=org_id,
        details={"number": caller_id.number},
        target_type="caller_id",
        target_id=caller_id.id,
    )


def issue_code(
    session: Session,
    services: VerificationServices,
    *,
    org_id: str,
    caller_id_id: str,
    channel: Channel,
    requester: Requester,
    now: datetime,
) -> Pending:
    """Write a code for the caller ID's number; `contacts.verify.deliver` sends it, through
    the platform's providers, once this has committed."""
    require_writable(session, org_id=org_id, actor=requester.actor, now=now)
    caller_id = get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id)
    if caller_id.proof in PROVEN_FOR_EVERY_ACCOUNT:
        raise Conflict(f"{caller_id.number} is already proven", code="caller_id_proven")
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("organization not found", code="org_not_found")
    refuse_marked_number(
        session,
        org_id=org_id,
        number=caller_id.number,
        digest_key=services.billing_digest_key,
        operation="caller_id.code",
        actor=requester.actor,
        now=now,
    )
    settings = services.settings
    person_id = person_of(session, requester.actor)
    # Policed as a consent code is (contacts.code_sends): a code is a call on the
    # organization's behalf, counted in its budget and the number's limits.
    check_consent_code(
        session,
        org=org,
        plan=services.billing.plan_in_force(org, now),
        number=caller_id.number,
        person_id=person_id,
        rules=CodeRules(settings.throttle_buckets(), settings.sanctioned_region_set()),
        now=now,
    )
    platform = services.provider_directory().platform_chain()
    if channel == Channel.SMS and not has_sms(platform.choices):
        raise SmsUnsupported("the platform's providers send no SMS; use a call")
    count_code_request(services.rate_limiter, org_id=org_id, person=person_id or f"org:{org_id}")
    issued = verification.issue(
        session,
        purpose=Purpose.CALLER_ID,
        number=caller_id.number,
        channel=channel,
        requester=requester,
        digest_key=services.verification_digest_key,
        now=now,
        org_id=org_id,
    )
    caller_id.verification_id = issued.verification.id
    caller_id.updated_at = now
    audit.record(
        session,
        actor=requester.actor,
        action=AuditAction.CALLER_ID_CODE_SENT,
        at=now,
        org_id=org_id,
        details={"number": caller_id.number, "channel": channel.value},
        target_type="caller_id",
        target_id=caller_id.id,
    )
    # The wording is the platform's own (numbers.code_delivery): no organization name. It is
    # no one's number in Tocsin yet, so the organization's language speaks.
    return Pending(issued, None, org.voice, resolve_language([org.language]))


def confirm_code(
    session: Session,
    services: VerificationServices,
    *,
    org_id: str,
    caller_id_id: str,
    code: str,
    actor: Actor,
    now: datetime,
) -> Confirmation:
    """Check a code typed for the caller ID; prove it when right. The caller reports the
    confirmation's error only after it commits, so a wrong guess is counted."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    caller_id = get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id)
    if caller_id.verification_id is None:
        raise NotFound("no code was sent to this caller ID", code="verification_not_found")
    row = verification.find(
        session, caller_id.verification_id, purpose=Purpose.CALLER_ID, org_id=org_id
    )
    if row.phone_e164 != caller_id.number:
        raise NotFound("no such verification for this caller ID", code="verification_not_found")
    result = verification.confirm(
        row, code=code, digest_key=services.verification_digest_key, now=now
    )
    if result.error() is None:
        _prove(
            session,
            caller_id,
            proof=CallerIdProof.CODE,
            how=f"a code by {row.channel} (verification {row.id})",
            account_id=None,
            actor=actor,
            now=now,
        )
    return result


@dataclass(frozen=True)
class OwnershipCheck:
    """What a provider account said of a caller ID's number."""

    caller_id: CallerId
    owned: bool
    how: str

    def error(self) -> TocsinError | None:
        """The refusal to report once the transaction that recorded the check has committed."""
        if self.owned:
            return None
        return InvalidInput(
            f"the provider account does not own {self.caller_id.number} ({self.how}); prove "
            "it by a code instead",
            code="caller_id_not_owned",
        )


def record_ownership(
    session: Session,
    *,
    org_id: str,
    caller_id_id: str,
    account_id: str,
    owned: bool,
    how: str,
    actor: Actor,
    now: datetime,
) -> OwnershipCheck:
    """Record what the provider account's own records said (`callerids.ownership` asked):
    owned, the caller ID is proven through that account; not, the attempt is audited."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    caller_id = get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id)
    if owned:
        if caller_id.proof not in PROVEN_FOR_EVERY_ACCOUNT:
            # A proof usable through every account (a code, the operator) is never narrowed.
            _prove(
                session,
                caller_id,
                proof=CallerIdProof.PROVIDER,
                how=how,
                account_id=account_id,
                actor=actor,
                now=now,
            )
        return OwnershipCheck(caller_id, True, how)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALLER_ID_PROOF_FAILED,
        at=now,
        org_id=org_id,
        details={"number": caller_id.number, "account_id": account_id, "answer": how},
        target_type="caller_id",
        target_id=caller_id.id,
    )
    return OwnershipCheck(caller_id, False, how)


def attest_caller_id(
    session: Session,
    *,
    org_id: str,
    caller_id_id: str,
    reason: str,
    actor: Actor,
    now: datetime,
) -> CallerId:
    """The operator vouches that the organization may present the number. Only from the
    server's shell: nobody else can speak for the operator, and the reason is kept."""
    if actor.type != "cli":
        raise Forbidden(
            "only the server's operator vouches for a caller ID, from its shell",
            code="operator_only",
        )
    why = " ".join(reason.split())
    if not why:
        raise InvalidInput("say why the number is the organization's", code="reason_required")
    caller_id = get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id)
    _prove(
        session,
        caller_id,
        proof=CallerIdProof.OPERATOR,
        how=f"vouched for by the operator: {why}",
        account_id=None,
        actor=actor,
        now=now,
    )
    return caller_id


def _prove(
    session: Session,
    caller_id: CallerId,
    *,
    proof: CallerIdProof,
    how: str,
    account_id: str | None,
    actor: Actor,
    now: datetime,
) -> None:
    caller_id.proof = proof.value
    caller_id.proven_account_id = account_id
    caller_id.proven_how = how[:200]
    caller_id.proven_at = now
    caller_id.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALLER_ID_PROVEN,
        at=now,
        org_id=caller_id.org_id,
        details={
            "number": caller_id.number,
            "proof": proof.value,
            "how": how,
            **({"account_id": account_id} if account_id else {}),
        },
        target_type="caller_id",
        target_id=caller_id.id,
    )
