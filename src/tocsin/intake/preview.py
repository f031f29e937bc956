"""A dry run of a webhook on an endpoint: how it would be read, routed and spoken, calling no one.

Operators use it to check a scenario or template against a real sample of what their monitoring
system sends, before an incident does it for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts.service import person_of
from tocsin.core.actors import Actor
from tocsin.core.ratelimit import Limits, RateLimiter
from tocsin.endpoints.models import Endpoint
from tocsin.endpoints.queries import call_targets
from tocsin.formats.parse import dedup_key_for, parse_alert
from tocsin.intake.route import Route, route_alert
from tocsin.messages import MessageContext, render_message
from tocsin.paging.escalation import Position, numbers_for, run_steps
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults, parse_steps
from tocsin.routing.targets import CallTarget


@dataclass(frozen=True)
class Preview:
    source: str
    title: str
    severity: str
    dedup_key: str
    route: Route
    first_calls: list[CallTarget]
    spoken_text: str
    template_problem: str | None


def preview(
    session: Session,
    *,
    endpoint: Endpoint,
    body: bytes,
    content_type: str,
    now: datetime,
    max_characters: int,
    actor: Actor,
    limiter: RateLimiter,
    paging: PagingDefaults = DEFAULT_PAGING,
) -> Preview:
    """RateLimited past the previews allowed: each renders the endpoint's template, which a
    read-only key could otherwise ask for without end."""
    count_preview(limiter, org_id=endpoint.org_id, person=_person(session, actor))
    parsed = parse_alert(body=body, content_type=content_type, query=[])
    targets = call_targets(session, endpoint.id)
    route = route_alert(
        session,
        org_id=endpoint.org_id,
        rules=endpoint.rules,
        routing=endpoint.routing,
        parsed=parsed,
        targets=targets,
        now=now,
        endpoint_id=endpoint.id,
        paging=paging,
    )
    first_calls: list[CallTarget] = []
    if route.plan:
        transition = run_steps(
            parse_steps(route.plan),
            Position(0, 0, now),
            now=now,
            targets_for=numbers_for(session, endpoint.org_id, now=now),
        )
        first_calls = transition.targets
    rendered = render_message(
        endpoint.template,
        MessageContext(
            endpoint=endpoint.name,
            title=parsed.title,
            message=parsed.message,
            severity=parsed.severity.value,
            source=parsed.source.value,
            payload=parsed.payload,
        ),
        max_characters=max_characters,
    )
    return Preview(
        source=parsed.source.value,
        title=parsed.title,
        severity=parsed.severity.value,
        dedup_key=dedup_key_for(endpoint.id, parsed),
        route=route,
        first_calls=first_calls,
        spoken_text=rendered.text,
        template_problem=rendered.problem,
    )


def count_preview(limiter: RateLimiter, *, org_id: str, person: str) -> None:
    """Per person and per organization, never per API key: keys are free to make. Both are
    checked before either is counted, so a refusal by one does not use up the other."""
    what = "previews"
    limiter.check(Limits.PREVIEW, person, what=what)
    limiter.check(Limits.PREVIEW_ORG, org_id, what=what)
    limiter.hit(Limits.PREVIEW, person, what=what)
    limiter.hit(Limits.PREVIEW_ORG, org_id, what=what)


def _person(session: Session, actor: Actor) -> str:
    return person_of(session, actor) or f"{actor.type}:{actor.id}"
