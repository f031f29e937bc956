"""An endpoint's scenario: ordered rules over the alert's fields, first match wins.

A rule is conditions plus an action. Conditions read a field by dotted path from the alert's
document (`severity`, `title`, `labels.team`, `payload.host.name`, `alerts.0.labels.job`) and
compare it with one operator. Text compares without regard to case, because monitoring systems
disagree about `CRITICAL` and `critical`; numbers compare as numbers. Nothing here does I/O.

When no rule matches, the endpoint's default (`call_primary`) applies, so no alert is ever
dropped by routing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from tocsin.routing.hours import Hours

MAX_RULES = 50
MAX_CONDITIONS = 20
MAX_VALUES = 100
_MISSING = object()


class Operator(StrEnum):
    IN = "in"
    NIN = "nin"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


# Unicode's White_Space, spelled out: `\s` means another set in each of Python, JSON Schema
# (ECMAScript) and pydantic's Rust, and a field's name holds none of it.
_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

_LIST_OPERATORS = {Operator.IN, Operator.NIN}
_TEXT_OPERATORS = {
    Operator.CONTAINS,
    Operator.NOT_CONTAINS,
    Operator.STARTS_WITH,
    Operator.ENDS_WITH,
}
_NUMBER_OPERATORS = {Operator.GT, Operator.GTE, Operator.LT, Operator.LTE}
_PRESENCE_OPERATORS = {Operator.EXISTS, Operator.NOT_EXISTS}

Scalar = str | int | float | bool


def _ops(operators: set[Operator]) -> dict[str, Any]:
    return {"enum": sorted(operator.value for operator in operators)}


# What `_value_fits_operator` holds, said in the JSON schema the API describes rules with.
_VALUE_FITS_OPERATOR: dict[str, Any] = {
    "oneOf": [
        {
            "properties": {
                "op": _ops(_LIST_OPERATORS),
                "value": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_VALUES,
                    "items": {"type": ["string", "number", "boolean"]},
                },
            },
            "required": ["value"],
        },
        {
            "properties": {"op": _ops(_TEXT_OPERATORS), "value": {"type": ["string", "number"]}},
            "required": ["value"],
        },
        {
            # A text that reads as a number is taken too.
            "properties": {"op": _ops(_NUMBER_OPERATORS), "value": {"type": "number"}},
            "required": ["value"],
        },
        {"properties": {"op": _ops(_PRESENCE_OPERATORS), "value": {"type": "null"}}},
    ]
}


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_VALUE_FITS_OPERATOR)

    field: str = Field(
        min_length=1,
        max_length=200,
        pattern=rf"^[^.{_SPACE}][^{_SPACE}]*$",
        # The same, without a `$` that Python's regular expressions (and so generators of
        # examples from the schema) let match before a final newline.
        json_schema_extra={"pattern": rf"^[^.{_SPACE}]", "not": {"pattern": rf"[{_SPACE}]"}},
    )
    op: Operator
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Condition:
        value = self.value
        if self.op in _LIST_OPERATORS:
            if not isinstance(value, list) or not value or len(value) > MAX_VALUES:
                raise ValueError(f"'{self.op}' needs a list of 1 to {MAX_VALUES} values")
        elif self.op in _TEXT_OPERATORS:
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise ValueError(f"'{self.op}' needs a text value")
        elif self.op in _NUMBER_OPERATORS:
            if _number(value) is None:
                raise ValueError(f"'{self.op}' needs a number")
        elif value is not None:
            raise ValueError(f"'{self.op}' takes no value")
        return self


class ActionType(StrEnum):
    CALL_PRIMARY = "call_primary"
    CALL_ALL = "call_all"
    CALL_CONTACT = "call_contact"
    CALL_MEMBER = "call_member"
    CALL_ON_SCHEDULE = "call_on_schedule"
    CALL_PROJECT = "call_project"
    CALL_ESCALATION = "call_escalation"
    # Record the alert and tell by text and e-mail only, never a call: the named contact,
    # member, schedule or project, or the endpoint's contacts when it names none.
    NOTIFY = "notify"
    # Record the alert; tell nobody.
    RECORD = "record"


# The one id each action that names something needs; the others name nothing.
TARGET_FIELD: dict[ActionType, str] = {
    ActionType.CALL_CONTACT: "contact_id",
    ActionType.CALL_MEMBER: "user_id",
    ActionType.CALL_ON_SCHEDULE: "schedule_id",
    ActionType.CALL_PROJECT: "project_id",
    ActionType.CALL_ESCALATION: "escalation_id",
}
_TARGET_FIELDS = ("contact_id", "user_id", "schedule_id", "project_id", "escalation_id")
# What `notify` may name: one of these, or none.
NOTIFY_FIELDS = ("contact_id", "user_id", "schedule_id", "project_id")


def _targets_schema() -> dict[str, Any]:
    """What `_targets_fit_type` holds, said in the JSON schema the API describes rules with."""
    variants: list[dict[str, Any]] = []
    for action, needed in TARGET_FIELD.items():
        properties: dict[str, Any] = {"type": {"const": action.value}}
        for name in _TARGET_FIELDS:
            properties[name] = {"type": "string"} if name == needed else {"type": "null"}
        variants.append({"properties": properties, "required": [needed]})
    plain: dict[str, Any] = {"type": {"enum": ["call_primary", "call_all", "record"]}}
    plain.update({name: {"type": "null"} for name in _TARGET_FIELDS})
    variants.append({"properties": plain})
    for named in (*NOTIFY_FIELDS, None):
        told: dict[str, Any] = {"type": {"const": ActionType.NOTIFY.value}}
        for name in _TARGET_FIELDS:
            told[name] = {"type": "string"} if name == named else {"type": "null"}
        variants.append({"properties": told, **({"required": [named]} if named else {})})
    return {"oneOf": variants}


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_targets_schema())

    type: ActionType
    # call_contact: which of the organization's contacts (a number, such as a desk line).
    contact_id: str | None = Field(default=None, max_length=40)
    # call_member: which member, told through their own notification rules.
    user_id: str | None = Field(default=None, max_length=40)
    # call_on_schedule: whoever the schedule has on call when the step runs.
    schedule_id: str | None = Field(default=None, max_length=40)
    # call_project: every member of the project.
    project_id: str | None = Field(default=None, max_length=40)
    # call_escalation: which of the organization's escalation policies.
    escalation_id: str | None = Field(default=None, max_length=40)

    @model_validator(mode="before")
    @classmethod
    def _member_was_a_contact(cls, data: Any) -> Any:
        """Before people could be paged, `call_member` named a contact; such a rule still
        means what it meant."""
        if (
            isinstance(data, Mapping)
            and data.get("type") == ActionType.CALL_MEMBER.value
            and data.get("contact_id") is not None
            and data.get("user_id") is None
        ):
            return {**data, "type": ActionType.CALL_CONTACT.value}
        return data

    @model_validator(mode="after")
    def _targets_fit_type(self) -> Action:
        if self.type == ActionType.NOTIFY:
            named = [name for name in _TARGET_FIELDS if getattr(self, name) is not None]
            if len(named) > 1 or (named and named[0] not in NOTIFY_FIELDS):
                raise ValueError(
                    "notify names at most one of " + ", ".join(NOTIFY_FIELDS) + ", or none"
                )
            return self
        needed = TARGET_FIELD.get(self.type)
        for name in _TARGET_FIELDS:
            present = getattr(self, name) is not None
            if present != (name == needed):
                users = [a.value for a, field in TARGET_FIELD.items() if field == name]
                raise ValueError(f"{name} is needed by {users[0]}, and only by it")
        return self

    @property
    def target_field(self) -> str | None:
        """Which id field names the action's target (for notify, the one given, if any)."""
        if self.type == ActionType.NOTIFY:
            return next((name for name in NOTIFY_FIELDS if getattr(self, name)), None)
        return TARGET_FIELD.get(self.type)

    @property
    def target_id(self) -> str | None:
        needed = self.target_field
        return getattr(self, needed) if needed is not None else None


