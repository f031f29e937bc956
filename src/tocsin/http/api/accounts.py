"""Accounts API: sign-up, sign-in, tokens, organizations, members, invites and API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, Response

from tocsin.accounts import email_addresses, service
from tocsin.accounts.models import Role, Scope
from tocsin.core.actors import Actor
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.core.ratelimit import Limits
from tocsin.http.api.deps import Caller, client_ip, get_caller, get_runtime
from tocsin.http.api.route import PUBLIC, ApiRoute
from tocsin.http.api.schemas.accounts import (
    AcceptInviteIn,
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    CallingPolicyIn,
    CallingPolicyOut,
    EmailChangeIn,
    EmailVerifiedOut,
    InviteCreatedOut,
    InviteIn,
    InviteOut,
    LoginIn,
    MemberOut,
    MeOut,
    OrgCreateIn,
    OrgOut,
    OrgUpdateIn,
    OrgWithRoleOut,
    RefreshIn,
    RoleIn,
    SignupAcceptedOut,
    SignupIn,
    TokensOut,
    UserOut,
    VerifyEmailIn,
)
from tocsin.http.api.schemas.common import MAIL_OFF, Limit, PageOut, errors, page_of
from tocsin.organizations import api_keys, commands, queries, registration
from tocsin.runtime import Runtime

router = APIRouter(prefix="/v1", route_class=ApiRoute)

SIGNED_UP = (
    "If this address was new, its account is made: sign in with its password (POST /v1/auth/login)."
)
SIGNED_UP_MAILED = f"Check your e-mail: a message is on its way to this address. {SIGNED_UP}"


@contextmanager
def _refusals_kept(runtime: Runtime, actor: Actor) -> Iterator[None]:
    """Record a refused organization in a transaction of its own once the request's is
    rolled back, and let the refusal through."""
    try:
        yield
    except commands.CreationRefused as refused:
        with runtime.database.write() as session:
            who = Actor("user", refused.user_id, actor.ip_address) if refused.user_id else actor
            commands.record_refusal(session, refused=refused, actor=who, now=runtime.clock.now())
        raise


def _tokens_out(pair: service.TokenPair) -> TokensOut:
    return TokensOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


# Sign-up and sessions ---------------------------------------------------------------------------


@router.post(
    "/auth/signup",
    status_code=202,
    response_model=SignupAcceptedOut,
    tags=["auth"],
    summary="Sign up",
    openapi_extra=PUBLIC,
    responses=errors(
        (403, "signup_closed", "sign-up needs an invite code on this server"),
        (403, "sanctioned_region", "Tocsin cannot serve organizations in this country"),
        (404, "invite_invalid", "invite code is not valid"),
        (409, "invite_used", "this invite was used already"),
        (422, "weak_password", "this password is too common"),
        429,
    ),
)
def signup(
    body: SignupIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> SignupAcceptedOut:
    """A new account with its own organization, or joining one by invite; then sign in with
    `POST /v1/auth/login`. Anyone may call it, while the server takes sign-ups. An address
    that has an account already is answered the same (its owner is mailed instead), so the
    answer says nothing about who has an account."""
    now = runtime.clock.now()
    runtime.rate_limiter.hit(Limits.SIGNUP, request_ip or "-", what="sign-ups from this address")
    with (
        _refusals_kept(runtime, Actor("public", None, request_ip)),
        runtime.database.write() as session,
    ):
        registration.register(
            session,
            runtime,
            email=body.email,
            password=body.password,
            display_name=body.display_name,
            organization_name=body.organization_name,
            country=body.country,
            invite_code=body.invite_code,
            ip_address=request_ip,
            user_agent=None,
            now=now,
        )
    mailed = email_addresses.mail_is_on(runtime.settings)
    return SignupAcceptedOut(
        email=service.normalise_email(body.email),
        message=SIGNED_UP_MAILED if mailed else SIGNED_UP,
    )


@router.post(
    "/auth/login",
    response_model=TokensOut,
    tags=["auth"],
    summary="Sign in",
    openapi_extra=PUBLIC,
    responses=errors(
        (401, "invalid_credentials", "email or password is wrong"),
        (401, "mfa_required", "this account needs its authenticator code"),
        (403, "user_suspended", "this account is suspended"),
        429,
    ),
)
def login(
    body: LoginIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> TokensOut:
    """Trade a person's address and password (and authenticator code, when two-step is on) for
    an access token and a refresh token. Anyone may call it; wrong guesses are limited per
    address and per account."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        user = registration.sign_in(
            session,
            runtime,
            email=body.email,
            password=body.password,
            totp_code=body.totp_code,
            ip_address=request_ip,
            now=now,
        )
        pair = service.issue_tokens(
            session,
            user_id=user.id,
            codec=runtime.tokens,
            now=now,
            access_lifetime=runtime.access_lifetime,
            refresh_lifetime=runtime.refresh_lifetime,
        )
    return _tokens_out(pair)


