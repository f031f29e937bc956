"""Outgoing webhooks API: subscriptions to alert events (the signing secret is in the answer
that makes it, and in a rotation's, never again), a test event, the delivery log and sending
one event again. Administrators only: a webhook's URL is often a credential of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import CreatedAt, Limit, OwnId, PageOut, UpdatedAt, page_of
from tocsin.http.api.schemas.fields import Flag, Id, Name
from tocsin.outgoing import commands, queries
from tocsin.outgoing.commands import KEEP, WithSecret
from tocsin.outgoing.models import AlertEvent, DeliveryStatus, WebhookSubscription
from tocsin.outgoing.urls import MAX_URL_CHARACTERS, VettedUrl, vet

router = APIRouter(
    prefix="/v1/orgs/{org_id}/webhooks",
    tags=["webhooks"],
    route_class=ApiRoute,
)

URL_RULE = (
    "https, to a host that resolves only to public internet addresses; port 443 or "
    "1024-65535; no user name or password"
)
EVENTS_RULE = "Which alert events to send (one or more)"


class WebhookIn(BaseModel):
    name: Name
    url: str = Field(min_length=1, max_length=MAX_URL_CHARACTERS, description=URL_RULE)
    events: list[AlertEvent] = Field(min_length=1, description=EVENTS_RULE)
    endpoint_id: Id | None = Field(default=None, description="Only this endpoint's alerts")
    project_id: Id | None = Field(
        default=None, description="Only the alerts of this project's endpoints"
    )


class WebhookPatch(BaseModel):
    """What is given changes; `null` clears a filter."""

    name: Name | None = None
    url: str | None = Field(
        default=None, min_length=1, max_length=MAX_URL_CHARACTERS, description=URL_RULE
    )
    events: list[AlertEvent] | None = Field(default=None, min_length=1, description=EVENTS_RULE)
    endpoint_id: Id | None = None
    project_id: Id | None = None
    enabled: Flag | None = Field(
        default=None, description="false stops it (its waiting deliveries are given up)"
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    name: str
    url: str
    events: list[str]
    endpoint_id: str | None
    project_id: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="Why the server disabled it, if it did")
    failing_since: datetime | None = Field(
        description="When the current run of failed deliveries began"
    )
    last_delivered_at: datetime | None
    previous_secret_until: datetime | None = Field(
        description="After a rotation, until when the old secret signs too"
    )
    created_by: str | None
    created_at: CreatedAt
    updated_at: UpdatedAt


class WebhookWithSecretOut(WebhookOut):
    secret: str = Field(
        description="The signing secret (whsec_...): shown in this answer only, never again"
    )


class WebhookListOut(BaseModel):
    items: list[WebhookOut]


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    ms: int


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: OwnId
    event_id: str = Field(description="The webhook-id header: the same on every attempt")
    event_type: str
    alert_id: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    response_snippet: str | None
    attempt_log: list[AttemptOut]
    body: dict[str, Any] = Field(description="What is sent (the alert's link is added then)")
    created_at: CreatedAt
    delivered_at: datetime | None


def _with_secret(made: WithSecret) -> WebhookWithSecretOut:
    return WebhookWithSecretOut(
        **WebhookOut.model_validate(made.subscription).model_dump(), secret=made.secret
    )


def _out(subscription: WebhookSubscription) -> WebhookOut:
    return WebhookOut.model_validate(subscription)


def _vetted(caller: Caller, org_id: str, url: str) -> VettedUrl:
    """Who may ask is checked first, in a read; then the URL's host is looked up outside any
    transaction, so a slow DNS answer holds no writer (SQLite has one, ingest among them)."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=False):
        pass
    return vet(caller.runtime.webhook_hosts, url)


