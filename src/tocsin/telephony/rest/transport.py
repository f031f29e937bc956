"""HTTP to a provider's API, with failures sorted by whether a call may have been placed.

A request refused with a 4xx certainly placed no call, so dialling again is safe. A 5xx, or a
request that reached the provider and then timed out or lost its connection, may have placed
one, so the attempt must not be dialled again. A connection that was never made placed nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from tocsin.telephony.base import CallEvent, CallEventKind, ProviderError
from tocsin.telephony.dialogue import event

DEFAULT_TIMEOUT_SECONDS = 10.0
_DETAIL_LIMIT = 200


def _detail(response: httpx.Response, extract: Callable[[Any], str | None]) -> str:
    try:
        found = extract(response.json())
    except (ValueError, LookupError, TypeError, AttributeError):
        found = None
    return (found or response.reason_phrase or "no detail")[:_DETAIL_LIMIT]


async def send(
    label: str,
    request: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    *,
    timeout_seconds: float,
    extract_error: Callable[[Any], str | None],
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.Response:
    """Run one request against `label`'s API, raising ProviderError for anything but a 2xx."""
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds, transport=transport) as client:
            response = await request(client)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise ProviderError(
            f"{label}: could not connect: {error!r}",
            retry_safe=True,
            code="unreachable",
            user_message=f"Could not reach {label}; no call was placed.",
        ) from error
    except httpx.TransportError as error:
        raise ProviderError(
            f"{label}: no response: {error!r}",
            retry_safe=False,
            code="no_response",
            user_message=f"{label} did not answer in time; the call may have been placed.",
        ) from error
    status = response.status_code
    if status in (401, 403):
        raise ProviderError(
            f"{label}: HTTP {status}: {response.text[:500]}",
            retry_safe=True,
            code="provider_auth",
            user_message=f"{label} refused the credentials (HTTP {status}); check the settings.",
        )
    if 400 <= status < 500:
        raise ProviderError(
            f"{label}: HTTP {status}: {response.text[:500]}",
            retry_safe=True,
            code="provider_rejected",
            user_message=(
                f"{label} refused the call (HTTP {status}): {_detail(response, extract_error)}"
            ),
        )
    if status >= 500 or not 200 <= status < 300:
        raise ProviderError(
            f"{label}: HTTP {status}: {response.text[:500]}",
            retry_safe=False,
            code="provider_error",
            user_message=f"{label} failed (HTTP {status}); the call may have been placed.",
        )
    return response


def call_id_from(label: str, response: httpx.Response, find: Callable[[Any], Any]) -> str:
    """The call id in an accepted create-call response; without one we cannot tell what
    happened, so the attempt is not dialled again."""
    try:
        found = find(response.json())
    except (ValueError, LookupError, TypeError, AttributeError):
        found = None
    if not isinstance(found, str) or not found:
        raise ProviderError(
            f"{label}: accepted without a call id: {response.text[:500]}",
            retry_safe=False,
            code="bad_response",
            user_message=f"{label} answered without a call id; the call may have been placed.",
        )
    return found


class RestCall:
    """A call placed through a REST API. Its progress arrives later as signed callbacks, so
    `events()` reports only that the provider took it."""

    def __init__(self, provider_call_id: str, hangup: Callable[[], Awaitable[None]]) -> None:
        self.provider_call_id = provider_call_id
        self._hangup = hangup

    async def events(self) -> AsyncIterator[CallEvent]:
        yield event(CallEventKind.TRYING)

    async def hangup(self) -> None:
        await self._hangup()
