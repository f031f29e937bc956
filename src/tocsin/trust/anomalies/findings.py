"""What a detector reports, and the naming that keeps one case per pattern and period."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Finding:
    """One suspicious pattern. `details` is the evidence a reviewer needs (counts, sample
    numbers and ids) and is stored on the case as it is, so it holds JSON values only."""

    detector: str
    org_id: str | None
    summary: str
    fingerprint: str
    details: dict[str, Any] = field(default_factory=dict)
    over_hard_threshold: bool = False


def fingerprint(detector: str, subject: str, period: str) -> str:
    """Re-running a scan in the same period finds the case it filed, rather than filing
    another."""
    return f"anomaly:{detector}:{subject}:{period}"


def day_of(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def week_of(now: datetime) -> str:
    year, week, _ = now.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def normalise_text(text: str) -> str:
    """One form for texts that differ only in case, spacing or numbers, so "Order 123 ready"
    and "order 456  ready" read as the same message sent twice."""
    return _SPACE.sub(" ", _DIGITS.sub("#", text.lower())).strip()


def sample(values: Iterable[str], size: int) -> list[str]:
    """A stable handful of values, so repeated scans show the same evidence."""
    return sorted(set(values))[:size]


def hard(count: int, threshold: int | None) -> bool:
    return threshold is not None and count >= threshold


def hours(window: timedelta) -> int:
    return round(window.total_seconds() / 3600)