@router.post(
    "/auth/refresh",
    response_model=TokensOut,
    tags=["auth"],
    summary="Renew the tokens",
    openapi_extra=PUBLIC,
    responses=errors(
        (401, "invalid_token", "token is invalid"),
        (401, "token_revoked", "refresh token was revoked"),
    ),
)
def refresh(
    body: RefreshIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> TokensOut:
    """A new token pair for a refresh token, which then works no more. A refresh token used
    twice ends its sign-in: every token of it is revoked. The refresh token is the credential."""
    now = runtime.clock.now()
    try:
        with runtime.database.write() as session:
            pair = registration.refresh(
                session,
                token=body.refresh_token,
                codec=runtime.tokens,
                now=now,
                access_lifetime=runtime.access_lifetime,
                refresh_lifetime=runtime.refresh_lifetime,
            )
    except service.RefreshTokenReused as reused:
        with runtime.database.write() as session:
            registration.revoke_reused_refresh_tokens(
                session, reused=reused, actor=Actor("user", reused.user_id, request_ip), now=now
            )
        raise
    return _tokens_out(pair)


@router.post(
    "/auth/logout",
    status_code=204,
    tags=["auth"],
    summary="Sign out",
    openapi_extra=PUBLIC,
    responses=errors((401, "invalid_token", "token is invalid")),
)
def logout(body: RefreshIn, runtime: Runtime = Depends(get_runtime)) -> None:
    """End this sign-in: its refresh tokens, and the access tokens issued with them, at once.
    The refresh token is the credential."""
    with runtime.database.write() as session:
        service.logout(
            session, token=body.refresh_token, codec=runtime.tokens, now=runtime.clock.now()
        )


@router.get("/me", response_model=MeOut, tags=["auth"], summary="Who am I")
def me(caller: Caller = Depends(get_caller)) -> MeOut:
    """The signed-in person and their organizations with their role in each. A signed-in person
    only, not an API key (403 `user_required`)."""
    with caller.user(write=False) as (session, principal, _actor):
        user = service.get_user(session, principal.id)
        memberships = service.list_user_memberships(session, user.id)
        return MeOut(
            user=UserOut.model_validate(user),
            organizations=[
                OrgWithRoleOut(**OrgOut.model_validate(org).model_dump(), role=role)
                for org, role in memberships
            ],
        )


# E-mail addresses -------------------------------------------------------------------------------


@router.post(
    "/auth/verify-email",
    response_model=EmailVerifiedOut,
    tags=["auth"],
    summary="Verify an e-mail address",
    openapi_extra=PUBLIC,
    responses=errors(
        (409, "email_token_used", "this verification link was used already"),
        (409, "email_token_expired", "this verification link has expired; ask for a new one"),
        (422, "email_token_invalid", "this verification link is not valid"),
    ),
)
def verify_email(
    body: VerifyEmailIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> EmailVerifiedOut:
    """Confirm an address with the token of the link mailed to it; no sign-in needed, the token
    is the proof. Works once, within 24 hours."""
    with runtime.database.write() as session:
        user = email_addresses.confirm(
            session,
            runtime,
            token=body.token,
            ip_address=request_ip,
            now=runtime.clock.now(),
        )
        return EmailVerifiedOut(email=user.email, verified=True)


@router.post(
    "/me/email/verification",
    status_code=202,
    response_model=EmailVerifiedOut,
    tags=["auth"],
    summary="Mail a new verification link",
    responses={
        200: {"description": "The address is verified already; nothing was sent"},
        **errors(429, MAIL_OFF),
    },
)
def send_verification_link(
    response: Response, caller: Caller = Depends(get_caller)
) -> EmailVerifiedOut:
    """Mail a new verification link to the signed-in person's address: once a minute, five a
    day. A signed-in person only, not an API key."""
    with caller.user(write=True) as (session, principal, actor):
        user = email_addresses.request_link(
            session,
            caller.runtime,
            user_id=principal.id,
            actor=actor,
            now=caller.runtime.clock.now(),
        )
        verified = user.email_verified_at is not None
        if verified:
            response.status_code = 200
        return EmailVerifiedOut(email=user.email, verified=verified)


@router.post(
    "/me/email",
    response_model=UserOut,
    tags=["auth"],
    summary="Change my e-mail address",
    responses=errors(
        (401, "invalid_credentials", "the password is wrong"),
        (409, "email_taken", "an account with this email exists"),
    ),
)
def change_email(body: EmailChangeIn, caller: Caller = Depends(get_caller)) -> UserOut:
    """Change the account's address (the password confirms it); the new one is unverified until
    its link is followed, and a verified old one is told of the change. A signed-in person
    only."""
    with caller.user(write=True) as (session, principal, actor):
        user = email_addresses.change(
            session,
            caller.runtime,
            user_id=principal.id,
            email=body.email,
            password=body.password,
            actor=actor,
            now=caller.runtime.clock.now(),
        )
        return UserOut.model_validate(user)


@router.post(
    "/invites/accept",
    response_model=OrgWithRoleOut,
    tags=["organizations"],
    summary="Accept an invite",
    responses=errors(
        (403, "invite_wrong_email", "this invite is for another email address"),
        (404, "invite_invalid", "invite code is not valid"),
        (409, "invite_used", "this invite was used already"),
        (409, "already_member", "you are a member already"),
    ),
)
def accept_invite(body: AcceptInviteIn, caller: Caller = Depends(get_caller)) -> OrgWithRoleOut:
    """Join the invite's organization with its role. A signed-in person only; an invite made for
    an address only by its owner."""
    now = caller.runtime.clock.now()
    with caller.user(write=True) as (session, principal, actor):
        user = service.get_user(session, principal.id)
        invite = commands.accept_invite(
            session, caller.runtime, code=body.code, user=user, actor=actor, now=now
        )
        org = service.get_organization(session, invite.org_id)
        return OrgWithRoleOut(**OrgOut.model_validate(org).model_dump(), role=Role(invite.role))


# Organizations ----------------------------------------------------------------------------------


@router.post(
    "/orgs",
    status_code=201,
    response_model=OrgWithRoleOut,
    tags=["organizations"],
    summary="Create an organization",
    responses=errors(
        (403, "org_creation_closed", "new organizations are closed on this server"),
        (403, "org_limit", "you have as many organizations as you may"),
    ),
)
def create_org(body: OrgCreateIn, caller: Caller = Depends(get_caller)) -> OrgWithRoleOut:
    """A new organization the caller owns: refused (403) while sign-up is closed
    (`org_creation_closed`), past the caller's limit (`org_limit`), to someone a termination
    marked (`terminated_identity`), or in a sanctioned country (`sanctioned_region`). A
    signed-in person only."""
    refused_by = Actor("user", None, caller.ip_address)
    with _refusals_kept(caller.runtime, refused_by), caller.user(write=True) as signed_in:
        session, principal, actor = signed_in
        org = commands.create_organization(
            session,
            caller.runtime,
            name=body.name,
            owner_id=principal.id,
            country=body.country,
            timezone=body.timezone,
            actor=actor,
            now=caller.runtime.clock.now(),
        )
        return OrgWithRoleOut(**OrgOut.model_validate(org).model_dump(), role=Role.OWNER)


@router.get(
    "/orgs/{org_id}", response_model=OrgOut, tags=["organizations"], summary="Get an organization"
)
def get_org(org_id: str, caller: Caller = Depends(get_caller)) -> OrgOut:
    """The organization's name, time zone and plan. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (session, _):
        return OrgOut.model_validate(service.get_organization(session, org_id))


@router.patch(
    "/orgs/{org_id}",
    response_model=OrgOut,
    tags=["organizations"],
    summary="Update an organization",
    responses=errors(
        (409, "timezone_change_too_soon", "the time zone was changed recently; ask the operator")
    ),
)
def update_org(org_id: str, body: OrgUpdateIn, caller: Caller = Depends(get_caller)) -> OrgOut:
    """Rename the organization, change its time zone, or the language its calls speak. Admins
    and owners, signed in."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        org = commands.update_organization(
            session,
            org_id=org_id,
            name=body.name,
            timezone=body.timezone,
            actor=access.actor,
            now=caller.runtime.clock.now(),
            language=body.language,
        )
        return OrgOut.model_validate(org)


@router.get(
    "/orgs/{org_id}/calling-policy",
    response_model=CallingPolicyOut,
    tags=["organizations"],
    summary="Get the calling policy",
)
def get_calling_policy(org_id: str, caller: Caller = Depends(get_caller)) -> CallingPolicyOut:
    """Which countries the organization may call, and the voice of its calls. Any member, or a
    key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (session, _):
        org = service.get_organization(session, org_id)
        return CallingPolicyOut.of(service.calling_policy(org), org.voice)


@router.patch(
    "/orgs/{org_id}/calling-policy",
    response_model=CallingPolicyOut,
    tags=["organizations"],
    summary="Change the calling policy",
    responses=errors((409, "home_country_change_too_soon", "the home country was set recently")),
)
def change_calling_policy(
    org_id: str, body: CallingPolicyIn, caller: Caller = Depends(get_caller)
) -> CallingPolicyOut:
    """Home country, international calling and the countries it may reach. Platform blocks
    (emergency, premium rate, sanctions...) hold whatever this says. Contacts it puts out of
    bounds are marked blocked. Admins and owners, signed in."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        policy, org = commands.change_calling_policy(
            session,
            caller.runtime,
            org_id=org_id,
            home_region=body.home_region,
            international_enabled=body.international_enabled,
            allowed_regions=body.allowed_regions,
            voice=body.voice,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )
        return CallingPolicyOut.of(policy, org.voice)


