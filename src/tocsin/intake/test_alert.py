"""The dashboard's test alert: a JSON body received as the webhook receives one (enforcement,
the endpoint's rate limit, parsing, routing, call jobs), so it is paged exactly as a real alert
would be."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.errors import NotFound
from tocsin.core.ids import new_id
from tocsin.core.ratelimit import RateLimiter
from tocsin.endpoints.queries import find_route
from tocsin.intake.accept import IngestResult
from tocsin.intake.receive import receive_alert
from tocsin.routing.steps import PagingDefaults

TEST_ALERT_TITLE = "Test alert from the dashboard"


def send_test_alert(
    session: Session,
    *,
    org_id: str,
    endpoint_id: str,
    requested_by: str,
    actor: Actor,
    now: datetime,
    limiter: RateLimiter,
    paging: PagingDefaults,
) -> IngestResult:
    """`requested_by` (an email address) is named in the alert's message, so whoever is
    called knows who to ask about it."""
    route = find_route(session, endpoint_id)
    if route is None or route.org_id != org_id:
        raise NotFound("endpoint not found", code="endpoint_not_found")
    body = {
        "title": TEST_ALERT_TITLE,
        "message": f"{requested_by} sent this test alert from the Tocsin dashboard.",
        # Each test is its own alert: an open one from an earlier test must not swallow it.
        "dedup_key": new_id("dashboard-test"),
    }
    return receive_alert(
        session,
        endpoint=route,
        body=json.dumps(body).encode(),
        content_type="application/json",
        query=[],
        form=None,
        actor=actor,
        key_id=None,
        now=now,
        limiter=limiter,
        paging=paging,
    )
