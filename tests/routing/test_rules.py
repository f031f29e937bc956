"""Scenario rules: every operator, on every kind of field, and first match wins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from tocsin.routing.rules import (
    Action,
    ActionType,
    Condition,
    Operator,
    Rule,
    When,
    first_match,
    lookup,
    matches,
)

DOCUMENT: dict[str, Any] = {
    "severity": "critical",
    "title": "Disk full on DB1",
    "labels": {"team": "Database", "env": "prod", "replicas": "3"},
    "tags": ["db", "Storage"],
    "load": 7.5,
    "count": 12,
    "muted": False,
    "nothing": None,
    "alerts": [{"labels": {"job": "node"}}],
}


def holds(field: str, op: str, value: Any = None) -> bool:
    rule = Rule(
        conditions=[Condition(field=field, op=Operator(op), value=value)],
        action=Action(type=ActionType.CALL_PRIMARY),
    )
    return matches(rule, DOCUMENT)


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("severity", "in", ["critical", "major"], True),
        ("severity", "in", ["CRITICAL"], True),  # text compares without regard to case
        ("severity", "in", ["minor"], False),
        ("severity", "nin", ["minor", "info"], True),
        ("severity", "nin", ["critical"], False),
        ("labels.team", "in", ["database"], True),
        ("tags", "in", ["storage"], True),  # a list field matches on any element
        ("tags", "nin", ["db"], False),
        ("count", "in", [12], True),
        ("count", "in", ["12"], True),
        ("muted", "in", [False], True),
        ("muted", "in", ["false"], True),
        ("title", "contains", "disk full", True),
        ("title", "contains", "memory", False),
        ("title", "not_contains", "memory", True),
        ("title", "not_contains", "DB1", False),
        ("tags", "contains", "stor", True),
        ("title", "starts_with", "disk", True),
        ("title", "starts_with", "full", False),
        ("title", "ends_with", "db1", True),
        ("title", "ends_with", "disk", False),
        ("labels.env", "exists", None, True),
        ("labels.region", "exists", None, False),
        ("nothing", "exists", None, False),  # null counts as absent
        ("labels.region", "not_exists", None, True),
        ("labels.env", "not_exists", None, False),
        ("load", "gt", 7, True),
        ("load", "gt", 7.5, False),
        ("load", "gte", 7.5, True),
        ("load", "lt", 8, True),
        ("load", "lte", 7.4, False),
        ("labels.replicas", "gte", 3, True),  # numeric text compares as a number
        ("title", "gt", 1, False),  # not a number: never greater, never smaller
        ("title", "lt", 1, False),
        ("alerts.0.labels.job", "in", ["node"], True),
        ("alerts.5.labels.job", "exists", None, False),
        ("labels.team.name", "exists", None, False),  # a path through a string finds nothing
    ],
)
def test_operator_on_field(field: str, op: str, value: Any, expected: bool) -> None:
    assert holds(field, op, value) is expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("in", ["x"], False),
        ("nin", ["x"], True),
        ("contains", "x", False),
        ("not_contains", "x", True),
        ("starts_with", "x", False),
        ("gt", 0, False),
        ("exists", None, False),
        ("not_exists", None, True),
    ],
)
def test_a_missing_field_only_satisfies_the_negative_operators(
    op: str, value: Any, expected: bool
) -> None:
    assert holds("labels.missing", op, value) is expected


def test_match_all_needs_every_condition_and_any_needs_one() -> None:
    conditions = [
        Condition(field="severity", op=Operator.IN, value=["critical"]),
        Condition(field="labels.env", op=Operator.IN, value=["staging"]),
    ]
    action = Action(type=ActionType.CALL_ALL)
    assert not matches(Rule(conditions=conditions, action=action), DOCUMENT)
    assert matches(Rule(match="any", conditions=conditions, action=action), DOCUMENT)


def test_a_rule_without_conditions_always_matches() -> None:
    assert matches(Rule(action=Action(type=ActionType.CALL_ALL)), {})


def test_first_matching_rule_wins() -> None:
    rules = [
        Rule(
            name="staging is quiet",
            conditions=[Condition(field="labels.env", op=Operator.IN, value=["staging"])],
            action=Action(type=ActionType.CALL_MEMBER, contact_id="ct_dev"),
        ),
        Rule(
            name="database team",
            conditions=[Condition(field="labels.team", op=Operator.IN, value=["database"])],
            action=Action(type=ActionType.CALL_ESCALATION, escalation_id="esp_db"),
        ),
        Rule(name="everything else", action=Action(type=ActionType.CALL_ALL)),
    ]
    when = When(datetime(2026, 1, 5, tzinfo=UTC))
    position, rule = first_match(rules, DOCUMENT, when) or (None, None)
    assert (position, rule and rule.name) == (1, "database team")
    assert first_match(rules[:1], DOCUMENT, when) is None


def test_lookup_walks_maps_and_list_indexes() -> None:
    assert lookup(DOCUMENT, "alerts.0.labels.job") == "node"
    assert lookup({"a.b": 1}, "a.b") != 1  # dots always separate parts


@pytest.mark.parametrize(
    "condition",
    [
        {"field": "severity", "op": "in", "value": "critical"},  # in needs a list
        {"field": "severity", "op": "in", "value": []},
        {"field": "severity", "op": "gt", "value": "high"},  # gt needs a number
        {"field": "severity", "op": "exists", "value": "x"},  # exists takes no value
        {"field": "severity", "op": "contains", "value": ["x"]},
        {"field": "severity", "op": "matches", "value": "x"},  # no such operator
        {"field": "", "op": "exists"},
        {"field": "a b", "op": "exists"},
        {"field": "severity", "op": "exists", "extra": 1},
    ],
)
def test_malformed_conditions_are_refused(condition: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Condition.model_validate(condition)


@pytest.mark.parametrize(
    "action",
    [
        {"type": "call_member"},
        {"type": "call_escalation"},
        {"type": "call_primary", "contact_id": "ct_x"},
        {"type": "call_all", "escalation_id": "esp_x"},
        {"type": "drop"},  # there is no action that silences an alert
    ],
)
def test_actions_must_name_exactly_what_they_need(action: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Action.model_validate(action)