# Members ----------------------------------------------------------------------------------------


@router.get(
    "/orgs/{org_id}/members",
    response_model=PageOut[MemberOut],
    tags=["organizations"],
    summary="List members",
)
def list_members(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[MemberOut]:
    """The organization's people and their roles. Any member, signed in."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=None, write=False) as (session, _):
        page = queries.members_page(session, org_id=org_id, limit=limit, cursor=cursor)
        return PageOut[MemberOut](
            items=[
                MemberOut(
                    user_id=member.user.id,
                    email=member.user.email,
                    display_name=member.user.display_name,
                    role=member.role,
                    created_at=member.user.created_at,
                )
                for member in page.items
            ],
            next_cursor=page.next_cursor,
        )


@router.patch(
    "/orgs/{org_id}/members/{user_id}",
    status_code=204,
    tags=["organizations"],
    summary="Change a member's role",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (409, "last_owner", "the organization needs at least one owner"),
    ),
)
def change_member_role(
    org_id: str, user_id: str, body: RoleIn, caller: Caller = Depends(get_caller)
) -> None:
    """Make a member an owner, admin or member. Owners only, signed in."""
    with caller.org(org_id, min_role=Role.OWNER, scope=None, write=True) as (session, access):
        commands.change_member_role(
            session,
            org_id=org_id,
            user_id=user_id,
            role=body.role,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )


@router.delete(
    "/orgs/{org_id}/members/{user_id}",
    status_code=204,
    tags=["organizations"],
    summary="Remove a member",
    responses=errors(
        (404, "member_not_found", "member not found"),
        (409, "last_owner", "the organization needs at least one owner"),
    ),
)
def remove_member(org_id: str, user_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Take a person out of the organization. Any member may leave; removing someone else takes
    an admin (an owner to remove an owner). Signed in."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=None, write=True) as (session, access):
        commands.remove_member(
            session,
            org_id=org_id,
            user_id=user_id,
            removed_by=access.principal.id,
            remover_role=access.role,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )


# Invites ----------------------------------------------------------------------------------------


@router.post(
    "/orgs/{org_id}/invites",
    status_code=201,
    response_model=InviteCreatedOut,
    tags=["organizations"],
    summary="Invite someone",
)
def create_invite(
    org_id: str, body: InviteIn, caller: Caller = Depends(get_caller)
) -> InviteCreatedOut:
    """A code that joins the organization with a role, for a week; mailed when it names an
    address and mail is on. Admins and owners, signed in."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        invite, code = commands.create_invite(
            session,
            caller.runtime,
            org_id=org_id,
            role=body.role,
            email=body.email,
            created_by=access.principal.id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )
        return InviteCreatedOut(**InviteOut.model_validate(invite).model_dump(), code=code)


