"""Signed provider callbacks: one route, `/v1/telephony/{kind}/{hook}`, for every provider.

The route finds the provider's adapter (`telephony.callbacks.CallbackAdapter`), which verifies
the request, reads it into a normalised event and renders the reply the provider expects; what
the event does to its call is one command, `paging.call_events.record_callback`. The routes are
the URLs Tocsin gives providers, kept as they always were: `twilio/{answer,gather,status}`,
`plivo/{answer,gather,status}`, `telnyx/events` and `vonage/{answer,input,event}`.

The adapter, with the credentials that check the callback, comes from `app.state.rest_providers`
(a `CallbackProviders`): `RestProviders` for server-wide credentials, or by default
`AccountCallbackProviders`, the organizations' provider accounts. It is found from the call key
the request names before anything is verified, by reading only, so an unsigned request changes
nothing. Signatures cover `Settings.public_base_url` plus the path and query the provider
requested (providers sign the public URL they were given, not the address a proxy forwards to).
Unsigned, wrongly signed or stale callbacks get 403 `invalid_signature`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.core.errors import Forbidden, NotFound
from tocsin.paging.call_events import record_callback
from tocsin.paging.callback_providers import AccountCallbackProviders, CallbackProviders
from tocsin.runtime import Runtime
from tocsin.telephony.callbacks import CallbackAdapter, CallbackEvent, CallbackRequest, CallView
from tocsin.telephony.rest import CALLBACK_KINDS
from tocsin.telephony.rest.urls import CALLBACK_PREFIX

router = APIRouter(prefix=CALLBACK_PREFIX, tags=["telephony"], include_in_schema=False)


@router.post("/{kind}/{hook}")
async def provider_callback(kind: str, hook: str, request: Request) -> Response:
    callbacks = CALLBACK_KINDS.get(kind)
    if callbacks is None or hook not in callbacks.routes:
        raise NotFound(f"no telephony callback {kind}/{hook}", code="not_found")
    received = CallbackRequest(
        route=hook,
        url=_public_url(request),
        headers=request.headers,
        body=await request.body(),
        received_at=_runtime(request).clock.now(),
    )
    adapter = await _adapter(request, kind, callbacks.reference(received))
    if not adapter.verify(received):
        raise Forbidden("callback signature is missing, wrong or stale", code="invalid_signature")
    event = adapter.parse(received)
    reply = await adapter.reply(event, await _record(request, kind, event))
    return Response(reply.body, status_code=reply.status_code, media_type=reply.media_type)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _public_url(request: Request) -> str:
    base = _runtime(request).settings.public_base_url.rstrip("/")
    query = request.url.query
    return f"{base}{request.url.path}{'?' + query if query else ''}"


def _callback_providers(request: Request) -> CallbackProviders:
    providers: CallbackProviders | None = getattr(request.app.state, "rest_providers", None)
    if providers is None:
        # By default, the credentials of the organizations' provider accounts, through the
        # same directory (and cache of built providers) for every callback.
        providers = AccountCallbackProviders(_runtime(request).provider_directory())
        request.app.state.rest_providers = providers
    return providers


async def _adapter(request: Request, kind: str, key: str | None) -> CallbackAdapter:
    runtime = _runtime(request)
    providers = _callback_providers(request)

    def work() -> CallbackAdapter | None:
        with runtime.database.read() as session:
            return providers.adapter_for(session, kind, key)

    adapter = await runtime.database.off_loop(work)
    if adapter is None:
        raise NotFound(
            f"no {kind} provider is configured for this call", code="provider_not_configured"
        )
    return adapter


async def _record(request: Request, kind: str, event: CallbackEvent) -> CallView | None:
    runtime = _runtime(request)

    def work() -> CallView | None:
        with runtime.database.write() as session:
            return record_callback(
                session,
                provider=kind,
                event=event,
                now=runtime.clock.now(),
                policy=runtime.retry_policy,
                verification_box=runtime.verification_box,
            )

    return await runtime.database.off_loop(work)
