"""A local stand-in for Paddle Billing's API: a real HTTP server on 127.0.0.1 that answers
`POST /subscriptions/{subscription_id}/cancel` as Paddle documents it.

- Bearer authentication: no header is 401 `authentication_missing`; a header that is not
  `Bearer <key>` is 403 `authentication_malformed`; another key is 403 `invalid_token`
  (developer.paddle.com/errors/shared/<code>), and every request must pin `Paddle-Version: 1`.
- The body must be JSON with `effective_from` `immediately` or `next_billing_period`
  (anything else is 400 `bad_request` with a field error).
- An unknown subscription is 404 `not_found`; a canceled one is 400
  `subscription_is_canceled_action_invalid`; otherwise the subscription entity comes back as
  `{"data": ..., "meta": {"request_id"}}`, `status` `canceled` when asked for `immediately`.
- `outage` makes it answer 500 `internal_error` until cleared, as Paddle rarely does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.billing.paddle import subscription
from tests.telephony.rest.fakes import serve

API_KEY = "pdl_sdbx_apikey_01jtest0000000000000000000_localfakekeyfortocsin0000AA"


def _error(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "error": {
            "type": "api_error" if status >= 500 else "request_error",
            "code": code,
            "detail": detail,
            "documentation_url": f"https://developer.paddle.com/errors/shared/{code}",
            **extra,
        },
        "meta": {"request_id": str(uuid.uuid4())},
    }
    return JSONResponse(body, status_code=status)


@dataclass
class FakePaddleApi:
    api_key: str = API_KEY
    # Subscription id -> its entity as Paddle holds it.
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    outage: bool = False

    def add(self, subscription_id: str, *, org_id: str, status: str = "active") -> None:
        now = datetime.now(UTC)
        self.subscriptions[subscription_id] = subscription(
            subscription_id=subscription_id,
            status=status,
            org_id=org_id,
            price_id="pri_01team",
            updated_at=now,
            period_start=now,
        )

    def status(self, subscription_id: str) -> str:
        status: str = self.subscriptions[subscription_id]["status"]
        return status

    async def cancel(self, request: Request) -> JSONResponse:
        subscription_id = request.path_params["subscription_id"]
        self.requests.append(
            {
                "subscription_id": subscription_id,
                "authorization": request.headers.get("authorization"),
                "paddle_version": request.headers.get("paddle-version"),
            }
        )
        header = request.headers.get("authorization")
        if header is None:
            return _error(401, "authentication_missing", "Authentication header missing.")
        scheme, _, key = header.partition(" ")
        if scheme != "Bearer" or not key:
            return _error(403, "authentication_malformed", "Authentication header malformed.")
        if key != self.api_key:
            return _error(403, "invalid_token", "Invalid or revoked API key.")
        if request.headers.get("paddle-version") != "1":
            return _error(400, "bad_request", "Paddle-Version must be 1.")
        if self.outage:
            return _error(500, "internal_error", "An internal error occurred.")
        try:
            body = await request.json()
        except ValueError:
            body = None
        effective = body.get("effective_from") if isinstance(body, dict) else None
        if effective not in ("immediately", "next_billing_period"):
            return _error(
                400, "bad_request", "Invalid request.",
                errors=[{"field": "effective_from", "message": "must be a valid value"}],
            )  # fmt: skip
        entity = self.subscriptions.get(subscription_id)
        if entity is None:
            return _error(404, "not_found", f"Entity {subscription_id} not found")
        if entity["status"] == "canceled":
            return _error(
                400,
                "subscription_is_canceled_action_invalid",
                "action can't be performed on canceled subscription",
            )
        if effective == "immediately":
            entity["status"] = "canceled"
            entity["scheduled_change"] = None
        else:
            entity["scheduled_change"] = {
                "action": "cancel",
                "effective_at": entity["next_billed_at"],
                "resume_at": None,
            }
        return JSONResponse({"data": entity, "meta": {"request_id": str(uuid.uuid4())}})

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/subscriptions/{subscription_id}/cancel", self.cancel, methods=["POST"])]
        )


@contextmanager
def paddle_api() -> Iterator[tuple[FakePaddleApi, str]]:
    """The fake, and the base URL it is served at."""
    fake = FakePaddleApi()
    with serve(fake.app()) as base_url:
        yield fake, base_url
