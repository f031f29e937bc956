"""An alert from a sender who has shown who it is: the organization's standing, the sender's
rate limits, the body read, and the alert accepted, all in the caller's transaction. The
webhook and the dashboard's test alert both come this way, so a test is paged as a real alert
would be."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.ratelimit import Limits, RateLimiter
from tocsin.db.after_commit import on_commit
from tocsin.endpoints.queries import EndpointRoute
from tocsin.formats.parse import parse_alert
from tocsin.formats.trim import trimmed
from tocsin.intake.accept import IngestResult, accept_alert
from tocsin.restrictions.blocks import ingest_block
from tocsin.routing.steps import PagingDefaults

log = logging.getLogger(__name__)


def receive_alert(
    session: Session,
    *,
    endpoint: EndpointRoute,
    body: bytes,
    content_type: str,
    query: list[tuple[str, str]],
    form: list[tuple[str, str]] | None,
    actor: Actor,
    key_id: str | None,
    now: datetime,
    limiter: RateLimiter,
    paging: PagingDefaults,
    request_id: str | None = None,
) -> IngestResult:
    """Refused (a TocsinError) when the organization or endpoint is suspended, a rate limit is
    reached or the body cannot be read; `key_id` is the API key that sent it, if any, and
    `request_id` the id of the HTTP request that brought it, kept with a new alert and its
    calls so their log lines can be found from the request's."""
    block = ingest_block(session, org_id=endpoint.org_id, endpoint_id=endpoint.id, now=now)
    if block is not None:
        raise block.refusal()

    def admit() -> None:
        # Counted for new alerts only, once the sender is known to be who it says: a storm of
        # repeats of one open alert cannot crowd out a new one, and nobody else can use up an
        # endpoint's budget. The transaction is rolled back when a limit is reached.
        if key_id is not None:
            limiter.hit(Limits.INGEST_KEY, key_id, what="new alerts with this key")
        limiter.hit(Limits.INGEST_ENDPOINT, endpoint.id, what="new alerts to this endpoint")

    parsed = parse_alert(body=body, content_type=content_type, query=query, form=form)
    result = accept_alert(
        session,
        endpoint=endpoint,
        parsed=trimmed(parsed, body_bytes=len(body)),
        actor=actor,
        now=now,
        paging=paging,
        admit=admit,
        request_id=request_id,
    )
    result = replace(result, sender=parsed.source.value)
    if result.alert_id is not None:
        on_commit(session, lambda: _log_received(endpoint, result, request_id))
    return result


def _log_received(endpoint: EndpointRoute, result: IngestResult, request_id: str | None) -> None:
    log.info(
        "alert received",
        extra={
            "org_id": endpoint.org_id,
            "endpoint_id": endpoint.id,
            "alert_id": result.alert_id,
            "outcome": result.outcome.value,
            "sender": result.sender,
            "calls_queued": result.calls_queued,
            **({"request_id": request_id} if request_id else {}),
        },
    )
