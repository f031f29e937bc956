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
from tocsin.http.api.schemas.common import (
    CreatedAt,
    Limit,
    OwnId,
    PageOut,
    UpdatedAt,
    errors,
    listed,
    page_of,
    shown,
)
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
    model_config = shown(
        {
            "name": "Incident bot",
            "url": "https://bot.example.com/tocsin",
            "events": ["alert.created", "alert.resolved"],
        }
    )

    name: Name = Field(description="What it is for")
    url: str = Field(min_length=1, max_length=MAX_URL_CHARACTERS, description=URL_RULE)
    events: list[AlertEvent] = Field(min_length=1, description=EVENTS_RULE)
    endpoint_id: Id | None = Field(default=None, description="Only this endpoint's alerts")
    project_id: Id | None = Field(
        default=None, description="Only the alerts of this project's endpoints"
    )


class WebhookPatch(BaseModel):
    """What is given changes; `null` clears a filter."""

    model_config = shown({"enabled": False})

    name: Name | None = Field(default=None, description="A new name")
    url: str | None = Field(
        default=None, min_length=1, max_length=MAX_URL_CHARACTERS, description=URL_RULE
    )
    events: list[AlertEvent] | None = Field(default=None, min_length=1, description=EVENTS_RULE)
    endpoint_id: Id | None = Field(
        default=None,
        description=("Only this endpoint's alerts; null: every endpoint's"),
    )
    project_id: Id | None = Field(
        default=None,
        description=("Only this project's alerts; null: every project's"),
    )
    enabled: Flag | None = Field(
        default=None, description="false stops it (its waiting deliveries are given up)"
    )


