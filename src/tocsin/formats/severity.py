"""Severity: which field to read and how its many spellings map to five levels.

Severity says how bad a problem is. Whether it is over is the event's intent (formats/intent.py),
read from status-like fields only: a "normal" priority or an "ok" level is no recovery.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from tocsin.formats.fields import lowered


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    INFO = "info"
    RESOLVED = "resolved"


# The first of these (lower case) whose value names a level decides; the order is the one users
# expect. A status can name a level too ("status": "warning").
SEVERITY_FIELDS = (
    "severity",
    "status",
    "level",
    "priority",
    "alert_type",
    "alertlevel",
    "alert_level",
)

_SPELLINGS: dict[Severity, tuple[str, ...]] = {
    Severity.CRITICAL: (
        "critical",
        "crit",
        "fatal",
        "emergency",
        "emerg",
        "panic",
        "disaster",
        "page",
        "firing",
        "alerting",
        "alert",
        "down",
        "p1",
        "sev1",
        "sev-1",
        "s1",
        "p0",
        "sev0",
    ),
    Severity.MAJOR: (
        "major",
        "error",
        "err",
        "high",
        "failure",
        "failed",
        "fail",
        "p2",
        "sev2",
        "sev-2",
        "s2",
    ),
    Severity.MINOR: (
        "minor",
        "warning",
        "warn",
        "medium",
        "moderate",
        "average",
        "degraded",
        "p3",
        "sev3",
        "sev-3",
        "s3",
    ),
    Severity.INFO: (
        "info",
        "information",
        "informational",
        "notice",
        "low",
        "debug",
        "test",
        "p4",
        "p5",
        "sev4",
        "sev5",
        "s4",
        "s5",
    ),
    Severity.RESOLVED: (
        "resolved",
        "resolve",
        "ok",
        "up",
        "recovered",
        "recovery",
        "normal",
        "cleared",
        "clear",
        "closed",
        "inactive",
        "success",
        "succeeded",
    ),
}

_BY_SPELLING = {spelling: level for level, names in _SPELLINGS.items() for spelling in names}
_BY_NUMBER = {0: Severity.CRITICAL, 1: Severity.CRITICAL, 2: Severity.MAJOR, 3: Severity.MINOR}

# When a payload says nothing we understand, we page: a missed page costs more than an extra one.
DEFAULT_SEVERITY = Severity.CRITICAL


def normalise_severity(value: Any) -> Severity:
    if isinstance(value, bool):
        return DEFAULT_SEVERITY
    if isinstance(value, int | float):
        return _BY_NUMBER.get(int(value), Severity.INFO)
    if isinstance(value, str):
        text = value.strip().lower()
        # isdecimal, not isdigit: '²' is a digit that int() refuses.
        if text.isdecimal():
            return _BY_NUMBER.get(int(text), Severity.INFO)
        return _BY_SPELLING.get(text, DEFAULT_SEVERITY)
    return DEFAULT_SEVERITY


def severity_of(fields: Mapping[str, Any]) -> Severity:
    """The level `fields` name, whatever the case of their names. Words that say a problem ended
    ("normal", "ok") name no level, so the next field is asked; an unknown word is a page at the
    default level."""
    fields = lowered(fields)
    for name in SEVERITY_FIELDS:
        if name in fields and fields[name] not in (None, ""):
            level = normalise_severity(fields[name])
            if level != Severity.RESOLVED:
                return level
    return DEFAULT_SEVERITY
