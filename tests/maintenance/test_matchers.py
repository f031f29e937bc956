"""Label matchers as Alertmanager's silences have them.

Alertmanager's `<matcher>` (https://prometheus.io/docs/alerting/latest/configuration/#matcher):
a label name, one of `=`, `!=`, `=~`, `!~`, and a value that may be in double quotes with
OpenMetrics escapes; matchers are ANDed. PromQL's meaning
(https://prometheus.io/docs/prometheus/latest/querying/basics/): "Regex matches are fully
anchored", and matchers that match the empty value also match a label that is not there.
"""

from __future__ import annotations

import time

import pytest

from tocsin.core.errors import InvalidInput
from tocsin.maintenance.matchers import (
    MAX_TESTED_VALUE,
    Op,
    all_match,
    check_pattern,
    matcher,
    parse,
    parse_text,
)

LABELS = {"alertname": "HighCPU", "severity": "critical", "instance": "db12", "env": "prod"}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("severity=critical", True),
        ('severity="critical"', True),
        ("severity = critical", True),
        ("severity=warning", False),
        ("severity!=warning", True),
        ("severity!=critical", False),
        ("instance=~db[0-9]+", True),
        # Fully anchored: "db" alone does not match "db12".
        ("instance=~db", False),
        ("instance=~b1", False),
        ('instance=~"db1.*"', True),
        ("instance!~db[0-9]+", False),
        ("instance!~web.*", True),
        ("env=~prod|staging", True),
        ("env=~(?i)PROD", True),
        # A missing label is the empty value.
        ('team=""', True),
        ('team!=""', False),
        ('env!=""', True),
        ("team=~.*", True),
        ("team=~.+", False),
        ("team!~.+", True),
    ],
)
def test_matchers_read_as_alertmanager_and_promql_say(text: str, matches: bool) -> None:
    assert parse_text(text).matches(LABELS) is matches


def test_quoted_values_take_openmetrics_escapes() -> None:
    assert parse_text(r'summary="say \"hi\"\nthen \\ go"').value == 'say "hi"\nthen \\ go'
    # A lone backslash stays itself, as Alertmanager reads it.
    assert parse_text(r'path="C:\temp"').value == r"C:\temp"
    assert parse_text("path=").value == ""


def test_every_matcher_must_match_every_alert_of_a_group() -> None:
    critical = [parse_text("severity=critical")]
    db = {"severity": "critical", "instance": "db1"}
    web = {"severity": "warning", "instance": "web1"}
    assert all_match(critical, [db])
    # One alert of the group the window does not cover: the group still pages.
    assert not all_match(critical, [db, web])
    assert not all_match([*critical, parse_text("instance=db2")], [db])
    assert all_match([], [web])
    assert not all_match(critical, [])


@pytest.mark.parametrize(
    ("name", "op", "value", "says"),
    [
        ("1abc", "=", "x", "label name"),
        ("a-b", "=", "x", "label name"),
        ("", "=", "x", "label name"),
        ("a" * 101, "=", "x", "label name"),
        ("severity", "==", "x", "one of"),
        ("severity", "~", "x", "one of"),
        ("severity", "=", "x" * 1025, "1024"),
        ("instance", "=~", "(a+)+", "exponential"),
        ("instance", "=~", "(a|aa)*", "exponential"),
        ("instance", "=~", "((ab)*c)+", "exponential"),
        ("instance", "!~", "(?:x?)*", "exponential"),
        ("instance", "=~", r"(a)\1", "backreferences"),
        ("instance", "=~", "(?=a)a", "groups are"),
        ("instance", "=~", "(?<!a)b", "groups are"),
        ("instance", "=~", "a*+", "possessive"),
        ("instance", "=~", ".*a.*b.*", "at most 2"),
        ("instance", "=~", "a{1,2", "repetition"),
        ("instance", "=~", "[a-", "class"),
        ("instance", "=~", "a)", "closes no group"),
        ("instance", "=~", "(a", "not a regular expression"),
        ("instance", "=~", "a" * 257, "256"),
    ],
)
def test_what_could_run_away_or_is_not_re2_is_refused(
    name: str, op: str, value: str, says: str
) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        matcher(name, op, value)
    assert refused.value.code == "invalid_matchers"


@pytest.mark.parametrize(
    "pattern",
    ["db[0-9]+", "a|b|c", "(?:eu|us)-west-[0-9]", "(?P<n>x)y", r"\d{1,3}\.\d{1,3}", "[(]+", "x{3}"],
)
def test_ordinary_expressions_are_taken(pattern: str) -> None:
    check_pattern(pattern)


def test_a_long_label_value_is_not_put_to_a_regular_expression_and_so_never_mutes() -> None:
    # The worst a taken expression can do is polynomial in the value's length; a value too long
    # to test safely is undecided, and an undecided matcher does not match: when in doubt, call.
    long_value = {"instance": "a" * (MAX_TESTED_VALUE + 1)}
    assert not matcher("instance", "=~", "a*").matches(long_value)
    assert not matcher("instance", "!~", "b.*").matches(long_value)
    # Equality needs no expression: any length.
    assert matcher("instance", "=", "a" * (MAX_TESTED_VALUE + 1)).matches(long_value)


def test_the_slowest_expression_taken_is_fast_on_the_longest_value_tested() -> None:
    slowest = matcher("instance", "=~", ".*.*x")
    value = {"instance": "a" * MAX_TESTED_VALUE}
    began = time.monotonic()
    for _ in range(100):
        assert not slowest.matches(value)
    assert time.monotonic() - began < 1


@pytest.mark.parametrize(
    "pattern",
    [
        # No quantifier repeats a group and at most two are unbounded, yet each of these took
        # seconds to minutes on a short value, on every alert of the organization: bounded
        # quantifiers and alternatives in a row multiply the ways Python's `re` backtracks.
        ".{0,99}" * 6 + "b",
        "a?" * 40 + "a" * 40,
        "(?:a|aa)" * 28 + "c",
    ],
)
def test_a_run_of_choices_that_backtracks_without_end_is_refused(pattern: str) -> None:
    with pytest.raises(InvalidInput, match="too many ways") as refused:
        matcher("instance", "=~", pattern)
    assert refused.value.code == "invalid_matchers"


def test_structured_matchers_are_checked_as_written_ones() -> None:
    [found] = parse([{"name": "env", "op": "=~", "value": "prod|staging"}])
    assert (found.name, found.op, found.value) == ("env", Op.MATCHES, "prod|staging")
    assert str(found) == 'env=~"prod|staging"'
    with pytest.raises(InvalidInput, match="each text"):
        parse([{"name": "env", "op": "=", "value": 3}])
    with pytest.raises(InvalidInput, match="at most 20"):
        parse([{"name": "a", "op": "=", "value": "b"}] * 21)
    with pytest.raises(InvalidInput, match="is not NAME=VALUE"):
        parse_text("just words")