class WebhookOut(BaseModel):
    model_config = shown(
        {
            "id": "whk_01m8ycrxap78197genycv3nvhg",
            "name": "Incident bot",
            "url": "https://bot.example.com/tocsin",
            "events": ["alert.created", "alert.resolved"],
            "endpoint_id": None,
            "project_id": None,
            "enabled": True,
            "disabled_reason": None,
            "failing_since": None,
            "last_delivered_at": "2025-01-02T08:30:00Z",
            "previous_secret_until": None,
            "created_by": "usr_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    name: str = Field(description="What it is for")
    url: str = Field(description="Where events are posted")
    events: list[str] = Field(description="The events it receives")
    endpoint_id: str | None = Field(description="Only this endpoint's alerts")
    project_id: str | None = Field(description="Only this project's alerts")
    enabled: bool = Field(description="Whether events are sent")
    disabled_reason: str | None = Field(description="Why the server disabled it, if it did")
    failing_since: datetime | None = Field(
        description="When the current run of failed deliveries began"
    )
    last_delivered_at: datetime | None = Field(description="When an event last arrived")
    previous_secret_until: datetime | None = Field(
        description="After a rotation, until when the old secret signs too"
    )
    created_by: str | None = Field(description="Who made it")
    created_at: CreatedAt
    updated_at: UpdatedAt


class WebhookWithSecretOut(WebhookOut):
    model_config = shown(
        {
            "id": "whk_01m8ycrxap78197genycv3nvhg",
            "name": "Incident bot",
            "url": "https://bot.example.com/tocsin",
            "events": ["alert.created", "alert.resolved"],
            "endpoint_id": None,
            "project_id": None,
            "enabled": True,
            "disabled_reason": None,
            "failing_since": None,
            "last_delivered_at": "2025-01-02T08:30:00Z",
            "previous_secret_until": None,
            "created_by": "usr_01m8ycrxap78197genycv3nvhg",
            "created_at": "2025-01-01T12:00:00Z",
            "updated_at": "2025-01-01T12:00:00Z",
            "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        }
    )

    secret: str = Field(
        description="The signing secret (whsec_...): shown in this answer only, never again"
    )


class WebhookListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra=listed)

    items: list[WebhookOut] = Field(description="The organization's webhooks")


class AttemptOut(BaseModel):
    at: datetime = Field(description="When it was tried")
    status_code: int | None = Field(description="The receiver's HTTP status, if it answered")
    error: str | None = Field(description="Why it failed, if it did")
    ms: int = Field(description="How long it took, in milliseconds")


class DeliveryOut(BaseModel):
    model_config = shown(
        {
            "id": "whd_01m8ycrxap78197genycv3nvhg",
            "event_id": "evt_01m8ycrxap78197genycv3nvhg",
            "event_type": "alert.created",
            "alert_id": "al_01m8ycrxap78197genycv3nvhg",
            "status": "delivered",
            "attempts": 1,
            "next_attempt_at": None,
            "last_status_code": 200,
            "last_error": None,
            "response_snippet": "ok",
            "attempt_log": [
                {"at": "2025-01-02T08:30:00Z", "status_code": 200, "error": None, "ms": 142}
            ],
            "body": {
                "type": "alert.created",
                "data": {"alert_id": "al_01m8ycrxap78197genycv3nvhg", "title": "Disk full on db1"},
            },
            "created_at": "2025-01-02T08:30:00Z",
            "delivered_at": "2025-01-02T08:30:00Z",
        },
        from_attributes=True,
    )

    id: OwnId
    event_id: str = Field(description="The webhook-id header: the same on every attempt")
    event_type: str = Field(description="e.g. alert.created, webhook.test")
    alert_id: str | None = Field(description="The alert it is about, if any")
    status: DeliveryStatus = Field(
        description=("pending, sending, delivered, failed (retrying) or gave_up"),
    )
    attempts: int = Field(description="Attempts so far")
    next_attempt_at: datetime | None = Field(description="When it is tried again")
    last_status_code: int | None = Field(description="The last answer's HTTP status")
    last_error: str | None = Field(description="Why the last attempt failed")
    response_snippet: str | None = Field(description="The start of the last answer's body")
    attempt_log: list[AttemptOut] = Field(description="Every attempt, oldest first")
    body: dict[str, Any] = Field(description="What is sent (the alert's link is added then)")
    created_at: CreatedAt
    delivered_at: datetime | None = Field(description="When it was delivered")


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


@router.post(
    "",
    status_code=201,
    response_model=WebhookWithSecretOut,
    summary="Subscribe a webhook",
    responses=errors(
        (409, "too_many_webhooks", "an organization has at most 20 webhooks"),
        (422, "webhook_url_not_allowed", "the URL must be https to a public host"),
    ),
)
def create_webhook(
    org_id: str, body: WebhookIn, caller: Caller = Depends(get_caller)
) -> WebhookWithSecretOut:
    """Subscribe a URL to alert events. The answer holds the signing secret, this once. Admins and
    owners, or a key with `write`."""
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


@router.get("", response_model=WebhookListOut, summary="List webhooks")
def list_webhooks(org_id: str, caller: Caller = Depends(get_caller)) -> WebhookListOut:
    """Admins and owners, or a key with `read`."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.READ, write=False) as (s, _):
        rows = queries.list_subscriptions(s, org_id=org_id)
        return WebhookListOut(items=[_out(row) for row in rows])


@router.get(
    "/{webhook_id}",
    response_model=WebhookOut,
    summary="Get a webhook",
    responses=errors((404, "webhook_not_found", "webhook not found")),
)
def get_webhook(org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)) -> WebhookOut:
    """One webhook, without its secret. Admins and owners, or a key with `read`."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.READ, write=False) as (s, _):
        return _out(queries.get_subscription(s, org_id=org_id, webhook_id=webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookOut,
    summary="Update a webhook",
    responses=errors(
        (404, "webhook_not_found", "webhook not found"),
        (422, "webhook_url_not_allowed", "the URL must be https to a public host"),
    ),
)
def update_webhook(
    org_id: str, webhook_id: str, body: WebhookPatch, caller: Caller = Depends(get_caller)
) -> WebhookOut:
    """Admins and owners, or a key with `write`."""
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


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook",
    responses=errors((404, "webhook_not_found", "webhook not found")),
)
def delete_webhook(org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Gone, with its delivery log. Admins and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        commands.delete_subscription(
            s, org_id=org_id, webhook_id=webhook_id, actor=access.actor, now=now
        )


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecretOut,
    summary="Rotate a webhook's signing secret",
    responses=errors((404, "webhook_not_found", "webhook not found")),
)
def rotate_secret(
    org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)
) -> WebhookWithSecretOut:
    """A new signing secret, in this answer only; the old one signs too for 24 hours. Admins and
    owners, or a key with `write`."""
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


@router.post(
    "/{webhook_id}/test",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a webhook a test event",
    responses=errors(
        (404, "webhook_not_found", "webhook not found"),
        (409, "webhook_disabled", "the webhook is disabled; enable it first"),
    ),
)
def send_test(org_id: str, webhook_id: str, caller: Caller = Depends(get_caller)) -> DeliveryOut:
    """Queue a `webhook.test` event, sent within seconds; its delivery is in the log. Admins and
    owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        delivery = commands.send_test(
            s, org_id=org_id, webhook_id=webhook_id, actor=access.actor, now=now
        )
        return DeliveryOut.model_validate(delivery)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=PageOut[DeliveryOut],
    summary="List a webhook's deliveries",
    responses=errors(
        (404, "webhook_not_found", "webhook not found"),
        (422, "invalid_status", "status must be pending, sending, delivered, failed or gave_up"),
    ),
)
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
    """The delivery log, newest first: each attempt's status code or error. Admins and owners, or a
    key with `read`."""
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.READ, write=False) as (s, _):
        page = queries.deliveries_page(
            s, org_id=org_id, webhook_id=webhook_id, limit=limit, cursor=cursor, status=status
        )
        return page_of(page, DeliveryOut)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a delivery again",
    responses=errors(
        (404, "webhook_not_found", "webhook not found"),
        (404, "delivery_not_found", "delivery not found"),
        (409, "delivery_in_progress", "the delivery is still being tried"),
        (409, "webhook_disabled", "the webhook is disabled; enable it first"),
    ),
)
def redeliver(
    org_id: str, webhook_id: str, delivery_id: str, caller: Caller = Depends(get_caller)
) -> DeliveryOut:
    """Send a finished delivery's event again (same body and webhook-id), as a new delivery. Admins
    and owners, or a key with `write`."""
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
