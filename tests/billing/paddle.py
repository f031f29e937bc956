"""A local stand-in for Paddle Billing's notification sender.

It builds events in Paddle's wire format (the envelope of `event_id`, `event_type`,
`occurred_at`, `notification_id`, `data`, and entities shaped like Paddle's subscription,
transaction and adjustment objects), serialises them once, and signs those exact bytes the way
Paddle does: `Paddle-Signature: ts=<unix seconds>;h1=<HMAC-SHA256 hex of "<ts>:<body>">`, with
one h1 per secret while a secret is being rotated. It sends over any httpx client: the
in-process TestClient or a real HTTP connection to `tocsin serve`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

WEBHOOK_PATH = "/v1/billing/paddle"


def paddle_id(prefix: str) -> str:
    # Paddle ids: a prefix and 26 lowercase base32 characters.
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    return f"{prefix}_01" + "".join(secrets.choice(alphabet) for _ in range(24))


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]
    event_id: str


@dataclass
class PaddleSender:
    secrets: list[bytes]
    now: Any  # a callable returning the sender's current time (the test's clock)
    sent: list[Delivery] = field(default_factory=list)

    def event(self, event_type: str, data: dict[str, Any], *, event_id: str | None = None) -> bytes:
        envelope = {
            "event_id": event_id or paddle_id("evt"),
            "event_type": event_type,
            "occurred_at": _utc(self.now()),
            "notification_id": paddle_id("ntf"),
            "data": data,
        }
        return json.dumps(envelope).encode()

    def sign(self, body: bytes, *, at: datetime | None = None) -> dict[str, str]:
        timestamp = int((at or self.now()).timestamp())
        parts = [f"ts={timestamp}"] + [f"h1={signature(s, timestamp, body)}" for s in self.secrets]
        return {"Paddle-Signature": ";".join(parts), "Content-Type": "application/json"}

    def deliver(
        self, client: httpx.Client, event_type: str, data: dict[str, Any], **kwargs: Any
    ) -> httpx.Response:
        body = self.event(event_type, data, event_id=kwargs.pop("event_id", None))
        headers = self.sign(body)
        self.sent.append(Delivery(body, headers, json.loads(body)["event_id"]))
        return client.post(WEBHOOK_PATH, content=body, headers=headers, **kwargs)

    def redeliver(
        self, client: httpx.Client, delivery: Delivery, *, resign: bool
    ) -> httpx.Response:
        """Send a delivery again: freshly signed (Paddle's retry) or byte for byte (a replay)."""
        headers = self.sign(delivery.body) if resign else delivery.headers
        return client.post(WEBHOOK_PATH, content=delivery.body, headers=headers)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


# Entities ------------------------------------------------------------------------------------


def price(price_id: str, *, plan: str | None = None) -> dict[str, Any]:
    return {
        "id": price_id,
        "product_id": "pro_01htz88xpr0mm7b3ta2pjkr7w2",
        "type": "standard",
        "description": "Monthly",
        "name": "Monthly",
        "billing_cycle": {"interval": "month", "frequency": 1},
        "trial_period": None,
        "tax_mode": "account_setting",
        "unit_price": {"amount": "2900", "currency_code": "USD"},
        "unit_price_overrides": [],
        "custom_data": {"tocsin_plan": plan} if plan else None,
        "status": "active",
        "quantity": {"minimum": 1, "maximum": 1},
    }


def subscription(
    *,
    subscription_id: str,
    status: str,
    org_id: str | None,
    price_id: str,
    updated_at: datetime,
    period_start: datetime,
    customer_id: str = "ctm_01hv8wt8nffez4p2t6typn4a5j",
    plan: str | None = None,
    cancel_at: datetime | None = None,
    trial_ends_at: datetime | None = None,
    canceled_at: datetime | None = None,
) -> dict[str, Any]:
    period_end = period_start + timedelta(days=30)
    return {
        "id": subscription_id,
        "status": status,
        "customer_id": customer_id,
        "address_id": "add_01hv8gq3318ktkfengj2r75gfx",
        "business_id": None,
        "currency_code": "USD",
        "created_at": _utc(period_start),
        "updated_at": _utc(updated_at),
        "started_at": _utc(period_start),
        "first_billed_at": None if status == "trialing" else _utc(period_start),
        "next_billed_at": None if status == "canceled" else _utc(period_end),
        "paused_at": None,
        "canceled_at": _utc(canceled_at) if canceled_at else None,
        "collection_mode": "automatic",
        "billing_details": None,
        "current_billing_period": {"starts_at": _utc(period_start), "ends_at": _utc(period_end)},
        "billing_cycle": {"frequency": 1, "interval": "month"},
        "scheduled_change": (
            {"action": "cancel", "effective_at": _utc(cancel_at), "resume_at": None}
            if cancel_at
            else None
        ),
        "items": [
            {
                "status": "trialing" if status == "trialing" else "active",
                "quantity": 1,
                "recurring": True,
                "created_at": _utc(period_start),
                "updated_at": _utc(updated_at),
                "previously_billed_at": None,
                "next_billed_at": _utc(period_end),
                "trial_dates": (
                    {"starts_at": _utc(period_start), "ends_at": _utc(trial_ends_at)}
                    if trial_ends_at
                    else None
                ),
                "price": price(price_id, plan=plan),
            }
        ],
        "custom_data": {"tocsin_org_id": org_id} if org_id else None,
        "management_urls": {
            "update_payment_method": "https://buyer-portal.paddle.com/subscriptions/x/update",
            "cancel": "https://buyer-portal.paddle.com/subscriptions/x/cancel",
        },
        "discount": None,
        "import_meta": None,
    }


def transaction(
    *,
    transaction_id: str,
    status: str,
    org_id: str | None,
    subscription_id: str | None,
    updated_at: datetime,
    card_last4: str = "4242",
    cardholder: str = "Sam Miller",
    payment_status: str = "captured",
    customer_id: str = "ctm_01hv8wt8nffez4p2t6typn4a5j",
) -> dict[str, Any]:
    return {
        "id": transaction_id,
        "status": status,
        "customer_id": customer_id,
        "address_id": "add_01hv8gq3318ktkfengj2r75gfx",
        "business_id": None,
        "custom_data": {"tocsin_org_id": org_id} if org_id else None,
        "origin": "subscription_recurring",
        "collection_mode": "automatic",
        "subscription_id": subscription_id,
        "invoice_id": None,
        "invoice_number": None,
        "billing_details": None,
        "billing_period": None,
        "currency_code": "USD",
        "discount_id": None,
        "created_at": _utc(updated_at),
        "updated_at": _utc(updated_at),
        "billed_at": _utc(updated_at),
        "items": [{"price": price("pri_01team"), "quantity": 1}],
        "details": {"totals": {"subtotal": "2900", "tax": "0", "total": "2900"}},
        "payments": [
            {
                "payment_attempt_id": "b9d8e7f6-0000-4000-8000-000000000001",
                "stored_payment_method_id": "c0ffee00-0000-4000-8000-000000000002",
                "payment_method_id": "paymtd_01hkm9xwqpbbpr1ksmvg3sx3v1",
                "amount": "2900",
                "status": payment_status,
                "error_code": None if payment_status == "captured" else "declined",
                "method_details": {
                    "type": "card",
                    "card": {
                        "type": "visa",
                        "last4": card_last4,
                        "expiry_month": 1,
                        "expiry_year": 2030,
                        "cardholder_name": cardholder,
                    },
                },
                "created_at": _utc(updated_at),
                "captured_at": _utc(updated_at) if payment_status == "captured" else None,
            }
        ],
        "checkout": {"url": "https://tocsin.example/checkout?_ptxn=" + transaction_id},
    }


def customer(
    *, customer_id: str, email: str, updated_at: datetime, name: str | None = None
) -> dict[str, Any]:
    """Paddle's customer entity (https://developer.paddle.com/api-reference/customers): made
    by checkout from the details the buyer typed; `customer.created` and `customer.updated`
    carry it. No organization in it: custom data is ours to set and checkout does not."""
    return {
        "id": customer_id,
        "name": name,
        "email": email,
        "marketing_consent": False,
        "status": "active",
        "custom_data": None,
        "locale": "en",
        "created_at": _utc(updated_at),
        "updated_at": _utc(updated_at),
        "import_meta": None,
    }


def adjustment(
    *,
    adjustment_id: str,
    action: str,
    status: str,
    transaction_id: str,
    created_at: datetime,
    updated_at: datetime | None = None,
    subscription_id: str | None = None,
    reason: str = "",
) -> dict[str, Any]:
    return {
        "id": adjustment_id,
        "action": action,
        "transaction_id": transaction_id,
        "subscription_id": subscription_id,
        "customer_id": "ctm_01hv8wt8nffez4p2t6typn4a5j",
        "reason": reason or f"{action} requested",
        "credit_applied_to_balance": None,
        "currency_code": "USD",
        "status": status,
        "items": [
            {
                "id": paddle_id("adjitm"),
                "item_id": paddle_id("txnitm"),
                "type": "full",
                "amount": "2900",
                "proration": None,
                "totals": {"subtotal": "2900", "tax": "0", "total": "2900"},
            }
        ],
        "totals": {
            "subtotal": "2900",
            "tax": "0",
            "total": "2900",
            "fee": "0",
            "earnings": "0",
            "currency_code": "USD",
        },
        "payout_totals": None,
        "created_at": _utc(created_at),
        "updated_at": _utc(updated_at or created_at),
    }
