"""Label matchers, as Alertmanager's silences have them. Pure: no I/O.

A matcher is a label name, an operator and a value (Alertmanager's `<matcher>`,
https://prometheus.io/docs/alerting/latest/configuration/#matcher): `=` equal, `!=` not equal,
`=~` matches the regular expression, `!~` does not. They have PromQL's meaning
(https://prometheus.io/docs/prometheus/latest/querying/basics/): a regular expression is fully
anchored (`env=~"foo"` is `env=~"^foo$"`), and a label an alert lacks has the empty value, so
`team=""` matches an alert without `team` and `team!=""` one that has it. Matchers are ANDed.

Alertmanager's expressions are Go's RE2, which never backtracks; Python's `re` does. So what is
taken is a subset that cannot run away: at most 256 characters, no backreferences or
lookaround (RE2 has neither), no quantified group that holds a quantifier or an alternation
(`(a+)+`, `(a|a)*`: the catastrophic shapes), at most two unbounded quantifiers, at most a
million ways to match counted over its alternatives and repetitions in a row; and a label
value longer than 256 characters is not tested at all. A matcher that cannot be decided does
not match, so the window does not mute: when in doubt, call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tocsin.core.errors import InvalidInput

MAX_MATCHERS = 20
MAX_PATTERN = 256
MAX_VALUE = 1024
# Label values longer than this are not put to a regular expression.
MAX_TESTED_VALUE = 256
_UNBOUNDED_QUANTIFIERS = 2
# The ways an expression may try to match, counted as the product of its choices (an
# alternative's branches, a quantifier's repetition counts): a run of them in a row, each
# harmless alone, multiplies how far Python's `re` backtracks (".{0,99}" six times took minutes).
_MAX_WAYS = 1_000_000
# Prometheus's label names (https://prometheus.io/docs/concepts/data_model/).
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,99}")
_TEXT = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$", re.DOTALL)


class Op(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    MATCHES = "=~"
    NOT_MATCHES = "!~"


@dataclass(frozen=True)
class Matcher:
    name: str
    op: Op
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "op": self.op.value, "value": self.value}

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.name}{self.op.value}"{escaped}"'

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.op == Op.EQUAL:
            return value == self.value
        if self.op == Op.NOT_EQUAL:
            return value != self.value
        if len(value) > MAX_TESTED_VALUE:
            return False
        found = _compiled(self.value).fullmatch(value) is not None
        return found if self.op == Op.MATCHES else not found


def invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_matchers")


def matcher(name: str, op: str, value: str) -> Matcher:
    """One matcher, checked; InvalidInput (`invalid_matchers`) says what is wrong."""
    if not LABEL_NAME.fullmatch(name):
        raise invalid(f"{name!r} is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, 100 at most)")
    try:
        checked = Op(op)
    except ValueError as exc:
        raise invalid(f"{op!r} is not one of =, !=, =~, !~") from exc
    if len(value) > MAX_VALUE:
        raise invalid(f"a matcher's value is {MAX_VALUE} characters at most")
    if checked in (Op.MATCHES, Op.NOT_MATCHES):
        check_pattern(value)
    return Matcher(name, checked, value)


def parse(items: Sequence[Mapping[str, Any]]) -> list[Matcher]:
    if len(items) > MAX_MATCHERS:
        raise invalid(f"a window has at most {MAX_MATCHERS} matchers")
    found = []
    for item in items:
        name, op, value = item.get("name"), item.get("op"), item.get("value")
        if not (isinstance(name, str) and isinstance(op, str) and isinstance(value, str)):
            raise invalid("a matcher is {name, op, value}, each text")
        found.append(matcher(name, op, value))
    return found


def parse_text(text: str) -> Matcher:
    """Alertmanager's written form: `severity="critical"`, `instance=~db[0-9]+`; the value may
    be in double quotes, with `\\"`, `\\n` and `\\\\` escaped inside them."""
    found = _TEXT.match(text)
    if found is None:
        raise invalid(f"{text!r} is not NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX")
    name, op, value = found.groups()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = _unescaped(value[1:-1])
    return matcher(name, op, value)


def _unescaped(text: str) -> str:
    # OpenMetrics' escapes; a lone backslash stays a backslash, as Alertmanager reads it.
    return re.sub(r'\\(["n\\])', lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def check_pattern(pattern: str) -> None:
    """InvalidInput unless the pattern is in the subset described above."""
    if len(pattern) > MAX_PATTERN:
        raise invalid(f"a regular expression is {MAX_PATTERN} characters at most")
    _Scan(pattern).run()
    try:
        _compiled(pattern)
    except re.error as exc:
        raise invalid(f"not a regular expression: {exc}") from exc


@dataclass
class _Group:
    """What a group holds, at any depth."""

    quantifier: bool = False
    alternation: bool = False
    # Its alternatives (`|` directly in it, plus one).
    branches: int = 1


class _Scan:
    """Reads a pattern's structure: groups, quantifiers, escapes and classes."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.at = 0
        self.unbounded = 0
        self.ways = 1

    def run(self) -> None:
        groups: list[_Group] = [_Group()]
        # What the next quantifier would repeat: None, an atom, or a closed group.
        last: _Group | None = None
        pattern = self.pattern
        while self.at < len(pattern):
            char = pattern[self.at]
            if char == "\\":
                self._escape()
                last = _Group()
            elif char == "[":
                self._class()
                last = _Group()
            elif char == "(":
                if self._open():
                    groups.append(_Group())
                last = None
            elif char == ")":
                if len(groups) == 1:
                    raise invalid("a ) closes no group")
                last = groups.pop()
                self._choices(last.branches)
                groups[-1].quantifier |= last.quantifier
                groups[-1].alternation |= last.alternation
                self.at += 1
            elif char == "|":
                groups[-1].alternation = True
                groups[-1].branches += 1
                last = None
                self.at += 1
            elif char in "*+?{":
                bounded, counts = self._quantifier()
                self._choices(counts)
                if last is not None and (last.quantifier or last.alternation):
                    raise invalid(
                        "a repeated group may not hold a repetition or an alternation "
                        "(it could take exponential time)"
                    )
                groups[-1].quantifier = True
                self.unbounded += 0 if bounded else 1
                last = None
            else:
                last = _Group()
                self.at += 1
        self._choices(groups[0].branches)
        if self.unbounded > _UNBOUNDED_QUANTIFIERS:
            raise invalid(f"at most {_UNBOUNDED_QUANTIFIERS} of *, + or {{n,}} in one expression")
        if self.ways > _MAX_WAYS:
            raise invalid(
                "too many ways to match: alternatives and repetitions in a row could take "
                "exponential time"
            )

    def _escape(self) -> None:
        following = self.pattern[self.at + 1 : self.at + 2]
        if following.isdigit() and following != "0":
            raise invalid("backreferences are not taken (RE2 has none)")
        if following in ("g", "k", "P"):
            raise invalid(f"\\{following} is not taken")
        self.at += 2

    def _class(self) -> None:
        end = self.at + 1
        if self.pattern[end : end + 1] == "^":
            end += 1
        if self.pattern[end : end + 1] == "]":
            end += 1
        while end < len(self.pattern) and self.pattern[end] != "]":
            end += 2 if self.pattern[end] == "\\" else 1
        if end >= len(self.pattern):
            raise invalid("a [ opens a class that no ] closes")
        self.at = end + 1

    def _open(self) -> bool:
        """Step over a group's opening; False for flags alone, `(?i)`, which open nothing."""
        opened = re.match(r"\((?:\?(?::|P<\w+>|[ims]+[:)]))?", self.pattern[self.at :])
        if opened is None or (self.pattern.startswith("(?", self.at) and opened.end() == 1):
            raise invalid("groups are (...), (?:...), (?P<name>...) and flags (?i) (RE2's)")
        self.at += opened.end()
        return not opened.group().endswith(")")

    def _choices(self, count: int) -> None:
        self.ways *= count

    def _quantifier(self) -> tuple[bool, int]:
        """Step over a quantifier; whether it is bounded (?, {n}, {n,m}), and how many
        repetition counts it may try on a value that is tested (MAX_TESTED_VALUE at most)."""
        char = self.pattern[self.at]
        longest = MAX_TESTED_VALUE + 1
        if char == "{":
            end = self.pattern.find("}", self.at)
            body = self.pattern[self.at + 1 : end] if end != -1 else ""
            if not re.fullmatch(r"\d{1,3}(,\d{0,3})?", body):
                raise invalid("a { is a repetition {n}, {n,} or {n,m} (n and m up to 999)")
            self.at = end + 1
            bounded = not body.endswith(",")
            least, comma, most = body.partition(",")
            if not comma:
                counts = 1
            elif not most:
                counts = longest
            else:
                counts = min(max(int(most) - int(least) + 1, 1), longest)
        else:
            self.at += 1
            bounded = char == "?"
            counts = 2 if bounded else longest
        if self.pattern[self.at : self.at + 1] in ("?", "+"):
            if self.pattern[self.at] == "+":
                raise invalid("possessive quantifiers are not taken (RE2 has none)")
            self.at += 1  # lazy: the same cost
        return bounded, counts


def _compiled(pattern: str) -> re.Pattern[str]:
    return _COMPILED.get(pattern) or _compile(pattern)


_COMPILED: dict[str, re.Pattern[str]] = {}


def _compile(pattern: str) -> re.Pattern[str]:
    compiled = re.compile(pattern)
    if len(_COMPILED) > 4096:
        _COMPILED.clear()
    _COMPILED[pattern] = compiled
    return compiled


def all_match(matchers: Sequence[Matcher], label_sets: Sequence[Mapping[str, str]]) -> bool:
    """Whether every label set satisfies every matcher. A notification that groups several
    alerts is muted only when each of them would be: one alert the window does not cover still
    pages. No matchers: everything matches."""
    if not matchers:
        return True
    if not label_sets:
        return False
    return all(m.matches(labels) for labels in label_sets for m in matchers)
