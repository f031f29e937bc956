"""Sign-in limits slow whoever guesses an account's password without locking its owner out
(issue 17, finding 4). Before: ten wrong passwords a minute for someone's e-mail, from anywhere,
made their correct password get 429, on the API and on the dashboard alike."""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace
from typing import Any

import limits.storage.memory
import limits.storage.redis
import pyotp
import pytest
from fastapi.testclient import TestClient
from limits.storage import storage_from_string

from tests import seeded
from tests.accounts.authenticator import with_authenticator
from tests.factories import PASSWORD, ok
from tests.web.browser_forms import form_token, submit
from tocsin.accounts import sign_in_addresses
from tocsin.core.clock import ManualClock
from tocsin.core.ratelimit import Limits, RateLimiter, parse_rate_limits
from tocsin.runtime import Runtime

OWNER_ADDRESS = "198.51.100.10"
ATTACKER_ADDRESS = "203.0.113.66"
WRONG = "wrong horse battery staple"
REDIS_URL = os.environ.get("TOCSIN_TEST_REDIS_URL")


def browser_at(client: TestClient, address: str) -> TestClient:
    """A client of the same server whose requests come from `address`."""
    return TestClient(client.app, client=(address, 50000))


def api_sign_in(browser: TestClient, email: str, password: str, **extra: Any) -> Any:
    return browser.post("/v1/auth/login", json={"email": email, "password": password, **extra})


def web_sign_in(browser: TestClient, email: str, password: str) -> Any:
    return submit(browser, "/login", "/login", {"email": email, "password": password})


def current_code(secret: str, clock: ManualClock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def slowed(response: Any) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) > 0


def test_wrong_passwords_for_an_email_do_not_lock_its_owner_out_of_the_api(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime)
    at_home = browser_at(client, OWNER_ADDRESS)
    ok(api_sign_in(at_home, owner.email, PASSWORD))
    attacker = browser_at(client, ATTACKER_ADDRESS)
    guesses = [api_sign_in(attacker, owner.email, WRONG) for _ in range(10)]
    assert guesses[0].status_code == 401
    slowed(guesses[-1])
    ok(api_sign_in(at_home, owner.email, PASSWORD))


def test_wrong_passwords_for_an_email_do_not_lock_its_owner_out_of_the_dashboard(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime)
    at_home = browser_at(client, OWNER_ADDRESS)
    assert web_sign_in(at_home, owner.email, PASSWORD).status_code == 303
    attacker = browser_at(client, ATTACKER_ADDRESS)
    fields = {"email": owner.email, "password": WRONG}
    fields["csrf_token"] = form_token(attacker.get("/login").text)
    guesses = [attacker.post("/login", data=fields, follow_redirects=False) for _ in range(10)]
    assert guesses[0].status_code == 401
    slowed(guesses[-1])
    assert web_sign_in(browser_at(client, OWNER_ADDRESS), owner.email, PASSWORD).status_code == 303


# The buckets one by one, with small limits on the test's clock ----------------------------------