DEFAULT_ACTION = Action(type=ActionType.CALL_PRIMARY)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=100)
    # all: every condition must hold; any: one is enough. No conditions: always matches.
    match: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    # When the alert must arrive, on a local clock; checked as well as the conditions.
    hours: Hours | None = None
    action: Action


RULES = TypeAdapter(list[Rule])


def parse_rules(documents: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Rules as stored (already validated when saved)."""
    return RULES.validate_python(documents)


def lookup(document: Any, path: str) -> Any:
    """The value at a dotted path; `_MISSING` when any part of it is absent."""
    value = document
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).casefold()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _scalars(value: Any) -> list[Any]:
    """A field holding a list is judged by its elements; maps and null hold no comparable
    value."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if item is not None and not isinstance(item, dict | list)]


def _holds(condition: Condition, document: Any) -> bool:
    found = lookup(document, condition.field)
    present = found is not _MISSING and found is not None
    op = condition.op
    if op in _PRESENCE_OPERATORS:
        return present if op == Operator.EXISTS else not present
    values = _scalars(found) if present else []
    if op in _LIST_OPERATORS:
        wanted = {_text(item) for item in condition.value}  # type: ignore[union-attr]
        hit = any(_text(value) in wanted for value in values)
        return hit if op == Operator.IN else not hit
    if op in _TEXT_OPERATORS:
        needle = _text(condition.value)
        if op == Operator.CONTAINS:
            return any(needle in _text(value) for value in values)
        if op == Operator.NOT_CONTAINS:
            return not any(needle in _text(value) for value in values)
        if op == Operator.STARTS_WITH:
            return any(_text(value).startswith(needle) for value in values)
        return any(_text(value).endswith(needle) for value in values)
    limit = _number(condition.value)
    if limit is None:  # the validator refuses such a condition; one built around it is a bug
        raise ValueError(f"'{op}' needs a number, not {condition.value!r}")
    numbers = [number for number in map(_number, values) if number is not None]
    if op == Operator.GT:
        return any(number > limit for number in numbers)
    if op == Operator.GTE:
        return any(number >= limit for number in numbers)
    if op == Operator.LT:
        return any(number < limit for number in numbers)
    return any(number <= limit for number in numbers)


@dataclass(frozen=True)
class When:
    """The instant an alert arrived, and the zone a rule's hours read it in unless they name
    their own. `zone` is asked only when a rule has hours without a zone, so routing an alert
    by rules without hours reads no time zone from anywhere."""

    at: datetime
    zone: Callable[[], str] = lambda: "UTC"


def matches(rule: Rule, document: Any, when: When | None = None) -> bool:
    """Whether the rule holds; `when` is needed by a rule with hours."""
    if rule.hours is not None:
        if when is None:
            raise ValueError("a rule with hours needs the instant the alert arrived")
        fallback = "UTC" if rule.hours.timezone else when.zone()
        if not rule.hours.hold_at(when.at, fallback):
            return False
    if not rule.conditions:
        return True
    results = (_holds(condition, document) for condition in rule.conditions)
    return all(results) if rule.match == "all" else any(results)


def first_match(rules: Sequence[Rule], document: Any, when: When) -> tuple[int, Rule] | None:
    """The position and rule of the first rule the document, arriving `when`, satisfies."""
    for position, rule in enumerate(rules):
        if matches(rule, document, when):
            return position, rule
    return None
