"""Who is looking at a page: the signed-in viewer, their organizations, and authorized
transactions, built from the session cookie."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

from fastapi import Request

from tocsin.accounts import service as accounts
from tocsin.accounts import web_sessions
from tocsin.accounts.models import PLATFORM_ADMIN, Role, WebSession
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.db.session import Session
from tocsin.http.api.auth import OrgAccess, Principal, authorize_org
from tocsin.http.api.deps import client_ip
from tocsin.http.web import sessions
from tocsin.restrictions.blocks import user_block
from tocsin.runtime import Runtime


class LoginRequired(Exception):
    """No live session: the browser is sent to the sign-in page, and back here afterwards."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass(frozen=True)
class OrgChoice:
    id: str
    name: str
    role: str


@dataclass
class Viewer:
    """A signed-in person, for one request."""

    runtime: Runtime
    user_id: str
    email: str
    display_name: str
    platform_admin: bool
    session_id: str
    csrf_token: str
    ip_address: str | None
    organizations: list[OrgChoice] = field(default_factory=list)

    @property
    def principal(self) -> Principal:
        return Principal(kind="user", id=self.user_id, platform_admin=self.platform_admin)

    @property
    def actor(self) -> Actor:
        return Actor("user", self.user_id, self.ip_address)

    @contextmanager
    def org(
        self, org_id: str, *, min_role: Role, write: bool
    ) -> Iterator[tuple[Session, OrgAccess]]:
        """A transaction on an organization the viewer belongs to with at least `min_role`;
        another organization is 404, as in the API."""
        database = self.runtime.database
        with database.write() if write else database.read() as session:
            access = authorize_org(
                session,
                self.principal,
                org_id,
                min_role=min_role,
                scope=None,
                ip_address=self.ip_address,
            )
            yield session, access

    @contextmanager
    def admin(self, *, write: bool) -> Iterator[Session]:
        if not self.platform_admin:
            raise Forbidden("this needs a platform administrator", code="platform_admin_required")
        database = self.runtime.database
        with database.write() if write else database.read() as session:
            yield session


def current_session(request: Request, runtime: Runtime, db: Session) -> WebSession | None:
    return web_sessions.find(
        db,
        token=request.cookies.get(sessions.COOKIE),
        key=runtime.web_session_key,
        now=runtime.clock.now(),
    )


def viewer_of(request: Request, *, allow_mfa_pending: bool = False) -> Viewer:
    """The signed-in viewer (cached on the request), or LoginRequired."""
    cached: Viewer | None = getattr(request.state, "viewer", None)
    if cached is not None:
        return cached
    runtime: Runtime = request.app.state.runtime
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    with runtime.database.read() as db:
        row = current_session(request, runtime, db)
        user = accounts.find_user(db, row.user_id) if row is not None else None
        if row is None or user is None:
            raise LoginRequired(here)
        if not row.mfa_passed and not allow_mfa_pending:
            raise LoginRequired(here)
        if user_block(db, user_id=user.id, now=runtime.clock.now()) is not None:
            raise LoginRequired(here)
        viewer = Viewer(
            runtime=runtime,
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            platform_admin=user.platform_role == PLATFORM_ADMIN,
            session_id=row.id,
            csrf_token=row.csrf_token,
            ip_address=client_ip(request),
            organizations=[
                OrgChoice(*choice) for choice in accounts.organizations_by_name(db, user.id)
            ],
        )
    request.state.viewer = viewer
    return viewer


def signed_in(request: Request) -> Viewer:
    """FastAPI dependency: pages for signed-in people."""
    return viewer_of(request)


def login_url(next_url: str) -> str:
    return f"/login?next={quote(next_url, safe='/')}"
