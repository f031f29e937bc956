"""The FastAPI application: routers, error handlers, and the in-process worker."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tocsin import __version__
from tocsin.core.logs import valid_request_id
from tocsin.http.api.accounts import router as accounts_router
from tocsin.http.api.alerts import router as alerts_router
from tocsin.http.api.billing import router as billing_router
from tocsin.http.api.calendars import feeds_router as calendar_feeds_router
from tocsin.http.api.calendars import public_router as calendar_public_router
from tocsin.http.api.calendars import tokens_router as calendar_tokens_router
from tocsin.http.api.caller_ids import router as caller_ids_router
from tocsin.http.api.cases import router as cases_router
from tocsin.http.api.consent import router as consent_router
from tocsin.http.api.documents import router as policies_router
from tocsin.http.api.endpoints import router as endpoints_router
from tocsin.http.api.enforcement import router as enforcement_router
from tocsin.http.api.heartbeat_pings import router as heartbeat_pings_router
from tocsin.http.api.heartbeats import router as heartbeats_router
from tocsin.http.api.hooks import plain_webhook_route
from tocsin.http.api.hooks import router as ingest_router
from tocsin.http.api.maintenance import router as maintenance_router
from tocsin.http.api.on_call import router as on_call_router
from tocsin.http.api.passwords import router as passwords_router
from tocsin.http.api.people import router as people_router
from tocsin.http.api.policies import router as escalations_router
from tocsin.http.api.projects import router as projects_router
from tocsin.http.api.providers import router as providers_router
from tocsin.http.api.public import router as public_router
from tocsin.http.api.rotations import router as rotations_router
from tocsin.http.api.route import PUBLIC
from tocsin.http.api.schedules import router as schedules_router
from tocsin.http.api.schemas.common import error_schemas, errors
from tocsin.http.api.screening import router as screening_router
from tocsin.http.api.trust import audit_router, security_router
from tocsin.http.api.trust import router as do_not_call_router
from tocsin.http.api.webhooks import router as webhooks_router
from tocsin.http.apidocs import install_api_docs
from tocsin.http.body_deadline import BodyDeadline
from tocsin.http.callbacks import router as telephony_callbacks_router
from tocsin.http.errors import install_error_handlers
from tocsin.http.metrics import router as metrics_router
from tocsin.http.routers import add_routes
from tocsin.http.web.pages import install_web
from tocsin.runtime import Runtime

DESCRIPTION = """Webhooks in, phone calls out, with the acceptable-use policy in code.

