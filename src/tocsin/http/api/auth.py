"""Who is calling, and may they touch this organization?

Two kinds of principal: a user (JWT access token) and an API key. Both are checked against the
organization in the URL; a principal of another organization gets 404, exactly as if the
organization did not exist, so ids of other tenants cannot be probed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.accounts import revocations
from tocsin.accounts.models import PLATFORM_ADMIN, ApiKey, Role, Scope
from tocsin.accounts.service import find_api_key, get_user, membership_role
from tocsin.accounts.tokens import ACCESS
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden, NotFound, Unauthorized
from tocsin.db.session import Session
from tocsin.endpoints.queries import endpoint_not_found
from tocsin.http.api.schemas.common import OwnId
from tocsin.restrictions.blocks import user_block
from tocsin.runtime import Runtime

# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "api_key"
    id: OwnId
    api_key: ApiKey | None = None
    # Trust and safety staff of the platform; no API key ever is.
    platform_admin: bool = False


@dataclass(frozen=True)
class OrgAccess:
    org_id: str
    principal: Principal
    actor: Actor
    role: Role | None
    # The one endpoint an API key bound to it may reach (with its alerts); None for the whole
    # organization. Only routes that confine themselves to it let such a key in.
    endpoint_id: str | None = None

    def require_endpoint(self, endpoint_id: str) -> None:
        """NotFound for an endpoint this caller may not reach, exactly as for one that does not
        exist: a bound key learns nothing of its organization's other endpoints."""
        if self.endpoint_id is not None and endpoint_id != self.endpoint_id:
            raise endpoint_not_found()


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'", code="invalid_token")
    return token.strip()


def basic_credentials_secret(authorization: str) -> str | None:
    """The secret in `Authorization: Basic ...`: the password, or the user name when the
    password is empty (tools differ in which field they offer). None for another scheme.

    For senders that cannot set a header but can put credentials in the URL they call
    (`https://tocsin:tk_...@host/v1/hooks/ep_...`): Amazon SNS and Google Cloud Monitoring."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized(
            "Authorization header 'Basic' credentials are not base64 of user:password",
            code="invalid_key",
        ) from exc
    user, _, password = decoded.partition(":")
    secret = password.strip() or user.strip()
    if not secret:
        raise Unauthorized("Authorization header 'Basic' carries no key", code="missing_key")
    return secret


def authenticate_api_key(session: Session, runtime: Runtime, plaintext: str) -> ApiKey:
    key = find_api_key(session, plaintext, digest_key=runtime.api_key_digest_key)
    if key is None:
        raise Unauthorized("API key is not valid", code="invalid_key")
    return key


def last_used_is_stale(key: ApiKey, now: datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION


def authenticate(
    session: Session, runtime: Runtime, *, authorization: str | None, api_key_header: str | None
) -> Principal:
    if api_key_header is not None:
        # The header named for API keys takes API keys only, not a token that happens to fit.
        key = authenticate_api_key(session, runtime, api_key_header)
        return Principal("api_key", key.id, key)
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized("sign in or send an API key", code="unauthenticated")
    if token.startswith("tk_"):
        key = authenticate_api_key(session, runtime, token)
        return Principal("api_key", key.id, key)
    claims = runtime.tokens.decode(token, expected_type=ACCESS, now=runtime.clock.now())
    try:
        user = get_user(session, claims.subject)
    except NotFound as exc:
        raise Unauthorized("token is invalid", code="invalid_token") from exc
    block = user_block(session, user_id=user.id, now=runtime.clock.now())
    if block is not None:
        raise block.refusal()
    # After the block: a suspended or terminated person is told so rather than signed out.
    if revocations.is_revoked(session, claims.token_id):
        raise Unauthorized("token was revoked", code="token_revoked")
    return Principal("user", user.id, platform_admin=user.platform_role == PLATFORM_ADMIN)


def authorize_org(
    session: Session,
    principal: Principal,
    org_id: str,
    *,
    min_role: Role,
    scope: Scope | None,
    ip_address: str | None,
    per_endpoint: bool = False,
) -> OrgAccess:
    """`scope` None means API keys may not do this at all (people-only actions).

    `per_endpoint`: the route confines what it reads and changes to `OrgAccess.endpoint_id`,
    so a key bound to one endpoint may use it; every other route refuses such a key."""
    not_found = NotFound("organization not found", code="org_not_found")
    if principal.api_key is not None:
        key = principal.api_key
        if key.org_id != org_id:
            raise not_found
        if scope is None:
            raise Forbidden("this action needs a signed-in user", code="user_required")
        if scope.value not in key.scopes:
            raise Forbidden(f"API key lacks the '{scope.value}' scope", code="insufficient_scope")
        if key.endpoint_id is not None and not per_endpoint:
            raise Forbidden(
                "this API key is bound to one endpoint: it reaches only that endpoint and its "
                "alerts",
                code="key_bound_to_endpoint",
            )
        actor = Actor("api_key", key.id, ip_address)
        return OrgAccess(org_id, principal, actor, None, endpoint_id=key.endpoint_id)
    role = membership_role(session, org_id, principal.id)
    if role is None:
        raise not_found
    if role.rank < min_role.rank:
        raise Forbidden(f"this action needs the {min_role.value} role", code="insufficient_role")
    return OrgAccess(org_id, principal, Actor("user", principal.id, ip_address), role)
