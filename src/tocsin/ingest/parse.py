"""Turning whatever a monitoring system sent into one normalised alert.

Accepts JSON, form-encoded bodies, multipart forms, query strings and raw text. A body that claims
to be JSON but does not parse is kept as text: a sender's typo must not lose the alert.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from tocsin.errors import InvalidInput
from tocsin.ingest.formats import GroupedAlert, Recognised, Source, recognise
from tocsin.ingest.severity import Severity, severity_of

MAX_TITLE_CHARACTERS = 300
MAX_MESSAGE_CHARACTERS = 4000
MAX_DEDUP_KEY_CHARACTERS = 200

TITLE_FIELDS = ("title", "summary", "subject", "name", "alertname", "alert", "heading")
MESSAGE_FIELDS = ("message", "text", "description", "body", "details", "msg", "content")
DEDUP_FIELDS = ("dedup_key", "dedupKey")


@dataclass(frozen=True)
class ParsedAlert:
    title: str
    message: str
    severity: Severity
    dedup_key: str | None
    payload: Any
    content_type: str
    source: Source = Source.GENERIC
    # A grouped notification's alerts (Alertmanager, Grafana), firing first.
    alerts: tuple[GroupedAlert, ...] = ()


def _first_text(fields: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return ""


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fields_of(payload: Any) -> dict[str, Any]:
    """The mapping to read well-known fields from: the object itself, or an array's first object."""
    if isinstance(payload, dict):
        return payload
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        return payload[0]
    return {}


def _decode_text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def parse_alert(
    *,
    body: bytes,
    content_type: str,
    query: list[tuple[str, str]],
    form: list[tuple[str, str]] | None = None,
) -> ParsedAlert:
    """`form` carries already-parsed multipart fields; everything else is parsed here."""
    media_type = _media_type(content_type)
    payload: Any
    kind: str
    text_body = ""
    if form is not None:
        payload, kind = _form_payload(dict(form)), "form"
    elif not body.strip():
        payload, kind = {}, "query"
    elif media_type == "application/x-www-form-urlencoded":
        fields = dict(parse_qsl(_decode_text(body), keep_blank_values=True))
        payload, kind = _form_payload(fields), "form"
    else:
        text_body = _decode_text(body)
        try:
            payload, kind = json.loads(text_body), "json"
        except ValueError:
            payload, kind = text_body, "text"
    if kind == "json" and not isinstance(payload, dict | list):
        # A bare JSON string or number is the message itself.
        payload, kind = (payload if isinstance(payload, str) else text_body), "text"

    recognised = recognise(payload) if kind != "text" else None
    if recognised is not None:
        return _known_sender(recognised, fields=_fields_of(payload), payload=payload, kind=kind)

    fields = {**dict(query), **_fields_of(payload)}
    if kind == "text":
        text = str(payload).strip()
        first_line = text.splitlines()[0] if text else ""
        title = _first_text(fields, TITLE_FIELDS) or first_line
        message = text
        stored_payload: Any = {"text": text, **({"query": dict(query)} if query else {})}
    else:
        title = _first_text(fields, TITLE_FIELDS)
        message = _first_text(fields, MESSAGE_FIELDS)
        stored_payload = payload if not query else {"body": payload, "query": dict(query)}
        if kind == "query":
            stored_payload = dict(query)
    if not title and not message:
        if not fields and not (isinstance(payload, list) and payload):
            raise InvalidInput(
                "the alert is empty: send a JSON, form or text body, or query parameters",
                code="empty_alert",
            )
        title = _compact_summary(fields or payload)
    title = _truncate(title or message.splitlines()[0], MAX_TITLE_CHARACTERS)
    message = _truncate(message, MAX_MESSAGE_CHARACTERS)
    return ParsedAlert(
        title=title,
        message=message,
        severity=severity_of(fields),
        dedup_key=_explicit_dedup_key(fields),
        payload=stored_payload,
        content_type=kind,
    )


def _explicit_dedup_key(fields: dict[str, Any]) -> str | None:
    dedup_key = _first_text(fields, DEDUP_FIELDS) or None
    if dedup_key is not None and len(dedup_key) > MAX_DEDUP_KEY_CHARACTERS:
        raise InvalidInput(
            f"dedup_key must be at most {MAX_DEDUP_KEY_CHARACTERS} characters",
            code="invalid_dedup_key",
        )
    return dedup_key


def _known_sender(
    recognised: Recognised, *, fields: dict[str, Any], payload: Any, kind: str
) -> ParsedAlert:
    return ParsedAlert(
        title=_truncate(recognised.title, MAX_TITLE_CHARACTERS),
        message=_truncate(recognised.message, MAX_MESSAGE_CHARACTERS),
        severity=recognised.severity,
        # A key the sender set on purpose still wins over the one its format implies.
        dedup_key=_explicit_dedup_key(fields) or recognised.dedup_key,
        payload=payload,
        content_type=kind,
        source=recognised.source,
        alerts=recognised.alerts,
    )


def _form_payload(fields: dict[str, str]) -> Any:
    """Uptime Kuma's form-data webhook sends its JSON document as one `data` field."""
    if set(fields) == {"data"}:
        try:
            document = json.loads(fields["data"])
        except ValueError:
            return fields
        if isinstance(document, dict):
            return document
    return fields


def _compact_summary(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)[:MAX_TITLE_CHARACTERS]


def dedup_key_for(endpoint_id: str, alert: ParsedAlert) -> str:
    """An explicit key wins; otherwise the same title on the same endpoint is the same alert."""
    if alert.dedup_key:
        return alert.dedup_key
    normalised_title = " ".join(alert.title.lower().split())
    digest = hashlib.sha256(f"{endpoint_id}\n{normalised_title}".encode()).hexdigest()
    return f"auto:{digest[:40]}"