Every refusal is `{"error": {"code": ..., "message": ...}}` (sometimes with `details`), its
`code` stable for programs and its `message` fit to show. What each operation takes is in its
schema; what only the server can judge (whether a number may be called, a time zone exists, a
code is right) is refused with 422 and a code saying which. Throughout the API, a query
parameter is given once (`repeated_parameter`), and text, in the path, the query or a JSON
body, holds no NUL character or lone surrogate (`unstorable_text`).
"""


class TocsinApi(FastAPI):
    def openapi(self) -> dict[str, Any]:
        """FastAPI's description, with the error schema every refusal refers to
        (schemas/common.py, `ERROR_SCHEMA_REF`)."""
        document = super().openapi()
        schemas = document.setdefault("components", {}).get("schemas", {})
        if "ErrorOut" not in schemas:
            # In name order, as FastAPI lists the others.
            document["components"]["schemas"] = dict(sorted({**schemas, **error_schemas()}.items()))
        return document


def _example(value: dict[str, object]) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {"application/json": {"example": value}}}}


# A worker's loop turns every poll, or when a call ends while all its slots are busy (a call
# can ring 45 s and talk 120 s): five minutes without a turn is a stuck worker.
WORKER_SILENCE_SECONDS = 300.0


def create_app(
    runtime: Runtime, *, run_worker: bool = False, owns_process: bool = False
) -> FastAPI:
    """`owns_process`: the app is all its process serves (`tocsin serve`), so its shutdown
    ends the process's template workers too. uvicorn ends the process by raising the signal
    that stopped it again, so no exit handler runs; the workers would only see their input
    close. Apps built in tests are many in one process, which keeps its workers."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.warm_template_renderers()
        stop = asyncio.Event()
        task = None
        if run_worker:
            worker = runtime.build_worker()
            runtime.wake_workers.append(worker)
            task = asyncio.create_task(worker.run(stop))
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
                runtime.wake_workers.clear()
            if owns_process:
                await asyncio.to_thread(runtime.close_template_renderers)

    app = TocsinApi(
        title="Tocsin",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served from the package instead (http/apidocs.py).
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    # Read per request from app.state, which tests point at runtimes of their own.
    app.add_middleware(BodyDeadline, seconds=lambda: app.state.runtime.settings.body_read_seconds)
    # Outermost: every request, refused or not, has an id, in its log lines and in the answer's
    # X-Request-ID; a client's own id is kept when it is plain enough to log (core/logs.py).
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name="X-Request-ID",
        generator=lambda: uuid.uuid4().hex,
        validator=valid_request_id,
    )
    routers = (
        ingest_router,
        accounts_router,
        passwords_router,
        endpoints_router,
        escalations_router,
        alerts_router,
        do_not_call_router,
        consent_router,
        cases_router,
        public_router,
        screening_router,
        providers_router,
        caller_ids_router,
        billing_router,
        enforcement_router,
        policies_router,
        audit_router,
        security_router,
        people_router,
        projects_router,
        rotations_router,
        schedules_router,
        on_call_router,
        calendar_tokens_router,
        calendar_feeds_router,
        calendar_public_router,
        heartbeats_router,
        heartbeat_pings_router,
        maintenance_router,
        webhooks_router,
    )
    for router in (*routers, telephony_callbacks_router, metrics_router):
        add_routes(app, router)
    install_web(app)
    install_api_docs(app)
    app.router.routes.insert(0, plain_webhook_route())

    @app.get(
        "/healthz",
        tags=["health"],
        summary="The server answers, and its version",
        openapi_extra=PUBLIC,
        responses=_example({"status": "ok", "version": __version__}),
    )
    def healthz() -> dict[str, str]:
        """A constant 200 with the version; /readyz says whether alerts can be taken. Anyone."""
        return {"status": "ok", "version": __version__}

    @app.get(
        "/livez",
        tags=["health"],
        summary="The process answers (a liveness probe)",
        openapi_extra=PUBLIC,
        responses=_example({"status": "ok"}),
    )
    def livez() -> dict[str, str]:
        """200 while the process runs, whatever its database; for a restart policy. Anyone."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Whether this process can take alerts now (a readiness probe)",
        description="200 when the database answers, Redis does when rate limits live there, "
        "and this process's worker (if it runs one) looked for work in the last five minutes; "
        "503 `not_ready` naming what does not, so a load balancer sends webhooks elsewhere "
        "instead of into 500s. Anyone.",
        openapi_extra=PUBLIC,
        responses={
            **_example({"status": "ready", "checks": {"database": "ok", "rate_limits": "ok"}}),
            **errors(
                (503, "not_ready", "not ready: database unreachable"),
                description={503: "The database or Redis does not answer, or the worker stalled"},
            ),
        },
    )
    def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        checks = {
            "database": runtime.database.reachable(),
            "rate_limits": runtime.rate_limiter.storage_reachable(),
        }
        if runtime.wake_workers:
            # A worker in this process that has not looked for work for minutes is stuck.
            checks["worker"] = all(
                worker.seen_within(WORKER_SILENCE_SECONDS) for worker in runtime.wake_workers
            )
        said = {
            name: "ok" if fine else "stalled" if name == "worker" else "unreachable"
            for name, fine in checks.items()
        }
        if all(checks.values()):
            return JSONResponse({"status": "ready", "checks": said})
        failing = ", ".join(f"{name} {said[name]}" for name, fine in checks.items() if not fine)
        return JSONResponse(
            {
                "error": {"code": "not_ready", "message": f"not ready: {failing}"},
                "checks": said,
            },
            status_code=503,
        )

    return app
