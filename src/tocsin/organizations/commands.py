"""Operations on organizations, their members and invites: each once, for the API, the dashboard
and the shell alike.

A command checks what the plan allows, makes the change and writes its audit event, inside the
caller's transaction (it never commits). The caller decides who may ask (roles, scopes); the
command decides what the organization may have.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tocsin.accounts import service as accounts
from tocsin.accounts.models import PLATFORM_ADMIN, Invite, Organization, Role, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.billing.limits import Resource, check_international, check_room
from tocsin.billing.marks import check_not_marked, person_claims
from tocsin.billing.standing import BillingConfig
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import Conflict, Forbidden
from tocsin.numbers import consent
from tocsin.oncall import departures
from tocsin.organizations.rescreen import rescreen_contacts
from tocsin.policy.numbers import CallingPolicy
from tocsin.policy.quota import check_timezone
from tocsin.restrictions.blocks import MEMBER_ACTOR_TYPES, require_writable
from tocsin.telephony.prompts import check_language

# Members may move their organization's home country once in this long (counted from when it
# was declared); the operator's shell and the platform's staff may at any time.
HOME_COUNTRY_CHANGE_EVERY = timedelta(days=30)


class Context(Protocol):
    """What these commands read from the running process (Runtime has it all)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def billing(self) -> BillingConfig: ...

    @property
    def invite_digest_key(self) -> bytes: ...

    @property
    def billing_digest_key(self) -> bytes: ...


# Organizations ----------------------------------------------------------------------------------


def create_organization(
    session: Session,
    context: Context,
    *,
    name: str,
    owner_id: str | None,
    country: str | None,
    actor: Actor,
    now: datetime,
    timezone: str = "UTC",
    for_first_sign_up: bool = False,
) -> Organization:
    """A new organization on the server's default plan; calls abroad stay off until enabled.
    Its home country may not be under sanctions, and its owner may not be someone a standing
    termination marked, nor own as many organizations as they may already
    (`check_new_organization`). One made `for_first_sign_up` without an owner (the
    quickstart's demo) gets the server's first sign-up as its owner."""
    home_region = checked_home_region(context, country or context.settings.default_region)
    if owner_id is not None:
        owner = accounts.get_user(session, owner_id)
        check_new_organization(session, context, user=owner, actor=actor, now=now)
    org = accounts.create_organization(
        session,
        name=name,
        owner_id=owner_id,
        now=now,
        home_region=home_region,
        plan=context.billing.default_plan,
        timezone=timezone,
        for_first_sign_up=for_first_sign_up and owner_id is None,
    )
    _record(session, actor, AuditAction.ORG_CREATED, now, org.id, "organization", org.id)
    return org


def checked_home_region(context: Context, region: str) -> str:
    """The country code, unless the platform's sanctions list (the screen's own,
    TOCSIN_SANCTIONED_REGIONS) names it: no organization is based there."""
    code = accounts.check_region(region)
    if code in context.settings.sanctioned_region_set():
        raise Forbidden(
            f"{code} is under sanctions: no organization on this platform can be based there",
            code="sanctioned_region",
            details={"region": code},
        )
    return code


class CreationRefused(Forbidden):
    """A new organization refused because of who asked for it. The refusal must stay in the
    audit log although the request's transaction is rolled back: the adapter records it with
    `record_refusal` in a transaction of its own, then lets it through."""

    def __init__(self, refusal: Forbidden, *, user_id: str | None, email: str) -> None:
        super().__init__(refusal.message, code=refusal.code, details=refusal.details)
        self.user_id = user_id
        self.email = email


def check_new_organization(
    session: Session,
    context: Context,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    signing_up: bool = False,
) -> None:
    """Whether this person may have another organization of their own (CreationRefused if
    not): nobody a standing termination marked (their user id or email); and, after their
    first, only while sign-up is open and within their limit (`organization_allowance`).
    The operator's shell decides for itself; platform staff are held to the marks only."""
    if actor.type not in MEMBER_ACTOR_TYPES:
        return
    try:
        claims = person_claims(user.id, user.email, digest_key=context.billing_digest_key)
        check_not_marked(session, claims, what="a new organization")
        if not signing_up and user.platform_role != PLATFORM_ADMIN:
            _check_allowance(session, context, user=user, now=now)
    except Forbidden as refusal:
        # A refused sign-up's user is rolled back with it: the refusal names only the email.
        user_id = None if signing_up else user.id
        raise CreationRefused(refusal, user_id=user_id, email=user.email) from refusal


