"""Healthchecks.io's webhook integration, in either of two shapes Tocsin's guide gives: its
`$NAME`, `$STATUS` and `$CODE` placeholders as query parameters (which Healthchecks.io
URL-encodes), or `$JSON`, the check itself, as the body.

A check is `down` or back `up`; its UUID names the incident.
healthchecks/healthchecks: hc/api/transports.py (Webhook.prepare), hc/api/models.py
(Check.to_dict)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.formats.fields import first_text, lowered, mapping
from tocsin.formats.intent import Intent
from tocsin.formats.senders.base import Recognised, Source, sender_key
from tocsin.formats.severity import Severity

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _check_id(fields: Mapping[str, Any]) -> str:
    code = first_text(fields, ("code", "check_id", "uuid"))
    if _UUID.fullmatch(code):
        return code.lower()
    # $JSON carries the check's UUID in its ping URL (or a digest of it, for read-only keys).
    found = _UUID.search(first_text(fields, ("ping_url", "update_url")))
    return found[0].lower() if found else first_text(fields, ("unique_key",))


def recognise(payload: Mapping[str, Any]) -> Recognised | None:
    fields = lowered(payload)
    status = first_text(fields, ("status",)).lower()
    check_id = _check_id(fields)
    if status not in ("down", "up") or not check_id:
        return None
    name = first_text(fields, ("check", "name", "slug")) or "Healthchecks.io check"
    down = status == "down"
    return Recognised(
        source=Source.HEALTHCHECKS,
        title=f"{name} is {status}",
        message=first_text(fields, ("desc",)),
        severity=Severity.CRITICAL if down else Severity.RESOLVED,
        dedup_key=sender_key("hc", check_id),
        intent=Intent.TRIGGER if down else Intent.RESOLVE,
    )


def template_variables(payload: Any) -> dict[str, Any]:
    return {"check": dict(mapping(payload))}
