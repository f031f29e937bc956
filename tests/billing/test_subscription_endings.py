"""Issue 16, finding 4: "termination" had no billing consequence. A termination now ends the
organization's Paddle subscription through Paddle's API (a local fake that checks the Bearer
key and speaks Paddle's JSON), and a failure is audited, filed for staff and tried again,
never silent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests import seeded
from tests.billing.paddle_api import API_KEY, paddle_api
from tocsin.audit.models import AuditEvent
from tocsin.billing.models import Subscription, SubscriptionCancellation
from tocsin.billing.paddle.api import PaddleApi, PaddleApiError
from tocsin.core.actors import Actor
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.subscription_endings import NOT_CONFIGURED, end_subscriptions
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust import enforcement
from tocsin.trust.models import TrustCase

SUBSCRIPTION = "sub_01hv8x29kz0t586xy6zn1a62ny"


def test_the_client_cancels_at_once_with_the_bearer_key() -> None:
    with paddle_api() as (fake, base_url):
        fake.add(SUBSCRIPTION, org_id="org_x")
        status = asyncio.run(PaddleApi(base_url, API_KEY).cancel_subscription(SUBSCRIPTION))
        assert status == fake.status(SUBSCRIPTION) == "canceled"
        assert fake.requests[0]["authorization"] == f"Bearer {API_KEY}"
        assert fake.requests[0]["paddle_version"] == "1"
        # Already canceled is the same outcome for us.
        assert asyncio.run(PaddleApi(base_url, API_KEY).cancel_subscription(SUBSCRIPTION)) == (
            "canceled"
        )


def test_the_client_says_why_paddle_refused() -> None:
    with paddle_api() as (fake, base_url):
        fake.add(SUBSCRIPTION, org_id="org_x")
        with pytest.raises(PaddleApiError) as wrong_key:
            asyncio.run(PaddleApi(base_url, "pdl_wrong").cancel_subscription(SUBSCRIPTION))
        assert (wrong_key.value.status, wrong_key.value.code) == (403, "invalid_token")
        with pytest.raises(PaddleApiError) as missing:
            asyncio.run(PaddleApi(base_url, API_KEY).cancel_subscription("sub_unknown"))
        assert missing.value.code == "not_found"
        assert fake.status(SUBSCRIPTION) == "active"


def test_the_worker_settings_carry_paddles_api_when_a_key_is_set(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(
        update={
            "paddle_api_key": SecretStr(API_KEY),
            "paddle_api_base_url": "https://sandbox-api.paddle.com",
        }
    )
    api = WorkerSettings.from_settings(settings, billing=runtime.billing).paddle_api
    assert api is not None
    assert api.base_url == "https://sandbox-api.paddle.com"
    assert (
        WorkerSettings.from_settings(runtime.settings, billing=runtime.billing).paddle_api is None
    )


def subscribed_org(runtime: Runtime) -> str:
    owner = seeded.person(runtime, org_name="Subscribed")
    now = runtime.clock.now()
    with runtime.database.write() as session:
        session.add(
            Subscription(
                id=SUBSCRIPTION, org_id=owner.org_id, status="active", plan="team",
                source_updated_at=now, created_at=now, updated_at=now,
            )
        )  # fmt: skip
    return owner.org_id


def terminate(runtime: Runtime, org_id: str) -> None:
    with runtime.database.write() as session:
        enforcement.take_action(
            session, kind=ActionKind.TERMINATION, scope=ActionScope.ORGANIZATION, target=org_id,
            reason="fraud", actor=Actor("user", "usr_staff"), now=runtime.clock.now(),
            digest_key=runtime.billing_digest_key,
        )  # fmt: skip


def actions(runtime: Runtime, org_id: str) -> list[str]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.org_id == org_id, AuditEvent.action.startswith("billing."))
                .order_by(AuditEvent.id)
            )
        )


def cancellation(runtime: Runtime) -> SubscriptionCancellation:
    with runtime.database.read() as session:
        row = session.scalar(select(SubscriptionCancellation))
        assert row is not None
        session.expunge(row)
        return row


def billing_case(runtime: Runtime) -> TrustCase | None:
    with runtime.database.read() as session:
        case = session.scalar(select(TrustCase).where(TrustCase.kind == "billing"))
        if case is not None:
            session.expunge(case)
        return case


def run_round(runtime: Runtime, api: PaddleApi | None) -> int:
    return asyncio.run(end_subscriptions(runtime.database, api, now=runtime.clock.now()))


def test_a_termination_ends_the_paddle_subscription_at_once(runtime: Runtime) -> None:
    """Issue 16, finding 4: termination had no billing consequence."""
    org_id = subscribed_org(runtime)
    with paddle_api() as (fake, base_url):
        fake.add(SUBSCRIPTION, org_id=org_id)
        terminate(runtime, org_id)
        assert fake.requests == []  # never inside the termination's transaction
        assert run_round(runtime, PaddleApi(base_url, API_KEY)) == 1
        assert fake.status(SUBSCRIPTION) == "canceled"
    assert (cancellation(runtime).status, cancellation(runtime).attempts) == ("done", 1)
    assert actions(runtime, org_id) == ["billing.subscription_ended"]
    assert run_round(runtime, PaddleApi(base_url, API_KEY)) == 0


def test_a_failed_cancellation_is_audited_noted_for_staff_and_tried_again(
    runtime: Runtime, clock: ManualClock
) -> None:
    org_id = subscribed_org(runtime)
    with paddle_api() as (fake, base_url):
        fake.add(SUBSCRIPTION, org_id=org_id)
        fake.outage = True
        terminate(runtime, org_id)
        api = PaddleApi(base_url, API_KEY)
        run_round(runtime, api)
        failed = cancellation(runtime)
        assert (failed.status, failed.attempts) == ("pending", 1)
        assert "internal_error" in (failed.last_error or "")
        assert failed.next_attempt_at == clock.now() + timedelta(minutes=5)
        case = billing_case(runtime)
        assert case is not None
        assert (case.status, case.org_id) == ("open", org_id)
        # Not due yet: nothing is asked.
        assert run_round(runtime, api) == 0
        clock.advance(5 * 60)
        run_round(runtime, api)
        assert cancellation(runtime).attempts == 2
        assert cancellation(runtime).next_attempt_at == clock.now() + timedelta(minutes=10)
        fake.outage = False
        clock.advance(10 * 60)
        run_round(runtime, api)
        assert fake.status(SUBSCRIPTION) == "canceled"
    assert cancellation(runtime).status == "done"
    resolved = billing_case(runtime)
    assert resolved is not None
    assert resolved.status == "resolved"
    assert actions(runtime, org_id) == [
        "billing.subscription_cancel_failed",
        "billing.subscription_cancel_failed",
        "billing.subscription_ended",
    ]


def test_without_a_paddle_api_key_the_failure_is_visible(runtime: Runtime) -> None:
    org_id = subscribed_org(runtime)
    terminate(runtime, org_id)
    run_round(runtime, None)
    assert cancellation(runtime).last_error == NOT_CONFIGURED
    assert actions(runtime, org_id) == ["billing.subscription_cancel_failed"]
    assert billing_case(runtime) is not None