@router.get(
    "/orgs/{org_id}/invites",
    response_model=PageOut[InviteOut],
    tags=["organizations"],
    summary="List invites",
)
def list_invites(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[InviteOut]:
    """The organization's invites, used, revoked or open (codes are not shown). Admins and
    owners, signed in."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        page = queries.invites_page(session, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, InviteOut)


@router.delete(
    "/orgs/{org_id}/invites/{invite_id}",
    status_code=204,
    tags=["organizations"],
    summary="Revoke an invite",
    responses=errors((404, "invite_not_found", "invite not found")),
)
def revoke_invite(org_id: str, invite_id: str, caller: Caller = Depends(get_caller)) -> None:
    """The invite's code works no more. Admins and owners, signed in."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        commands.revoke_invite(
            session,
            org_id=org_id,
            invite_id=invite_id,
            actor=access.actor,
            now=caller.runtime.clock.now(),
        )


# API keys ---------------------------------------------------------------------------------------


@router.post(
    "/orgs/{org_id}/api-keys",
    status_code=201,
    response_model=ApiKeyCreatedOut,
    tags=["api keys"],
    summary="Create an API key",
)
def create_api_key(
    org_id: str, body: ApiKeyIn, caller: Caller = Depends(get_caller)
) -> ApiKeyCreatedOut:
    """A key for programs: `ingest` to send alerts to the webhook, `read` and `write` for the
    API; the full key is in this answer only. Admins and owners, signed in."""
    runtime = caller.runtime
    now = runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        created = api_keys.create_api_key(
            session,
            org_id=org_id,
            name=body.name,
            scopes=[s.value for s in body.scopes],
            created_by=access.principal.id,
            actor=access.actor,
            now=now,
            digest_key=runtime.api_key_digest_key,
            endpoint_id=body.endpoint_id,
        )
        return ApiKeyCreatedOut(
            **ApiKeyOut.model_validate(created.key).model_dump(), key=created.plaintext
        )


@router.get(
    "/orgs/{org_id}/api-keys",
    response_model=PageOut[ApiKeyOut],
    tags=["api keys"],
    summary="List API keys",
)
def list_api_keys(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[ApiKeyOut]:
    """The organization's keys, revoked ones too, without their secret part. Admins and owners,
    signed in."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        page = api_keys.keys_page(session, org_id=org_id, limit=limit, cursor=cursor)
        return page_of(page, ApiKeyOut)


@router.delete(
    "/orgs/{org_id}/api-keys/{key_id}",
    status_code=204,
    tags=["api keys"],
    summary="Revoke an API key",
    responses=errors(
        (404, "api_key_not_found", "API key not found"),
        (422, "key_revoked", "this key is already revoked; create a new one"),
    ),
)
def revoke_api_key(org_id: str, key_id: str, caller: Caller = Depends(get_caller)) -> None:
    """The key works no more, at once. Admins and owners, signed in."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        api_keys.revoke_api_key(session, org_id=org_id, key_id=key_id, actor=access.actor, now=now)
