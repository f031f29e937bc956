"""Turning whatever a monitoring system sent into one normalised alert.

Accepts JSON, form-encoded bodies, multipart forms, query strings and raw text. A body that claims
to be JSON but does not parse is kept as text: a sender's typo must not lose the alert.

A known sender's body (formats/senders/) is read as that sender means it; anything else is read
generically, by field names compared without case. A body's JSON is never what a call says:
when no field gives a title, a short sentence is made from the fields that are there.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from tocsin.core.errors import InvalidInput
from tocsin.formats.fields import first_text, lowered, text
from tocsin.formats.intent import Intent, stated_intent
from tocsin.formats.senders import recognise
from tocsin.formats.senders.base import GroupedAlert, Recognised, Source
from tocsin.formats.severity import Severity, severity_of
from tocsin.formats.titles import incident_name, marked_as_recovery
from tocsin.formats.untrusted import clean, clean_text, load_json

MAX_TITLE_CHARACTERS = 300
MAX_MESSAGE_CHARACTERS = 4000
MAX_DEDUP_KEY_CHARACTERS = 200

# Field names, lower case: they are compared without case.
TITLE_FIELDS = ("title", "summary", "subject", "name", "alertname", "alert", "heading")
MESSAGE_FIELDS = ("message", "text", "description", "body", "details", "msg", "content")
DEDUP_FIELDS = ("dedup_key", "dedupkey")
# Where an alert is: the same title on two hosts is two incidents.
HOST_FIELDS = (
    "host",
    "hostname",
    "host_name",
    "instance",
    "server",
    "node",
    "device",
    "machine",
    "computer",
)
# What an untitled alert is about, for the sentence that stands in for its title.
ABOUT_FIELDS = ("source", "service", "check", "monitor", "app", "application", "component", "job")
_DESCRIBED_FIELDS = 4
_UNSPEAKABLE_NAME = re.compile(r"[^\w .\-]+")


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
    # Whether this event pages, acknowledges or resolves its incident (or is a sender's
    # housekeeping that pages nobody).
    intent: Intent = Intent.TRIGGER
    # The host or instance a generic body names; part of its dedup key.
    host: str = ""
    # Amazon SNS's SubscribeURL, for an event whose intent is SUBSCRIBE.
    confirm_url: str | None = None

    def __post_init__(self) -> None:
        # Before intents, a RESOLVED severity was how a resolve was said; callers that still say
        # it that way mean the same, and a resolve is stored with that severity.
        if self.severity == Severity.RESOLVED and self.intent == Intent.TRIGGER:
            object.__setattr__(self, "intent", Intent.RESOLVE)
        elif self.intent == Intent.RESOLVE:
            object.__setattr__(self, "severity", Severity.RESOLVED)


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
    query = [(clean_text(name), clean_text(value)) for name, value in query]
    if form is not None:
        payload, kind = _form_payload(clean(dict(form))), "form"
    elif not body.strip():
        # A GET with query parameters: they are the body (Uptime Kuma, Healthchecks.io).
        payload, kind = dict(query), "query"
    elif media_type == "application/x-www-form-urlencoded":
        fields = dict(parse_qsl(clean_text(_decode_text(body)), keep_blank_values=True))
        payload, kind = _form_payload(fields), "form"
    else:
        text_body = clean_text(_decode_text(body))
        try:
            payload, kind = load_json(text_body), "json"
        except ValueError:
            payload, kind = text_body, "text"
    if kind == "json" and not isinstance(payload, dict | list):
        # A bare JSON string or number is the message itself.
        payload, kind = (payload if isinstance(payload, str) else text_body), "text"

    recognised = recognise(payload) if kind != "text" else None
    if recognised is not None:
        return _known_sender(
            recognised, fields=lowered(_fields_of(payload)), payload=payload, kind=kind
        )
    return _generic(payload, kind=kind, query=query)


def _generic(payload: Any, *, kind: str, query: list[tuple[str, str]]) -> ParsedAlert:
    fields = lowered({**dict(query), **_fields_of(payload)})
    nested = _nested_fields(payload) + _embedded(fields)
    if kind == "text":
        words = str(payload).strip()
        first_line = words.splitlines()[0] if words else ""
        title = _first_words(fields, TITLE_FIELDS) or first_line
        message = words
        stored_payload: Any = {"text": words, **({"query": dict(query)} if query else {})}
    else:
        title = _first_words(fields, TITLE_FIELDS) or _first_nested(nested, TITLE_FIELDS)
        message = _first_words(fields, MESSAGE_FIELDS) or _first_nested(nested, MESSAGE_FIELDS)
        stored_payload = (
            payload if not query or kind == "query" else {"body": payload, "query": dict(query)}
        )
    if not title and not message:
        if not fields and not (isinstance(payload, list) and payload):
            raise InvalidInput(
                "the alert is empty: send a JSON, form or text body, or query parameters",
                code="empty_alert",
            )
        title, message = _stand_in(fields, payload)
    title = _truncate(title or message.splitlines()[0], MAX_TITLE_CHARACTERS)
    intent = stated_intent(fields)
    if intent is None:
        intent = Intent.RESOLVE if marked_as_recovery(title) else Intent.TRIGGER
    return ParsedAlert(
        title=title,
        message=_truncate(message, MAX_MESSAGE_CHARACTERS),
        severity=severity_of(fields),
        dedup_key=_explicit_dedup_key(fields),
        payload=stored_payload,
        content_type=kind,
        intent=intent,
        host=first_text(fields, HOST_FIELDS),
    )


def _nested_fields(payload: Any) -> list[dict[str, Any]]:
    """The objects one level down (`{"data": {"title": ...}}`), for a title or message the top
    level lacks; nothing else is read from them."""
    top = _fields_of(payload)
    return [lowered(value) for value in top.values() if isinstance(value, Mapping)]


def _json_object(value: Any) -> Mapping[str, Any] | None:
    """A string field that is itself a JSON object (an envelope's `Message`), decoded."""
    if not isinstance(value, str) or not value.lstrip().startswith("{"):
        return None
    try:
        document = load_json(value)
    except (ValueError, InvalidInput):
        return None
    return document if isinstance(document, Mapping) else None


def _embedded(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """JSON objects sent as the text of a title or message field: read for their own fields,
    never read out."""
    documents = (_json_object(fields.get(name)) for name in TITLE_FIELDS + MESSAGE_FIELDS)
    return [lowered(document) for document in documents if document is not None]


def _first_words(fields: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """The first of `names` that is text to read, passing over JSON sent as a string."""
    return next(
        (found for name in names if (found := text(fields.get(name))) and not _json_object(found)),
        "",
    )


def _first_nested(nested: list[dict[str, Any]], names: tuple[str, ...]) -> str:
    return next((found for fields in nested if (found := _first_words(fields, names))), "")


def _stand_in(fields: dict[str, Any], payload: Any) -> tuple[str, str]:
    """A title and message in words for a body with neither: what it is about, then a few of
    its fields. Never its JSON."""
    about = first_text(fields, ABOUT_FIELDS + HOST_FIELDS)
    title = f"Alert from {about}" if about else "Untitled alert"
    if fields:
        pairs = [
            f"{_UNSPEAKABLE_NAME.sub(' ', name).replace('_', ' ').strip()} {text(value)}"
            for name, value in fields.items()
            if text(value) and text(value) != about
        ]
    else:
        pairs = [text(item) for item in payload if text(item)] if isinstance(payload, list) else []
    described = ", ".join(pair.strip() for pair in pairs[:_DESCRIBED_FIELDS] if pair.strip())
    return title, (described[:1].upper() + described[1:] + ".") if described else ""


def _explicit_dedup_key(fields: Mapping[str, Any]) -> str | None:
    dedup_key = first_text(fields, DEDUP_FIELDS) or None
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
        intent=recognised.intent,
        confirm_url=recognised.confirm_url,
    )


def _form_payload(fields: dict[str, str]) -> Any:
    """Uptime Kuma's form-data webhook sends its JSON document as one `data` field."""
    if set(fields) == {"data"}:
        try:
            document = load_json(fields["data"])
        except ValueError:
            return fields
        if isinstance(document, dict):
            return document
    return fields


def dedup_key_for(endpoint_id: str, alert: ParsedAlert) -> str:
    """An explicit key wins; otherwise the same incident named in the title, on the same host,
    on the same endpoint is the same alert. State markers in the title ("RESOLVED:", "[FIRING]")
    do not count, so a recovery whose title only adds one finds its incident."""
    if alert.dedup_key:
        return alert.dedup_key
    basis = incident_name(alert.title)
    host = " ".join(alert.host.lower().split())
    if host:
        # Without a host the basis is what it always was, so alerts open before this rule keep
        # their keys.
        basis = f"{basis}\n{host}"
    digest = hashlib.sha256(f"{endpoint_id}\n{basis}".encode()).hexdigest()
    return f"auto:{digest[:40]}"
