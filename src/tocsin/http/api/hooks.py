"""The webhook receiver: `/v1/hooks/{endpoint_id}` for GET, POST, PUT and PATCH."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.routing import Route

from tocsin.accounts import service as accounts
from tocsin.accounts.models import ApiKey, Scope
from tocsin.core import metrics
from tocsin.core.actors import Actor
from tocsin.core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    TocsinError,
    Unauthorized,
)
from tocsin.core.ratelimit import Limits
from tocsin.db.session import Session
from tocsin.endpoints.queries import EndpointRoute, find_route
from tocsin.http.api.auth import (
    authenticate_api_key,
    basic_credentials_secret,
    bearer_token,
    last_used_is_stale,
)
from tocsin.http.api.deps import WEBHOOK_SECURITY, client_ip
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.alerts import ALERT_BODY, ALERT_FIELDS, HookAcceptedOut
from tocsin.http.api.schemas.common import errors
from tocsin.intake import subscriptions
from tocsin.intake.accept import IngestResult, Outcome
from tocsin.intake.receive import receive_alert
from tocsin.intake.refusals import Refusal, RefusedAfterAuthentication, record_refusal
from tocsin.intake.subscriptions import PendingConfirmation
from tocsin.runtime import Runtime

log = logging.getLogger(__name__)

router = APIRouter(route_class=ApiRoute)


@dataclass(frozen=True)
class HookRequest:
    endpoint_id: str
    key: str | None
    body: bytes
    content_type: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]] | None
    ip_address: str | None
    # The HTTP request's id (X-Request-ID), kept with the alert and its calls.
    request_id: str | None = None


async def read_capped_body(request: Request, limit: int) -> bytes:
    """The body, refusing anything over `limit` bytes without reading past it."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"payload is over the {limit // 1024} KiB limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"payload is over the {limit // 1024} KiB limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _multipart_fields(request: Request, body: bytes) -> list[tuple[str, str]]:
    # Starlette parses forms from the cached body; files are not alerts, so they are ignored.
    request._body = body
    try:
        form = await request.form()
    except Exception as exc:  # python-multipart raises several types for a broken body
        raise InvalidInput("multipart body could not be parsed", code="malformed_body") from exc
    return [
        (name, value) for name, value in form.multi_items() if not isinstance(value, UploadFile)
    ]


# The webhook takes a key in Basic credentials too (the password, or the user name alone).
WEBHOOK_CHALLENGE = 'Bearer realm="tocsin", Basic realm="tocsin"'


def _alert_key(request: Request) -> str | None:
    key = request.headers.get("x-alert-key")
    if key:
        return key.strip()
    authorization = request.headers.get("authorization")
    secret = basic_credentials_secret(authorization) if authorization else None
    return secret if secret is not None else bearer_token(authorization)


async def receive_hook(endpoint_id: str, request: Request) -> JSONResponse:
    # Every webhook's answer passes here once, after its transaction: where it is counted.
    try:
        result = await _receive(endpoint_id, request)
    except Unauthorized as error:
        # Every 401 of the webhook, whatever refused the key, names both schemes it takes.
        error.challenge = WEBHOOK_CHALLENGE
        metrics.WEBHOOKS_REFUSED.labels(code=error.code).inc()
        raise
    except TocsinError as error:
        metrics.WEBHOOKS_REFUSED.labels(code=error.code).inc()
        raise
    metrics.WEBHOOKS_RECEIVED.labels(
        outcome=result.outcome.value, sender=result.sender or "none"
    ).inc()
    answer = HookAcceptedOut(
        alert_id=result.alert_id,
        outcome=result.outcome,
        calls_queued=result.calls_queued,
        calls_cancelled=result.calls_cancelled,
        message=result.message,
    )
    # `message` is there only when it says something (alert_id may be null, and stays).
    body = answer.model_dump(mode="json", exclude={"message"} if result.message is None else None)
    return JSONResponse(body, status_code=202)


async def _receive(endpoint_id: str, request: Request) -> IngestResult:
    runtime: Runtime = request.app.state.runtime
    key, ip_address = _alert_key(request), client_ip(request)
    content_type = request.headers.get("content-type", "")
    try:
        body = await read_capped_body(request, runtime.settings.max_payload_bytes)
        form = None
        if content_type.lower().startswith("multipart/form-data"):
            form = await _multipart_fields(request, body)
    except TocsinError as error:
        # Refused before it could be read (too big, a broken form): still told to the owners
        # when the key is good, since the sender will not send it again.
        await runtime.database.off_loop(
            _note_unread_refusal, runtime, endpoint_id, key, ip_address, error
        )
        raise
    hook = HookRequest(
        endpoint_id=endpoint_id,
        key=key,
        body=body,
        content_type=content_type,
        query=list(request.query_params.multi_items()),
        form=form,
        ip_address=ip_address,
        request_id=correlation_id.get(),
    )
    try:
        result = await runtime.database.write_together(
            functools.partial(accept_hook_in, runtime=runtime, hook=hook)
        )
    except (Unauthorized, NotFound) as error:
        # Guessing endpoint ids or keys from one address soon meets a 429; a good key from the
        # same address (everyone, behind a load balancer) never does. A request with no key
        # guesses nothing: it is how a sender that answers challenges (SNS) always begins.
        if ip_address is not None and error.code != "missing_key":
            runtime.rate_limiter.hit(
                Limits.INGEST_FAILURES, ip_address, what="failed authentications"
            )
        raise
    except RefusedAfterAuthentication as refused:
        await runtime.database.off_loop(_record, runtime, refused.refusal)
        raise refused.refusal.error from None
    if result.confirmation is not None:
        outcome = await _confirm_subscription(runtime, result.confirmation)
        result = IngestResult(None, outcome, calls_queued=0, sender=result.sender)
    runtime.notify_new_jobs()
    return result


def _record(runtime: Runtime, refusal: Refusal) -> None:
    now = runtime.clock.now()
    count = runtime.refusals.due(refusal.endpoint_id, refusal.error.code, now)
    if not count:
        return
    try:
        with runtime.database.write() as session:
            record_refusal(session, refusal, count=count, now=now)
    except Exception:
        # The sender still gets its error; a database too sick to record it shows elsewhere.
        log.exception("could not record a refused alert for endpoint %s", refusal.endpoint_id)


def _note_unread_refusal(
    runtime: Runtime, endpoint_id: str, key: str | None, ip_address: str | None, error: TocsinError
) -> None:
    """Record a refusal of a body that was never read, if the key proves who sent it."""
    try:
        with runtime.database.read() as session:
            endpoint, actor, _ = _authenticated(
                session, runtime, endpoint_id, key, ip_address, runtime.clock.now()
            )
    except TocsinError:
        return
    _record(runtime, Refusal(endpoint.org_id, endpoint.id, actor, error))


async def _confirm_subscription(runtime: Runtime, pending: PendingConfirmation) -> Outcome:
    """After the request's transaction: Amazon SNS's subscription confirmed (or refused)."""
    problem = await subscriptions.confirm_and_record(
        pending,
        database=runtime.database,
        now=runtime.clock.now(),
        transport=runtime.outbound_transport,
    )
    return Outcome.SUBSCRIPTION_CONFIRMED if problem is None else Outcome.SUBSCRIPTION_REFUSED


HOOK_DESCRIPTION = """Turn a monitoring tool's webhook into an alert, and the alert into phone
calls by the endpoint's routing. Any sender may call it with an API key of the endpoint's
organization that has the `ingest` scope (and, if the key is bound to an endpoint, this one),
in `X-Alert-Key`, as a Bearer token or as Basic credentials; an endpoint made with
`require_key: false` takes requests without one.

The body is read as its sender words it (JSON, a form or text, up to the payload limit, 64 KiB
by default), and the query's parameters are fields too: a GET carries the alert in its query.
Repeats with the same dedup key while the alert is open are `deduplicated`; `status: resolved`
(or a known sender's own word for it) resolves the alert and cancels its pending calls.
Answered 202 once the alert and its calls are stored. A refusal after the key was accepted is
also shown to the organization's owners, since the sender will not send it again."""

HOOK_ERRORS = errors(
    (401, "missing_key", "this endpoint needs an X-Alert-Key header"),
    (401, "invalid_key", "API key is not valid"),
    (403, "insufficient_scope", "API key lacks the 'ingest' scope"),
    (403, "key_wrong_endpoint", "this key is for another endpoint"),
    (403, "org_suspended", "this organization is suspended until 2025-02-01 00:00 UTC: spam"),
    (404, "endpoint_not_found", "no endpoint with this id"),
    413,
    (422, "empty_alert", "the alert is empty: send a JSON, form or text body, or query parameters"),
    (422, "invalid_dedup_key", "dedup_key must be at most 200 characters"),
    (429, "rate_limited", "too many new alerts to this endpoint; try again in 42 seconds"),
    description={
        429: "Too many new alerts for the key or the endpoint, or too many failed "
        "authentications from the address: try again after Retry-After seconds",
    },
)

WEBHOOK_PATH = "/v1/hooks/{endpoint_id}"
WEBHOOK_METHODS = ("POST", "PUT", "PATCH", "GET")


async def _receive_plain(request: Request) -> JSONResponse:
    return await receive_hook(request.path_params["endpoint_id"], request)


def plain_webhook_route() -> Route:
    """The webhook as a plain Starlette route, put first in the application's routes so it
    answers every webhook. The webhook reads its key, body and parameters itself and declares
    no dependency, so FastAPI's per-request work (solving dependencies, a thread pool hop for
    the security schemes) was a tenth of each webhook's CPU for nothing (issue 21). The routes
    below stay, for the API's description only."""
    route = Route(WEBHOOK_PATH, _receive_plain, methods=list(WEBHOOK_METHODS))
    # Starlette answers HEAD for a GET route; an alert is not made without being asked for.
    route.methods = set(WEBHOOK_METHODS)
    return route


for _method in WEBHOOK_METHODS:
    router.add_api_route(
        WEBHOOK_PATH,
        receive_hook,
        methods=[_method],
        status_code=202,
        response_model=HookAcceptedOut,
        responses=HOOK_ERRORS,
        dependencies=WEBHOOK_SECURITY,
        tags=["ingest"],
        summary="Send an alert",
        description=HOOK_DESCRIPTION,
        operation_id=f"receive_hook_{_method.lower()}",
        openapi_extra={
            "parameters": [ALERT_FIELDS],
            **({"requestBody": ALERT_BODY} if _method != "GET" else {}),
        },
    )


def _authenticated(
    session: Session,
    runtime: Runtime,
    endpoint_id: str,
    key_text: str | None,
    ip_address: str | None,
    now: datetime,
) -> tuple[EndpointRoute, Actor, ApiKey | None]:
    """The endpoint and who is sending to it: a key of its organization, or nobody for an
    endpoint that needs no key. Unauthorized or NotFound for anyone else."""
    endpoint = find_route(session, endpoint_id)
    if endpoint is None:
        raise NotFound("no endpoint with this id", code="endpoint_not_found")
    if key_text is None:
        if endpoint.require_key:
            raise Unauthorized("this endpoint needs an X-Alert-Key header", code="missing_key")
        return endpoint, Actor("endpoint", endpoint.id, ip_address), None
    key = authenticate_api_key(session, runtime, key_text)
    if key.org_id != endpoint.org_id:
        raise Unauthorized("API key is not valid", code="invalid_key")
    return endpoint, Actor("api_key", key.id, ip_address), key


def accept_hook_in(session: Session, *, runtime: Runtime, hook: HookRequest) -> IngestResult:
    """Authenticate, parse and record in the caller's write transaction: all of it, or none of
    it. A refusal after the sender proved who it is comes out as RefusedAfterAuthentication."""
    now = runtime.clock.now()
    endpoint, actor, key = _authenticated(
        session, runtime, hook.endpoint_id, hook.key, hook.ip_address, now
    )
    try:
        if key is not None:
            if key.endpoint_id is not None and key.endpoint_id != endpoint.id:
                raise Forbidden("this key is for another endpoint", code="key_wrong_endpoint")
            if Scope.INGEST.value not in key.scopes:
                raise Forbidden("API key lacks the 'ingest' scope", code="insufficient_scope")
            if last_used_is_stale(key, now):
                accounts.note_api_key_used(session, key_id=key.id, now=now)
        return receive_alert(
            session,
            endpoint=endpoint,
            body=hook.body,
            content_type=hook.content_type,
            query=hook.query,
            form=hook.form,
            actor=actor,
            key_id=key.id if key is not None else None,
            now=now,
            limiter=runtime.rate_limiter,
            paging=runtime.paging,
            request_id=hook.request_id,
        )
    except TocsinError as error:
        refusal = Refusal(endpoint.org_id, endpoint.id, actor, error)
        raise RefusedAfterAuthentication(refusal) from error
