"""Sign-up through the HTTP API. Its answer is the same whether or not the address has an
account (issue 17, finding 15: sign-up told who is registered): 202 and "check your e-mail";
a new account then signs in as any other. The mail to the owner of a taken address is
tests/mail/test_sign_up_mail.py's subject."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import seeded
from tests.accounts.helpers import bearer, error
from tests.factories import PASSWORD, ok
from tocsin.accounts.models import Membership, User
from tocsin.accounts.passwords import verify_password
from tocsin.app import create_app
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.core.config import Settings
from tocsin.runtime import Runtime

OTHER_PASSWORD = "another passphrase 77"


@pytest.fixture
def closed_runtime(settings: Settings, clock: ManualClock) -> Iterator[Runtime]:
    """A server where sign-up is closed (the default outside tests)."""
    runtime = Runtime.from_settings(
        settings.model_copy(update={"allow_signup": False}), clock=clock
    )
    yield runtime
    runtime.database.dispose()


@pytest.fixture
def closed_client(closed_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(closed_runtime), raise_server_exceptions=False) as test_client:
        yield test_client


def _signup(client: TestClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/v1/auth/signup", json={"email": email, "password": password, **extra})


def _login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def _same_answer(taken: Any, new: Any, new_email: str, taken_email: str) -> None:
    """Both answers alike but for the address each names."""
    assert taken.status_code == new.status_code
    assert taken.headers.keys() == new.headers.keys()
    assert taken.text.replace(taken_email, new_email) == new.text


def _users(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


# The same answer -------------------------------------------------------------------------------


def test_a_taken_address_is_answered_as_a_new_one(client: TestClient, runtime: Runtime) -> None:
    """Issue 17, finding 15."""
    ana = seeded.person(runtime, email="ana@example.com")
    taken = _signup(client, "ana@example.com", OTHER_PASSWORD, organization_name="Again")
    new = _signup(client, "bob@example.com", OTHER_PASSWORD, organization_name="Again")
    assert taken.status_code == 202, taken.text
    _same_answer(taken, new, "bob@example.com", "ana@example.com")
    assert set(new.json()) == {"email", "message"}
    # The account is untouched: no second user, no new organization, the old password works.
    assert error(_login(client, "ana@example.com", OTHER_PASSWORD), 401) == "invalid_credentials"
    ok(_login(client, "ana@example.com"))
    with runtime.database.read() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 2
        memberships = session.scalars(
            select(Membership).where(Membership.user_id == ana.user_id)
        ).all()
        assert [membership.org_id for membership in memberships] == [ana.org_id]
        [attempt] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.sign_up_repeated")
        ).all()
        assert attempt.target_id == ana.user_id


def test_an_address_taken_in_another_case_is_answered_alike(
    client: TestClient, runtime: Runtime
) -> None:
    seeded.person(runtime, email="ana@example.com")
    taken = _signup(client, " ANA@Example.com ")
    new = _signup(client, " BOB@Example.com ")
    _same_answer(taken, new, "bob@example.com", "ana@example.com")
    assert _users(runtime) == 2


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"invite_code": "inv_made_up"}, 404, "invite_invalid"),
        ({"display_name": "   "}, 422, "invalid_name"),
        # Takes as a name, but the organization named after it is too long.
        ({"display_name": "x" * 190}, 422, "invalid_name"),
        ({"country": "ZZ"}, 422, "invalid_region"),
    ],
)
def test_a_refused_sign_up_is_refused_alike_for_a_taken_address(
    client: TestClient, runtime: Runtime, extra: dict[str, str], status: int, code: str
) -> None:
    seeded.person(runtime, email="ana@example.com")
    taken = _signup(client, "ana@example.com", **extra)
    new = _signup(client, "bob@example.com", **extra)
    assert error(taken, status) == error(new, status) == code
    assert taken.json() == new.json()


def test_an_invite_already_used_is_refused_alike_for_a_taken_address(
    client: TestClient, runtime: Runtime
) -> None:
    host = seeded.person(runtime, email="host@example.com")
    seeded.person(runtime, email="ana@example.com")
    code = seeded.invite(runtime, host.org_id)
    ok(_signup(client, "joined@example.com", invite_code=code), 202)
    taken = _signup(client, "ana@example.com", invite_code=code)
    new = _signup(client, "bob@example.com", invite_code=code)
    assert error(taken, 409) == error(new, 409) == "invite_used"


def test_a_valid_invite_is_not_used_up_by_a_taken_address(
    client: TestClient, runtime: Runtime
) -> None:
    host = seeded.person(runtime, email="host@example.com")
    seeded.person(runtime, email="ana@example.com")
    code = seeded.invite(runtime, host.org_id)
    ok(_signup(client, "ana@example.com", invite_code=code), 202)
    ok(_signup(client, "bob@example.com", invite_code=code), 202)
    tokens = ok(_login(client, "bob@example.com"))
    me = ok(client.get("/v1/me", headers=bearer(tokens["access_token"])))
    assert [org["id"] for org in me["organizations"]] == [host.org_id]


# What a new sign-up makes ----------------------------------------------------------------------


def test_signup_creates_user_and_org_and_the_person_signs_in(
    client: TestClient, runtime: Runtime
) -> None:
    answer = ok(
        _signup(client, " Ada@Example.COM ", display_name="Ada", organization_name="Analytical"),
        202,
    )
    assert answer["email"] == "ada@example.com"
    tokens = ok(_login(client, "ada@example.com"))
    me = ok(client.get("/v1/me", headers=bearer(tokens["access_token"])))
    assert me["user"]["email"] == "ada@example.com"
    assert me["user"]["display_name"] == "Ada"
    [org] = me["organizations"]
    assert (org["name"], org["slug"], org["role"]) == ("Analytical", "analytical", "owner")
    with runtime.database.read() as session:
        user = session.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, PASSWORD)


def test_first_user_may_sign_up_even_when_signup_is_closed(
    closed_client: TestClient, closed_runtime: Runtime
) -> None:
    ok(_signup(closed_client, "first@example.com"), 202)
    tokens = ok(_login(closed_client, "first@example.com"))
    me = ok(closed_client.get("/v1/me", headers=bearer(tokens["access_token"])))
    assert [org["role"] for org in me["organizations"]] == ["owner"]


def test_second_user_is_refused_when_signup_is_closed(closed_client: TestClient) -> None:
    ok(_signup(closed_client, "first@example.com"), 202)
    new = _signup(closed_client, "second@example.com")
    taken = _signup(closed_client, "first@example.com")
    assert error(new, 403) == error(taken, 403) == "signup_closed"
    assert error(_login(closed_client, "second@example.com"), 401) == "invalid_credentials"


def test_invite_code_opens_closed_signup(closed_client: TestClient) -> None:
    ok(_signup(closed_client, "first@example.com"), 202)
    owner = ok(_login(closed_client, "first@example.com"))
    me = ok(closed_client.get("/v1/me", headers=bearer(owner["access_token"])))
    org_id = me["organizations"][0]["id"]
    created = ok(
        closed_client.post(
            f"/v1/orgs/{org_id}/invites",
            json={"role": "admin"},
            headers=bearer(owner["access_token"]),
        ),
        201,
    )
    ok(_signup(closed_client, "second@example.com", invite_code=created["code"]), 202)
    second = ok(_login(closed_client, "second@example.com"))
    joined = ok(closed_client.get("/v1/me", headers=bearer(second["access_token"])))
    assert [(org["id"], org["role"]) for org in joined["organizations"]] == [(org_id, "admin")]


def test_invalid_invite_code_does_not_open_closed_signup(closed_client: TestClient) -> None:
    ok(_signup(closed_client, "first@example.com"), 202)
    response = _signup(closed_client, "second@example.com", invite_code="inv_made_up")
    assert error(response, 404) == "invite_invalid"
    # The user row of the refused sign-up was rolled back with it.
    assert error(_login(closed_client, "second@example.com"), 401) == "invalid_credentials"


@pytest.mark.parametrize(
    "password", ["short", "aaaaaaaaaaaa", "password123", "pat-the-cat-99-pat.cat"]
)
def test_weak_password_is_refused_at_signup(client: TestClient, password: str) -> None:
    assert error(_signup(client, "pat.cat@example.com", password), 422) == "weak_password"


def test_invalid_email_is_refused_at_signup(client: TestClient) -> None:
    assert error(_signup(client, "not-an-email"), 422) == "invalid_email"
