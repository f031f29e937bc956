"""Accounts API: sign-up, sign-in, tokens, organizations, members, invites and API keys."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from tocsin.accounts import service
from tocsin.accounts.models import ApiKey, Invite, Membership, Role, Scope, User
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.limits import Resource, check_international, check_room
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.core.pagination import DEFAULT_LIMIT, paginate
from tocsin.core.ratelimit import Limits
from tocsin.endpoints.service import get_endpoint
from tocsin.http.api.deps import Caller, client_ip, get_caller, get_runtime
from tocsin.http.api.schemas.accounts import (
    AcceptInviteIn,
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    CallingPolicyIn,
    CallingPolicyOut,
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
    SignupIn,
    SignupOut,
    TokensOut,
    UserOut,
)
from tocsin.http.api.schemas.common import ERROR_RESPONSES, PageOut, page_of
from tocsin.organizations import registration
from tocsin.runtime import Runtime

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


def _tokens_out(pair: service.TokenPair) -> TokensOut:
    return TokensOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


# Sign-up and sessions ---------------------------------------------------------------------------


@router.post("/auth/signup", status_code=201, response_model=SignupOut, tags=["auth"])
def signup(
    body: SignupIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> SignupOut:
    now = runtime.clock.now()
    runtime.rate_limiter.hit(Limits.SIGNUP, request_ip or "-", what="sign-ups from this address")
    with runtime.database.write() as session:
        registered = registration.register(
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
        user, org, role = registered.user, registered.organization, registered.role
        pair = service.issue_tokens(
            session,
            user_id=user.id,
            codec=runtime.tokens,
            now=now,
            access_lifetime=runtime.access_lifetime,
            refresh_lifetime=runtime.refresh_lifetime,
        )
        return SignupOut(
            user=UserOut.model_validate(user),
            organization=OrgWithRoleOut(**OrgOut.model_validate(org).model_dump(), role=role),
            tokens=_tokens_out(pair),
        )


@router.post("/auth/login", response_model=TokensOut, tags=["auth"])
def login(
    body: LoginIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> TokensOut:
    now = runtime.clock.now()
    registration.limit_sign_in(runtime, email=body.email, ip_address=request_ip)
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


@router.post("/auth/refresh", response_model=TokensOut, tags=["auth"])
def refresh(
    body: RefreshIn,
    request_ip: str | None = Depends(client_ip),
    runtime: Runtime = Depends(get_runtime),
) -> TokensOut:
    now = runtime.clock.now()
    try:
        with runtime.database.write() as session:
            pair = service.rotate_refresh_token(
                session,
                token=body.refresh_token,
                codec=runtime.tokens,
                now=now,
                access_lifetime=runtime.access_lifetime,
                refresh_lifetime=runtime.refresh_lifetime,
            )
    except service.RefreshTokenReused as reused:
        # The refused request's transaction was rolled back; the revocation gets its own.
        with runtime.database.write() as session:
            service.revoke_token_family(session, family_id=reused.family_id, now=now)
            audit.record(
                session,
                actor=Actor("user", reused.user_id, request_ip),
                action=AuditAction.AUTH_REFRESH_TOKEN_REUSED,
                at=now,
                target_type="user",
                target_id=reused.user_id,
                details={"family_id": reused.family_id},
            )
        raise
    return _tokens_out(pair)


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(body: RefreshIn, runtime: Runtime = Depends(get_runtime)) -> None:
    with runtime.database.write() as session:
        service.logout(
            session, token=body.refresh_token, codec=runtime.tokens, now=runtime.clock.now()
        )


@router.get("/me", response_model=MeOut, tags=["auth"])
def me(caller: Caller = Depends(get_caller)) -> MeOut:
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


@router.post("/invites/accept", response_model=OrgWithRoleOut, tags=["organizations"])
def accept_invite(body: AcceptInviteIn, caller: Caller = Depends(get_caller)) -> OrgWithRoleOut:
    now = caller.runtime.clock.now()
    with caller.user(write=True) as (session, principal, actor):
        user = service.get_user(session, principal.id)
        invite = service.accept_invite(
            session,
            code=body.code,
            user=user,
            now=now,
            digest_key=caller.runtime.invite_digest_key,
            billing=caller.runtime.billing,
        )
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INVITE_ACCEPTED,
            at=now,
            org_id=invite.org_id,
            target_type="invite",
            target_id=invite.id,
        )
        org = service.get_organization(session, invite.org_id)
        return OrgWithRoleOut(**OrgOut.model_validate(org).model_dump(), role=Role(invite.role))


# Organizations ----------------------------------------------------------------------------------


@router.post("/orgs", status_code=201, response_model=OrgWithRoleOut, tags=["organizations"])
def create_org(body: OrgCreateIn, caller: Caller = Depends(get_caller)) -> OrgWithRoleOut:
    now = caller.runtime.clock.now()
    with caller.user(write=True) as (session, principal, actor):
        org = service.create_organization(
            session,
            name=body.name,
            owner_id=principal.id,
            now=now,
            home_region=body.country or caller.runtime.settings.default_region,
            plan=caller.runtime.billing.default_plan,
            timezone=body.timezone,
        )
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ORG_CREATED,
            at=now,
            org_id=org.id,
            target_type="organization",
            target_id=org.id,
        )
        return OrgWithRoleOut(**OrgOut.model_validate(org).model_dump(), role=Role.OWNER)


@router.get("/orgs/{org_id}", response_model=OrgOut, tags=["organizations"])
def get_org(org_id: str, caller: Caller = Depends(get_caller)) -> OrgOut:
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (session, _):
        return OrgOut.model_validate(service.get_organization(session, org_id))


@router.patch("/orgs/{org_id}", response_model=OrgOut, tags=["organizations"])
def update_org(org_id: str, body: OrgUpdateIn, caller: Caller = Depends(get_caller)) -> OrgOut:
    """Rename the organization or change its time zone."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        org = service.get_organization(session, org_id)
        if body.name is not None:
            service.rename_organization(org, body.name)
        if body.timezone is not None:
            service.set_timezone(org, body.timezone)
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.ORG_UPDATED,
            at=now,
            org_id=org_id,
            target_type="organization",
            target_id=org_id,
            details=body.model_dump(exclude_none=True),
        )
        return OrgOut.model_validate(org)


