"""Adjustments from Paddle: chargebacks are counted per organization over 12 months, except
those filed after a refund request went unanswered for 14 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.billing.conftest import NEW_SECRET, TEAM_PRICE
from tests.billing.helpers import tiny_billing
from tests.billing.paddle import PaddleSender, adjustment, paddle_id, subscription, transaction
from tests.factories import ok
from tocsin.billing.models import Adjustment
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

DAY = 86400.0


class Customer:
    """An organization with a Team subscription and one paid transaction."""

    def __init__(self, client: TestClient, runtime: Runtime, clock: ManualClock) -> None:
        runtime.billing = tiny_billing()
        self.org_id = seeded.person(runtime, org_name="Customer").org_id
        key = seeded.api_key(runtime, self.org_id, name="reader", scopes=("read",))
        self.auth = {"Authorization": f"Bearer {key}"}
        self.client, self.clock, self.runtime = client, clock, runtime
        self.paddle = PaddleSender(secrets=[NEW_SECRET], now=clock.now)
        self.subscription_id = paddle_id("sub")
        self.send(
            "subscription.activated",
            subscription(
                subscription_id=self.subscription_id,
                status="active",
                org_id=self.org_id,
                price_id=TEAM_PRICE,
                updated_at=clock.now(),
                period_start=clock.now(),
            ),
        )

    def send(self, event_type: str, data: dict[str, Any]) -> str:
        result: str = ok(self.paddle.deliver(self.client, event_type, data))["result"]
        return result

    def paid(self) -> str:
        transaction_id = paddle_id("txn")
        self.send(
            "transaction.completed",
            transaction(
                transaction_id=transaction_id,
                status="completed",
                org_id=self.org_id,
                subscription_id=self.subscription_id,
                updated_at=self.clock.now(),
            ),
        )
        return transaction_id

    def adjust(self, action: str, status: str, transaction_id: str, **kwargs: Any) -> str:
        adjustment_id: str = kwargs.pop("adjustment_id", None) or paddle_id("adj")
        self.send(
            "adjustment.updated" if kwargs.pop("update", False) else "adjustment.created",
            adjustment(
                adjustment_id=adjustment_id,
                action=action,
                status=status,
                transaction_id=transaction_id,
                created_at=kwargs.pop("created_at", self.clock.now()),
                updated_at=self.clock.now(),
                **kwargs,
            ),
        )
        return adjustment_id

    def chargebacks(self) -> dict[str, int]:
        billing = ok(self.client.get(f"/v1/orgs/{self.org_id}/billing", headers=self.auth))
        result: dict[str, int] = billing["chargebacks"]
        return result

    def note(self, adjustment_id: str) -> str | None:
        with self.runtime.database.read() as session:
            stored = session.get(Adjustment, adjustment_id)
            assert stored is not None
            return stored.note


@pytest.fixture
def customer(client: TestClient, runtime: Runtime, clock: ManualClock) -> Customer:
    return Customer(client, runtime, clock)


def test_a_chargeback_out_of_the_blue_is_counted(customer: Customer) -> None:
    txn = customer.paid()
    customer.clock.advance(3 * DAY)
    customer.adjust("chargeback", "approved", txn)
    assert customer.chargebacks() == {
        "counted": 1,
        "excused": 0,
        "reversed": 0,
        "warnings": 0,
        "window_days": 365,
    }


def test_a_chargeback_after_a_refund_request_unanswered_for_14_days_is_not_abuse(
    customer: Customer,
) -> None:
    txn = customer.paid()
    customer.adjust("refund", "pending_approval", txn)
    customer.clock.advance(14 * DAY)
    chargeback = customer.adjust("chargeback", "approved", txn)
    assert customer.chargebacks()["counted"] == 0
    assert customer.chargebacks()["excused"] == 1
    assert "went unanswered for 14 days" in (customer.note(chargeback) or "")


def test_a_chargeback_13_days_after_the_request_is_still_counted(customer: Customer) -> None:
    txn = customer.paid()
    customer.adjust("refund", "pending_approval", txn)
    customer.clock.advance(13 * DAY)
    customer.adjust("chargeback", "approved", txn)
    assert (customer.chargebacks()["counted"], customer.chargebacks()["excused"]) == (1, 0)


def test_a_refund_answered_in_time_does_not_excuse_a_later_chargeback(
    customer: Customer,
) -> None:
    txn = customer.paid()
    refund = customer.adjust("refund", "pending_approval", txn)
    customer.clock.advance(2 * DAY)
    customer.adjust(
        "refund", "rejected", txn, adjustment_id=refund, update=True,
        created_at=customer.clock.now() - timedelta(days=2),
    )  # fmt: skip
    customer.clock.advance(20 * DAY)
    customer.adjust("chargeback", "approved", txn)
    assert (customer.chargebacks()["counted"], customer.chargebacks()["excused"]) == (1, 0)


def test_a_refund_request_on_another_transaction_excuses_nothing(customer: Customer) -> None:
    first, second = customer.paid(), customer.paid()
    customer.adjust("refund", "pending_approval", first)
    customer.clock.advance(20 * DAY)
    customer.adjust("chargeback", "approved", second)
    assert customer.chargebacks()["counted"] == 1


def test_reversals_and_warnings_are_tallied_and_old_chargebacks_drop_out(
    customer: Customer,
) -> None:
    txn = customer.paid()
    customer.adjust("chargeback_warning", "approved", txn)
    customer.adjust("chargeback", "approved", txn)
    customer.adjust("chargeback_reverse", "approved", txn)
    assert customer.chargebacks() == {
        "counted": 1,
        "excused": 0,
        "reversed": 1,
        "warnings": 1,
        "window_days": 365,
    }
    customer.clock.advance(366 * DAY)
    assert customer.chargebacks()["counted"] == 0


def test_an_adjustment_is_matched_to_its_organization_through_the_transaction(
    customer: Customer, runtime: Runtime
) -> None:
    txn = customer.paid()
    # Adjustments carry no custom data; the transaction we recorded says whose it is.
    chargeback = customer.adjust("chargeback", "approved", txn)
    with runtime.database.read() as session:
        stored = session.get(Adjustment, chargeback)
        assert stored is not None
        assert stored.org_id == customer.org_id
