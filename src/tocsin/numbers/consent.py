"""Whether an organization may call a number: consent from its owner, and nothing since that
withdrew it.

A number is callable by an organization when a consent record exists for the pair, the
organization's do-not-call list does not hold it, and no platform-wide opt-out was recorded
after the consent. Consent is given only by typing a code sent to the number, so only the
number's owner can give it, and giving it again is the only way to lift an opt-out or a 9 on
the keypad. This is asked at configuration time (an endpoint or policy may only name verified
contacts) and again at dial time, which is the check that counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput
from tocsin.core.ids import new_id
from tocsin.core.pagination import Page, paginate
from tocsin.documents.queries import aup_version_in_force
from tocsin.numbers.models import ConsentRecord, DoNotCall, NumberVerification, PlatformOptOut


class NumberState(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    DO_NOT_CALL = "do_not_call"
    OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class Refusal:
    state: NumberState
    reason: str

    @property
    def code(self) -> str:
        return {
            NumberState.UNVERIFIED: "number_unverified",
            NumberState.DO_NOT_CALL: "do_not_call",
            NumberState.OPTED_OUT: "platform_opt_out",
        }[self.state]


REASONS = {
    NumberState.UNVERIFIED: "number not verified by its owner",
    NumberState.DO_NOT_CALL: "number is on the do-not-call list",
    NumberState.OPTED_OUT: "number's owner opted out of all calls from Tocsin",
}


# One round trip, built once: this runs before every dial.
_LISTED = (
    select(DoNotCall.id)
    .where(
        DoNotCall.org_id == bindparam("org_id"),
        DoNotCall.phone_e164 == bindparam("number"),
        DoNotCall.lifted_at.is_(None),
    )
    .limit(1)
    .scalar_subquery()
)
_CONSENTED = (
    select(func.max(ConsentRecord.created_at))
    .where(
        ConsentRecord.org_id == bindparam("org_id"),
        ConsentRecord.phone_e164 == bindparam("number"),
        ConsentRecord.withdrawn_at.is_(None),
    )
    .scalar_subquery()
)
_OPTED_OUT = (
    select(PlatformOptOut.created_at)
    .where(PlatformOptOut.phone_e164 == bindparam("number"))
    .scalar_subquery()
)
# What a number's state is read from, for a caller that reads it along with other facts in
# one statement (bind `org_id` and `number`); `state_from` reads the three values.
STATE_COLUMNS = (_LISTED, _CONSENTED, _OPTED_OUT)
_STATE = select(*STATE_COLUMNS)


def state_of(session: Session, *, org_id: str, number: str) -> NumberState:
    listed_id, consented_at, opted_out_at = session.execute(
        _STATE, {"org_id": org_id, "number": number}
    ).one()
    return state_from(listed_id, consented_at, opted_out_at)


def state_from(
    listed_id: str | None, consented_at: datetime | None, opted_out_at: datetime | None
) -> NumberState:
    """The state `STATE_COLUMNS` read: do-not-call listed, consented to, opted out when."""
    if listed_id is not None:
        return NumberState.DO_NOT_CALL
    if opted_out_at is not None and (consented_at is None or consented_at <= opted_out_at):
        return NumberState.OPTED_OUT
    if consented_at is None:
        return NumberState.UNVERIFIED
    return NumberState.VERIFIED


def stopped_at(session: Session, *, org_id: str, number: str) -> datetime | None:
    """When calls from this organization to the number were stopped: its do-not-call entry,
    or the owner's platform opt-out that no consent has answered since. None when they were
    not stopped."""
    state = state_of(session, org_id=org_id, number=number)
    if state == NumberState.DO_NOT_CALL:
        return session.scalar(
            select(func.max(DoNotCall.created_at)).where(
                DoNotCall.org_id == org_id,
                DoNotCall.phone_e164 == number,
                DoNotCall.lifted_at.is_(None),
            )
        )
    if state == NumberState.OPTED_OUT:
        return session.scalar(
            select(PlatformOptOut.created_at).where(PlatformOptOut.phone_e164 == number)
        )
    return None


def states_of(session: Session, *, org_id: str, numbers: Sequence[str]) -> dict[str, NumberState]:
    return {number: state_of(session, org_id=org_id, number=number) for number in set(numbers)}


def dial_refusal(session: Session, *, org_id: str, number: str) -> Refusal | None:
    return refusal_for(state_of(session, org_id=org_id, number=number))


def refusal_for(state: NumberState) -> Refusal | None:
    """Why a number in `state` may not be called; None when it may."""
    if state == NumberState.VERIFIED:
        return None
    return Refusal(state, REASONS[state])


def record(
    session: Session,
    *,
    verification: NumberVerification,
    actor: Actor,
    user_agent: str | None,
    now: datetime,
) -> ConsentRecord:
    """The owner typed the code: keep the evidence, and lift this organization's do-not-call
    entry for the number, which only its owner may do."""
    org_id = verification.org_id
    if org_id is None:  # a platform opt-out's code: it consents to nobody's calls
        raise InvalidInput(
            "this code confirms no organization's calls", code="verification_not_for_consent"
        )
    entry = ConsentRecord(
        id=new_id("cns"),
        org_id=org_id,
        phone_e164=verification.phone_e164,
        contact_id=verification.contact_id,
        verification_id=verification.id,
        method=verification.channel,
        actor_type=actor.type,
        actor_id=actor.id,
        ip_address=actor.ip_address,
        user_agent=(user_agent or "")[:300] or None,
        policy_version=aup_version_in_force(session, now),
        created_at=now,
    )
    session.add(entry)
    lifted = session.execute(
        update(DoNotCall)
        .where(
            DoNotCall.org_id == org_id,
            DoNotCall.phone_e164 == verification.phone_e164,
            DoNotCall.lifted_at.is_(None),
        )
        .values(lifted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CONSENT_RECORDED,
        at=now,
        org_id=org_id,
        target_type="consent",
        target_id=entry.id,
        details={
            "number": verification.phone_e164,
            "method": verification.channel,
            "verification_id": verification.id,
            "policy_version": entry.policy_version,
            "do_not_call_lifted": bool(lifted),
        },
    )
    session.flush()
    return entry


def records_for(
    session: Session, *, org_id: str, number: str | None, limit: int, cursor: str | None
) -> Page[ConsentRecord]:
    query = select(ConsentRecord).where(ConsentRecord.org_id == org_id)
    if number is not None:
        query = query.where(ConsentRecord.phone_e164 == number)
    return paginate(session, query, ConsentRecord.id, limit=limit, cursor=cursor, newest_first=True)


def verified_numbers(session: Session, *, org_id: str) -> list[str]:
    """Numbers the organization holds consent for (what a trial claims as its phones)."""
    return list(
        session.scalars(
            select(ConsentRecord.phone_e164)
            .where(ConsentRecord.org_id == org_id, ConsentRecord.withdrawn_at.is_(None))
            .distinct()
        )
    )


class Withdrawal(StrEnum):
    """Why a consent record stopped counting."""

    CONTACT_DELETED = "contact_deleted"
    NUMBER_CHANGED = "number_changed"
    # The person who proved control of the number left the organization.
    MEMBER_LEFT = "member_left"


def withdraw(
    session: Session,
    *,
    org_id: str,
    number: str,
    contact_id: str | None,
    reason: Withdrawal,
    actor: Actor,
    now: datetime,
) -> int:
    """Withdraw the organization's consent to call `number`, every record for it (`contact_id`
    is the contact that stopped carrying it, for the audit event). Consent counts per
    organization and number, so a caller withdraws only once no contact of the organization
    carries the number. The rows stay, as evidence; the number is unverified for the
    organization until its owner verifies it again. Returns how many."""
    condition = [
        ConsentRecord.org_id == org_id,
        ConsentRecord.phone_e164 == number,
        ConsentRecord.withdrawn_at.is_(None),
    ]
    withdrawn = list(
        session.scalars(
            update(ConsentRecord)
            .where(*condition)
            .values(withdrawn_at=now, withdrawn_reason=reason.value)
            .returning(ConsentRecord.id)
            .execution_options(synchronize_session=False)
        )
    )
    if withdrawn:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.CONSENT_WITHDRAWN,
            at=now,
            org_id=org_id,
            target_type="contact" if contact_id else None,
            target_id=contact_id,
            details={"number": number, "reason": reason.value, "records": sorted(withdrawn)},
        )
    return len(withdrawn)


def withdraw_given_by(
    session: Session, *, org_id: str, user_id: str, actor: Actor, now: datetime
) -> list[str]:
    """Withdraw the consent records this user gave the organization by typing the code that
    reached a number: they showed it was theirs, and they left. The rows stay, as evidence.
    Returns the numbers, each now unverified for the organization."""
    withdrawn = session.execute(
        update(ConsentRecord)
        .where(
            ConsentRecord.org_id == org_id,
            ConsentRecord.actor_type == "user",
            ConsentRecord.actor_id == user_id,
            ConsentRecord.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now, withdrawn_reason=Withdrawal.MEMBER_LEFT.value)
        .returning(ConsentRecord.id, ConsentRecord.phone_e164)
        .execution_options(synchronize_session=False)
    ).all()
    numbers = sorted({number for _, number in withdrawn})
    for number in numbers:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.CONSENT_WITHDRAWN,
            at=now,
            org_id=org_id,
            target_type="user",
            target_id=user_id,
            details={
                "number": number,
                "reason": Withdrawal.MEMBER_LEFT.value,
                "records": sorted(record for record, phone in withdrawn if phone == number),
            },
        )
    return numbers
