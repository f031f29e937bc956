"""Row factories on top of tests/seeded.py: a tenant with several verified numbers on one
endpoint, a proven caller ID, a provider account presenting it, a browser signed in by a session
written directly."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests import seeded
from tocsin.accounts import web_sessions
from tocsin.accounts.models import User
from tocsin.audit.log import SYSTEM
from tocsin.callerids import commands as caller_ids
from tocsin.http.web import sessions
from tocsin.providers import commands as provider_accounts
from tocsin.providers.caller_ids import list_caller_ids
from tocsin.providers.models import CallerIdProof
from tocsin.runtime import Runtime

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
    """An organization of its own with a verified contact per number, all on one endpoint
    (`endpoint`: its other settings, such as routing), and an ingest key."""
    owner = seeded.person(runtime, org_name=f"Rows {next(_counter)}")
    contact_ids = [
        seeded.contact(runtime, owner.org_id, phone=phone, name=f"Contact {index}")
        for index, phone in enumerate(phones, start=1)
    ]
    return RowTenant(
        org_id=owner.org_id,
        user_id=owner.user_id,
        contact_ids=contact_ids,
        endpoint_id=seeded.endpoint(runtime, owner.org_id, *contact_ids, **(endpoint or {})),
        ingest_key=seeded.api_key(runtime, owner.org_id, name="ingest"),
        access_token=owner.access_token,
    )


def browser_for(client: TestClient, runtime: Runtime, user_id: str) -> TestClient:
    """A browser of its own, signed in as the user by a session written directly."""
    return sign_in(TestClient(client.app), runtime, user_id)


def sign_in(browser: TestClient, runtime: Runtime, user_id: str) -> TestClient:
    """`browser` signed in as the user by a new session written directly (sessions last 12
    hours: a test that moves the clock by days signs in again)."""
    with runtime.database.write() as session:
        user = session.get(User, user_id)
        assert user is not None
        opened = web_sessions.open_session(
            session,
            user=user,
            key=runtime.web_session_key,
            now=runtime.clock.now(),
            mfa_passed=True,
            ip_address=None,
            user_agent="tests",
        )
    browser.cookies.set(sessions.COOKIE, opened.token)
    return browser


# The number an organization's provider accounts present in tests, proven by a code.
CALLER_ID = "+447400000001"


def proven_caller_id(
    runtime: Runtime,
    org_id: str,
    number: str = CALLER_ID,
    *,
    through_account: str | None = None,
) -> str:
    """A caller ID of the organization, proven by a code (usable through every account), or
    by `through_account`'s own records (usable only through it); its id. The same number
    again gives the same caller ID."""
    with runtime.database.write() as session:
        existing = next(
            (c for c in list_caller_ids(session, org_id=org_id) if c.number == number), None
        )
        caller_id = existing or caller_ids.add_caller_id(
            session,
            org_id=org_id,
            number=number,
            region=None,
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
        caller_id.proof = (CallerIdProof.PROVIDER if through_account else CallerIdProof.CODE).value
        caller_id.proven_account_id = through_account
        caller_id.proven_how = "a test row"
        caller_id.proven_at = runtime.clock.now()
        caller_id_id: str = caller_id.id
    return caller_id_id


def provider_account(
    runtime: Runtime,
    org_id: str,
    kind: str,
    *,
    priority: int = 1,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    enabled: bool = True,
    caller_id: str | None = CALLER_ID,
) -> str:
    """An organization's provider account, checked and sealed as the API does it, presenting
    `caller_id` (proven by a code here; None: no caller ID); its id."""
    chosen = proven_caller_id(runtime, org_id, caller_id) if caller_id is not None else None
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
            actor=SYSTEM,
            now=runtime.clock.now(),
            caller_id_id=chosen,
        )
        account.enabled = enabled
        account_id: str = account.id
    return account_id
