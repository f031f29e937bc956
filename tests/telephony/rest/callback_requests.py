"""Callbacks as a provider sends them, built as `CallbackRequest`s for adapter tests without
HTTP: the public URL Tocsin gave the provider, the headers and the raw body."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tocsin.telephony.callbacks import CallbackRequest

BASE = "https://t.example"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "job_1/1"


def url_of(kind: str, route: str, **query: str | int) -> str:
    url = f"{BASE}/v1/telephony/{kind}/{route}"
    return f"{url}?{urlencode(query)}" if query else url


def form_request(
    url: str, params: Sequence[tuple[str, str]], headers: Mapping[str, str] | None = None
) -> CallbackRequest:
    """A form-encoded POST (Twilio, Plivo); `headers` by lower-case name."""
    return CallbackRequest(
        route=url.split("?")[0].rsplit("/", 1)[-1],
        url=url,
        headers=dict(headers or {}),
        body=urlencode(params).encode(),
        received_at=NOW,
    )


def json_request(
    url: str, body: Any, headers: Mapping[str, str] | None = None, *, raw: bytes | None = None
) -> CallbackRequest:
    """A JSON POST (Telnyx, Vonage); `raw` when the body is not `body` serialised."""
    return CallbackRequest(
        route=url.split("?")[0].rsplit("/", 1)[-1],
        url=url,
        headers=dict(headers or {}),
        body=raw if raw is not None else json.dumps(body).encode(),
        received_at=NOW,
    )