@router.get(
    "/orgs/{org_id}/calling-policy", response_model=CallingPolicyOut, tags=["organizations"]
)
def get_calling_policy(org_id: str, caller: Caller = Depends(get_caller)) -> CallingPolicyOut:
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (session, _):
        org = service.get_organization(session, org_id)
        return CallingPolicyOut.of(service.calling_policy(org), org.voice)


@router.patch(
    "/orgs/{org_id}/calling-policy", response_model=CallingPolicyOut, tags=["organizations"]
)
def change_calling_policy(
    org_id: str, body: CallingPolicyIn, caller: Caller = Depends(get_caller)
) -> CallingPolicyOut:
    """Home country, international calling and the countries it may reach. Platform blocks
    (emergency, premium rate, sanctions...) hold whatever this says."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        org = service.get_organization(session, org_id)
        if body.international_enabled:
            check_international(org, billing=caller.runtime.billing, now=now)
        policy = service.set_calling_policy(
            org,
            home_region=body.home_region,
            international_enabled=body.international_enabled,
            allowed_regions=body.allowed_regions,
        )
        if body.voice is not None:
            service.set_voice(org, body.voice)
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.ORG_CALLING_POLICY_CHANGED,
            at=now,
            org_id=org_id,
            target_type="organization",
            target_id=org_id,
            details=CallingPolicyOut.of(policy, org.voice).model_dump(),
        )
        return CallingPolicyOut.of(policy, org.voice)


# Members ----------------------------------------------------------------------------------------


@router.get("/orgs/{org_id}/members", response_model=PageOut[MemberOut], tags=["organizations"])
def list_members(
    org_id: str,
    limit: int = Query(DEFAULT_LIMIT),
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[MemberOut]:
    with caller.org(org_id, min_role=Role.MEMBER, scope=None, write=False) as (session, _):
        query = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org_id)
        )
        page = paginate(session, query, User.id, limit=limit, cursor=cursor)
        roles = dict(
            session.execute(
                select(Membership.user_id, Membership.role).where(
                    Membership.org_id == org_id,
                    Membership.user_id.in_([user.id for user in page.items]),
                )
            ).all()
        )
        return PageOut[MemberOut](
            items=[
                MemberOut(
                    user_id=user.id,
                    email=user.email,
                    display_name=user.display_name,
                    role=Role(roles[user.id]),
                    created_at=user.created_at,
                )
                for user in page.items
            ],
            next_cursor=page.next_cursor,
        )


@router.patch("/orgs/{org_id}/members/{user_id}", status_code=204, tags=["organizations"])
def change_member_role(
    org_id: str, user_id: str, body: RoleIn, caller: Caller = Depends(get_caller)
) -> None:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.OWNER, scope=None, write=True) as (session, access):
        service.change_role(session, org_id=org_id, user_id=user_id, role=body.role)
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.MEMBER_ROLE_CHANGED,
            at=now,
            org_id=org_id,
            target_type="user",
            target_id=user_id,
            details={"role": body.role.value},
        )


@router.delete("/orgs/{org_id}/members/{user_id}", status_code=204, tags=["organizations"])
def remove_member(org_id: str, user_id: str, caller: Caller = Depends(get_caller)) -> None:
    now = caller.runtime.clock.now()
    # Anyone may leave; removing someone else takes an owner.
    with caller.org(org_id, min_role=Role.MEMBER, scope=None, write=True) as (session, access):
        if access.principal.id != user_id and access.role != Role.OWNER:
            raise Forbidden("this action needs the owner role", code="insufficient_role")
        service.remove_member(session, org_id=org_id, user_id=user_id)
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.MEMBER_REMOVED,
            at=now,
            org_id=org_id,
            target_type="user",
            target_id=user_id,
        )


# Invites ----------------------------------------------------------------------------------------


@router.post(
    "/orgs/{org_id}/invites",
    status_code=201,
    response_model=InviteCreatedOut,
    tags=["organizations"],
)
def create_invite(
    org_id: str, body: InviteIn, caller: Caller = Depends(get_caller)
) -> InviteCreatedOut:
    runtime = caller.runtime
    now = runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        check_room(
            session,
            org_id=org_id,
            resource=Resource.MEMBERS,
            billing=runtime.billing,
            now=now,
        )
        invite, code = service.create_invite(
            session,
            org_id=org_id,
            role=body.role,
            created_by=access.principal.id,
            now=now,
            lifetime=timedelta(seconds=runtime.settings.invite_seconds),
            digest_key=runtime.invite_digest_key,
            email=body.email,
        )
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.INVITE_CREATED,
            at=now,
            org_id=org_id,
            target_type="invite",
            target_id=invite.id,
            details={"role": body.role.value},
        )
        return InviteCreatedOut(**InviteOut.model_validate(invite).model_dump(), code=code)


@router.get("/orgs/{org_id}/invites", response_model=PageOut[InviteOut], tags=["organizations"])
def list_invites(
    org_id: str,
    limit: int = Query(DEFAULT_LIMIT),
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[InviteOut]:
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        page = paginate(
            session,
            select(Invite).where(Invite.org_id == org_id),
            Invite.id,
            limit=limit,
            cursor=cursor,
        )
        return page_of(page, InviteOut)


@router.delete("/orgs/{org_id}/invites/{invite_id}", status_code=204, tags=["organizations"])
def revoke_invite(org_id: str, invite_id: str, caller: Caller = Depends(get_caller)) -> None:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        service.revoke_invite(session, org_id=org_id, invite_id=invite_id, now=now)
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.INVITE_REVOKED,
            at=now,
            org_id=org_id,
            target_type="invite",
            target_id=invite_id,
        )


# API keys ---------------------------------------------------------------------------------------


@router.post(
    "/orgs/{org_id}/api-keys", status_code=201, response_model=ApiKeyCreatedOut, tags=["api keys"]
)
def create_api_key(
    org_id: str, body: ApiKeyIn, caller: Caller = Depends(get_caller)
) -> ApiKeyCreatedOut:
    runtime = caller.runtime
    now = runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        if body.endpoint_id is not None:
            get_endpoint(session, org_id=org_id, endpoint_id=body.endpoint_id)
        key, plaintext = service.create_api_key(
            session,
            org_id=org_id,
            name=body.name,
            scopes=[s.value for s in body.scopes],
            created_by=access.principal.id,
            now=now,
            digest_key=runtime.api_key_digest_key,
            endpoint_id=body.endpoint_id,
        )
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.API_KEY_CREATED,
            at=now,
            org_id=org_id,
            target_type="api_key",
            target_id=key.id,
            details={"scopes": key.scopes},
        )
        return ApiKeyCreatedOut(**ApiKeyOut.model_validate(key).model_dump(), key=plaintext)


@router.get("/orgs/{org_id}/api-keys", response_model=PageOut[ApiKeyOut], tags=["api keys"])
def list_api_keys(
    org_id: str,
    limit: int = Query(DEFAULT_LIMIT),
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[ApiKeyOut]:
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=False) as (session, _):
        page = paginate(
            session,
            select(ApiKey).where(ApiKey.org_id == org_id),
            ApiKey.id,
            limit=limit,
            cursor=cursor,
        )
        return page_of(page, ApiKeyOut)


@router.delete("/orgs/{org_id}/api-keys/{key_id}", status_code=204, tags=["api keys"])
def revoke_api_key(org_id: str, key_id: str, caller: Caller = Depends(get_caller)) -> None:
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=None, write=True) as (session, access):
        service.revoke_api_key(session, org_id=org_id, key_id=key_id, now=now)
        audit.record(
            session,
            actor=access.actor,
            action=AuditAction.API_KEY_REVOKED,
            at=now,
            org_id=org_id,
            target_type="api_key",
            target_id=key_id,
        )
