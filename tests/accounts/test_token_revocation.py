"""Signing out and a stolen refresh token end the access tokens at once, and a suspended or
terminated person cannot trade a refresh token for new ones (issue 17, finding 9). Before:
access tokens worked for up to 15 minutes after logout and after a refresh token's theft was
detected, and a suspended user could still refresh."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.accounts.helpers import bearer, error
from tests.factories import ok
from tocsin.accounts.models import RevokedAccessToken
from tocsin.accounts.tokens import ACCESS
from tocsin.core.actors import Actor
from tocsin.core.clock import ManualClock
from tocsin.core.errors import Unauthorized
from tocsin.http.api.auth import authenticate
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust import enforcement

STAFF = Actor("user", "usr_staff")


def me(client: TestClient, access_token: str) -> Any:
    return client.get("/v1/me", headers=bearer(access_token))


def refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post("/v1/auth/refresh", json={"refresh_token": refresh_token})


def logout(client: TestClient, refresh_token: str) -> None:
    ok(client.post("/v1/auth/logout", json={"refresh_token": refresh_token}), 204)


def test_logout_ends_the_access_token_at_once(client: TestClient, runtime: Runtime) -> None:
    person = seeded.person(runtime)
    ok(me(client, person.access_token))
    logout(client, person.refresh_token)
    assert error(me(client, person.access_token), 401) == "token_revoked"


def test_logout_ends_the_access_tokens_of_every_rotation_of_that_sign_in(
    client: TestClient, runtime: Runtime
) -> None:
    person = seeded.person(runtime)
    rotated = ok(refresh(client, person.refresh_token))
    other_sign_in = seeded.signed_in(runtime, person.user_id)
    logout(client, rotated["refresh_token"])
    assert error(me(client, person.access_token), 401) == "token_revoked"
    assert error(me(client, rotated["access_token"]), 401) == "token_revoked"
    # Another sign-in of the same person is another family: it goes on working.
    ok(client.get("/v1/me", headers=other_sign_in))


def test_a_stolen_refresh_token_ends_the_access_tokens_of_its_family(
    client: TestClient, runtime: Runtime
) -> None:
    person = seeded.person(runtime)
    thief = ok(refresh(client, person.refresh_token))
    assert error(refresh(client, person.refresh_token), 401) == "token_reused"
    assert error(me(client, thief["access_token"]), 401) == "token_revoked"
    assert error(me(client, person.access_token), 401) == "token_revoked"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        (ActionKind.SUSPENSION, 403, "user_suspended"),
        # A termination revoked every refresh token of theirs already.
        (ActionKind.TERMINATION, 401, "token_revoked"),
    ],
)
def test_a_suspended_or_terminated_person_cannot_refresh(
    client: TestClient, runtime: Runtime, kind: ActionKind, status: int, code: str
) -> None:
    person = seeded.person(runtime)
    with runtime.database.write() as session:
        enforcement.take_action(
            session, kind=kind, scope=ActionScope.USER, target=person.user_id, reason="fraud",
            actor=STAFF, now=runtime.clock.now(), digest_key=runtime.billing_digest_key,
        )  # fmt: skip
    assert error(refresh(client, person.refresh_token), status) == code


def test_a_terminated_organizations_members_lose_their_access_tokens_at_once(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime)
    with runtime.database.write() as session:
        enforcement.take_action(
            session, kind=ActionKind.TERMINATION, scope=ActionScope.ORGANIZATION,
            target=owner.org_id, reason="fraud", actor=STAFF, now=runtime.clock.now(),
            digest_key=runtime.billing_digest_key,
        )  # fmt: skip
    assert error(me(client, owner.access_token), 401) == "token_revoked"


def test_another_api_process_honours_a_revocation_at_once(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    """Several API processes share only the database: what one revokes, the others refuse
    on the next request, with nothing cached in between."""
    person = seeded.person(runtime)
    other_process = Runtime.from_settings(runtime.settings, clock=clock)
    try:

        def authenticate_there() -> str:
            with other_process.database.read() as session:
                return authenticate(
                    session, other_process, authorization=f"Bearer {person.access_token}",
                    api_key_header=None,
                ).id  # fmt: skip

        assert authenticate_there() == person.user_id
        logout(client, person.refresh_token)
        with pytest.raises(Unauthorized) as refused:
            authenticate_there()
        assert refused.value.code == "token_revoked"
    finally:
        other_process.database.dispose()


def denied(runtime: Runtime) -> set[str]:
    with runtime.database.read() as session:
        return set(session.scalars(select(RevokedAccessToken.token_id)))


def token_id(runtime: Runtime, access_token: str) -> str:
    return runtime.tokens.decode(
        access_token, expected_type=ACCESS, now=runtime.clock.now()
    ).token_id


def test_a_revoked_token_is_listed_until_it_expires_then_swept(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    first, second = seeded.person(runtime), seeded.person(runtime)
    logout(client, first.refresh_token)
    assert denied(runtime) == {token_id(runtime, first.access_token)}
    clock.advance(runtime.settings.access_token_seconds - 1)
    assert error(me(client, first.access_token), 401) == "token_revoked"
    clock.advance(1)
    # Expired now: refused for that, and its entry is swept with the next revocation.
    assert error(me(client, first.access_token), 401) == "token_expired"
    fresh = seeded.signed_in(runtime, second.user_id)
    logout(client, second.refresh_token)
    assert denied(runtime) == set()
    ok(client.get("/v1/me", headers=fresh))
