"""Signing up and signing in, the same for the API and the web dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from tocsin.accounts import (
    email_addresses,
    first_user,
    password_resets,
    passwords,
    service,
    sign_in_addresses,
    sign_in_limits,
    totp,
)
from tocsin.accounts.models import Organization, Role, User, WebSession
from tocsin.accounts.tokens import REFRESH, TokenCodec
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import NotFound, Unauthorized
from tocsin.core.ratelimit import RateLimiter
from tocsin.core.secretbox import SecretBox
from tocsin.documents import commands as documents
from tocsin.organizations import commands, sign_up_checks
from tocsin.restrictions.blocks import user_block


class Context(commands.Context, password_resets.Context, Protocol):
    """What signing up and in read from the running process (Runtime has it all)."""

    @property
    def rate_limiter(self) -> RateLimiter: ...

    @property
    def totp_box(self) -> SecretBox: ...

    @property
    def email_verification_key(self) -> bytes: ...


@dataclass(frozen=True)
class Registered:
    user: User
    organization: Organization
    role: Role


def register(
    session: Session,
    context: Context,
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
) -> Registered | None:
    """A new user with their own organization, or joining one by invite; the server's first
    user becomes owner of the organization made for them if there is one (the quickstart's
    demo, with its alerts) instead of getting an empty one. Their own
    organization's home country may not be under sanctions, and an email a standing
    termination marked gets none (`commands.CreationRefused`, which the adapter records).

    None when the address has an account already: nothing is made, and the address's owner is
    mailed instead (`password_resets.tell_of_sign_up`). The adapters answer both alike, so a
    sign-up does not tell who has an account: every refusal a new address could get is
    decided before the address is looked up, and the password is hashed either way."""
    first = _first_place(session, context, invite_code=invite_code, now=now)
    # Checked before anything is written: joining by invite keeps the inviter's country.
    home_region = (
        ""
        if invite_code
        else commands.checked_home_region(context, country or context.settings.default_region)
    )
    email = service.normalise_email(email)
    passwords.check_strength(password, email=email)
    name = service.clean_name(display_name or email.split("@")[0], "name")
    if invite_code:
        sign_up_checks.check_invite(session, context, code=invite_code, email=email, now=now)
        org_name = ""
    else:
        org_name = service.clean_name(organization_name or f"{name}'s organization", "name")
        sign_up_checks.check_newcomer(session, context, email=email)
    existing = _user_with(session, email)
    if existing is not None:
        passwords.hash_password(password)  # the time a new account's hash takes
        password_resets.tell_of_sign_up(
            session, context, user=existing, ip_address=ip_address, now=now
        )
        return None
    user = service.create_user(session, email=email, password=password, display_name=name, now=now)
    actor = Actor("user", user.id, ip_address)
    if first:
        first_user.record(session, user_id=user.id)
    waiting = (
        service.hand_over_waiting_organization(session, user_id=user.id, now=now) if first else None
    )
    if invite_code:
        invite = commands.accept_invite(
            session, context, code=invite_code, user=user, actor=actor, now=now
        )
        org = service.get_organization(session, invite.org_id)
        role = Role(invite.role)
    elif waiting is not None:
        org, role = waiting, Role.OWNER
    else:
        commands.check_new_organization(
            session, context, user=user, actor=actor, now=now, signing_up=True
        )
        org = service.create_organization(
            session,
            name=org_name,
            owner_id=user.id,
            now=now,
            home_region=home_region,
            plan=context.billing.default_plan,
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
        details={"took_waiting_organization": True} if waiting is not None else None,
    )
    documents.accept_in_force(session, user_id=user.id, user_agent=user_agent, actor=actor, now=now)
    email_addresses.send_link(session, context, user=user, actor=actor, now=now)
    return Registered(user, org, role)


def _first_place(
    session: Session, context: Context, *, invite_code: str | None, now: datetime
) -> bool:
    """Whether this is the server's first sign-up. While sign-up is closed only the first may
    sign up without an invite (`first_user.claim` refuses the rest); while it is open anyone
    may, and the first place only decides who gets the organization waiting for them."""
    if invite_code:
        return False
    if context.settings.allow_signup:
        return first_user.take_if_free(session, now=now)
    first_user.claim(session, now=now)
    return True


def _user_with(session: Session, email: str) -> User | None:
    try:
        return service.find_user_by_email(session, email)
    except NotFound:
        return None


def sign_in(
    session: Session,
    context: Context,
    *,
    email: str,
    password: str,
    totp_code: str | None,
    ip_address: str | None,
    now: datetime,
    defer_second_step: bool = False,
) -> User:
    """The user whose password (and, when on, authenticator code) this is. With
    `defer_second_step`, the code is asked for afterwards (the web's second page).

    Attempts and wrong guesses are limited per address and per account without locking the
    owner out (accounts/sign_in_limits.py); a sign-in that is complete makes its address
    known to the account."""
    attempt = sign_in_limits.password_attempt(
        session, context.rate_limiter, email=email, ip_address=ip_address, now=now
    )
    with attempt.guessing():
        user = service.authenticate(session, email=email, password=password, now=now)
    block = user_block(session, user_id=user.id, now=now)
    if block is not None:
        raise block.refusal()
    if not (defer_second_step and totp.is_on(user)):
        with attempt.guessing():
            totp.check(session, user, totp_code, box=context.totp_box, now=now)
        _arrived(session, attempt, user_id=user.id, now=now)
    audit.record(
        session,
        actor=Actor("user", user.id, ip_address),
        action=AuditAction.USER_LOGGED_IN,
        at=now,
        target_type="user",
        target_id=user.id,
    )
    return user


def pass_second_step(
    session: Session,
    context: Context,
    *,
    web_session: WebSession,
    code: str,
    actor: Actor,
    now: datetime,
) -> None:
    """The authenticator code that completes a dashboard sign-in."""
    user = service.get_user(session, web_session.user_id)
    attempt = _check_code(session, context, user=user, code=code, actor=actor, now=now)
    web_session.mfa_passed = True
    _arrived(session, attempt, user_id=user.id, now=now)
    _record_user(session, actor, AuditAction.USER_MFA_PASSED, user.id, now)


def _arrived(
    session: Session, attempt: sign_in_limits.Attempt, *, user_id: str, now: datetime
) -> None:
    sign_in_addresses.remember(session, user_id=user_id, address=attempt.address, now=now)
    attempt.succeeded()


def enable_second_step(
    session: Session,
    context: Context,
    *,
    user_id: str,
    secret: str,
    code: str,
    actor: Actor,
    now: datetime,
    current_code: str | None = None,
) -> None:
    """Turn the authenticator on; the code proves the app holds `secret`. Replacing one that
    is on takes `current_code` from it: a session alone, perhaps another's, may not swap in an
    authenticator of its own."""
    user = service.get_user(session, user_id)
    replacing = totp.is_on(user)
    if replacing:
        if not current_code:
            raise Unauthorized(
                "two-step sign-in is on: replacing the authenticator takes a current code from it",
                code="mfa_required",
            )
        _check_code(session, context, user=user, code=current_code, actor=actor, now=now)
    totp.enable(user, secret=secret, code=code, box=context.totp_box, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.USER_MFA_ENABLED,
        at=now,
        target_type="user",
        target_id=user.id,
        details={"replaced": True} if replacing else None,
    )


def disable_second_step(
    session: Session, context: Context, *, user_id: str, code: str, actor: Actor, now: datetime
) -> None:
    """Turn the authenticator off, which takes a current code from it."""
    user = service.get_user(session, user_id)
    _check_code(session, context, user=user, code=code, actor=actor, now=now)
    totp.disable(user)
    _record_user(session, actor, AuditAction.USER_MFA_DISABLED, user.id, now)


def _check_code(
    session: Session, context: Context, *, user: User, code: str, actor: Actor, now: datetime
) -> sign_in_limits.Attempt:
    """A code from the user's authenticator, used up, and limited as sign-in codes are."""
    attempt = sign_in_limits.code_attempt(
        session, context.rate_limiter, user=user, ip_address=actor.ip_address, now=now
    )
    with attempt.guessing():
        totp.check(session, user, code, box=context.totp_box, now=now)
    return attempt


def refresh(
    session: Session,
    *,
    token: str,
    codec: TokenCodec,
    now: datetime,
    access_lifetime: timedelta,
    refresh_lifetime: timedelta,
) -> service.TokenPair:
    """Trade a refresh token for a new pair (`service.rotate_refresh_token`), unless its person
    is suspended or terminated: a suspension keeps them out of the API for as long as it
    lasts, not only until their access token expires."""
    pair = service.rotate_refresh_token(
        session,
        token=token,
        codec=codec,
        now=now,
        access_lifetime=access_lifetime,
        refresh_lifetime=refresh_lifetime,
    )
    # Checked after the rotation, so that a stolen token used again is still found out.
    user_id = codec.decode(token, expected_type=REFRESH, now=now).subject
    block = user_block(session, user_id=user_id, now=now)
    if block is not None:
        raise block.refusal()
    return pair


def revoke_reused_refresh_tokens(
    session: Session, *, reused: service.RefreshTokenReused, actor: Actor, now: datetime
) -> None:
    """A refresh token came back after it was rotated: someone else has a copy, so every token
    of its family goes, in a transaction of its own (the refused request's was rolled back)."""
    service.revoke_token_family(session, family_id=reused.family_id, now=now)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.AUTH_REFRESH_TOKEN_REUSED,
        at=now,
        target_type="user",
        target_id=reused.user_id,
        details={"family_id": reused.family_id},
    )


def _record_user(
    session: Session, actor: Actor, action: AuditAction, user_id: str, now: datetime
) -> None:
    audit.record(session, actor=actor, action=action, at=now, target_type="user", target_id=user_id)
