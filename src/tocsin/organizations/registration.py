"""Signing up and signing in, the same for the API and the web dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts import service, totp
from tocsin.accounts.models import Organization, Role, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.core.ratelimit import Limits
from tocsin.documents import versions as documents
from tocsin.restrictions.blocks import user_block
from tocsin.runtime import Runtime


@dataclass(frozen=True)
class Registered:
    user: User
    organization: Organization
    role: Role


def register(
    session: Session,
    runtime: Runtime,
    *,
    email: str,
    password: str,
    display_name: str,
    organization_name: str | None,
    country: str | None,
    invite_code: str | None,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> Registered:
    """A new user with their own organization, or joining one by invite."""
    first_user = service.count_users(session) == 0
    if not (first_user or runtime.settings.allow_signup or invite_code):
        raise Forbidden("sign-up needs an invite code on this server", code="signup_closed")
    user = service.create_user(
        session, email=email, password=password, display_name=display_name, now=now
    )
    actor = Actor("user", user.id, ip_address)
    if invite_code:
        invite = service.accept_invite(
            session,
            code=invite_code,
            user=user,
            now=now,
            digest_key=runtime.invite_digest_key,
            billing=runtime.billing,
        )
        org = service.get_organization(session, invite.org_id)
        role = Role(invite.role)
    else:
        org = service.create_organization(
            session,
            name=organization_name or f"{user.display_name}'s organization",
            owner_id=user.id,
            now=now,
            home_region=country or runtime.settings.default_region,
            plan=runtime.billing.default_plan,
        )
        role = Role.OWNER
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_SIGNED_UP,
        at=now,
        org_id=org.id,
        target_type="user",
        target_id=user.id,
    )
    documents.accept_in_force(session, user_id=user.id, user_agent=user_agent, actor=actor, now=now)
    return Registered(user, org, role)


def limit_sign_in(runtime: Runtime, *, email: str, ip_address: str | None) -> None:
    """Count the attempt before the password hash, which is what a flood would be after."""
    limiter = runtime.rate_limiter
    limiter.hit(Limits.LOGIN, "ip", ip_address or "-", what="sign-in attempts")
    limiter.hit(Limits.LOGIN, "email", email.strip().lower(), what="sign-in attempts")


def sign_in(
    session: Session,
    runtime: Runtime,
    *,
    email: str,
    password: str,
    totp_code: str | None,
    ip_address: str | None,
    now: datetime,
    defer_second_step: bool = False,
) -> User:
    """The user whose password (and, when on, authenticator code) this is. With
    `defer_second_step`, the code is asked for afterwards (the web's second page)."""
    user = service.authenticate(session, email=email, password=password, now=now)
    block = user_block(session, user_id=user.id, now=now)
    if block is not None:
        raise block.refusal()
    if not defer_second_step:
        totp.check(user, totp_code, box=runtime.totp_box, now=now)
    audit.record(
        session,
        actor=Actor("user", user.id, ip_address),
        action=AuditAction.USER_LOGGED_IN,
        at=now,
        target_type="user",
        target_id=user.id,
    )
    return user
