"""Reading what a sender wrote without letting it break what comes after.

A body that parses can still hold what no later step can take: numbers that are not finite
(NaN, Infinity, 1e400), which neither JSON output nor a database column accepts; a lone
surrogate, which cannot be encoded as UTF-8; a NUL character, which PostgreSQL cannot store in
text while SQLite takes it (so one backend lost the alert); and nesting so deep that the parser,
or later every answer that shows the payload, runs out of stack. Numbers that are not finite
become null, surrogates become U+FFFD, NULs go, and a document nested deeper than
`MAX_DEPTH` is refused, the same on every backend.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from tocsin.core.errors import InvalidInput

# Alerting payloads nest a handful of levels (Alertmanager's is four); 64 leaves room for any
# real sender and none for a stack bomb.
MAX_DEPTH = 64

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _finite(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


def load_json(text: str) -> Any:
    """The JSON document, cleaned (`clean`); ValueError if it is not JSON, InvalidInput if it
    nests deeper than `MAX_DEPTH`."""
    return clean(parse_json(text))


def parse_json(text: str | bytes) -> Any:
    """The JSON document as written, but for numbers that are not finite (null); ValueError if
    it is not JSON, InvalidInput if it nests deeper than `MAX_DEPTH` (where `json` itself
    would run out of stack, a RecursionError)."""
    try:
        document = json.loads(text, parse_constant=lambda _: None, parse_float=_finite)
    except RecursionError as error:
        raise _too_deep() from error
    if depth_of(document) > MAX_DEPTH:
        raise _too_deep()
    return document


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"the JSON body nests deeper than {MAX_DEPTH} levels", code="payload_too_deep"
    )


def depth_of(document: Any) -> int:
    """How deep objects and arrays nest (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def storable(text: str) -> bool:
    """Whether every backend can store `text` as it is: no NUL, no lone surrogate."""
    return "\x00" not in text and _LONE_SURROGATE.search(text) is None


def strings_in(document: Any) -> Iterator[str]:
    """Every string of a parsed JSON document, keys too, without recursion."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def clean_text(text: str) -> str:
    """Text any backend stores and any encoder writes: no NUL, no lone surrogate."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", text)


def clean(value: Any) -> Any:
    """`value` with every string (keys too) made storable, and non-finite numbers as None."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean_text(str(key)): clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value
