"""The 14-day free trial: once per billing entity, however the second attempt is dressed up."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.billing.conftest import NEW_SECRET
from tests.billing.helpers import tiny_billing
from tests.billing.paddle import PaddleSender, paddle_id, transaction
from tests.factories import ok
from tocsin.accounts.models import Role
from tocsin.audit.log import SYSTEM
from tocsin.billing.trials import normalise_trial_email
from tocsin.core.clock import ManualClock
from tocsin.organizations.commands import change_member_role
from tocsin.runtime import Runtime


@pytest.fixture(autouse=True)
def _tiny(runtime: Runtime) -> None:
    runtime.billing = tiny_billing()


def person(runtime: Runtime, email: str) -> tuple[str, dict[str, str]]:
    """Someone signed up with their own organization: its id, and their bearer header."""
    someone = seeded.person(runtime, email=email, org_name="Org")
    return someone.org_id, someone.auth


def start(client: TestClient, org_id: str, auth: dict[str, str]) -> Any:
    return client.post(f"/v1/orgs/{org_id}/billing/trial", headers=auth)


def refused_for(response: Any) -> list[str]:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "trial_not_eligible"
    matched: list[str] = error["details"]["matched"]
    return matched


def test_a_trial_lasts_14_days_then_the_default_plan_applies(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    org_id, auth = person(runtime, "ana@example.com")
    assert ok(client.get(f"/v1/orgs/{org_id}/billing", headers=auth))["trial_available"] is True
    trial = ok(start(client, org_id, auth), 201)
    assert trial["ends_at"].startswith((clock.now() + timedelta(days=14)).strftime("%Y-%m-%d"))
    billing = ok(client.get(f"/v1/orgs/{org_id}/billing", headers=auth))
    assert (billing["plan"]["code"], billing["trial_available"]) == ("trial", False)

    key = seeded.api_key(runtime, org_id, name="r", scopes=("read",))
    clock.advance(14 * 86400)
    billing = ok(client.get(f"/v1/orgs/{org_id}/billing", headers={"X-API-Key": key}))
    assert billing["plan"]["code"] == "tiny"


def test_the_same_organization_cannot_start_a_second_trial(
    client: TestClient, runtime: Runtime
) -> None:
    org_id, auth = person(runtime, "ana@example.com")
    ok(start(client, org_id, auth), 201)
    again = start(client, org_id, auth)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "trial_used"


def test_a_second_organization_of_the_same_owner_gets_no_trial(
    client: TestClient, runtime: Runtime
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    ok(start(client, ana.org_id, ana.auth), 201)
    other = seeded.organization(runtime, ana.user_id, name="Another")
    assert refused_for(start(client, other, ana.auth)) == ["email", "owner"]


@pytest.mark.parametrize(
    "second_email", ["Ana.Smith+trial2@gmail.com", "anasmith@googlemail.com", "a.nasmith@gmail.com"]
)
def test_the_same_mailbox_under_another_spelling_gets_no_trial(
    client: TestClient, runtime: Runtime, second_email: str
) -> None:
    org_id, auth = person(runtime, "ana.smith@gmail.com")
    ok(start(client, org_id, auth), 201)
    other_id, other_auth = person(runtime, second_email)
    assert refused_for(start(client, other_id, other_auth)) == ["email"]


def test_the_same_phone_number_gets_no_second_trial(client: TestClient, runtime: Runtime) -> None:
    org_id, auth = person(runtime, "ana@example.com")
    seeded.contact(runtime, org_id, phone="+447400123456")
    ok(start(client, org_id, auth), 201)
    other_id, other_auth = person(runtime, "bob@example.org")
    seeded.contact(runtime, other_id, phone="+44 7400 123456")
    assert refused_for(start(client, other_id, other_auth)) == ["phone"]
    billing = ok(client.get(f"/v1/orgs/{other_id}/billing", headers=other_auth))
    assert (billing["plan"]["code"], billing["trial_available"]) == ("tiny", False)


def test_only_verified_numbers_identify_a_person(client: TestClient, runtime: Runtime) -> None:
    """Anyone can type someone else's number; only its owner can verify it."""
    org_id, auth = person(runtime, "ana@example.com")
    seeded.contact(runtime, org_id, phone="+447400123456", verified=False)
    ok(start(client, org_id, auth), 201)
    other_id, other_auth = person(runtime, "bob@example.org")
    seeded.contact(runtime, other_id, phone="+447400123456")
    ok(start(client, other_id, other_auth), 201)


