"""Request-scoped helpers for routers: the runtime, and authenticated transactions.

Routes open their transaction explicitly (`with caller.write(...)`), so a route's reply is only
built after its commit; nothing is acknowledged that is not durable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPBasic, HTTPBearer
from starlette.requests import HTTPConnection

from tocsin.accounts import service as accounts
from tocsin.accounts.models import ApiKey, Role, Scope
from tocsin.core.actors import Actor
from tocsin.core.client_address import client_address
from tocsin.core.errors import Forbidden
from tocsin.db.session import Session
from tocsin.http.api.auth import (
    OrgAccess,
    Principal,
    authenticate,
    authorize_org,
    last_used_is_stale,
)
from tocsin.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def client_ip(request: Request) -> str | None:
    """The client's address for rate limits and records: the peer, or the address a trusted
    proxy names for it (core/client_address.py). The one place a request's address is read."""
    settings = get_runtime(request).settings
    header = settings.forwarded_header
    return client_address(
        request.client.host if request.client else None,
        request.headers.getlist(header.value),
        trusted=settings.trusted_proxy_networks(),
        header=header,
    )


@dataclass
class Caller:
    """The unauthenticated facts of a request, turned into an authorized transaction on demand."""

    runtime: Runtime
    authorization: str | None
    api_key: str | None
    ip_address: str | None

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Session]:
        database = self.runtime.database
        with database.write() if write else database.read() as session:
            yield session

    @contextmanager
    def org(
        self,
        org_id: str,
        *,
        min_role: Role,
        scope: Scope | None,
        write: bool,
        per_endpoint: bool = False,
    ) -> Iterator[tuple[Session, OrgAccess]]:
        """A transaction for a route of the organization. `per_endpoint` routes confine
        themselves to `OrgAccess.endpoint_id` and so admit endpoint-bound keys."""
        with self._transaction(write=write) as session:
            principal = authenticate(
                session, self.runtime, authorization=self.authorization, api_key_header=self.api_key
            )
            access = authorize_org(
                session,
                principal,
                org_id,
                min_role=min_role,
                scope=scope,
                ip_address=self.ip_address,
                per_endpoint=per_endpoint,
            )
            yield session, access
        self._touch(principal.api_key)

    @contextmanager
    def user(self, *, write: bool) -> Iterator[tuple[Session, Principal, Actor]]:
        """A transaction for actions that belong to a signed-in user rather than an org."""
        with self._transaction(write=write) as session:
            principal = authenticate(
                session, self.runtime, authorization=self.authorization, api_key_header=self.api_key
            )
            if principal.kind != "user":
                raise Forbidden("this action needs a signed-in user", code="user_required")
            yield session, principal, Actor("user", principal.id, self.ip_address)

    @contextmanager
    def platform_admin(self, *, write: bool) -> Iterator[tuple[Session, Actor]]:
        """A transaction for the platform's trust and safety staff only."""
        with self.user(write=write) as (session, principal, actor):
            if not principal.platform_admin:
                raise Forbidden(
                    "this needs a platform administrator", code="platform_admin_required"
                )
            yield session, actor

    def signed_in_user(self) -> Principal:
        """Check that a user (not an API key) is signed in, for work that needs no database."""
        with self.user(write=False) as (_session, principal, _actor):
            return principal

    def _touch(self, key: ApiKey | None) -> None:
        now = self.runtime.clock.now()
        if key is None or not last_used_is_stale(key, now):
            return
        with self.runtime.database.write() as session:
            accounts.note_api_key_used(session, key_id=key.id, now=now)


class AuthorizationHeader(HTTPBearer):
    """`Authorization: Bearer ...` in the API's description. The header reaches `authenticate`
    as it was sent, which says what is wrong with a bad one rather than ignoring it."""

    async def __call__(self, request: HTTPConnection) -> str | None:  # type: ignore[override]
        return request.headers.get("Authorization")


BEARER = AuthorizationHeader(
    auto_error=False,
    scheme_name="Bearer",
    description="A signed-in person's access token (POST /v1/auth/login), or an API key",
)
API_KEY = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key of the organization; what it may do is its scopes",
)


class _ReadByTheRoute:
    """A scheme a route reads itself, declared for the description only: the webhook and the
    heartbeat pings read their key where any of their schemes carries it."""

    async def __call__(self, request: HTTPConnection) -> None:
        return None


class _AlertKeyHeader(_ReadByTheRoute, APIKeyHeader):
    pass


class _AlertKeyQuery(_ReadByTheRoute, APIKeyQuery):
    pass


class _AlertKeyBasic(_ReadByTheRoute, HTTPBasic):
    pass


ALERT_KEY = _AlertKeyHeader(
    name="X-Alert-Key",
    auto_error=False,
    scheme_name="AlertKey",
    description="An API key with the `ingest` scope for the webhook (`tocsin key create`); a "
    "heartbeat's own key for its pings",
)
ALERT_KEY_QUERY = _AlertKeyQuery(
    name="key",
    auto_error=False,
    scheme_name="AlertKeyQuery",
    description="A heartbeat's key in the query, for tools that cannot send a header",
)
ALERT_KEY_BASIC = _AlertKeyBasic(
    auto_error=False,
    scheme_name="AlertKeyBasic",
    description="The webhook's API key as the password (or the user name alone), for senders "
    "that take a URL with credentials",
)
# The webhook takes its key in any of these (http/api/hooks.py); `Bearer` carries the key too.
WEBHOOK_SECURITY = [Security(ALERT_KEY), Security(BEARER), Security(ALERT_KEY_BASIC)]
HEARTBEAT_SECURITY = [Security(ALERT_KEY), Security(ALERT_KEY_QUERY)]


def get_caller(
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    authorization: str | None = Security(BEARER),
    x_api_key: str | None = Security(API_KEY),
) -> Caller:
    return Caller(runtime, authorization, x_api_key, client_ip(request))
