"""Trial-once against a determined customer (issue 16, finding 9): a claim that turns up after
the trial started is checked at that moment, and Paddle's customer, its e-mail and the card are
claims like the owner, the e-mail and the numbers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.billing.conftest import NEW_SECRET
from tests.billing.helpers import tiny_billing
from tests.billing.paddle import PaddleSender, customer, paddle_id, transaction
from tests.factories import ok
from tocsin.audit.models import AuditEvent
from tocsin.billing.models import Trial
from tocsin.core.clock import ManualClock
from tocsin.numbers.models import ConsentRecord
from tocsin.runtime import Runtime
from tocsin.trust.anomalies.scan import run_scan
from tocsin.trust.models import TrustCase

PHONE = "+447400123456"


@pytest.fixture(autouse=True)
def _tiny(runtime: Runtime) -> None:
    runtime.billing = tiny_billing()


@pytest.fixture
def paddle(clock: ManualClock) -> PaddleSender:
    return PaddleSender(secrets=[NEW_SECRET], now=clock.now)


class Org:
    def __init__(self, client: TestClient, runtime: Runtime, email: str) -> None:
        person = seeded.person(runtime, email=email, org_name="Org")
        self.client, self.runtime = client, runtime
        self.org_id, self.auth = person.org_id, person.auth

    def start_trial(self) -> Any:
        return self.client.post(f"/v1/orgs/{self.org_id}/billing/trial", headers=self.auth)

    def billing(self) -> dict[str, Any]:
        result: dict[str, Any] = ok(
            self.client.get(f"/v1/orgs/{self.org_id}/billing", headers=self.auth)
        )
        return result

    def notices(self) -> list[dict[str, Any]]:
        page = ok(self.client.get(f"/v1/orgs/{self.org_id}/notices", headers=self.auth))
        items: list[dict[str, Any]] = page["items"]
        return items

    def refusals(self) -> list[dict[str, Any]]:
        with self.runtime.database.read() as session:
            return [
                event.details
                for event in session.scalars(
                    select(AuditEvent)
                    .where(
                        AuditEvent.action == "billing.trial_refused",
                        AuditEvent.org_id == self.org_id,
                    )
                    .order_by(AuditEvent.id)
                )
            ]

    def trial_row(self) -> Trial:
        with self.runtime.database.read() as session:
            trial = session.scalar(select(Trial).where(Trial.org_id == self.org_id))
            assert trial is not None
            return trial


def pay(
    client: TestClient,
    paddle: PaddleSender,
    clock: ManualClock,
    org: Org,
    *,
    customer_id: str,
    last4: str,
    event_type: str = "transaction.completed",
) -> None:
    data = transaction(
        transaction_id=paddle_id("txn"),
        status="completed" if event_type == "transaction.completed" else "paid",
        org_id=org.org_id,
        subscription_id=None,
        updated_at=clock.now(),
        card_last4=last4,
        cardholder=f"Holder {last4}",
        customer_id=customer_id,
    )
    ok(paddle.deliver(client, event_type, data))


def assert_trial_ended(org: Org, *, matched: list[str]) -> None:
    billing = org.billing()
    assert billing["plan"]["code"] == "tiny"
    assert billing["trial"]["ended_at"] is not None
    assert billing["trial"]["end_reason"] == f"claim_used:{','.join(matched)}"
    [refusal] = org.refusals()
    assert refusal["code"] == "trial_not_eligible"
    assert refusal["matched"] == matched
    assert refusal["trial_ended"] is True
    assert "trial_ended" in {notice["kind"] for notice in org.notices()}


def test_a_number_verified_during_a_trial_that_another_trial_claimed_ends_it(
    client: TestClient, runtime: Runtime
) -> None:
    """issue 16, finding 9: start the trial first, then verify an already-used phone."""
    first = Org(client, runtime, "ana@example.com")
    seeded.contact(runtime, first.org_id, phone=PHONE)
    ok(first.start_trial(), 201)
    second = Org(client, runtime, "bob@example.org")
    ok(second.start_trial(), 201)

    seeded.contact(runtime, second.org_id, phone=PHONE)

    assert_trial_ended(second, matched=["phone"])
    assert second.trial_row().end_reason == "claim_used:phone"
    # The number's owner did consent: that stands, only the trial ends.
    with runtime.database.read() as session:
        consents = session.scalars(
            select(ConsentRecord).where(ConsentRecord.org_id == second.org_id)
        ).all()
    assert [(c.phone_e164, c.withdrawn_at) for c in consents] == [(PHONE, None)]
    # The first trial is untouched.
    assert first.billing()["plan"]["code"] == "trial"


def test_a_new_number_verified_during_the_trial_ends_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    org = Org(client, runtime, "ana@example.com")
    seeded.contact(runtime, org.org_id, phone=PHONE)
    ok(org.start_trial(), 201)
    # A number first verified during the trial is claimed for it, and ends nothing.
    seeded.contact(runtime, org.org_id, phone="+447400123457")
    assert org.billing()["plan"]["code"] == "trial"
    assert org.refusals() == []


def test_a_paddle_customer_that_had_a_trial_gets_no_second_one(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    """issue 16, finding 9: Paddle's customer id was not a claim."""
    shared = paddle_id("ctm")
    first = Org(client, runtime, "ana@example.com")
    ok(first.start_trial(), 201)
    pay(client, paddle, clock, first, customer_id=shared, last4="1111")
    second = Org(client, runtime, "someone@example.org")
    # Another card, another owner, the same Paddle customer.
    pay(client, paddle, clock, second, customer_id=shared, last4="2222")

    refused = second.start_trial()

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["matched"] == ["customer"]