def test_a_number_verified_during_a_trial_gets_no_second_trial(
    client: TestClient, runtime: Runtime
) -> None:
    org_id, auth = person(runtime, "ana@example.com")
    ok(start(client, org_id, auth), 201)
    seeded.contact(runtime, org_id, phone="+447400123456")
    other_id, other_auth = person(runtime, "bob@example.org")
    seeded.contact(runtime, other_id, phone="+447400123456")
    assert refused_for(start(client, other_id, other_auth)) == ["phone"]


def test_the_card_used_during_a_trial_gets_no_second_trial(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    paddle = PaddleSender(secrets=[NEW_SECRET], now=clock.now)
    org_id, auth = person(runtime, "ana@example.com")
    ok(start(client, org_id, auth), 201)

    def paid(for_org: str, holder: str) -> None:
        data = transaction(
            transaction_id=paddle_id("txn"),
            status="completed",
            org_id=for_org,
            subscription_id=None,
            updated_at=clock.now(),
            cardholder=holder,
            # Two Paddle customers: only the card is the same.
            customer_id=paddle_id("ctm"),
        )
        ok(paddle.deliver(client, "transaction.completed", data))

    paid(org_id, "Ana Smith")
    other_id, other_auth = person(runtime, "someone-else@example.org")
    # The holder's name is spelled differently; the card is the same.
    paid(other_id, "ana  SMITH")
    assert refused_for(start(client, other_id, other_auth)) == ["payment"]


def test_a_different_person_gets_a_trial(client: TestClient, runtime: Runtime) -> None:
    org_id, auth = person(runtime, "ana@example.com")
    ok(start(client, org_id, auth), 201)
    other_id, other_auth = person(runtime, "bob@example.org")
    ok(start(client, other_id, other_auth), 201)


def test_a_trial_waits_until_the_owners_email_is_verified(
    client: TestClient, runtime: Runtime
) -> None:
    """issue 16, finding 9: any new unverified e-mail was a new billing entity; the e-mail must
    be verified (a link) before a trial."""
    ana = seeded.person(runtime, email="ana@example.com", org_name="Org", email_verified=False)
    refused = start(client, ana.org_id, ana.auth)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "email_unverified"
    assert error["details"] == {"unverified": ["ana@example.com"]}
    assert ok(client.get(f"/v1/orgs/{ana.org_id}/billing", headers=ana.auth))["trial"] is None
    seeded.verify_email(runtime, ana.user_id)
    ok(start(client, ana.org_id, ana.auth), 201)


def test_every_owner_must_have_verified_their_email(client: TestClient, runtime: Runtime) -> None:
    """The owners' addresses are the trial's claims: an unverified one identifies nobody."""
    ana = seeded.person(runtime, email="ana@example.com", org_name="Org")
    bob = seeded.member(runtime, ana.org_id, email="bob@example.com", email_verified=False)
    with runtime.database.write() as session:
        change_member_role(
            session,
            org_id=ana.org_id,
            user_id=bob.user_id,
            role=Role.OWNER,
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
    refused = start(client, ana.org_id, ana.auth)
    assert refused.json()["error"]["details"] == {"unverified": ["bob@example.com"]}


def test_only_an_owner_can_start_the_trial(client: TestClient, runtime: Runtime) -> None:
    org_id, _ = person(runtime, "ana@example.com")
    key = seeded.api_key(runtime, org_id, name="w", scopes=("read", "write"))
    response = start(client, org_id, {"X-API-Key": key})
    assert response.status_code == 403


def test_two_organizations_of_one_person_asking_at_once_get_one_trial(
    client: TestClient, runtime: Runtime
) -> None:
    ana = seeded.person(runtime, email="ana@example.com")
    org_id, auth = ana.org_id, ana.auth
    other = seeded.organization(runtime, ana.user_id, name="Another")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def ask(target: str) -> None:
        barrier.wait()
        statuses.append(start(client, target, auth).status_code)

    threads = [threading.Thread(target=ask, args=(target,)) for target in (org_id, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]


def test_email_normalisation() -> None:
    assert normalise_trial_email(" A.B+x@GMail.com ") == "ab@gmail.com"
    assert normalise_trial_email("a.b+x@example.com") == "a.b@example.com"
