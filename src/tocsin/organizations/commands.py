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
from tocsin.accounts.models import Invite, Organization, Role, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.limits import Resource, check_international, check_room
from tocsin.billing.standing import BillingConfig
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import Forbidden
from tocsin.policy.numbers import CallingPolicy


class Context(Protocol):
    """What these commands read from the running process (Runtime has it all)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def billing(self) -> BillingConfig: ...

    @property
    def invite_digest_key(self) -> bytes: ...


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
) -> Organization:
    """A new organization on the server's default plan; calls abroad stay off until enabled."""
    org = accounts.create_organization(
        session,
        name=name,
        owner_id=owner_id,
        now=now,
        home_region=country or context.settings.default_region,
        plan=context.billing.default_plan,
        timezone=timezone,
    )
    _record(session, actor, AuditAction.ORG_CREATED, now, org.id, "organization", org.id)
    return org


def update_organization(
    session: Session,
    *,
    org_id: str,
    name: str | None,
    timezone: str | None,
    actor: Actor,
    now: datetime,
) -> Organization:
    """Rename the organization or move its time zone (daily caps then reset at its midnight)."""
    org = accounts.get_organization(session, org_id)
    changes: dict[str, Any] = {}
    if name is not None:
        accounts.rename_organization(org, name)
        changes["name"] = name
    if timezone is not None:
        accounts.set_timezone(org, timezone)
        changes["timezone"] = timezone
    _record(session, actor, AuditAction.ORG_UPDATED, now, org_id, "organization", org_id, changes)
    return org


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
    platform's blocks (emergency, premium rate, sanctions...) hold whatever this says."""
    org = accounts.get_organization(session, org_id)
    if international_enabled:
        check_international(org, billing=context.billing, now=now)
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
    """Anyone may leave; removing someone else takes an owner. The last owner cannot go."""
    if removed_by != user_id and remover_role != Role.OWNER:
        raise Forbidden("this action needs the owner role", code="insufficient_role")
    accounts.remove_member(session, org_id=org_id, user_id=user_id)
    _record(session, actor, AuditAction.MEMBER_REMOVED, now, org_id, "user", user_id)


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
