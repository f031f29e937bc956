"""Issue 16, finding 4 and the bullet "Enforcement that holds": a termination marks who it was
about, their cards and Paddle customers among them. A new organization paying with the card,
the Paddle customer or the payer's e-mail of a standing termination is suspended at once
(queued calls cancelled, owners told) and a case is opened for staff, in the transaction of the
Paddle notification that showed it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.billing.conftest import NEW_SECRET
from tests.billing.helpers import tiny_billing
from tests.billing.paddle import PaddleSender, paddle_id
from tests.billing.test_trial_claims import Org, pay
from tests.trust.test_terminations import terminate
from tocsin.core.clock import ManualClock
from tocsin.restrictions.blocks import org_block
from tocsin.restrictions.kinds import ActionScope
from tocsin.runtime import Runtime
from tocsin.trust.models import TrustCase


@pytest.fixture(autouse=True)
def _tiny(runtime: Runtime) -> None:
    runtime.billing = tiny_billing()


@pytest.fixture
def paddle(clock: ManualClock) -> PaddleSender:
    return PaddleSender(secrets=[NEW_SECRET], now=clock.now)


def cases_about(runtime: Runtime, org_id: str) -> list[TrustCase]:
    with runtime.database.read() as session:
        return list(session.scalars(select(TrustCase).where(TrustCase.org_id == org_id)))


def suspended(runtime: Runtime, org_id: str) -> bool:
    with runtime.database.read() as session:
        return org_block(session, org_id=org_id, now=runtime.clock.now()) is not None


def test_paying_with_a_terminated_organizations_card_suspends_the_new_one(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    terminated = Org(client, runtime, "fraud@example.com")
    pay(client, paddle, clock, terminated, customer_id=paddle_id("ctm"), last4="4242")
    action_id = terminate(runtime, ActionScope.ORGANIZATION, terminated.org_id)

    again = Org(client, runtime, "new-name@example.org")
    pay(client, paddle, clock, again, customer_id=paddle_id("ctm"), last4="4242")

    assert suspended(runtime, again.org_id)
    [case] = cases_about(runtime, again.org_id)
    assert case.details["matched"] == ["payment"]
    assert case.details["termination_ids"] == [action_id]
    assert any("suspen" in notice["kind"] for notice in again.notices())


def test_paying_as_a_terminated_paddle_customer_suspends_the_new_one(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    customer_id = paddle_id("ctm")
    terminated = Org(client, runtime, "fraud@example.com")
    pay(client, paddle, clock, terminated, customer_id=customer_id, last4="1111")
    terminate(runtime, ActionScope.ORGANIZATION, terminated.org_id)

    again = Org(client, runtime, "other@example.org")
    pay(client, paddle, clock, again, customer_id=customer_id, last4="2222")

    assert suspended(runtime, again.org_id)
    [case] = cases_about(runtime, again.org_id)
    assert case.details["matched"] == ["customer"]


def test_a_fresh_card_and_customer_suspend_nothing(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    terminated = Org(client, runtime, "fraud@example.com")
    pay(client, paddle, clock, terminated, customer_id=paddle_id("ctm"), last4="4242")
    terminate(runtime, ActionScope.ORGANIZATION, terminated.org_id)
    honest = Org(client, runtime, "honest@example.org")
    pay(client, paddle, clock, honest, customer_id=paddle_id("ctm"), last4="9999")
    assert not suspended(runtime, honest.org_id)
    assert cases_about(runtime, honest.org_id) == []


def test_a_redelivered_notification_opens_no_second_case(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    terminated = Org(client, runtime, "fraud@example.com")
    pay(client, paddle, clock, terminated, customer_id=paddle_id("ctm"), last4="4242")
    terminate(runtime, ActionScope.ORGANIZATION, terminated.org_id)
    again = Org(client, runtime, "again@example.org")
    customer_id = paddle_id("ctm")
    pay(client, paddle, clock, again, customer_id=customer_id, last4="4242")
    pay(client, paddle, clock, again, customer_id=customer_id, last4="4242")
    assert len(cases_about(runtime, again.org_id)) == 1


def test_the_terminated_organizations_own_payment_opens_no_case(
    client: TestClient, runtime: Runtime, clock: ManualClock, paddle: PaddleSender
) -> None:
    customer_id = paddle_id("ctm")
    terminated = Org(client, runtime, "fraud@example.com")
    pay(client, paddle, clock, terminated, customer_id=customer_id, last4="4242")
    terminate(runtime, ActionScope.ORGANIZATION, terminated.org_id)
    pay(client, paddle, clock, terminated, customer_id=customer_id, last4="4242")
    assert cases_about(runtime, terminated.org_id) == []
