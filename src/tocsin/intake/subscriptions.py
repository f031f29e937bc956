"""Amazon SNS's subscription messages: nobody is paged, a subscription is confirmed, and both
are on the record.

Before its first notification SNS posts a SubscriptionConfirmation and waits for someone to visit
its `SubscribeURL`. Tocsin visits it itself, but only a URL of SNS's own (`https://sns.<region>.
amazonaws.com/...`): the body comes from whoever holds the endpoint's URL and key, and a server
that fetches any URL it is handed can be pointed at the network behind it. The visit happens
after the write transaction, with a short timeout, and its outcome is an audit event.
https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.confirm.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.db.engine import Database
from tocsin.endpoints.queries import EndpointRoute
from tocsin.formats.parse import ParsedAlert

CONFIRM_TIMEOUT_SECONDS = 5.0
# sns.us-east-1.amazonaws.com, sns.ap-southeast-2..., sns.us-gov-west-1...; not the China
# partition (amazonaws.com.cn), which no test here covers.
_SNS_HOST = re.compile(r"sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com")
_NOT_IN_URLS = re.compile(r"[\x00-\x20\x7f\\]")
MAX_URL_CHARACTERS = 2048


@dataclass(frozen=True)
class PendingConfirmation:
    """A subscription to confirm once the request's transaction has committed."""

    org_id: str
    endpoint_id: str
    actor: Actor
    topic_arn: str
    url: str


def _topic_arn(parsed: ParsedAlert) -> str:
    payload = parsed.payload if isinstance(parsed.payload, Mapping) else {}
    return str(payload.get("TopicArn") or "")


def pending_confirmation(
    endpoint: EndpointRoute, parsed: ParsedAlert, actor: Actor
) -> PendingConfirmation:
    return PendingConfirmation(
        org_id=endpoint.org_id,
        endpoint_id=endpoint.id,
        actor=actor,
        topic_arn=_topic_arn(parsed),
        url=parsed.confirm_url or "",
    )


def subscribe_url_problem(url: str) -> str | None:
    """Why Tocsin will not visit `url`, or None when it is SNS's own.

    The URL is judged as httpx parses it, the same parse the request is then made from, so no
    second parser can read a different host out of it."""
    if not url or len(url) > MAX_URL_CHARACTERS or _NOT_IN_URLS.search(url):
        return "malformed_url"
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "malformed_url"
    if parsed.scheme != "https":
        return "not_https"
    if parsed.userinfo:
        return "userinfo_in_url"
    if parsed.port is not None:
        return "port_in_url"
    if not _SNS_HOST.fullmatch(parsed.host):
        return "host_not_amazon_sns"
    return None


async def visit(url: str, *, transport: httpx.AsyncBaseTransport | None = None) -> str | None:
    """GET a confirmation URL that `subscribe_url_problem` passed; what went wrong, or None
    when SNS answered 200. Redirects are not followed: SNS answers in place."""
    try:
        async with httpx.AsyncClient(
            transport=transport, timeout=CONFIRM_TIMEOUT_SECONDS, follow_redirects=False
        ) as client:
            response = await client.get(httpx.URL(url))
    except httpx.HTTPError as error:
        return f"request_failed: {type(error).__name__}"
    if response.status_code != 200:
        return f"sns_answered_{response.status_code}"
    return None


async def confirm(
    pending: PendingConfirmation, *, transport: httpx.AsyncBaseTransport | None = None
) -> str | None:
    """Visit the subscription's URL if it is SNS's own; why it was not confirmed, or None."""
    return subscribe_url_problem(pending.url) or await visit(pending.url, transport=transport)


async def confirm_and_record(
    pending: PendingConfirmation,
    *,
    database: Database,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str | None:
    """Confirm, then record how it went in a transaction of its own; why it was not confirmed,
    or None."""
    problem = await confirm(pending, transport=transport)
    await database.off_loop(_record_in_transaction, database, pending, problem, now)
    return problem


def _record_in_transaction(
    database: Database, pending: PendingConfirmation, problem: str | None, now: datetime
) -> None:
    with database.write() as session:
        record_confirmation(session, pending, problem=problem, now=now)


def record_confirmation(
    session: Session, pending: PendingConfirmation, *, problem: str | None, now: datetime
) -> None:
    details = {"endpoint_id": pending.endpoint_id, "topic_arn": pending.topic_arn}
    audit.record(
        session,
        actor=pending.actor,
        action=AuditAction.SNS_SUBSCRIPTION_CONFIRMED
        if problem is None
        else AuditAction.SNS_SUBSCRIPTION_REFUSED,
        at=now,
        org_id=pending.org_id,
        target_type="endpoint",
        target_id=pending.endpoint_id,
        details=details if problem is None else {**details, "reason": problem},
    )


def record_unsubscribe(
    session: Session, *, endpoint: EndpointRoute, parsed: ParsedAlert, actor: Actor, now: datetime
) -> None:
    audit.record(
        session,
        actor=actor,
        action=AuditAction.SNS_UNSUBSCRIBED,
        at=now,
        org_id=endpoint.org_id,
        target_type="endpoint",
        target_id=endpoint.id,
        details={"endpoint_id": endpoint.id, "topic_arn": _topic_arn(parsed)},
    )
