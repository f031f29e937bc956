"""Calling Paddle Billing's API: only what Tocsin asks of it, ending a subscription at once.

Paddle's API (https://developer.paddle.com/api-reference/about/) takes JSON over HTTPS at
`https://api.paddle.com` (live) or `https://sandbox-api.paddle.com` (sandbox), authenticated by
`Authorization: Bearer <API key>` (.../about/authentication), with the version pinned by the
`Paddle-Version: 1` header. A success is `{"data": <entity>, "meta": {...}}`; a failure is
`{"error": {"type", "code", "detail", "documentation_url"}, "meta": {"request_id"}}` with a 4xx
or (rarely, worth retrying) 5xx status (.../about/errors).

Cancelling is `POST /subscriptions/{subscription_id}/cancel` with
`{"effective_from": "immediately"}` (.../subscriptions/cancel-subscription; `immediately` is
allowed since the 2023-10-05 changelog "Pause or cancel a subscription immediately"). It answers
with the subscription, now `"status": "canceled"`. A subscription that is already canceled
answers 400 `subscription_is_canceled_action_invalid` (or `subscription_update_when_canceled`),
which for us means the same: it is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

LIVE_BASE_URL = "https://api.paddle.com"
SANDBOX_BASE_URL = "https://sandbox-api.paddle.com"
API_VERSION = "1"

# Paddle's codes for a change asked of a subscription that is already canceled.
ALREADY_CANCELED = frozenset(
    {"subscription_is_canceled_action_invalid", "subscription_update_when_canceled"}
)


class PaddleApiError(Exception):
    """Paddle did not cancel: the reason as Paddle gave it, or what went wrong on the way."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class PaddleApi:
    """Where Paddle's API is and the key Tocsin calls it with (TOCSIN_PADDLE_API_BASE_URL,
    TOCSIN_PADDLE_API_KEY). `transport` is for tests; None is the network."""

    base_url: str
    api_key: str
    timeout_seconds: float = 15.0
    transport: httpx.AsyncBaseTransport | None = None

    async def cancel_subscription(self, subscription_id: str) -> str:
        """End the subscription now; returns its status as Paddle then gives it ("canceled").
        PaddleApiError for anything else, a subscription already canceled excepted."""
        url = f"{self.base_url.rstrip('/')}/subscriptions/{subscription_id}/cancel"
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Paddle-Version": API_VERSION,
            "Content-Type": "application/json",
        }
        try:
            async with httpx.AsyncClient(
                transport=self.transport, timeout=self.timeout_seconds
            ) as client:
                response = await client.post(
                    url, json={"effective_from": "immediately"}, headers=headers
                )
        except httpx.HTTPError as exc:
            raise PaddleApiError(f"could not reach Paddle: {exc.__class__.__name__}") from exc
        body = _json(response)
        if response.is_success:
            status = _mapping(body, "data").get("status")
            if status != "canceled":
                raise PaddleApiError(
                    f"Paddle answered with the subscription {status!r}, not canceled",
                    status=response.status_code,
                )
            return "canceled"
        error = _mapping(body, "error")
        code = error.get("code") if isinstance(error.get("code"), str) else None
        if code in ALREADY_CANCELED:
            return "canceled"
        detail = error.get("detail") or response.reason_phrase
        raise PaddleApiError(
            f"Paddle refused ({response.status_code} {code or 'no code'}): {detail}",
            status=response.status_code,
            code=code,
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
