"""Quota periods are instants: a day or month, once counted, ends when it ended in the zone it
began in, so changing the organization's time zone cannot open a fresh one. Zone changes are
limited and audited."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from tests import seeded
from tests.billing.helpers import tiny_billing
from tests.delivery.pager import MakePager, Pager
from tests.factories import ok
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime

DAY = 24 * 3600
_hosts = itertools.count()
# At 11:00 UTC these three zones are on three different dates.
BEHIND = "Etc/GMT+12"  # UTC-12: 23:00 the day before
AHEAD = "Pacific/Kiritimati"  # UTC+14: 01:00 the day after


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def at(clock: ManualClock, moment: datetime) -> None:
    clock.advance((moment - clock.now()).total_seconds())


def move_to(pager: Pager, zone: str) -> Any:
    return pager.client.patch(pager.org, json={"timezone": zone}, headers=pager.user_auth)


def place(pager: Pager, endpoint: str, count: int) -> None:
    """`count` new alerts, each run through the worker (a new title each: no deduplication)."""
    for _ in range(count):
        pager.fire(endpoint, {"title": f"Disk full on db{next(_hosts)}"})
        pager.run()


def make(
    make_pager: MakePager, runtime: Runtime, clock: ManualClock, moment: datetime, **caps: int
) -> Pager:
    """An organization in UTC on a plan with these caps, at `moment`."""
    at(clock, moment)
    runtime.billing = tiny_billing(**caps)
    return make_pager(throttle=())


def test_switching_zones_places_no_more_than_the_daily_cap_at_one_moment(
    make_pager: MakePager, runtime: Runtime, clock: ManualClock
) -> None:
    """issue 16, finding 6: counters were keyed by local date, so a 10-calls-a-day plan placed
    30 calls at one moment by switching zones."""
    zoned = make(make_pager, runtime, clock, utc(2026, 1, 10, 11), daily=3, monthly=1000)
    endpoint = zoned.endpoint(zoned.contact("Ana"))
    place(zoned, endpoint, 4)
    assert len(zoned.calls()) == 3

    ok(move_to(zoned, AHEAD))  # already the 11th there
    place(zoned, endpoint, 3)
    assert len(zoned.calls()) == 3
    usage = ok(zoned.client.get(f"{zoned.org}/usage", headers=zoned.auth))
    assert (usage["today"]["calls"], usage["calls_left"]) == (3, 0)
    # The day counted so far still ends at midnight UTC, where it began.
    assert usage["today"]["resets_at"] == "2026-01-11T00:00:00Z"

    # A second change the same day is refused, and said so.
    again = move_to(zoned, BEHIND)
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "timezone_change_too_soon"
    assert again.json()["error"]["details"]["allowed_at"] == "2026-01-11T11:00:00+00:00"


def test_switching_zones_at_the_end_of_the_month_does_not_reset_the_monthly_quota(
    make_pager: MakePager, runtime: Runtime, clock: ManualClock
) -> None:
    """issue 16, finding 6: the monthly counter reset too."""
    zoned = make(make_pager, runtime, clock, utc(2026, 1, 31, 11), daily=100, monthly=3)
    endpoint = zoned.endpoint(zoned.contact("Ana"))
    place(zoned, endpoint, 3)

    ok(move_to(zoned, AHEAD))  # 1 February there
    place(zoned, endpoint, 2)

    assert len(zoned.calls()) == 3
    usage = ok(zoned.client.get(f"{zoned.org}/usage", headers=zoned.auth))
    assert usage["month"]["calls"] == 3
    assert usage["month"]["resets_at"] == "2026-02-01T00:00:00Z"


def test_after_the_counted_day_the_next_starts_at_the_new_zones_midnight(
    make_pager: MakePager, runtime: Runtime, clock: ManualClock
) -> None:
    zoned = make(make_pager, runtime, clock, utc(2026, 1, 10, 11), daily=3, monthly=1000)
    endpoint = zoned.endpoint(zoned.contact("Ana"))
    place(zoned, endpoint, 3)
    ok(move_to(zoned, "America/New_York"))

    # The UTC day ends at 00:00 UTC; the next runs to New York's midnight, 05:00 UTC on the 12th.
    at(clock, utc(2026, 1, 11, 1))
    place(zoned, endpoint, 4)
    assert len(zoned.calls()) == 6
    usage = ok(zoned.client.get(f"{zoned.org}/usage", headers=zoned.auth))
    assert usage["today"]["resets_at"] == "2026-01-12T05:00:00Z"


def test_a_zone_change_is_audited_and_allowed_again_after_a_day(
    make_pager: MakePager, runtime: Runtime, clock: ManualClock
) -> None:
    zoned = make(make_pager, runtime, clock, utc(2026, 1, 10, 11))
    ok(move_to(zoned, AHEAD))
    assert move_to(zoned, AHEAD).status_code == 200  # no change, nothing counted
    assert move_to(zoned, BEHIND).status_code == 409
    clock.advance(DAY)
    zoned.user_auth = seeded.signed_in(runtime, zoned.owner_id)
    ok(move_to(zoned, BEHIND))
    trail = ok(
        zoned.client.get(
            f"{zoned.org}/audit", params={"action": "org.timezone_changed"}, headers=zoned.auth
        )
    )["items"]
    assert [(e["details"]["from"], e["details"]["to"]) for e in trail] == [
        (AHEAD, BEHIND),
        ("UTC", AHEAD),
    ]
