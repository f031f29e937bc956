"""Keeping what a big notification says without keeping all of it.

Tocsin accepts large bodies (an Alertmanager group of a thousand alerts is about half a
megabyte) because refusing one loses the page: Alertmanager treats a 4xx as final and never
retries. What is stored with the alert is trimmed to `MAX_STORED_PAYLOAD_BYTES`: a grouped
notification keeps its group fields and as many alerts as fit (firing ones first) and counts the
rest in Alertmanager's own `truncatedAlerts`; any other body keeps its shape with long strings
and lists cut. A trimmed payload carries `tocsin_trimmed`, saying how big it was and how many
alerts were firing, so the call can still say "1000 alerts firing".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tocsin.formats.parse import ParsedAlert

MAX_STORED_PAYLOAD_BYTES = 64 * 1024
TRIM_MARK = "tocsin_trimmed"

# (longest string, longest list), tried in turn.
_CUTS = ((2000, 50), (500, 20), (100, 5))
_DEEPEST = 12


def _size(value: Any) -> int:
    # As the database stores it (db/base.py JSONText).
    return len(json.dumps(value, separators=(",", ":")))


def trimmed(
    parsed: ParsedAlert, *, body_bytes: int, limit: int = MAX_STORED_PAYLOAD_BYTES
) -> ParsedAlert:
    """`parsed` with its payload trimmed to fit `limit` when the body it came from is bigger."""
    # A body no bigger than the limit parses to a payload about as big: not worth measuring.
    if body_bytes <= limit:
        return parsed
    payload = trim_payload(parsed.payload, limit)
    return parsed if payload is parsed.payload else replace(parsed, payload=payload)


def trim_payload(payload: Any, limit: int = MAX_STORED_PAYLOAD_BYTES) -> Any:
    """The payload itself when it fits `limit` bytes of JSON, else a smaller copy of it."""
    size = _size(payload)
    if size <= limit:
        return payload
    if isinstance(payload, Mapping) and isinstance(payload.get("alerts"), list):
        grouped = _trim_group(payload, size, limit)
        if _size(grouped) <= limit:
            return grouped
    # Cut harder until it fits: most of a payload's meaning is in its first items and words.
    for longest_string, longest_list in _CUTS:
        shrunk = _shrink(payload, 0, longest_string, longest_list)
        if _size(shrunk) + 100 <= limit:
            return _marked(shrunk, size)
    if isinstance(payload, Mapping):
        scalars = {
            str(key)[:200]: _shrink(value, _DEEPEST, 200, 0)
            for key, value in list(payload.items())[:200]
            if not isinstance(value, Mapping | list)
        }
        return _marked(scalars, size)
    return _marked({"text": str(payload)[: limit // 2]}, size)


def _marked(value: Any, size: int, **counts: int) -> Any:
    if isinstance(value, Mapping):
        return {**value, TRIM_MARK: {"bytes": size, **counts}}
    return {"value": value, TRIM_MARK: {"bytes": size, **counts}}


def _trim_group(payload: Mapping[str, Any], size: int, limit: int) -> Any:
    alerts: list[Any] = payload["alerts"]
    firing = [a for a in alerts if not _is_resolved(a)]
    resolved = [a for a in alerts if _is_resolved(a)]
    rest = {key: value for key, value in payload.items() if key != "alerts"}
    budget = limit - _size(rest) - 200
    kept: list[Any] = []
    for alert in [*firing, *resolved]:
        alert_size = _size(alert) + 1
        if alert_size > budget:
            break
        kept.append(alert)
        budget -= alert_size
    dropped = len(alerts) - len(kept)
    truncated = payload.get("truncatedAlerts")
    already = truncated if isinstance(truncated, int) and not isinstance(truncated, bool) else 0
    group = {**rest, "alerts": kept, "truncatedAlerts": already + dropped}
    group_firing = str(payload.get("status", "")).lower() != "resolved"
    return _marked(
        group,
        size,
        alerts=len(alerts) + already,
        alerts_kept=len(kept),
        firing=len(firing) + (already if group_firing else 0),
    )


def _is_resolved(alert: Any) -> bool:
    return isinstance(alert, Mapping) and str(alert.get("status", "")).lower() == "resolved"


def _shrink(value: Any, depth: int, longest_string: int, longest_list: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= longest_string else value[:longest_string] + "…"
    if depth >= _DEEPEST and isinstance(value, Mapping | list):
        return "…"
    if isinstance(value, Mapping):
        return {
            str(key)[:200]: _shrink(item, depth + 1, longest_string, longest_list)
            for key, item in list(value.items())[: longest_list * 10]
        }
    if isinstance(value, list):
        return [
            _shrink(item, depth + 1, longest_string, longest_list) for item in value[:longest_list]
        ]
    return value


def firing_count(payload: Any, firing_kept: int) -> int:
    """How many alerts of a grouped notification were firing, counting those trimmed away here
    or by Alertmanager's own `max_alerts`."""
    if not isinstance(payload, Mapping):
        return firing_kept
    mark = payload.get(TRIM_MARK)
    if isinstance(mark, Mapping) and isinstance(mark.get("firing"), int):
        return int(mark["firing"])
    truncated = payload.get("truncatedAlerts")
    firing_group = str(payload.get("status", "")).lower() != "resolved"
    if firing_group and isinstance(truncated, int) and not isinstance(truncated, bool):
        return firing_kept + truncated
    return firing_kept