def organization_allowance(
    session: Session, context: Context, *, user_id: str, now: datetime
) -> int:
    """How many organizations this person may own: the most any plan of theirs (or the
    default plan) allows, or TOCSIN_MAX_ORGS_PER_USER where plans say nothing."""
    billing = context.billing
    plans = [billing.catalog.get_plan(billing.default_plan)] + [
        billing.plan_in_force(org, now) for org in accounts.owned_organizations(session, user_id)
    ]
    return max(plan.organizations for plan in plans) or context.settings.max_orgs_per_user


def _check_allowance(session: Session, context: Context, *, user: User, now: datetime) -> None:
    if not context.settings.allow_signup:
        raise Forbidden(
            "sign-up is closed on this server, so new organizations are made by its operator "
            "(tocsin org create NAME --owner EMAIL)",
            code="org_creation_closed",
        )
    owned = len(accounts.owned_organizations(session, user.id))
    allowance = organization_allowance(session, context, user_id=user.id, now=now)
    if owned >= allowance:
        raise Forbidden(
            f"you already own {owned} organization(s), as many as you may",
            code="org_limit",
            details={"owned": owned, "limit": allowance},
        )


def record_refusal(
    session: Session, *, refused: CreationRefused, actor: Actor, now: datetime
) -> None:
    """Write down a refused organization, in a transaction of its own (`CreationRefused`)."""
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ORG_CREATION_REFUSED,
        at=now,
        target_type="user",
        target_id=refused.user_id,
        details={
            "email": refused.email,
            "code": refused.code,
            "reason": refused.message,
            **(refused.details or {}),
        },
    )


