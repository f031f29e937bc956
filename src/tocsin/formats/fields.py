"""Reading named fields out of whatever a sender sent, whatever case it spelled them in.

Senders disagree on spelling: Amazon SNS writes `Subject`, most write `subject`, Zabbix and
Nagios users name fields after macros (`EVENT.ID`, `event_id`, `EventID`). Field names are
therefore compared without case everywhere, and, where a sender's fields are named after its
macros, without separators too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_SEPARATORS = re.compile(r"[\s_.$\-]+")


def lowered(fields: Mapping[Any, Any]) -> dict[str, Any]:
    """`fields` with lower-case names; when two names differ only in case, the first wins."""
    result: dict[str, Any] = {}
    for name, value in fields.items():
        result.setdefault(str(name).lower(), value)
    return result


def squashed(fields: Mapping[Any, Any]) -> dict[str, Any]:
    """`fields` with names in lower case and without separators: `EVENT.ID`, `event_id` and
    `EventID` are all `eventid`."""
    result: dict[str, Any] = {}
    for name, value in fields.items():
        result.setdefault(_SEPARATORS.sub("", str(name).lower()), value)
    return result


def text(value: Any) -> str:
    """A scalar as stripped text; anything else (objects, lists, booleans, null) is empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def first_text(fields: Mapping[str, Any], names: Iterable[str]) -> str:
    """The first non-empty scalar among `names`, looked up as given (callers lower-case)."""
    for name in names:
        found = text(fields.get(name))
        if found:
            return found
    return ""


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def first_item(value: Any) -> Any:
    """The first element of a list, or the value itself."""
    if isinstance(value, list):
        return value[0] if value else None
    return value