@pytest.fixture
def small_limits(
    runtime: Runtime,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """Limits small enough to fill in a few requests, counted on the test's clock (`limits`
    reads `time.time()`, which is pointed at it), in memory or, with the param "redis", in
    the Redis that several API processes would share."""
    fake_time = SimpleNamespace(time=lambda: clock.now().timestamp())
    monkeypatch.setattr(limits.storage.memory, "time", fake_time)
    monkeypatch.setattr(limits.storage.redis, "time", fake_time)
    storage = None
    if getattr(request, "param", "memory") == "redis":
        if REDIS_URL is None:
            pytest.skip("TOCSIN_TEST_REDIS_URL is not set (.ci/run sets it)")
        storage = storage_from_string(REDIS_URL)
    runtime.rate_limiter = RateLimiter(
        {
            name: parse_rate_limits(text)
            for name, text in {
                Limits.LOGIN: "100/minute",
                Limits.LOGIN_ACCOUNT_ADDRESS: "2/minute",
                Limits.LOGIN_ACCOUNT: "4/minute",
            }.items()
        },
        storage=storage,
        namespace=f"test-{uuid.uuid4().hex[:8]}",
        now=lambda: clock.now().timestamp(),
    )


def refused(response: Any, retry_after: int) -> None:
    """429 with Retry-After, from the API or the dashboard."""
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(retry_after)
    if response.headers["content-type"].startswith("application/json"):
        assert response.json()["error"]["code"] == "rate_limited"
    else:
        assert "try again in" in response.text


@pytest.mark.usefixtures("small_limits")
def test_a_guesser_is_slowed_at_their_address_even_with_the_right_password(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    owner = seeded.person(runtime)
    attacker = browser_at(client, ATTACKER_ADDRESS)
    for _ in range(2):
        assert api_sign_in(attacker, owner.email, WRONG).status_code == 401
        clock.advance(10)
    # Checked before the password: a right guess now is refused like a wrong one.
    refused(api_sign_in(attacker, owner.email, PASSWORD), 41)
    # The owner, even at an address never used before, is not held up by it.
    ok(api_sign_in(browser_at(client, OWNER_ADDRESS), owner.email, PASSWORD))
    clock.advance(41)
    ok(api_sign_in(attacker, owner.email, PASSWORD))


@pytest.mark.parametrize("small_limits", ["memory", "redis"], indirect=True)
@pytest.mark.usefixtures("small_limits")
def test_many_addresses_fill_the_account_bucket_but_the_owner_gets_in_where_known(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    owner = seeded.person(runtime)
    at_home = browser_at(client, OWNER_ADDRESS)
    ok(api_sign_in(at_home, owner.email, PASSWORD))
    for n in range(2):
        guesser = browser_at(client, f"203.0.113.{n + 1}")
        for _ in range(2):
            assert api_sign_in(guesser, owner.email, WRONG).status_code == 401
    # Four wrong guesses in the minute: any address new to the account waits...
    refused(api_sign_in(browser_at(client, "203.0.113.9"), owner.email, WRONG), 61)
    refused(api_sign_in(browser_at(client, "192.0.2.44"), owner.email, PASSWORD), 61)
    # ...but the owner, where they signed in before, gets in with the right password.
    ok(api_sign_in(at_home, owner.email, PASSWORD))
    assert web_sign_in(browser_at(client, OWNER_ADDRESS), owner.email, PASSWORD).status_code == 303
    clock.advance(61)
    ok(api_sign_in(browser_at(client, "192.0.2.44"), owner.email, PASSWORD))


@pytest.mark.usefixtures("small_limits")
def test_the_dashboard_and_the_api_count_wrong_guesses_together(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime)
    attacker = browser_at(client, ATTACKER_ADDRESS)
    assert web_sign_in(attacker, owner.email, WRONG).status_code == 401
    assert api_sign_in(attacker, owner.email, WRONG).status_code == 401
    page = web_sign_in(attacker, owner.email, PASSWORD)
    refused(page, 61)
    assert "too many wrong sign-ins" in page.text
    refused(api_sign_in(attacker, owner.email, PASSWORD), 61)


@pytest.mark.usefixtures("small_limits")
def test_an_email_with_no_account_is_limited_like_one_with(client: TestClient) -> None:
    attacker = browser_at(client, ATTACKER_ADDRESS)
    for _ in range(2):
        assert api_sign_in(attacker, "nobody@example.com", WRONG).status_code == 401
    refused(api_sign_in(attacker, "Nobody@Example.com", WRONG), 61)


@pytest.mark.usefixtures("small_limits")
def test_wrong_codes_count_and_the_owner_still_gets_in_with_a_code_where_known(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    owner = seeded.person(runtime)
    secret = with_authenticator(runtime, owner.user_id)
    at_home = browser_at(client, OWNER_ADDRESS)
    clock.advance(30)
    ok(api_sign_in(at_home, owner.email, PASSWORD, totp_code=current_code(secret, clock)))
    # Someone who has the password guesses codes, from two addresses.
    for address in ("203.0.113.1", "203.0.113.2"):
        guesser = browser_at(client, address)
        for _ in range(2):
            wrong_code = api_sign_in(guesser, owner.email, PASSWORD, totp_code="000000")
            assert wrong_code.json()["error"]["code"] == "mfa_invalid"
        refused(api_sign_in(guesser, owner.email, PASSWORD, totp_code="000000"), 61)
    # A password without a code guesses nothing and is not counted, but the bucket is full.
    refused(api_sign_in(browser_at(client, "192.0.2.44"), owner.email, PASSWORD), 61)
    clock.advance(30)
    ok(api_sign_in(at_home, owner.email, PASSWORD, totp_code=current_code(secret, clock)))


@pytest.mark.usefixtures("small_limits")
def test_wrong_codes_on_the_dashboards_second_page_count_against_the_account(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    owner = seeded.person(runtime)
    secret = with_authenticator(runtime, owner.user_id)
    intruder = browser_at(client, ATTACKER_ADDRESS)
    assert web_sign_in(intruder, owner.email, PASSWORD).status_code == 303
    for _ in range(2):
        assert submit(intruder, "/login/code", "/login/code", {"code": "000000"}).status_code == 401
    clock.advance(30)
    refused(
        submit(intruder, "/login/code", "/login/code", {"code": current_code(secret, clock)}), 31
    )
    refused(api_sign_in(intruder, owner.email, PASSWORD, totp_code=current_code(secret, clock)), 31)


@pytest.mark.usefixtures("small_limits")
def test_signing_in_forgets_the_owners_own_typos_at_that_address(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime)
    at_home = browser_at(client, OWNER_ADDRESS)
    assert api_sign_in(at_home, owner.email, WRONG).status_code == 401
    ok(api_sign_in(at_home, owner.email, PASSWORD))
    assert api_sign_in(at_home, owner.email, WRONG).status_code == 401
    ok(api_sign_in(at_home, owner.email, PASSWORD))


def test_an_address_is_known_after_a_complete_sign_in_and_for_90_days(
    runtime: Runtime, clock: ManualClock
) -> None:
    owner = seeded.person(runtime)
    with runtime.database.write() as session:
        assert not sign_in_addresses.is_known(
            session, email=owner.email, address=OWNER_ADDRESS, now=clock.now()
        )
        sign_in_addresses.remember(
            session, user_id=owner.user_id, address=OWNER_ADDRESS, now=clock.now()
        )
    clock.advance(89 * 86400)
    with runtime.database.read() as session:
        assert sign_in_addresses.is_known(
            session, email=owner.email, address=OWNER_ADDRESS, now=clock.now()
        )
        assert not sign_in_addresses.is_known(
            session, email=owner.email, address=ATTACKER_ADDRESS, now=clock.now()
        )
    clock.advance(86400)
    with runtime.database.read() as session:
        assert not sign_in_addresses.is_known(
            session, email=owner.email, address=OWNER_ADDRESS, now=clock.now()
        )


@pytest.mark.parametrize(
    ("ip_address", "group"),
    [
        ("198.51.100.10", "198.51.100.10"),
        # A home network's devices, and one device's daily privacy addresses, share a /64.
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        (None, "-"),
        ("testclient", "testclient"),
    ],
)
def test_addresses_are_grouped_as_one_place(ip_address: str | None, group: str) -> None:
    assert sign_in_addresses.address_group(ip_address) == group