def update_organization(
    session: Session,
    *,
    org_id: str,
    name: str | None,
    timezone: str | None,
    actor: Actor,
    now: datetime,
    language: str | None = None,
) -> Organization:
    """Rename the organization, move its time zone (`change_timezone`) or change the language
    its calls speak (`telephony.prompts`; InvalidInput `unknown_language` for a code the
    catalogue lacks, checked before anything changes)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    org = accounts.get_organization(session, org_id)
    chosen = check_language(language) if language is not None else None
    if timezone is not None:
        change_timezone(session, org, timezone, actor=actor, now=now)
    if chosen is not None and chosen != org.language:
        before, org.language = org.language, chosen
        _record(
            session,
            actor,
            AuditAction.ORG_UPDATED,
            now,
            org_id,
            "organization",
            org_id,
            {"language": chosen, "language_before": before},
        )
    if name is not None:
        accounts.rename_organization(org, name)
        _record(
            session,
            actor,
            AuditAction.ORG_UPDATED,
            now,
            org_id,
            "organization",
            org_id,
            {"name": name},
        )
    return org


# Members may move their organization's time zone once in this long; the operator's shell and
# the platform's staff may at any time. A move changes where the next quota period ends, never
# the one being counted (policy/quota.py); a day between moves keeps the little a sequence of
# them could still gain out of reach of a script.
TIMEZONE_CHANGE_EVERY = timedelta(hours=24)


def change_timezone(
    session: Session, org: Organization, timezone: str, *, actor: Actor, now: datetime
) -> None:
    """Move the organization to another time zone: days and months already counted end where
    they ended; the next ones follow the new zone's midnight. Audited; a member's second move
    within TIMEZONE_CHANGE_EVERY is refused (409 `timezone_change_too_soon`); naming the zone
    it already has changes nothing."""
    before, wanted = org.timezone, check_timezone(timezone)
    if wanted == before:
        return
    last = org.timezone_changed_at
    if actor.type in MEMBER_ACTOR_TYPES and last is not None:
        allowed_at = last + TIMEZONE_CHANGE_EVERY
        if now < allowed_at:
            raise Conflict(
                f"the time zone was changed at {last:%Y-%m-%d %H:%M} UTC; it can change again "
                f"from {allowed_at:%Y-%m-%d %H:%M} UTC, or sooner by asking the operator",
                code="timezone_change_too_soon",
                details={"changed_at": last.isoformat(), "allowed_at": allowed_at.isoformat()},
            )
    accounts.set_timezone(org, wanted)
    org.timezone_changed_at = now
    _record(
        session,
        actor,
        AuditAction.ORG_TIMEZONE_CHANGED,
        now,
        org.id,
        "organization",
        org.id,
        {"from": before, "to": org.timezone},
    )


def change_calling_policy(
    session: Session,
    context: Context,
    *,
    org_id: str,
    home_region: str | None,
    international_enabled: bool | None,
    allowed_regions: list[str] | None,
    voice: str | None,
    actor: Actor,
    now: datetime,
) -> tuple[CallingPolicy, Organization]:
    """Home country, international calling and the countries it may reach, and the voice. The
    platform's blocks (emergency, premium rate, sanctions...) hold whatever this says.

    The home country decides which calls are international, so it is no sanctioned country,
    members move it at most once in 30 days (HOME_COUNTRY_CHANGE_EVERY), each move is audited
    on its own, and every contact is screened again under the new policy
    (organizations/rescreen.py): numbers now out of bounds are blocked and their calls stop."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    org = accounts.get_organization(session, org_id)
    if international_enabled:
        check_international(org, billing=context.billing, now=now)
    before = accounts.calling_policy(org)
    if home_region is not None:
        home_region = checked_home_region(context, home_region)
        if home_region != org.home_region:
            _move_home(session, org, home_region, actor=actor, now=now)
    policy = accounts.set_calling_policy(
        org,
        home_region=home_region,
        international_enabled=international_enabled,
        allowed_regions=allowed_regions,
    )
    if voice is not None:
        accounts.set_voice(org, voice)
    details = {
        "home_region": policy.home_region,
        "international_enabled": policy.international_enabled,
        "allowed_regions": list(policy.allowed_regions),
        "voice": org.voice,
    }
    if policy != before:
        rescreened = rescreen_contacts(
            session,
            org=org,
            billing=context.billing,
            sanctioned_regions=context.settings.sanctioned_region_set(),
            actor=actor,
            now=now,
        )
        details["contacts_blocked"] = rescreened.blocked
        details["contacts_unblocked"] = rescreened.unblocked
    _record(
        session,
        actor,
        AuditAction.ORG_CALLING_POLICY_CHANGED,
        now,
        org_id,
        "organization",
        org_id,
        details,
    )
    return policy, org


def _move_home(
    session: Session, org: Organization, region: str, *, actor: Actor, now: datetime
) -> None:
    """Refuse a member's second move within HOME_COUNTRY_CHANGE_EVERY, or record this one."""
    last = org.home_region_changed_at
    if actor.type in MEMBER_ACTOR_TYPES and last is not None:
        allowed_at = last + HOME_COUNTRY_CHANGE_EVERY
        if now < allowed_at:
            raise Conflict(
                f"the home country was set on {last:%Y-%m-%d}; it can change again from "
                f"{allowed_at:%Y-%m-%d %H:%M} UTC, or sooner by asking the operator",
                code="home_country_change_too_soon",
                details={"changed_at": last.isoformat(), "allowed_at": allowed_at.isoformat()},
            )
    _record(
        session,
        actor,
        AuditAction.ORG_HOME_COUNTRY_CHANGED,
        now,
        org.id,
        "organization",
        org.id,
        {"from": org.home_region, "to": region},
    )
    org.home_region_changed_at = now


# People -----------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    member_of: tuple[str, Role] | None,
    actor: Actor,
    now: datetime,
) -> User:
    """A user made by an operator, optionally a member of (organization id, role) at once."""
    user = accounts.create_user(
        session, email=email, password=password, display_name=display_name, now=now
    )
    org_id = None
    if member_of is not None:
        org_id, role = member_of
        accounts.add_member(session, org_id=org_id, user_id=user.id, role=role, now=now)
    _record(session, actor, AuditAction.USER_CREATED, now, org_id, "user", user.id)
    return user