@router.post("", status_code=201, response_model=WebhookWithSecretOut)
def create_webhook(
    org_id: str, body: WebhookIn, caller: Caller = Depends(get_caller)
) -> WebhookWithSecretOut:
    """Subscribe a URL to alert events. The answer holds the signing secret, this once."""
    runtime = caller.runtime
    url = _vetted(caller, org_id, body.url)
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        made = commands.create_subscription(
            s,
            org_id=org_id,
            name=body.name,
            url=url,
            events=[event.value for event in body.events],
            endpoint_id=body.endpoint_id,
            project_id=body.project_id,
            box=runtime.webhook_box,
            actor=access.actor,
            now=runtime.clock.now(),
        )
        return _with_secret(made)


@router.get("", response_model=WebhookListOut)
def list_webhooks(org_id: str, caller: Caller = Depends(get_caller)) -> WebhookListOut:
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.READ, write=False) as (s, _):
        rows = queries.list_subscriptions(s, org_id=org_id)
        return WebhookListOut(items=[_out(row) for row in rows])


@router.get("/{webhook_id}", response_model=WebhookOut)
def get_webhook(org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)) -> WebhookOut:
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.READ, write=False) as (s, _):
        return _out(queries.get_subscription(s, org_id=org_id, webhook_id=webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(
    org_id: str, webhook_id: str, body: WebhookPatch, caller: Caller = Depends(get_caller)
) -> WebhookOut:
    runtime = caller.runtime
    given = body.model_fields_set
    url = KEEP if body.url is None else _vetted(caller, org_id, body.url)
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        subscription = commands.update_subscription(
            s,
            org_id=org_id,
            webhook_id=webhook_id,
            actor=access.actor,
            now=runtime.clock.now(),
            name=KEEP if body.name is None else body.name,
            url=url,
            events=KEEP if body.events is None else [event.value for event in body.events],
            endpoint_id=body.endpoint_id if "endpoint_id" in given else KEEP,
            project_id=body.project_id if "project_id" in given else KEEP,
            enabled=KEEP if body.enabled is None else body.enabled,
        )
        return _out(subscription)


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Gone, with its delivery log."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        commands.delete_subscription(
            s, org_id=org_id, webhook_id=webhook_id, actor=access.actor, now=now
        )


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookWithSecretOut)
def rotate_secret(
    org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)
) -> WebhookWithSecretOut:
    """A new signing secret, in this answer only; the old one signs too for 24 hours."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        made = commands.rotate_secret(
            s,
            org_id=org_id,
            webhook_id=webhook_id,
            box=runtime.webhook_box,
            actor=access.actor,
            now=runtime.clock.now(),
        )
        return _with_secret(made)


@router.post("/{webhook_id}/test", status_code=202, response_model=DeliveryOut)
def send_test(org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)) -> DeliveryOut:
    """Queue a `webhook.test` event, sent within seconds; its delivery is in the log."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        delivery = commands.send_test(
            s, org_id=org_id, webhook_id=webhook_id, actor=access.actor, now=now
        )
        return DeliveryOut.model_validate(delivery)


@router.get("/{webhook_id}/deliveries", response_model=PageOut[DeliveryOut])
def list_deliveries(
    org_id: str,
    webhook_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    # Checked by the query, which names its refusal (`invalid_status`).
    status: str | None = Query(
        None, json_schema_extra={"enum": [status.value for status in DeliveryStatus]}
    ),
    caller: Caller = Depends(get_caller),
) -> PageOut[DeliveryOut]:
    """The delivery log, newest first: each attempt's status code or error."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.READ, write=False) as (s, _):
        page = queries.deliveries_page(
            s, org_id=org_id, webhook_id=webhook_id, limit=limit, cursor=cursor, status=status
        )
        return page_of(page, DeliveryOut)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202, response_model=DeliveryOut
)
def redeliver(
    org_id: str, webhook_id: str, delivery_id: str, caller: Caller = Depends(get_caller)
) -> DeliveryOut:
    """Send a finished delivery's event again (same body and webhook-id), as a new delivery."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        delivery = commands.redeliver(
            s,
            org_id=org_id,
            webhook_id=webhook_id,
            delivery_id=delivery_id,
            actor=access.actor,
            now=now,
        )
        return DeliveryOut.model_validate(delivery)
