"""When a monitor's next ping is due: pure functions of its plan and an instant.

An interval plan expects the next ping one interval after the last. A cron plan expects it at
the next instant of its expression on the wall clock of its time zone, computed by `cronsim`,
the evaluator Healthchecks.io wrote for the same purpose, which follows Debian's cron across
daylight saving time (https://github.com/cuu508/cronsim, "DST Transitions"): a job at a fixed
time skipped by the spring change is expected right after it (02:30 becomes 03:00), a job at a
fixed time in the hour the autumn change repeats is expected once, and jobs that run every hour
or more often keep their pace in real time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from tocsin.core.errors import InvalidInput
from tocsin.policy.quota import check_timezone

MIN_INTERVAL = timedelta(minutes=1)
MAX_PERIOD = timedelta(days=365)
MAX_CRON_CHARACTERS = 100
# Debian's cron takes these names for the common schedules; cronsim takes five fields only.
NICKNAMES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


_DURATION = re.compile(r"^(\d{1,9})\s*([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, what: str) -> int:
    """Seconds from what a person types in a form or a shell: 300, 300s, 5m, 2h or 1d."""
    found = _DURATION.match(text.strip().lower())
    if found is None:
        raise InvalidInput(
            f"{what}: {text!r} is not a duration such as 300, 5m, 2h or 1d",
            code="invalid_duration",
        )
    return int(found[1]) * _UNIT_SECONDS[found[2]]


def duration_text(seconds: int) -> str:
    """The shortest way `parse_duration` reads back: 1d, 2h, 5m or 90s."""
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Plan:
    """When pings are due (an interval, or a cron expression in a time zone), how long after
    that a missing one may still come (`grace`), and how long a started run may take."""

    interval: timedelta | None
    cron: str | None
    timezone: str
    grace: timedelta
    max_runtime: timedelta | None = None


def checked_plan(
    *,
    interval_seconds: int | None,
    cron: str | None,
    timezone: str,
    grace_seconds: int,
    max_runtime_seconds: int | None,
) -> Plan:
    """A plan from what a person typed; InvalidInput naming what is wrong otherwise."""
    if (interval_seconds is None) == (cron is None or not cron.strip()):
        raise InvalidInput(
            "give either interval_seconds or a cron expression, not both",
            code="invalid_schedule",
        )
    interval = None
    if interval_seconds is not None:
        interval = _period(interval_seconds, "interval_seconds", MIN_INTERVAL, "invalid_interval")
    cron = checked_cron(cron) if cron is not None and cron.strip() else None
    if max_runtime_seconds is None:
        max_runtime = None
    else:
        max_runtime = _period(
            max_runtime_seconds, "max_runtime_seconds", MIN_INTERVAL, "invalid_max_runtime"
        )
    return Plan(
        interval=interval,
        cron=cron,
        timezone=check_timezone(timezone),
        grace=_period(grace_seconds, "grace_seconds", timedelta(0), "invalid_grace"),
        max_runtime=max_runtime,
    )


def _period(seconds: int, what: str, least: timedelta, code: str) -> timedelta:
    period = timedelta(seconds=seconds)
    if not least <= period <= MAX_PERIOD:
        raise InvalidInput(
            f"{what} must be {int(least.total_seconds())} to "
            f"{int(MAX_PERIOD.total_seconds())} seconds",
            code=code,
        )
    return period


def checked_cron(expression: str) -> str:
    """A five-field cron expression (or a nickname such as @daily) that has a next instant."""
    written = " ".join(expression.split())
    cron = NICKNAMES.get(written.lower(), written)
    if len(cron) > MAX_CRON_CHARACTERS or len(cron.split()) != 5:
        raise InvalidInput(
            "cron must be five fields (minute hour day month weekday), e.g. '30 2 * * *'",
            code="invalid_cron",
        )
    try:
        next(CronSim(cron, datetime(2026, 1, 1, tzinfo=UTC)))
    except (CronSimError, StopIteration) as error:
        raise InvalidInput(
            f"cron {written!r} does not parse: {error}", code="invalid_cron"
        ) from error
    return cron


def expected_after(plan: Plan, at: datetime) -> datetime:
    """The first instant after `at` (aware) at which a ping is due, in UTC."""
    return next(_instants(plan, at))


def expected_instants(plan: Plan, after: datetime, count: int) -> list[datetime]:
    """The next `count` instants after `after` at which pings are due, in UTC."""
    instants = _instants(plan, after)
    return [next(instants) for _ in range(count)]


def _instants(plan: Plan, after: datetime) -> Iterator[datetime]:
    if plan.interval is not None:
        return _every(plan.interval, after)
    if plan.cron is None:
        raise ValueError("a plan has an interval or a cron expression")
    return _on_cron(plan.cron, ZoneInfo(plan.timezone), after)


def _every(interval: timedelta, after: datetime) -> Iterator[datetime]:
    at = after.astimezone(UTC)
    while True:
        at += interval
        yield at


def _on_cron(cron: str, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    last = after
    for local in CronSim(cron, after.astimezone(zone)):
        instant = local.astimezone(UTC)
        # cronsim walks a fixed-time job's wall clock, which the autumn change runs through
        # twice: from the second 02:10, the wall clock's next 02:30 is the first one, already
        # past. Debian's cron runs such a job once, so the next one is tomorrow's.
        if instant > last:
            last = instant
            yield instant
