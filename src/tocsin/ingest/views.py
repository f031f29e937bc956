"""The webhook receiver: `/v1/hooks/{endpoint_id}` for GET, POST, PUT and PATCH."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from tocsin.accounts.models import Scope
from tocsin.api.auth import authenticate_api_key, bearer_token, last_used_is_stale
from tocsin.api.deps import client_ip
from tocsin.api.schemas import ERROR_RESPONSES
from tocsin.endpoints.service import find_route
from tocsin.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge, Unauthorized
from tocsin.ingest import subscriptions
from tocsin.ingest.parse import parse_alert
from tocsin.ingest.service import IngestResult, Outcome, accept_alert
from tocsin.ingest.subscriptions import PendingConfirmation
from tocsin.ratelimit import Limits
from tocsin.runtime import Runtime
from tocsin.trust.audit import Actor
from tocsin.trust.enforcement import ingest_block

router = APIRouter(responses=ERROR_RESPONSES)


@dataclass(frozen=True)
class HookRequest:
    endpoint_id: str
    key: str | None
    body: bytes
    content_type: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]] | None
    ip_address: str | None


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


def _alert_key(request: Request) -> str | None:
    key = request.headers.get("x-alert-key")
    if key:
        return key.strip()
    return bearer_token(request.headers.get("authorization"))


async def receive_hook(endpoint_id: str, request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    body = await read_capped_body(request, runtime.settings.max_payload_bytes)
    content_type = request.headers.get("content-type", "")
    form = None
    if content_type.lower().startswith("multipart/form-data"):
        form = await _multipart_fields(request, body)
    hook = HookRequest(
        endpoint_id=endpoint_id,
        key=_alert_key(request),
        body=body,
        content_type=content_type,
        query=list(request.query_params.multi_items()),
        form=form,
        ip_address=client_ip(request),
    )
    limiter = runtime.rate_limiter
    if hook.ip_address is not None:
        limiter.check(Limits.INGEST_FAILURES, hook.ip_address, what="failed authentications")
    try:
        result = await runtime.database.off_loop(accept_hook, runtime, hook)
    except (Unauthorized, NotFound):
        # Guessing endpoint ids or keys from one address soon meets a 429.
        if hook.ip_address is not None:
            limiter.hit(Limits.INGEST_FAILURES, hook.ip_address)
        raise
    if result.confirmation is not None:
        result = await _confirm_subscription(runtime, result.confirmation)
    runtime.notify_new_jobs()
    return JSONResponse(
        {
            "alert_id": result.alert_id,
            "outcome": result.outcome.value,
            "calls_queued": result.calls_queued,
            "calls_cancelled": result.calls_cancelled,
        },
        status_code=202,
    )


async def _confirm_subscription(runtime: Runtime, pending: PendingConfirmation) -> IngestResult:
    """After the request's transaction: Amazon SNS's subscription confirmed (or refused)."""
    problem = await subscriptions.confirm_and_record(
        pending,
        database=runtime.database,
        now=runtime.clock.now(),
        transport=runtime.outbound_transport,
    )
    confirmed = problem is None
    outcome = Outcome.SUBSCRIPTION_CONFIRMED if confirmed else Outcome.SUBSCRIPTION_REFUSED
    return IngestResult(None, outcome, calls_queued=0)


for _method in ("POST", "PUT", "PATCH", "GET"):
    router.add_api_route(
        "/v1/hooks/{endpoint_id}",
        receive_hook,
        methods=[_method],
        status_code=202,
        tags=["ingest"],
        summary="Send an alert",
        operation_id=f"receive_hook_{_method.lower()}",
    )


def accept_hook(runtime: Runtime, hook: HookRequest) -> IngestResult:
    """Authenticate, parse and record in one write transaction: all of it, or none of it."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        endpoint = find_route(session, hook.endpoint_id)
        if endpoint is None:
            raise NotFound("no endpoint with this id", code="endpoint_not_found")
        actor = Actor("endpoint", endpoint.id, hook.ip_address)
        if hook.key is not None:
            key = authenticate_api_key(session, runtime, hook.key)
            if key.org_id != endpoint.org_id:
                raise Unauthorized("API key is not valid", code="invalid_key")
            if key.endpoint_id is not None and key.endpoint_id != endpoint.id:
                raise Forbidden("this key is for another endpoint", code="key_wrong_endpoint")
            if Scope.INGEST.value not in key.scopes:
                raise Forbidden("API key lacks the 'ingest' scope", code="insufficient_scope")
            if last_used_is_stale(key, now):
                key.last_used_at = now
            actor = Actor("api_key", key.id, hook.ip_address)
        elif endpoint.require_key:
            raise Unauthorized("this endpoint needs an X-Alert-Key header", code="missing_key")
        # After authentication, so a refusal tells nothing to someone without a key.
        block = ingest_block(session, org_id=endpoint.org_id, endpoint_id=endpoint.id, now=now)
        if block is not None:
            raise block.refusal()
        # Counted once the sender is known to be who it says, so nobody else can use up an
        # endpoint's budget; the transaction is rolled back when a limit is reached.
        if actor.type == "api_key" and actor.id is not None:
            runtime.rate_limiter.hit(Limits.INGEST_KEY, actor.id, what="alerts with this key")
        runtime.rate_limiter.hit(
            Limits.INGEST_ENDPOINT, endpoint.id, what="alerts to this endpoint"
        )
        parsed = parse_alert(
            body=hook.body, content_type=hook.content_type, query=hook.query, form=hook.form
        )
        return accept_alert(session, endpoint=endpoint, parsed=parsed, actor=actor, now=now)
