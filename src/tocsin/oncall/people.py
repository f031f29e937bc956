"""Members as on-call people: the ways each is told (their own numbers, their account's e-mail)
and the plan their notification rules make of them when a step pages them.

Only a number the member verified themself counts: consent to be woken is the person's own,
and nobody, however senior in the organization, may give it for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Membership, User
from tocsin.contacts.models import Contact
from tocsin.core.errors import NotFound
from tocsin.numbers.consent import NumberState, state_of
from tocsin.numbers.models import ConsentRecord
from tocsin.oncall.models import Method, NotificationRule


@dataclass(frozen=True)
class Notify:
    """One way to tell a member, `delay_minutes` after the step that pages them."""

    method: Method
    contact_id: str | None
    phone: str | None
    delay_minutes: int


@dataclass(frozen=True)
class Number:
    """One of a member's own numbers, and whether it counts for paging them."""

    id: str
    name: str
    phone_e164: str
    channel: str
    # The member gave consent for it themself (only then is it used).
    verified: bool
    # The organization's consent state of the number, whoever gave it.
    number_state: NumberState
    blocked_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class Rule:
    method: Method
    contact_id: str | None
    delay_minutes: int


@dataclass(frozen=True)
class Person:
    user_id: str
    display_name: str
    email: str
    email_verified: bool
    role: str
    numbers: list[Number]
    rules: list[Rule]
    # What paging them does now: their rules over their verified ways, or the default.
    plan: list[Notify]
    # The language of their calls' prompts; None: the organization's.
    language: str | None = None


@dataclass(frozen=True)
class PassedOver:
    """A rule of the member's that paging cannot follow now, and why: said on the alert's
    timeline, because a member who set three ways to be woken and is reached by one must not
    be left to think all three rang."""

    method: Method
    contact_id: str | None
    reason: str


def notification_plan(session: Session, org_id: str, user_id: str) -> list[Notify]:
    """The member's notification rules, or their first verified voice number at once."""
    return paging_plan(session, org_id, user_id)[0]


def paging_plan(
    session: Session, org_id: str, user_id: str
) -> tuple[list[Notify], list[PassedOver]]:
    """The ways paging tells the member, and the rules it passes over. Only numbers whose
    consent the member gave themself count: nobody else may sign a person up to be woken. A
    rule that names a number no longer verified by them (consent withdrawn, the number
    blocked, or never theirs) is passed over; a repeat of an earlier way is dropped. A mail is
    planned even to an address not yet proved: delivery refuses it there, on the timeline and
    to the owners (paging/member_mail.py), which is louder than leaving it out here."""
    verified = _verified_methods(session, org_id, user_id)
    rules = session.execute(
        select(NotificationRule.method, NotificationRule.contact_id, NotificationRule.delay_minutes)
        .where(NotificationRule.org_id == org_id, NotificationRule.user_id == user_id)
        .order_by(NotificationRule.position)
    ).all()
    if not rules:
        voice = [(cid, phone) for cid, (channel, phone) in verified.items() if channel == "voice"]
        return ([Notify(Method.VOICE, voice[0][0], voice[0][1], 0)] if voice else []), []
    plan: list[Notify] = []
    passed_over: list[PassedOver] = []
    seen: set[tuple[Method, str | None]] = set()
    for raw_method, contact_id, delay in rules:
        method = Method(raw_method)
        phone = None
        if method != Method.EMAIL:
            known = verified.get(contact_id) if contact_id else None
            if known is None or known[0] != method.value:
                passed_over.append(
                    PassedOver(
                        method,
                        contact_id,
                        f"the {method.value} number of this rule is no longer verified by the "
                        "member",
                    )
                )
                continue
            phone = known[1]
        if (method, phone) in seen:
            continue
        seen.add((method, phone))
        plan.append(Notify(method, contact_id, phone, int(delay)))
    return plan, passed_over


def _verified_methods(session: Session, org_id: str, user_id: str) -> dict[str, tuple[str, str]]:
    """contact id -> (channel, number) of the member's numbers they verified themself, oldest
    first."""
    rows = session.execute(
        select(Contact.id, Contact.channel, Contact.phone_e164)
        .where(
            Contact.org_id == org_id,
            Contact.user_id == user_id,
            Contact.blocked_at.is_(None),
            select(ConsentRecord.id)
            .where(
                ConsentRecord.org_id == org_id,
                ConsentRecord.phone_e164 == Contact.phone_e164,
                ConsentRecord.withdrawn_at.is_(None),
                ConsentRecord.actor_type == "user",
                ConsentRecord.actor_id == user_id,
            )
            .exists(),
        )
        .order_by(Contact.created_at, Contact.id)
    ).all()
    return {contact_id: (channel, phone) for contact_id, channel, phone in rows}


def verified_sms_numbers(session: Session, *, org_id: str, user_id: str) -> list[str]:
    """The member's SMS numbers they verified themself, oldest first."""
    verified = _verified_methods(session, org_id, user_id)
    return [phone for channel, phone in verified.values() if channel == Method.SMS.value]


def member_numbers(session: Session, *, org_id: str, user_id: str) -> list[Number]:
    verified = _verified_methods(session, org_id, user_id)
    contacts = session.scalars(
        select(Contact)
        .where(Contact.org_id == org_id, Contact.user_id == user_id)
        .order_by(Contact.created_at, Contact.id)
    )
    return [
        Number(
            id=contact.id,
            name=contact.name,
            phone_e164=contact.phone_e164,
            channel=contact.channel,
            verified=contact.id in verified,
            number_state=state_of(session, org_id=org_id, number=contact.phone_e164),
            blocked_reason=contact.blocked_reason,
            created_at=contact.created_at,
        )
        for contact in contacts
    ]


def member_rules(session: Session, *, org_id: str, user_id: str) -> list[Rule]:
    rows = session.execute(
        select(NotificationRule.method, NotificationRule.contact_id, NotificationRule.delay_minutes)
        .where(NotificationRule.org_id == org_id, NotificationRule.user_id == user_id)
        .order_by(NotificationRule.position)
    ).all()
    return [Rule(Method(method), contact_id, int(delay)) for method, contact_id, delay in rows]


def get_person(session: Session, *, org_id: str, user_id: str) -> Person:
    """A member of the organization with their ways and rules; NotFound for anyone else."""
    row = session.execute(
        select(User, Membership.role, Membership.language)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id, User.id == user_id)
    ).one_or_none()
    if row is None:
        raise NotFound("member not found", code="member_not_found")
    return _person(session, org_id, row[0], row[1], row[2])


def list_people(session: Session, *, org_id: str) -> list[Person]:
    """Every member, by name."""
    rows = session.execute(
        select(User, Membership.role, Membership.language)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
        .order_by(User.display_name, User.id)
    ).all()
    return [_person(session, org_id, user, role, language) for user, role, language in rows]


def _person(session: Session, org_id: str, user: User, role: str, language: str | None) -> Person:
    return Person(
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        email_verified=user.email_verified_at is not None,
        role=str(role),
        numbers=member_numbers(session, org_id=org_id, user_id=user.id),
        rules=member_rules(session, org_id=org_id, user_id=user.id),
        plan=notification_plan(session, org_id, user.id),
        language=language,
    )