def change_member_role(
    session: Session, *, org_id: str, user_id: str, role: Role, actor: Actor, now: datetime
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    accounts.change_role(session, org_id=org_id, user_id=user_id, role=role)
    _record(
        session,
        actor,
        AuditAction.MEMBER_ROLE_CHANGED,
        now,
        org_id,
        "user",
        user_id,
        {"role": role.value},
    )


def remove_member(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    removed_by: str,
    remover_role: Role | None,
    actor: Actor,
    now: datetime,
) -> None:
    """Anyone may leave, even a suspended organization; removing someone else takes an owner
    and an organization that is not. The last owner cannot go."""
    if removed_by != user_id:
        require_writable(session, org_id=org_id, actor=actor, now=now)
        if remover_role != Role.OWNER:
            raise Forbidden("this action needs the owner role", code="insufficient_role")
    accounts.remove_member(session, org_id=org_id, user_id=user_id)
    _record(session, actor, AuditAction.MEMBER_REMOVED, now, org_id, "user", user_id)
    # Out of on-call, and their own numbers, rules and projects forgotten, before the notice
    # below: it is about numbers others still page, not the leaver's own phone, gone with them.
    departures.member_left(session, org_id=org_id, user_id=user_id, actor=actor, now=now)
    # Consent goes with the person who gave it; calls to those numbers stop, so the owners
    # hear of it now rather than from a page that did not ring.
    numbers = consent.withdraw_given_by(
        session, org_id=org_id, user_id=user_id, actor=actor, now=now
    )
    if numbers:
        tell_owners(
            session,
            org_id=org_id,
            kind="consent_withdrawn",
            period=f"{user_id}:{now.isoformat()}",
            message=(
                f"A member left, so the consent they gave for {', '.join(numbers)} was "
                "withdrawn: these numbers get no calls until their owners verify them again."
            ),
            now=now,
            actor=actor,
            details={"user_id": user_id, "numbers": numbers},
        )


# Invites ----------------------------------------------------------------------------------------


def create_invite(
    session: Session,
    context: Context,
    *,
    org_id: str,
    role: Role,
    email: str | None,
    created_by: str | None,
    actor: Actor,
    now: datetime,
) -> tuple[Invite, str]:
    """An invite and its code, shown once: only the code's digest is kept. A plan with no room
    for another member refuses it now rather than when someone accepts."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    check_room(session, org_id=org_id, resource=Resource.MEMBERS, billing=context.billing, now=now)
    invite, code = accounts.create_invite(
        session,
        org_id=org_id,
        role=role,
        created_by=created_by,
        now=now,
        lifetime=timedelta(seconds=context.settings.invite_seconds),
        digest_key=context.invite_digest_key,
        email=email,
    )
    _record(
        session,
        actor,
        AuditAction.INVITE_CREATED,
        now,
        org_id,
        "invite",
        invite.id,
        {"role": role.value},
    )
    return invite, code


def accept_invite(
    session: Session, context: Context, *, code: str, user: User, actor: Actor, now: datetime
) -> Invite:
    """Join the invite's organization with its role; the plan must still have room."""
    invite = accounts.claim_invite(
        session, code=code, user=user, now=now, digest_key=context.invite_digest_key
    )
    require_writable(session, org_id=invite.org_id, actor=actor, now=now)
    check_room(
        session,
        org_id=invite.org_id,
        resource=Resource.MEMBERS,
        billing=context.billing,
        now=now,
    )
    accounts.add_member(
        session, org_id=invite.org_id, user_id=user.id, role=Role(invite.role), now=now
    )
    _record(session, actor, AuditAction.INVITE_ACCEPTED, now, invite.org_id, "invite", invite.id)
    return invite


def revoke_invite(
    session: Session, *, org_id: str, invite_id: str, actor: Actor, now: datetime
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    accounts.revoke_invite(session, org_id=org_id, invite_id=invite_id, now=now)
    _record(session, actor, AuditAction.INVITE_REVOKED, now, org_id, "invite", invite_id)


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    now: datetime,
    org_id: str | None,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        at=now,
        org_id=org_id,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )
