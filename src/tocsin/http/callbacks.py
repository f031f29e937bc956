"""Signed provider callbacks: `/v1/telephony/{provider}/...` moves call attempts.

Every route checks the provider's signature first, against `Settings.public_base_url` plus the
path and query the provider requested (providers sign the public URL they were given, not the
address a proxy forwards to). Unsigned, wrongly signed or stale callbacks get 403
`invalid_signature` and change nothing.

The credentials that check a callback come from `app.state.rest_providers` (a
`CallbackProviders`): `RestProviders` for server-wide credentials, or by default
`paging.callback_providers.AccountCallbackProviders`, the organization's provider accounts.

A callback names its call by the idempotency key in its URL (Twilio, Plivo, Vonage) or in the
signed client state (Telnyx); what it does to the call is `paging.call_events.record_callback`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from tocsin.core.errors import Forbidden, InvalidInput, NotFound
from tocsin.paging.call_events import CallView, record_callback
from tocsin.paging.callback_providers import AccountCallbackProviders, CallbackProviders
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallEvent, CallEventKind, ProviderError
from tocsin.telephony.dialogue import event, keypress_events
from tocsin.telephony.rest import (
    PlivoProvider,
    RestProvider,
    TelnyxProvider,
    TwilioProvider,
    VonageProvider,
    plivo,
    telnyx,
    twilio,
    vonage,
)
from tocsin.telephony.rest.urls import CALLBACK_PREFIX

log = logging.getLogger(__name__)

router = APIRouter(prefix=CALLBACK_PREFIX, tags=["telephony"], include_in_schema=False)

XML = "application/xml"


# Helpers -----------------------------------------------------------------------------------


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _provider(request: Request, kind: str, key: str | None) -> RestProvider:
    """The provider that checks this callback; found before anything is verified, by reading
    only, so that an unsigned request changes nothing."""
    runtime = _runtime(request)
    providers: CallbackProviders | None = getattr(request.app.state, "rest_providers", None)
    if providers is None:
        # By default, the credentials of the organizations' provider accounts, through the
        # same directory (and cache of built providers) for every callback.
        providers = AccountCallbackProviders(runtime.provider_directory())
        request.app.state.rest_providers = providers

    def work() -> RestProvider | None:
        with runtime.database.read() as session:
            return providers.provider_for(session, kind, key)

    provider = await runtime.database.off_loop(work)
    if provider is None:
        raise NotFound(
            f"no {kind} provider is configured for this call", code="provider_not_configured"
        )
    return provider


def _public_url(request: Request) -> str:
    base = _runtime(request).settings.public_base_url.rstrip("/")
    query = request.url.query
    return f"{base}{request.url.path}{'?' + query if query else ''}"


def _refuse() -> Forbidden:
    return Forbidden("callback signature is missing, wrong or stale", code="invalid_signature")


async def _form(request: Request) -> list[tuple[str, str]]:
    body = await request.body()
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise InvalidInput("callback body is not valid JSON", code="malformed_body") from exc
    if not isinstance(parsed, dict):
        raise InvalidInput("callback body is not a JSON object", code="malformed_body")
    return parsed


async def _record(
    request: Request, provider: str, key: str, provider_call_id: str, events: Sequence[CallEvent]
) -> CallView:
    runtime = _runtime(request)

    def work() -> CallView:
        with runtime.database.write() as session:
            return record_callback(
                session,
                provider=provider,
                key=key,
                provider_call_id=provider_call_id,
                events=events,
                now=runtime.clock.now(),
                policy=runtime.retry_policy,
                verification_box=runtime.verification_box,
            )

    return await runtime.database.off_loop(work)


# Twilio ------------------------------------------------------------------------------------


async def _twilio_params(
    request: Request, key: str
) -> tuple[TwilioProvider, list[tuple[str, str]]]:
    provider = await _provider(request, twilio.NAME, key)
    params = await _form(request)
    if not isinstance(provider, TwilioProvider):
        raise _refuse()
    if not provider.verify(
        _public_url(request), params, request.headers.get(twilio.SIGNATURE_HEADER)
    ):
        raise _refuse()
    return provider, params


@router.post("/twilio/answer")
async def twilio_answer(request: Request, key: str = "") -> Response:
    provider, params = await _twilio_params(request, key)
    call_sid, _ = twilio.parse_callback(params)
    call = await _record(request, twilio.NAME, key, call_sid, [event(CallEventKind.ANSWERED)])
    return Response(provider.twiml(call.script.first_turn(), key), media_type=XML)


@router.post("/twilio/gather")
async def twilio_gather(
    request: Request, key: str = "", round_no: int = Query(0, alias="round")
) -> Response:
    provider, params = await _twilio_params(request, key)
    call_sid, digit = twilio.parse_gather(params)
    call = await _record(request, twilio.NAME, key, call_sid, keypress_events(digit, round_no))
    turn = call.script.next_turn(digit, round_no)
    return Response(provider.twiml(turn, key), media_type=XML)


@router.post("/twilio/status", status_code=204)
async def twilio_status(request: Request, key: str = "") -> Response:
    _, params = await _twilio_params(request, key)
    call_sid, events = twilio.parse_callback(params)
    await _record(request, twilio.NAME, key, call_sid, events)
    return Response(status_code=204)


# Plivo -------------------------------------------------------------------------------------


async def _plivo_params(request: Request, key: str) -> tuple[PlivoProvider, list[tuple[str, str]]]:
    provider = await _provider(request, plivo.NAME, key)
    params = await _form(request)
    if not isinstance(provider, PlivoProvider):
        raise _refuse()
    signed = provider.verify(
        _public_url(request),
        params,
        request.headers.get(plivo.SIGNATURE_HEADER),
        request.headers.get(plivo.NONCE_HEADER),
    )
    if not signed:
        raise _refuse()
    return provider, params


@router.post("/plivo/answer")
async def plivo_answer(request: Request, key: str = "") -> Response:
    provider, params = await _plivo_params(request, key)
    request_uuid, _ = plivo.parse_callback(params)
    call = await _record(request, plivo.NAME, key, request_uuid, [event(CallEventKind.ANSWERED)])
    return Response(provider.xml(call.script.first_turn(), key), media_type=XML)


@router.post("/plivo/gather")
async def plivo_gather(
    request: Request, key: str = "", round_no: int = Query(0, alias="round")
) -> Response:
    provider, params = await _plivo_params(request, key)
    request_uuid, digit = plivo.parse_gather(params)
    call = await _record(request, plivo.NAME, key, request_uuid, keypress_events(digit, round_no))
    return Response(provider.xml(call.script.next_turn(digit, round_no), key), media_type=XML)


@router.post("/plivo/status", status_code=204)
async def plivo_status(request: Request, key: str = "") -> Response:
    _, params = await _plivo_params(request, key)
    request_uuid, events = plivo.parse_callback(params)
    await _record(request, plivo.NAME, key, request_uuid, events)
    return Response(status_code=204)


# Telnyx ------------------------------------------------------------------------------------


@router.post("/telnyx/events", status_code=204)
async def telnyx_events(request: Request) -> Response:
    body = await request.body()
    # Read before it is verified only to learn which attempt (and so which credentials) it
    # names; a body that is not JSON is still refused as unsigned first.
    try:
        callback: telnyx.TelnyxCallback | None = telnyx.parse_callback(_json(body))
    except InvalidInput:
        callback = None
    key = callback.state.key if callback and callback.state else None
    provider = await _provider(request, telnyx.NAME, key)
    if not isinstance(provider, TelnyxProvider):
        raise _refuse()
    signed = provider.verify(
        signature=request.headers.get(telnyx.SIGNATURE_HEADER),
        timestamp=request.headers.get(telnyx.TIMESTAMP_HEADER),
        body=body,
        now=_runtime(request).clock.now(),
    )
    if not signed:
        raise _refuse()
    if callback is None:
        raise InvalidInput("callback body is not a JSON object", code="malformed_body")
    if callback.state is None:
        # Not a call Tocsin placed (or one placed without client state): nothing to move.
        return Response(status_code=204)
    call = await _record(
        request, telnyx.NAME, callback.state.key, callback.call_control_id, callback.events
    )
    if call.finished:
        return Response(status_code=204)
    try:
        await provider.respond(callback, call.script)
    except ProviderError as error:
        # The event is recorded; a failed command leaves the call to end on its own, and a
        # non-2xx here would only make Telnyx send the same webhook again.
        log.warning("Telnyx command after %s failed: %s", callback.event_type, error)
    return Response(status_code=204)


# Vonage ------------------------------------------------------------------------------------


async def _vonage_body(
    request: Request, key: str, token: str
) -> tuple[VonageProvider, dict[str, Any]]:
    provider = await _provider(request, vonage.NAME, key)
    body = await request.body()
    if not isinstance(provider, VonageProvider):
        raise _refuse()
    signed = provider.verify(
        authorization=request.headers.get("Authorization"),
        body=body,
        now=_runtime(request).clock.now(),
        key=key,
        token=token,
    )
    if not signed:
        raise _refuse()
    return provider, _json(body)


@router.post("/vonage/answer")
async def vonage_answer(request: Request, key: str = "", token: str = "") -> JSONResponse:
    provider, body = await _vonage_body(request, key, token)
    call_id = str(body.get("uuid", ""))
    call = await _record(request, vonage.NAME, key, call_id, [event(CallEventKind.ANSWERED)])
    return JSONResponse(provider.ncco(call.script.first_turn(), key))


@router.post("/vonage/input")
async def vonage_input(
    request: Request, key: str = "", token: str = "", round_no: int = Query(0, alias="round")
) -> JSONResponse:
    provider, body = await _vonage_body(request, key, token)
    call_id, digit = vonage.parse_input(body)
    call = await _record(request, vonage.NAME, key, call_id, keypress_events(digit, round_no))
    return JSONResponse(provider.ncco(call.script.next_turn(digit, round_no), key))


@router.post("/vonage/event", status_code=204)
async def vonage_event(request: Request, key: str = "", token: str = "") -> Response:
    _, body = await _vonage_body(request, key, token)
    call_id, events = vonage.parse_callback(body)
    await _record(request, vonage.NAME, key, call_id, events)
    return Response(status_code=204)
