"""No line break in a provider's settings or credentials.

Their strings end up in SIP headers (a trunk's host, domain, caller ID, user name and the
digest computed from its password) and HTTP headers (an account SID, a token, an API key): a
CR or LF there would end the header and start one the account chose, or a body of its own.
Every string is one line of text, with no control character (C0, DEL, C1) and no Unicode line
or paragraph separator, at any depth, dictionary keys included. A field a kind declares
`multiline` (a PEM key) may hold CR and LF but nothing else of the sort; a field a kind checks
by a stricter rule of its own (a SIP trunk's extra headers) is left to that rule.

Checked when an account is saved and when the operator's providers are read at start-up
(`ProviderFactory.check`), so a bad value is refused with the field's name rather than
failing the first call. A stored account is not checked again: its headers are still built
by code that refuses a line break (`sip.message.SipMessage.add`, httpx).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# A control character (C0, DEL, C1) or a Unicode line or paragraph separator.
CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_ONE_LINE = re.compile(CONTROL)
_LINES = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# No kind nests deeper than a table in a setting (a trunk's extra headers); deeper values are
# no setting, and refused rather than walked without end.
MAX_DEPTH = 8


def has_control_character(text: str) -> bool:
    return _ONE_LINE.search(text) is not None


def _clean(value: Any, pattern: re.Pattern[str], depth: int = 0) -> bool:
    """Whether every string in `value` is free of what `pattern` finds (keys always one line)
    and its tables and lists nest at most MAX_DEPTH deep."""
    if isinstance(value, str):
        return pattern.search(value) is None
    if isinstance(value, Mapping):
        return depth < MAX_DEPTH and all(
            _clean(str(key), _ONE_LINE) and _clean(item, pattern, depth + 1)
            for key, item in value.items()
        )
    if isinstance(value, list | tuple):
        return depth < MAX_DEPTH and all(_clean(item, pattern, depth + 1) for item in value)
    return True


def field_with_control_character(
    settings: Mapping[str, Any],
    credentials: Mapping[str, Any],
    *,
    multiline: frozenset[str] = frozenset(),
    own_rule: frozenset[str] = frozenset(),
) -> str | None:
    """The first field of `settings` or `credentials` that holds a control character, as
    "settings.<name>" or "credentials.<name>" (just the part when the name itself holds one,
    so the answer never repeats it); None when all are clean. `multiline` and `own_rule` name
    fields the same way (see the module docstring)."""
    for part, values in (("settings", settings), ("credentials", credentials)):
        for name, value in values.items():
            if not _clean(str(name), _ONE_LINE):
                return part
            field = f"{part}.{name}"
            if field in own_rule:
                continue
            if not _clean(value, _LINES if field in multiline else _ONE_LINE):
                return field
    return None
