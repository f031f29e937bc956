"""Paddle Billing webhooks, sent by a local Paddle that signs exactly as Paddle does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import seeded
from tests.billing.conftest import NEW_SECRET, OLD_SECRET, TEAM_PRICE
from tests.billing.helpers import tiny_billing
from tests.billing.paddle import PaddleSender, paddle_id, subscription, transaction
from tests.factories import ok
from tocsin.billing.models import BillingEvent, PaymentTransaction, Subscription
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime


class Org:
    def __init__(self, client: TestClient, runtime: Runtime, org_id: str, owner_id: str) -> None:
        self.id, self.owner_id, self.client = org_id, owner_id, client
        # Reads go by API key: the tests move the clock by days and tokens expire.
        key = seeded.api_key(runtime, org_id, name="reader", scopes=("read",))
        self.reader = {"Authorization": f"Bearer {key}"}

    def billing(self) -> dict[str, Any]:
        result: dict[str, Any] = ok(
            self.client.get(f"/v1/orgs/{self.id}/billing", headers=self.reader)
        )
        return result

    def notices(self) -> list[str]:
        items = ok(self.client.get(f"/v1/orgs/{self.id}/notices", headers=self.reader))["items"]
        return [item["kind"] for item in items]


@pytest.fixture
def org(client: TestClient, runtime: Runtime) -> Org:
    runtime.billing = tiny_billing()
    owner = seeded.person(runtime, org_name="Acme")
    return Org(client, runtime, owner.org_id, owner.user_id)


@pytest.fixture
def paddle(clock: ManualClock) -> PaddleSender:
    return PaddleSender(secrets=[NEW_SECRET], now=clock.now)


def events_stored(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(BillingEvent)) or 0


def active(org: Org, clock: ManualClock, sub_id: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "subscription_id": sub_id,
        "status": "active",
        "org_id": org.id,
        "price_id": TEAM_PRICE,
        "updated_at": clock.now(),
        "period_start": clock.now(),
    }
    fields.update(changes)
    return subscription(**fields)


# Signatures --------------------------------------------------------------------------------


def test_a_signed_subscription_puts_the_organization_on_its_plan(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock
) -> None:
    sub_id = paddle_id("sub")
    assert org.billing()["plan"]["code"] == "tiny"
    response = paddle.deliver(client, "subscription.created", active(org, clock, sub_id))
    assert ok(response)["result"] == "applied"
    billing = org.billing()
    assert billing["plan"]["code"] == "team"
    assert billing["subscription"]["id"] == sub_id
    assert billing["subscription"]["status"] == "active"
    # Where the customer cancels or changes the card: Paddle's portal.
    assert billing["subscription"]["cancel_url"].startswith("https://buyer-portal.paddle.com/")


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        ("wrong secret", "invalid_signature"),
        ("changed body", "invalid_signature"),
        ("no header", "missing_signature"),
        ("no h1", "invalid_signature"),
        ("stale timestamp", "signature_expired"),
        ("future timestamp", "signature_expired"),
    ],
)
def test_a_forged_notification_is_refused_and_changes_nothing(
    client: TestClient,
    org: Org,
    paddle: PaddleSender,
    clock: ManualClock,
    runtime: Runtime,
    tamper: str,
    code: str,
) -> None:
    body = paddle.event("subscription.created", active(org, clock, paddle_id("sub")))
    headers = paddle.sign(body)
    if tamper == "wrong secret":
        headers = PaddleSender(secrets=[b"pdl_ntfset_guess"], now=clock.now).sign(body)
    elif tamper == "changed body":
        body = body.replace(b'"status": "active"', b'"status": "trialing"')
    elif tamper == "no header":
        del headers["Paddle-Signature"]
    elif tamper == "no h1":
        headers["Paddle-Signature"] = headers["Paddle-Signature"].split(";")[0]
    elif tamper == "stale timestamp":
        headers = paddle.sign(body, at=clock.now() - timedelta(minutes=5, seconds=1))
    elif tamper == "future timestamp":
        headers = paddle.sign(body, at=clock.now() + timedelta(minutes=5, seconds=1))
    response = client.post("/v1/billing/paddle", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == code
    assert events_stored(runtime) == 0
    assert org.billing()["plan"]["code"] == "tiny"


def test_a_signature_within_five_minutes_is_accepted(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock
) -> None:
    body = paddle.event("subscription.created", active(org, clock, paddle_id("sub")))
    headers = paddle.sign(body, at=clock.now() - timedelta(minutes=4, seconds=59))
    assert ok(client.post("/v1/billing/paddle", content=body, headers=headers))["result"] == (
        "applied"
    )


def test_a_replayed_notification_is_refused_or_ignored_and_changes_nothing(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock, runtime: Runtime
) -> None:
    sub_id = paddle_id("sub")
    ok(paddle.deliver(client, "subscription.created", active(org, clock, sub_id)))
    original = paddle.sent[-1]
    # The customer cancels: the plan now ends at the period's end.
    clock.advance(60)
    cancel_at = clock.now() + timedelta(days=29)
    ok(
        paddle.deliver(
            client,
            "subscription.updated",
            active(org, clock, sub_id, period_start=clock.now() - timedelta(minutes=1),
                   cancel_at=cancel_at),
        )
    )  # fmt: skip
    assert org.billing()["plan_ends_at"] is not None

    # Replayed byte for byte within the tolerance: the event id is known, nothing changes.
    assert ok(paddle.redeliver(client, original, resign=False))["result"] == "duplicate"
    # Paddle's own retry, freshly signed: also a duplicate.
    assert ok(paddle.redeliver(client, original, resign=True))["result"] == "duplicate"
    # Replayed later than five minutes: refused outright.
    clock.advance(6 * 60)
    replay = paddle.redeliver(client, original, resign=False)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "signature_expired"
    assert events_stored(runtime) == 2
    billing = org.billing()
    assert billing["plan"]["code"] == "team"
    assert billing["plan_ends_at"] is not None


def test_either_secret_works_during_a_rotation(
    client: TestClient, org: Org, clock: ManualClock
) -> None:
    # Paddle sends one h1 per secret; an h1 from a secret we never had is simply not a match.
    both = PaddleSender(secrets=[b"pdl_ntfset_unknown_to_us", NEW_SECRET], now=clock.now)
    assert ok(both.deliver(client, "subscription.created", active(org, clock, paddle_id("sub"))))
    old_only = PaddleSender(secrets=[OLD_SECRET], now=clock.now)
    clock.advance(1)
    assert ok(
        old_only.deliver(client, "subscription.updated", active(org, clock, paddle_id("sub")))
    )


def test_nothing_is_accepted_while_paddle_is_not_configured(
    client: TestClient, runtime: Runtime, paddle: PaddleSender, clock: ManualClock
) -> None:
    runtime.settings.paddle_webhook_secrets = None
    response = paddle.deliver(client, "subscription.created", {"id": "sub_x"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_not_configured"


def test_a_signed_notification_that_is_not_an_event_is_refused(
    client: TestClient, paddle: PaddleSender, runtime: Runtime
) -> None:
    for body in (b"not json", b'{"event_id": "evt_1"}', b"[]"):
        response = client.post("/v1/billing/paddle", content=body, headers=paddle.sign(body))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_event"
    assert events_stored(runtime) == 0


def test_an_event_for_no_known_organization_is_kept_as_unmatched(
    client: TestClient, paddle: PaddleSender, clock: ManualClock, runtime: Runtime
) -> None:
    data = subscription(
        subscription_id=paddle_id("sub"),
        status="active",
        org_id=None,
        price_id=TEAM_PRICE,
        updated_at=clock.now(),
        period_start=clock.now(),
        customer_id=paddle_id("ctm"),
    )
    assert ok(paddle.deliver(client, "subscription.created", data))["result"] == "unmatched"
    assert events_stored(runtime) == 1


# Subscription lifecycle ----------------------------------------------------------------------


def test_a_cancellation_runs_to_the_end_of_the_period_paid_for(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock
) -> None:
    sub_id, start = paddle_id("sub"), clock.now()
    ok(paddle.deliver(client, "subscription.activated", active(org, clock, sub_id)))
    clock.advance(10 * 86400)
    period_end = start + timedelta(days=30)
    ok(
        paddle.deliver(
            client,
            "subscription.updated",
            active(org, clock, sub_id, period_start=start, cancel_at=period_end),
        )
    )
    billing = org.billing()
    assert billing["plan"]["code"] == "team"
    assert billing["subscription"]["cancel_at"].startswith(period_end.strftime("%Y-%m-%dT%H:%M"))

    # Past the period's end the plan is over, even before Paddle says `canceled`.
    clock.advance((period_end - clock.now()).total_seconds() + 1)
    assert org.billing()["plan"]["code"] == "tiny"
    ok(
        paddle.deliver(
            client,
            "subscription.canceled",
            active(org, clock, sub_id, status="canceled", period_start=start,
                   canceled_at=period_end),
        )
    )  # fmt: skip
    billing = org.billing()
    assert (billing["plan"]["code"], billing["plan_held"], billing["plan_ends_at"]) == (
        "tiny",
        "tiny",
        None,
    )
    assert "subscription_canceled" in org.notices()


def test_a_cancellation_withdrawn_keeps_the_plan(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock
) -> None:
    sub_id, start = paddle_id("sub"), clock.now()
    end = start + timedelta(days=30)
    ok(paddle.deliver(client, "subscription.created", active(org, clock, sub_id, cancel_at=end)))
    clock.advance(60)
    ok(
        paddle.deliver(
            client, "subscription.updated", active(org, clock, sub_id, period_start=start)
        )
    )
    clock.advance(45 * 86400)
    assert org.billing()["plan"]["code"] == "team"


def test_an_older_event_arriving_late_is_not_applied(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock
) -> None:
    sub_id, then = paddle_id("sub"), clock.now()
    clock.advance(3600)
    ok(paddle.deliver(client, "subscription.paused", active(org, clock, sub_id, status="paused")))
    late = paddle.deliver(
        client, "subscription.activated", active(org, clock, sub_id, updated_at=then)
    )
    assert ok(late)["result"] == "stale"
    billing = org.billing()
    assert (billing["plan"]["code"], billing["subscription"]["status"]) == ("tiny", "paused")


def test_past_due_keeps_calling_and_tells_the_owner_then_pause_and_resume(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock
) -> None:
    sub_id = paddle_id("sub")
    ok(paddle.deliver(client, "subscription.activated", active(org, clock, sub_id)))
    for status, event, plan in (
        ("past_due", "subscription.past_due", "team"),
        ("paused", "subscription.paused", "tiny"),
        ("active", "subscription.resumed", "team"),
    ):
        clock.advance(60)
        ok(paddle.deliver(client, event, active(org, clock, sub_id, status=status)))
        assert org.billing()["plan"]["code"] == plan, status
    assert {"payment_past_due", "subscription_paused"} <= set(org.notices())


def test_an_unknown_price_changes_no_plan(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock
) -> None:
    data = active(org, clock, paddle_id("sub"), price_id="pri_01unknown")
    assert ok(paddle.deliver(client, "subscription.created", data))["result"] == "ignored"
    assert org.billing()["plan"]["code"] == "tiny"
    # A price may name its plan itself, in its custom data.
    clock.advance(1)
    named = active(org, clock, paddle_id("sub"), price_id="pri_01other", plan="team")
    assert ok(paddle.deliver(client, "subscription.created", named))["result"] == "applied"
    assert org.billing()["plan"]["code"] == "team"


# Trials through Paddle ---------------------------------------------------------------------------


def test_a_paddle_trial_is_granted_once_per_person(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock, runtime: Runtime
) -> None:
    trial_end = clock.now() + timedelta(days=14)
    first = active(org, clock, paddle_id("sub"), status="trialing", trial_ends_at=trial_end)
    ok(paddle.deliver(client, "subscription.trialing", first))
    billing = org.billing()
    assert billing["plan"]["code"] == "trial"
    assert billing["trial"]["source"] == "paddle"

    # The same owner makes a second organization and starts another trial there.
    second_id = seeded.organization(runtime, org.owner_id, name="Acme again")
    second = Org(client, runtime, second_id, org.owner_id)
    clock.advance(60)
    again = active(second, clock, paddle_id("sub"), status="trialing", trial_ends_at=trial_end)
    ok(paddle.deliver(client, "subscription.trialing", again))
    refused = second.billing()
    assert refused["plan"]["code"] == "tiny"
    assert refused["trial"] is None
    assert "trial_refused" in second.notices()


# Transactions ------------------------------------------------------------------------------------


def test_payments_record_the_card_and_failures_tell_the_owner(
    client: TestClient, org: Org, paddle: PaddleSender, clock: ManualClock, runtime: Runtime
) -> None:
    sub_id, txn_id = paddle_id("sub"), paddle_id("txn")
    ok(paddle.deliver(client, "subscription.activated", active(org, clock, sub_id)))
    data = transaction(
        transaction_id=txn_id,
        status="completed",
        org_id=None,  # matched through the subscription
        subscription_id=sub_id,
        updated_at=clock.now(),
    )
    assert ok(paddle.deliver(client, "transaction.completed", data))["result"] == "applied"
    failed = transaction(
        transaction_id=paddle_id("txn"),
        status="past_due",
        org_id=org.id,
        subscription_id=sub_id,
        updated_at=clock.now(),
        payment_status="error",
    )
    ok(paddle.deliver(client, "transaction.payment_failed", failed))
    with runtime.database.read() as session:
        stored = session.get(PaymentTransaction, txn_id)
        assert stored is not None
        assert stored.org_id == org.id
        assert stored.payment_fingerprint is not None
        # A digest, not the card: neither the last four digits nor the holder appear.
        assert "4242" not in stored.payment_fingerprint
        assert session.get(Subscription, sub_id) is not None
    assert "payment_failed" in org.notices()
