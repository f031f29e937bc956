"""What enforcement can be and whom it applies to."""

from __future__ import annotations

from enum import StrEnum


class ActionKind(StrEnum):
    WARNING = "warning"
    SUSPENSION = "suspension"
    TERMINATION = "termination"


class ActionScope(StrEnum):
    USER = "user"
    ORGANIZATION = "organization"
    ENDPOINT = "endpoint"
    NUMBER = "number"


# How stern each kind is, for choosing which of several actions in force to report. Explicit,
# because the kinds' names sort in no useful order.
SEVERITY = {ActionKind.WARNING: 0, ActionKind.SUSPENSION: 1, ActionKind.TERMINATION: 2}

BLOCKING = (ActionKind.SUSPENSION.value, ActionKind.TERMINATION.value)
