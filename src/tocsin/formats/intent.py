"""What an event asks of its incident: page, acknowledge, resolve, or (a sender's own
housekeeping) nothing at all.

Only status-like fields can acknowledge or resolve. A word such as "normal", "ok" or "low" in a
`priority`, `severity` or `level` field describes how bad a problem is, not that it ended:
Datadog sends `"priority": "normal"` with every page, and reading it as a recovery silenced the
page and resolved an unrelated open alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from tocsin.formats.fields import lowered, text


class Intent(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    # A sender's housekeeping, never an alert: Amazon SNS asking for a subscription to be
    # confirmed, and telling that one ended.
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"


# Fields that say where an incident stands, lower case, in the order they are trusted; the first
# one present decides.
STATUS_FIELDS = (
    "status",
    "state",
    "event_action",
    "monitorcondition",
    "monitor_condition",
    "alert_transition",
    "alerttransition",
    "transition",
    "notificationtype",
    "notification_type",
    "current_state",
    "alert_state",
    "alertstate",
    "alert_status",
    "alertstatus",
    "event_status",
    "event_type",
    "action",
)

RESOLVE_WORDS = frozenset(
    {
        "resolved",
        "resolve",
        "ok",
        "up",
        "recovered",
        "recover",
        "recovery",
        "normal",
        "cleared",
        "clear",
        "closed",
        "inactive",
        "success",
        "succeeded",
    }
)

ACKNOWLEDGE_WORDS = frozenset(
    {"acknowledged", "acknowledge", "ack", "acked", "acknowledgement", "acknowledgment"}
)


def intent_of_word(value: Any) -> Intent:
    """How a status-like value reads; anything not a resolve or acknowledge word pages."""
    word = text(value).lower()
    if word in RESOLVE_WORDS:
        return Intent.RESOLVE
    if word in ACKNOWLEDGE_WORDS:
        return Intent.ACKNOWLEDGE
    return Intent.TRIGGER


def stated_intent(fields: Mapping[str, Any]) -> Intent | None:
    """The intent of the first status-like field present in `fields` (names in any case), or
    None when the body has none."""
    fields = lowered(fields)
    for name in STATUS_FIELDS:
        if text(fields.get(name)):
            return intent_of_word(fields[name])
    return None
