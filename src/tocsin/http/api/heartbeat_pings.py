"""The ping routes of heartbeat monitors: GET, HEAD or POST `/v1/heartbeats/{id}` (a good ping),
`/start` and `/fail`, with the monitor's key in `X-Alert-Key` or, for tools that cannot set a
header (a cron line's curl, a router's ping), in `?key=`.

An unknown id, a wrong key and a deleted monitor get one answer (404 `heartbeat_not_found`), and
guessing either from one address soon meets the webhook's 429 for failed authentications.
"""

from __future__ import annotations

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from tocsin.core.errors import NotFound, Unauthorized
from tocsin.core.ratelimit import Limits
from tocsin.heartbeats.models import PingKind
from tocsin.heartbeats.pings import Ping, PingResult, receive_ping
from tocsin.http.api.deps import HEARTBEAT_SECURITY, client_ip
from tocsin.http.api.hooks import read_capped_body
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import errors
from tocsin.http.api.schemas.heartbeats import PingReceivedOut
from tocsin.runtime import Runtime

router = APIRouter(route_class=ApiRoute)

KEY_QUERY = Query(
    default=None,
    max_length=100,
    description="The ping key, for tools that cannot send the X-Alert-Key header",
)
KEY_HEADER = Header(default=None, alias="X-Alert-Key", max_length=100, description="The ping key")


async def _ping(
    request: Request, heartbeat_id: str, kind: PingKind, header: str | None, query: str | None
) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    key = (header or query or "").strip()
    if not key:
        raise Unauthorized(
            "send the heartbeat's key in the X-Alert-Key header or as ?key=", code="missing_key"
        )
    ip_address = client_ip(request)
    body = b""
    if request.method == "POST":
        body = await read_capped_body(request, runtime.settings.max_payload_bytes)
    ping = Ping(
        kind=kind,
        method=request.method,
        client_address=ip_address,
        user_agent=request.headers.get("user-agent", ""),
        body=body,
    )
    try:
        result = await runtime.database.off_loop(_receive, runtime, heartbeat_id, key, ping)
    except NotFound:
        if ip_address is not None:
            runtime.rate_limiter.hit(
                Limits.INGEST_FAILURES, ip_address, what="failed authentications"
            )
        raise
    if result.alert_id is not None:
        runtime.notify_new_jobs()
    answer = PingReceivedOut(
        heartbeat_id=result.heartbeat_id,
        kind=result.kind.value,
        state=result.state,
        next_due_at=result.next_due_at,
    )
    return JSONResponse(answer.model_dump(mode="json"))


def _receive(runtime: Runtime, heartbeat_id: str, key: str, ping: Ping) -> PingResult:
    with runtime.database.write() as session:
        return receive_ping(
            session,
            heartbeat_id=heartbeat_id,
            key=key,
            ping=ping,
            digest_key=runtime.heartbeat_key_digest_key,
            now=runtime.clock.now(),
            limiter=runtime.rate_limiter,
            paging=runtime.paging,
        )


async def ping_success(
    request: Request,
    heartbeat_id: str,
    key: str | None = KEY_QUERY,
    x_alert_key: str | None = KEY_HEADER,
) -> JSONResponse:
    return await _ping(request, heartbeat_id, PingKind.SUCCESS, x_alert_key, key)


async def ping_start(
    request: Request,
    heartbeat_id: str,
    key: str | None = KEY_QUERY,
    x_alert_key: str | None = KEY_HEADER,
) -> JSONResponse:
    return await _ping(request, heartbeat_id, PingKind.START, x_alert_key, key)


async def ping_fail(
    request: Request,
    heartbeat_id: str,
    key: str | None = KEY_QUERY,
    x_alert_key: str | None = KEY_HEADER,
) -> JSONResponse:
    return await _ping(request, heartbeat_id, PingKind.FAIL, x_alert_key, key)


_PINGS = (
    (
        "",
        ping_success,
        "Ping a heartbeat: the job ran",
        "success",
        "The monitored job ran: the heartbeat is next due an interval (or its cron's next run) "
        "from now, and an alert it had open for lateness or failure is resolved.",
    ),
    (
        "/start",
        ping_start,
        "Say a heartbeat's job started",
        "start",
        "The job began: the ping log shows how long it runs until its success or fail ping. "
        "Whether it is due does not change.",
    ),
    (
        "/fail",
        ping_fail,
        "Say a heartbeat's job failed: its alert opens at once",
        "fail",
        "The job failed: the heartbeat's alert opens now, without waiting for it to be late, "
        "and pages through its endpoint.",
    ),
)
_WHO = (
    "\n\nCalled by the monitored job (a cron line's curl, a script) with the heartbeat's own "
    "key, in `X-Alert-Key` or `?key=`; no API key or sign-in. HEAD is taken as GET is."
)
_ERRORS = errors(
    (401, "missing_key", "send the heartbeat's key in the X-Alert-Key header or as ?key="),
    (403, "org_suspended", "this organization is suspended until 2025-02-01 00:00 UTC: spam"),
    (404, "heartbeat_not_found", "no heartbeat with this id and key"),
    413,
    (429, "rate_limited", "too many pings to this heartbeat; try again in 20 seconds"),
    description={
        403: "The heartbeat's organization or endpoint is suspended",
        404: "No heartbeat with this id and key: an unknown id, a wrong key and a deleted "
        "heartbeat get this one answer",
        429: "Too many pings to this heartbeat, or too many failed ones from the address",
    },
)
_BODY = {
    "required": False,
    "description": "Anything, such as the job's output: the first KiB is kept in the ping log",
    "content": {"*/*": {"schema": {}, "example": "backup done: 42 GB in 18 min"}},
}

for _suffix, _handler, _summary, _name, _description in _PINGS:
    for _method in ("GET", "POST"):
        router.add_api_route(
            f"/v1/heartbeats/{{heartbeat_id}}{_suffix}",
            _handler,
            methods=[_method],
            response_model=PingReceivedOut,
            tags=["heartbeats"],
            summary=_summary,
            description=_description + _WHO,
            responses=_ERRORS,
            dependencies=HEARTBEAT_SECURITY,
            operation_id=f"ping_heartbeat_{_name}_{_method.lower()}",
            openapi_extra={"requestBody": _BODY} if _method == "POST" else None,
        )
    # Described by the GET: a HEAD answer is the GET's without its body.
    router.add_api_route(
        f"/v1/heartbeats/{{heartbeat_id}}{_suffix}",
        _handler,
        methods=["HEAD"],
        include_in_schema=False,
    )
