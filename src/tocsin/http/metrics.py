"""`GET /metrics`, in Prometheus's text format: on the API's port for `tocsin serve`, and on a
port of its own for `tocsin worker --metrics-port` (which serves no API).

Open by default, as Prometheus's own exporters are: no label carries an organization, endpoint
or number. With TOCSIN_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`
(Prometheus's `authorization` scrape option), and anything else is answered 401.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client.exposition import ThreadingWSGIServer

from tocsin.core import metrics
from tocsin.engine.gauges import QueueGauges, WorkerGauges
from tocsin.http.api.route import PUBLIC
from tocsin.runtime import Runtime

log = logging.getLogger(__name__)

router = APIRouter()

REFUSAL = json.dumps(
    {"error": {"code": "invalid_token", "message": "these metrics need the metrics token"}}
)


def scrape(runtime: Runtime, accept: str | None = None) -> tuple[bytes, str]:
    """What a scrape of this process reads, and its content type: its counters, the queue,
    its workers."""
    return metrics.exposition(
        accept,
        QueueGauges(runtime.database, runtime.clock),
        WorkerGauges(lambda: runtime.wake_workers, runtime.clock),
    )


def allowed(authorization: str | None, token: str | None) -> bool:
    """Whether a scrape with this Authorization header may read the metrics."""
    if token is None:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _token(runtime: Runtime) -> str | None:
    secret = runtime.settings.metrics_token
    return secret.get_secret_value() if secret is not None else None


@router.get(
    "/metrics",
    tags=["health"],
    response_class=PlainTextResponse,
    summary="This process's metrics, for Prometheus",
    description="Prometheus text format: webhooks, refusals, calls, provider errors, "
    "escalations exhausted, throttle holds, webhook-to-dial latency, the job queue and this "
    "process's worker heartbeat (docs/deployment.md, Metrics). With TOCSIN_METRICS_TOKEN set, "
    "send it as a bearer token.",
    # Open unless TOCSIN_METRICS_TOKEN is set: that token is the server's, not an API key.
    openapi_extra=PUBLIC,
    responses={
        200: {
            "content": {
                "text/plain": {
                    "example": "# TYPE tocsin_webhooks_received_total counter\n"
                    'tocsin_webhooks_received_total{outcome="created",sender="generic"} 3.0\n'
                }
            },
            "description": "The metrics",
        },
        # Spelled out: a `model` would be filed under this route's text/plain.
        401: {
            "description": "TOCSIN_METRICS_TOKEN is set and was not given",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorOut"},
                    "examples": {"invalid_token": {"value": json.loads(REFUSAL)}},
                }
            },
        },
    },
)
async def read_metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    if not allowed(request.headers.get("authorization"), _token(runtime)):
        return JSONResponse(
            json.loads(REFUSAL), status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    # The queue's gauges read the database: off the event loop, and off SQLite's writer
    # thread (Database.off_loop), where webhooks queue.
    body, content_type = await asyncio.to_thread(scrape, runtime, request.headers.get("accept"))
    return Response(body, headers={"Content-Type": content_type})


class _Quiet(WSGIRequestHandler):
    """Scrapes are not worth a log line each."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def metrics_wsgi(
    read: Callable[[str | None], tuple[bytes, str]], token: str | None
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """A WSGI application that answers GET /metrics with `read(accept)`, 404 elsewhere."""

    def application(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if not allowed(environ.get("HTTP_AUTHORIZATION"), token):
            start(
                "401 Unauthorized",
                [("Content-Type", "application/json"), ("WWW-Authenticate", "Bearer")],
            )
            return [REFUSAL.encode()]
        try:
            body, content_type = read(environ.get("HTTP_ACCEPT"))
        except Exception:
            log.exception("metrics could not be read")
            start("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"metrics could not be read\n"]
        start("200 OK", [("Content-Type", content_type)])
        return [body]

    return application


def serve_metrics(runtime: Runtime, *, host: str, port: int) -> WSGIServer:
    """Serve GET /metrics on host:port from a thread of its own, for `tocsin worker`; the
    server's `shutdown()` stops it. Port 0 picks a free port (`server.server_port`)."""
    application = metrics_wsgi(lambda accept: scrape(runtime, accept), _token(runtime))
    server = make_server(
        host, port, application, server_class=ThreadingWSGIServer, handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    log.info("metrics served at http://%s:%d/metrics", host, server.server_port)
    return server