def test_paying_as_a_customer_that_had_a_trial_ends_a_running_one(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    shared = paddle_id("ctm")
    first = Org(client, runtime, "ana@example.com")
    ok(first.start_trial(), 201)
    pay(client, paddle, clock, first, customer_id=shared, last4="1111")
    second = Org(client, runtime, "someone@example.org")
    ok(second.start_trial(), 201)

    pay(client, paddle, clock, second, customer_id=shared, last4="2222")

    assert_trial_ended(second, matched=["customer"])


def test_a_card_that_had_a_trial_ends_a_running_one_when_paid_with(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    first = Org(client, runtime, "ana@example.com")
    ok(first.start_trial(), 201)
    pay(client, paddle, clock, first, customer_id=paddle_id("ctm"), last4="1111")
    second = Org(client, runtime, "someone@example.org")
    ok(second.start_trial(), 201)

    pay(
        client, paddle, clock, second,
        customer_id=paddle_id("ctm"), last4="1111", event_type="transaction.paid",
    )  # fmt: skip

    assert_trial_ended(second, matched=["payment"])


def test_the_e_mail_paddle_has_for_the_payer_is_a_claim(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    first = Org(client, runtime, "ana.smith@gmail.com")
    ok(first.start_trial(), 201)
    second = Org(client, runtime, "someone@example.org")
    payer = paddle_id("ctm")
    # Checkout makes the customer first, then the payment names it.
    created = customer(customer_id=payer, email="Ana.Smith+b@gmail.com", updated_at=clock.now())
    assert ok(paddle.deliver(client, "customer.created", created))["result"] == "applied"
    pay(client, paddle, clock, second, customer_id=payer, last4="2222")

    refused = second.start_trial()

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["matched"] == ["email"]


def test_a_customer_changing_e_mail_to_one_that_had_a_trial_ends_the_running_trial(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    first = Org(client, runtime, "ana@example.com")
    ok(first.start_trial(), 201)
    second = Org(client, runtime, "someone@example.org")
    ok(second.start_trial(), 201)
    payer = paddle_id("ctm")
    pay(client, paddle, clock, second, customer_id=payer, last4="2222")
    assert second.billing()["plan"]["code"] == "trial"

    clock.advance(60)
    changed = customer(customer_id=payer, email="ana@example.com", updated_at=clock.now())
    ok(paddle.deliver(client, "customer.updated", changed))

    assert_trial_ended(second, matched=["email"])


def test_trials_ended_by_one_paddle_customer_are_one_repeated_trials_case(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    """An ended trial is evidence like a refused one: the anomaly scan joins the organizations
    whose trials the same Paddle customer ended."""
    shared = paddle_id("ctm")
    first = Org(client, runtime, "ana@example.com")
    ok(first.start_trial(), 201)
    pay(client, paddle, clock, first, customer_id=shared, last4="1111")
    later = [Org(client, runtime, f"alias{n}@example.org") for n in range(2)]
    for n, org in enumerate(later):
        ok(org.start_trial(), 201)
        pay(client, paddle, clock, org, customer_id=shared, last4=f"222{n}")

    with runtime.database.write() as session:
        report = run_scan(session, now=clock.now(), auto_suspend=False)

    [filed] = [case for case in report.cases if case.detector == "repeated_trials"]
    with runtime.database.read() as session:
        case = session.get(TrustCase, filed.case_id)
        assert case is not None
        assert case.details["org_ids"] == sorted(org.org_id for org in later)
        assert {"kind": "customer", "value": shared, "org_ids": case.details["org_ids"]} in (
            case.details["shared"]
        )
