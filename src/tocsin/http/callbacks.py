"""Signed provider callbacks: `/v1/telephony/{provider}/...` moves call attempts.

Every route checks the provider's signature first, against `Settings.public_base_url` plus the
path and query the provider requested (providers sign the public URL they were given, not the
address a proxy forwards to). Unsigned, wrongly signed or stale callbacks get 403
`invalid_signature` and change nothing.

The credentials that check a callback come from `app.state.rest_providers` (a
`CallbackProviders`): `RestProviders` for server-wide credentials, or by default
`AccountCallbackProviders`, the organization's provider accounts.

A callback finds its attempt by the idempotency key in its URL (Twilio, Plivo, Vonage) or in the
signed client state (Telnyx), so it works even before the worker has stored the provider's call
id; when the attempt has one, the callback must name the same call. Events go through
`attempts.apply_event`, which ignores anything older than what the attempt has seen, and turns
keys into what they do (`delivery.keypad`); what the call says next is decided from the keys the
attempt recorded, by the same rule (`telephony.script.reply_to`).

A number-verification call (key `verify/<id>`) has no attempt: its callbacks are checked with the
organization's first account of their kind, answered with its text and a hang-up
(`delivery.verification_calls`), and record nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.errors import Forbidden, InvalidInput, NotFound
from tocsin.core.secretbox import SecretBox
from tocsin.numbers.verification_calls import spoken_text_for, verification_for
from tocsin.paging.attempts import apply_event
from tocsin.paging.bundles import all_closed
from tocsin.paging.models import AttemptStatus, CallAttempt
from tocsin.paging.settle import RetryPolicy
from tocsin.providers.choice import ProviderChoices
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallEvent, CallEventKind, ProviderError
from tocsin.telephony.rest import (
    CallbackProviders,
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
from tocsin.telephony.dialogue import GOODBYE, CallScript, event, keypress_events
from tocsin.telephony.rest.urls import CALLBACK_PREFIX

log = logging.getLogger(__name__)

router = APIRouter(prefix=CALLBACK_PREFIX, tags=["telephony"], include_in_schema=False)

XML = "application/xml"
_REST_TYPES = (TwilioProvider, PlivoProvider, TelnyxProvider, VonageProvider)


@dataclass(frozen=True)
class CallView:
    """What a callback's answer is made from."""

    script: CallScript
    # A finished attempt's call is over: a late webhook must not start talking to it again.
    finished: bool


def record_events(
    session: Session,
    *,
    provider: str,
    key: str,
    provider_call_id: str,
    events: Sequence[CallEvent],
    now: datetime,
    policy: RetryPolicy,
) -> CallView | None:
    """Apply a callback's events to its attempt; None when no attempt matches. Once the worker
    has recorded which provider and call took the attempt, the callback must name the same."""
    attempt = session.scalar(select(CallAttempt).where(CallAttempt.idempotency_key == key))
    if attempt is None:
        return None
    if attempt.provider_call_id and (
        attempt.provider != provider
        or (provider_call_id and provider_call_id != attempt.provider_call_id)
    ):
        return None
    for item in events:
        apply_event(session, attempt_id=attempt.id, event=item, now=now, policy=policy)
    return CallView(
        CallScript(
            attempt.spoken_text,
            keys=attempt.digits,
            offers_menu=True,
            closed=all_closed(session, attempt),
        ),
        finished=AttemptStatus(attempt.status).is_final,
    )


def view_of_call(
    session: Session,
    *,
    provider: str,
    key: str,
    provider_call_id: str,
    events: Sequence[CallEvent],
    now: datetime,
    policy: RetryPolicy,
    verification_box: SecretBox,
) -> CallView | None:
    """`record_events`, or for a verification call, which has nothing to record, its text to
    say once before hanging up; None when the callback matches neither."""
    view = record_events(
        session,
        provider=provider,
        key=key,
        provider_call_id=provider_call_id,
        events=events,
        now=now,
        policy=policy,
    )
    if view is not None or verification_for(session, key) is None:
        return view
    text = spoken_text_for(session, verification_box, key, now=now)
    # A code nobody may hear any more (confirmed or expired) is not said. Its call's status
    # callbacks still get a 2xx: the callee may well type the code in before hanging up.
    script = CallScript(text or GOODBYE, keys="", offers_menu=False)
    return CallView(script, finished=False)


class AccountCallbackProviders:
    """Callback credentials from the providers that may have placed the call: the one that took
    the attempt once the worker has recorded it, else the first of the callback's kind in the
    organization's chain (a callback can beat the worker's record of which provider took the
    call). A verification call has no attempt: the first of its kind in the chain that sent the
    code checks it (the platform's, for a public opt-out)."""

    def __init__(self, directory: ProviderChoices) -> None:
        self._directory = directory

    def provider_for(
        self, session: Session, kind: str, idempotency_key: str | None
    ) -> RestProvider | None:
        if idempotency_key is None:
            return None
        attempt = session.scalar(
            select(CallAttempt).where(CallAttempt.idempotency_key == idempotency_key)
        )
        # Once the worker has recorded the call, only the provider that placed it checks it.
        recorded: bool = False
        placed_by: tuple[str | None, str | None] = (None, None)
        if attempt is not None:
            chain = self._directory.choices_for(session, attempt.org_id)
            recorded = bool(attempt.provider_call_id)
            placed_by = attempt.placed_by
        else:
            verification = verification_for(session, idempotency_key)
            if verification is None:
                return None
            # A public opt-out's code goes through the platform's providers.
            chain = (
                self._directory.platform_chain()
                if verification.org_id is None
                else self._directory.choices_for(session, verification.org_id)
            )
        candidates = [
            choice
            for choice in chain.choices
            if choice.provider.name == kind and isinstance(choice.provider, _REST_TYPES)
        ]
        if recorded:
            candidates = [c for c in candidates if c.identity == placed_by]
        if not candidates:
            return None
        provider = candidates[0].provider
        assert isinstance(provider, _REST_TYPES)
        return provider


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

    def work() -> CallView | None:
        with runtime.database.write() as session:
            return view_of_call(
                session,
                provider=provider,
                key=key,
                provider_call_id=provider_call_id,
                events=events,
                now=runtime.clock.now(),
                policy=runtime.retry_policy,
                verification_box=runtime.verification_box,
            )

    view = await runtime.database.off_loop(work)
    if view is None:
        raise NotFound("no call attempt matches this callback", code="unknown_call")
    return view


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
