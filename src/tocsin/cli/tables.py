"""Human output: lists as aligned tables, one item as aligned `field  value` lines.

Column names are the API's field names, so what a person reads is what `--json` and the API
call it. Values are written for reading (no Python reprs): none as `-`, yes/no, lists joined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

NOTHING = "-"
# How the API writes a time in UTC (2026-12-03T16:43:55.432427Z): a table shows it to the second.
_UTC_TIME = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(?:Z|\+00:00)")
GAP = "  "


def cell(value: Any) -> str:
    """One value as a single line of text."""
    if value is None or value == "" or value == [] or value == {}:
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return cell(value.value)
    if isinstance(value, datetime):
        return cell(value.isoformat())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={cell(item)}" for key, item in value.items())
    text = " ".join(str(value).split())
    time = _UTC_TIME.fullmatch(text)
    return f"{time[1]} {time[2]}Z" if time else text


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, empty: str) -> str:
    """`rows` as a table of `columns` (field names, which head them), every column as wide as
    its widest cell; `empty` when there are no rows."""
    if not rows:
        return empty
    lines = [list(columns), *([cell(row.get(column)) for column in columns] for row in rows)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(columns))]
    return "\n".join(
        GAP.join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def fields(item: Mapping[str, Any], keys: Sequence[str] | None = None) -> str:
    """One item as `field  value` lines, the values aligned; `keys` chooses and orders them."""
    chosen = list(keys) if keys is not None else list(item)
    if not chosen:
        return ""
    width = max(len(key) for key in chosen)
    return "\n".join(f"{key.ljust(width)}{GAP}{cell(item.get(key))}".rstrip() for key in chosen)
