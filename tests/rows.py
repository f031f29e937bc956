"""Row factories: tenants written straight into the database through the services, for tests
whose subject is not the HTTP API (it costs a sign-up, a login and a verification call each).

A tenant built here has an owner (with an access token for the API), one or more contacts whose
numbers carry a consent record, an endpoint calling them, and an ingest key.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tocsin.accounts import service as accounts
from tocsin.accounts.models import Membership, Role, Scope, User
from tocsin.delivery import provider_accounts
from tocsin.endpoints import service as endpoints
from tocsin.ids import new_id
from tocsin.runtime import Runtime
from tocsin.trust.models import ConsentRecord
from tocsin.web import sessions

_counter = itertools.count(1)


@dataclass(frozen=True)
class RowTenant:
    org_id: str
    user_id: str
    contact_ids: list[str]
    endpoint_id: str
    ingest_key: str
    access_token: str

    @property
    def contact_id(self) -> str:
        return self.contact_ids[0]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def alert_key(self) -> dict[str, str]:
        return {"X-Alert-Key": self.ingest_key}


def tenant_rows(
    runtime: Runtime,
    *,
    phones: tuple[str, ...] = ("+447400123456",),
    endpoint: dict[str, Any] | None = None,
) -> RowTenant:
    """An organization of its own with a verified contact per number, all on one endpoint."""
    now = runtime.clock.now()
    number = next(_counter)
    with runtime.database.write() as session:
        user = User(
            id=new_id("usr"),
            email=f"rows{number}-{new_id('e')[-6:]}@example.com",
            display_name=f"Owner {number}",
            # Nobody signs in with a password here: the API is reached with a minted token.
            password_hash="!",
            created_at=now,
        )
        session.add(user)
        session.flush()
        org = accounts.create_organization(
            session, name=f"Rows {number}", owner_id=None, now=now, home_region="GB"
        )
        session.add(Membership(org_id=org.id, user_id=user.id, role=Role.OWNER, created_at=now))
        contact_ids = []
        for index, phone in enumerate(phones, start=1):
            contact = endpoints.create_contact(
                session,
                org_id=org.id,
                name=f"Contact {index}",
                phone=phone,
                region=None,
                now=now,
                sanctioned_regions=runtime.settings.sanctioned_region_set(),
            )
            session.add(
                ConsentRecord(
                    id=new_id("cns"),
                    org_id=org.id,
                    phone_e164=contact.phone_e164,
                    verification_id=new_id("ver"),
                    method="call",
                    actor_type="test",
                    policy_version="test",
                    created_at=now,
                )
            )
            contact_ids.append(contact.id)
        session.flush()
        created = endpoints.create_endpoint(
            session,
            org_id=org.id,
            name="Production",
            now=now,
            contact_ids=contact_ids,
            **(endpoint or {}),
        )
        _, key = accounts.create_api_key(
            session,
            org_id=org.id,
            name="ingest",
            scopes=[Scope.INGEST.value],
            created_by=None,
            now=now,
            digest_key=runtime.api_key_digest_key,
        )
        tokens = accounts.issue_tokens(
            session,
            user_id=user.id,
            codec=runtime.tokens,
            now=now,
            access_lifetime=runtime.access_lifetime,
            refresh_lifetime=runtime.refresh_lifetime,
        )
        return RowTenant(
            org_id=org.id,
            user_id=user.id,
            contact_ids=contact_ids,
            endpoint_id=created.id,
            ingest_key=key,
            access_token=tokens.access_token,
        )


def browser_for(client: TestClient, runtime: Runtime, user_id: str) -> TestClient:
    """A browser of its own, signed in as the user by a session written directly."""
    with runtime.database.write() as session:
        user = session.get(User, user_id)
        assert user is not None
        opened = sessions.open_session(
            session,
            user=user,
            key=runtime.web_session_key,
            now=runtime.clock.now(),
            mfa_passed=True,
            ip_address=None,
            user_agent="tests",
        )
    browser = TestClient(client.app)
    browser.cookies.set(sessions.COOKIE, opened.token)
    return browser


def provider_account(
    runtime: Runtime,
    org_id: str,
    kind: str,
    *,
    priority: int = 1,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    enabled: bool = True,
) -> str:
    """An organization's provider account, checked and sealed as the API does it; its id."""
    with runtime.database.write() as session:
        account = provider_accounts.create_account(
            session,
            org_id=org_id,
            kind=kind,
            name=f"{kind} {priority}",
            priority=priority,
            settings=settings or {},
            credentials=credentials or {},
            factory=runtime.provider_factory,
            box=runtime.credentials_box,
            context=runtime.build_context,
            now=runtime.clock.now(),
        )
        account.enabled = enabled
        account_id: str = account.id
    return account_id
