"""Amazon SNS's subscription messages: confirmed by a visit to SNS's own SubscribeURL and nowhere
else, recorded, and never a page."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import seeded
from tests.factories import ok
from tests.ingest.rows import paging_endpoint
from tests.ingest.sender_bodies import body
from tocsin.audit.models import AuditEvent
from tocsin.intake.accept import Outcome
from tocsin.intake.subscriptions import subscribe_url_problem, visit
from tocsin.paging.models import Alert
from tocsin.runtime import Runtime

CONFIRM = "/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:123456789012:tocsin&Token=1"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"https://sns.eu-west-1.amazonaws.com{CONFIRM}", None),
        (f"https://sns.us-east-1.amazonaws.com{CONFIRM}", None),
        (f"https://sns.ap-southeast-2.amazonaws.com{CONFIRM}", None),
        (f"https://sns.us-gov-west-1.amazonaws.com{CONFIRM}", None),
        (f"HTTPS://SNS.US-EAST-1.AMAZONAWS.COM{CONFIRM}", None),
        ("https://sns.us-east-1.amazonaws.com", None),
        (f"http://sns.us-east-1.amazonaws.com{CONFIRM}", "not_https"),
        (f"ftp://sns.us-east-1.amazonaws.com{CONFIRM}", "not_https"),
        (f"https://sns.us-east-1.amazonaws.com:8443{CONFIRM}", "port_in_url"),
        (f"https://sns.us-east-1.amazonaws.com:443{CONFIRM}", None),
        (f"https://user:pw@sns.us-east-1.amazonaws.com{CONFIRM}", "userinfo_in_url"),
        (f"https://sns.us-east-1.amazonaws.com@evil.example{CONFIRM}", "userinfo_in_url"),
        (f"https://sns.us-east-1.amazonaws.com.evil.example{CONFIRM}", "host_not_amazon_sns"),
        (f"https://sns.us-east-1.amazonaws.com.{CONFIRM}", "host_not_amazon_sns"),
        (f"https://evil.example/sns.us-east-1.amazonaws.com{CONFIRM}", "host_not_amazon_sns"),
        (f"https://evil.example{CONFIRM}#@sns.us-east-1.amazonaws.com", "host_not_amazon_sns"),
        (f"https://xsns.us-east-1.amazonaws.com{CONFIRM}", "host_not_amazon_sns"),
        (f"https://sns-us-east-1.amazonaws.com{CONFIRM}", "host_not_amazon_sns"),
        (f"https://sqs.us-east-1.amazonaws.com{CONFIRM}", "host_not_amazon_sns"),
        (f"https://sns.amazonaws.com{CONFIRM}", "host_not_amazon_sns"),
        (f"https://sns.localhost.amazonaws.com{CONFIRM}", "host_not_amazon_sns"),
        (f"https://sns.cn-north-1.amazonaws.com.cn{CONFIRM}", "host_not_amazon_sns"),
        (f"https://\u0455ns.us-east-1.amazonaws.com{CONFIRM}", "host_not_amazon_sns"),
        (f"https://169.254.169.254{CONFIRM}", "host_not_amazon_sns"),
        (f"https://[::1]{CONFIRM}", "host_not_amazon_sns"),
        (f"https://evil.example\\@sns.us-east-1.amazonaws.com{CONFIRM}", "malformed_url"),
        (f"https://sns.us-east-1.amazonaws.com {CONFIRM}", "malformed_url"),
        (f"https://sns.us-east-1.amazonaws.com\r\nHost: evil{CONFIRM}", "malformed_url"),
        ("//sns.us-east-1.amazonaws.com/", "not_https"),
        ("", "malformed_url"),
        ("https://sns.us-east-1.amazonaws.com/" + "a" * 3000, "malformed_url"),
    ],
)
def test_only_sns_own_addresses_are_visited(url: str, problem: str | None) -> None:
    assert subscribe_url_problem(url) == problem


def test_a_visit_succeeds_only_on_a_200() -> None:
    def answer(status: int) -> httpx.MockTransport:
        return httpx.MockTransport(lambda request: httpx.Response(status, text="<xml/>"))

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    url = f"https://sns.eu-west-1.amazonaws.com{CONFIRM}"
    assert asyncio.run(visit(url, transport=answer(200))) is None
    assert asyncio.run(visit(url, transport=answer(403))) == "sns_answered_403"
    assert asyncio.run(visit(url, transport=answer(302))) == "sns_answered_302"
    assert asyncio.run(visit(url, transport=httpx.MockTransport(refuse))) == (
        "request_failed: ConnectError"
    )


def _audit(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.database.read() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        session.expunge_all()
        return events


def _alert_count(runtime: Runtime) -> int:
    with runtime.database.read() as session:
        return session.scalar(select(func.count()).select_from(Alert)) or 0


def _post_sns(
    client: TestClient, endpoint_id: str, headers: dict[str, str], raw: bytes
) -> dict[str, Any]:
    # SNS posts its JSON as text/plain.
    response = client.post(
        f"/v1/hooks/{endpoint_id}",
        content=raw,
        headers={**headers, "Content-Type": "text/plain; charset=UTF-8"},
    )
    answer: dict[str, Any] = ok(response, 202)
    return answer


def test_a_subscription_confirmation_is_confirmed_and_pages_nobody(
    client: TestClient, runtime: Runtime
) -> None:
    visited: list[httpx.URL] = []

    def sns(request: httpx.Request) -> httpx.Response:
        visited.append(request.url)
        return httpx.Response(200, text="<ConfirmSubscriptionResponse/>")

    runtime.outbound_transport = httpx.MockTransport(sns)
    tenant = seeded.tenant(runtime)
    confirmation = body("aws-sns", "sns-confirmation")
    answer = _post_sns(client, tenant.endpoint_id, tenant.alert_key, confirmation.raw)
    assert answer == {
        "alert_id": None,
        "outcome": "subscription_confirmed",
        "calls_queued": 0,
        "calls_cancelled": 0,
    }
    assert [str(url) for url in visited] == [
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        "&TopicArn=arn:aws:sns:eu-west-1:123456789012:tocsin&Token=2336412f37fb687f5d51e6e242"
        "5c464de12884125ecf5c79bd6b0c5e38de9e9d8b47f5f4d50b8d8a1d6b8e16d5c0e5fa"
    ]
    assert _alert_count(runtime) == 0
    [confirmed] = _audit(runtime, "sns.subscription_confirmed")
    assert confirmed.details == {
        "endpoint_id": tenant.endpoint_id,
        "topic_arn": "arn:aws:sns:eu-west-1:123456789012:tocsin",
    }


def test_a_confirmation_pointing_elsewhere_is_refused_without_a_visit(
    client: TestClient, runtime: Runtime
) -> None:
    visited: list[httpx.Request] = []

    def sns(request: httpx.Request) -> httpx.Response:
        visited.append(request)
        return httpx.Response(200)

    runtime.outbound_transport = httpx.MockTransport(sns)
    tenant = seeded.tenant(runtime)
    raw = body("aws-sns", "sns-confirmation").raw.replace(
        b"https://sns.eu-west-1.amazonaws.com/?Action",
        b"https://sns.eu-west-1.amazonaws.com.evil.example/?Action",
    )
    answer = _post_sns(client, tenant.endpoint_id, tenant.alert_key, raw)
    assert (answer["outcome"], answer["alert_id"]) == ("subscription_refused", None)
    assert visited == []
    assert _alert_count(runtime) == 0
    [refused] = _audit(runtime, "sns.subscription_refused")
    assert refused.details is not None
    assert refused.details["reason"] == "host_not_amazon_sns"


def test_a_failed_confirmation_is_on_the_record(client: TestClient, runtime: Runtime) -> None:
    runtime.outbound_transport = httpx.MockTransport(lambda request: httpx.Response(403))
    tenant = seeded.tenant(runtime)
    raw = body("aws-sns", "sns-confirmation").raw
    assert _post_sns(client, tenant.endpoint_id, tenant.alert_key, raw)["outcome"] == (
        "subscription_refused"
    )
    [refused] = _audit(runtime, "sns.subscription_refused")
    assert refused.details is not None
    assert refused.details["reason"] == "sns_answered_403"


def test_an_unsubscribe_confirmation_is_recorded_not_paged(runtime: Runtime) -> None:
    paging = paging_endpoint(runtime)
    sent = body("aws-sns", "sns-unsubscribe")
    result = paging.send(sent.raw, content_type="text/plain")
    assert (result.alert_id, result.outcome, result.calls_queued) == (
        None,
        Outcome.UNSUBSCRIBED,
        0,
    )
    assert paging.alerts() == []
    assert paging.audit_actions() == ["sns.unsubscribed"]
