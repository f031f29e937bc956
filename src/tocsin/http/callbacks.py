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

Texts sent to Tocsin's numbers (the simulator's too, in a signed format of its own) come the
same way to `/v1/telephony/{kind}/sms`, with
`?account=<provider account id>` when they arrived for an organization's own account: the
provider's `TextAdapter` (`telephony.inbound`) verifies and reads them with that account's
credentials (the platform's provider's without `account`), one command,
`trust.inbound_texts.receive_text`, acts on a keyword or a reply to an alert text, and the
answer it decides on is sent
after the commit, through the same account, from the number that received the text.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.contacts.verify import opt_out_url
from tocsin.core.errors import Forbidden, NotFound
from tocsin.paging.call_events import record_callback
from tocsin.paging.callback_providers import AccountCallbackProviders, CallbackProviders
from tocsin.runtime import Runtime
from tocsin.telephony.base import ProviderError
from tocsin.telephony.callbacks import (
    CallbackAdapter,
    CallbackEvent,
    CallbackReply,
    CallbackRequest,
    CallView,
)
from tocsin.telephony.inbound import ACCOUNT_PARAMETER, INBOUND_ROUTE, InboundText, TextAdapter
from tocsin.telephony.rest import CALLBACK_KINDS, TEXT_KINDS
from tocsin.telephony.rest.urls import CALLBACK_PREFIX
from tocsin.trust.inbound_texts import Received, note_reply, receive_text

log = logging.getLogger(__name__)

router = APIRouter(prefix=CALLBACK_PREFIX, tags=["telephony"], include_in_schema=False)


# Declared before the call callbacks' route, which would otherwise take `sms` for a hook.
@router.post("/{kind}/" + INBOUND_ROUTE)
async def inbound_text(kind: str, request: Request) -> Response:
    if kind not in TEXT_KINDS:
        raise NotFound(f"no telephony callback {kind}/{INBOUND_ROUTE}", code="not_found")
    received = await _received(request, INBOUND_ROUTE)
    account_id = received.query(ACCOUNT_PARAMETER) or None
    adapter = await _text_adapter(request, kind, account_id)
    if not adapter.verify(received):
        raise Forbidden("webhook signature is missing, wrong or stale", code="invalid_signature")
    text = adapter.parse(received)
    if text is not None:
        outcome = await _receive(request, kind, account_id, text)
        await _answer(request, adapter, text, outcome)
    return _response(adapter.acknowledgement)


@router.post("/{kind}/{hook}")
async def provider_callback(kind: str, hook: str, request: Request) -> Response:
    callbacks = CALLBACK_KINDS.get(kind)
    if callbacks is None or hook not in callbacks.routes:
        raise NotFound(f"no telephony callback {kind}/{hook}", code="not_found")
    received = await _received(request, hook)
    adapter = await _adapter(request, kind, callbacks.reference(received))
    if not adapter.verify(received):
        raise Forbidden("callback signature is missing, wrong or stale", code="invalid_signature")
    event = adapter.parse(received)
    return _response(await adapter.reply(event, await _record(request, kind, event)))


async def _received(request: Request, route: str) -> CallbackRequest:
    return CallbackRequest(
        route=route,
        url=_public_url(request),
        headers=request.headers,
        body=await request.body(),
        received_at=_runtime(request).clock.now(),
    )


def _response(reply: CallbackReply) -> Response:
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


async def _text_adapter(request: Request, kind: str, account_id: str | None) -> TextAdapter:
    runtime = _runtime(request)
    providers = _callback_providers(request)

    def work() -> TextAdapter | None:
        with runtime.database.read() as session:
            return providers.text_adapter_for(session, kind, account_id)

    adapter = await runtime.database.off_loop(work)
    if adapter is None:
        raise NotFound(
            f"no {kind} provider is configured to receive texts here",
            code="provider_not_configured",
        )
    return adapter


async def _receive(
    request: Request, kind: str, account_id: str | None, text: InboundText
) -> Received:
    runtime = _runtime(request)

    def work() -> Received:
        with runtime.database.write() as session:
            return receive_text(
                session,
                provider=kind,
                account_id=account_id,
                text=text,
                opt_out_url=opt_out_url(runtime),
                now=runtime.clock.now(),
            )

    return await runtime.database.off_loop(work)


async def _answer(
    request: Request, adapter: TextAdapter, text: InboundText, outcome: Received
) -> None:
    """Send the one answer the keyword is due, and record what became of it. A failure is
    recorded, not raised: a non-2xx would only make the provider deliver the text again, and
    the text has been acted on."""
    if outcome.evidence_id is None or outcome.reply is None:
        return
    evidence_id = outcome.evidence_id
    reference: str | None = None
    error: str | None = None
    try:
        reference = await adapter.reply(text, outcome.reply)
    except ProviderError as failure:
        log.warning("the answer to text %s was not sent: %s", text.message_id, failure)
        error = failure.user_message
    runtime = _runtime(request)

    def work() -> None:
        with runtime.database.write() as session:
            note_reply(session, evidence_id=evidence_id, reference=reference, error=error)

    await runtime.database.off_loop(work)
