"""Asking a provider's API whether the account owns a number: one authenticated GET of a
record or a filtered list. A record that is not there (HTTP 404) means not owned; any other
failure raises ProviderError with a message the person who asked can act on. Nothing is
placed by these requests, so every failure is retry-safe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tocsin.telephony.base import ProviderError


async def get_record(
    label: str,
    request: Callable[[httpx.AsyncClient], Awaitable[httpx.Response]],
    *,
    timeout_seconds: float,
    extract_error: Callable[[Any], str | None],
    transport: httpx.AsyncBaseTransport | None = None,
) -> Any | None:
    """The JSON body of a 2xx answer; None for a 404."""
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds, transport=transport) as client:
            response = await request(client)
    except httpx.TransportError as error:
        raise ProviderError(
            f"{label}: number lookup failed: {error!r}",
            retry_safe=True,
            code="unreachable",
            user_message=f"Could not reach {label} to check the number; try again.",
        ) from error
    status = response.status_code
    if status == 404:
        return None
    if status in (401, 403):
        raise ProviderError(
            f"{label}: HTTP {status}: {response.text[:500]}",
            retry_safe=True,
            code="provider_auth",
            user_message=f"{label} refused the account's credentials (HTTP {status}).",
        )
    if not 200 <= status < 300:
        raise ProviderError(
            f"{label}: HTTP {status}: {response.text[:500]}",
            retry_safe=True,
            code="provider_error",
            user_message=f"{label} could not check the number (HTTP {status}).",
        )
    try:
        return response.json()
    except ValueError as error:
        raise ProviderError(
            f"{label}: number lookup answered with no JSON: {response.text[:500]}",
            retry_safe=True,
            code="bad_response",
            user_message=f"{label} gave an answer that could not be read.",
        ) from error


def listed(body: Any, key: str, field: str, value: str) -> list[dict[str, Any]]:
    """The items of the list `key` in `body` whose `field` is exactly `value`."""
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict) and item.get(field) == value]
