"""Call quotas and caps: the periods a call counts in, and what the engine does at each cap."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.billing.helpers import tiny_billing
from tests.delivery.pager import MakePager, Pager
from tests.factories import ok
from tocsin.billing.models import UsageCounter
from tocsin.billing.usage import Counted, Refused, count_call, give_back
from tocsin.core.clock import ManualClock
from tocsin.paging.models import CallAttempt
from tocsin.policy.quota import (
    CallCaps,
    CapKind,
    Period,
    PeriodKind,
    calendar_period,
    calls_left,
    current_period,
    low_quota_sentence,
    periods_at,
)
from tocsin.runtime import Runtime

NEW_YORK = "America/New_York"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# Periods -------------------------------------------------------------------------------------


def test_a_day_is_the_organizations_local_day() -> None:
    # 02:00 UTC on 1 February is still 31 January in New York.
    periods = periods_at(utc(2026, 2, 1, 2, 0), NEW_YORK)
    assert (periods.day.label, periods.month.label) == ("2026-01-31", "2026-01")
    assert periods.day.starts_at == utc(2026, 1, 31, 5, 0)
    assert periods.day_resets_at == utc(2026, 2, 1, 5, 0)
    assert periods.month.starts_at == utc(2026, 1, 1, 5, 0)
    assert periods.month_resets_at == utc(2026, 2, 1, 5, 0)


def test_half_hour_zones_and_the_month_boundary() -> None:
    periods = periods_at(utc(2026, 1, 31, 19, 0), "Asia/Kolkata")
    assert (periods.day.label, periods.month.label) == ("2026-02-01", "2026-02")
    assert periods.day_resets_at == utc(2026, 2, 1, 18, 30)


def test_a_daylight_saving_day_resets_at_the_next_local_midnight() -> None:
    # New York springs forward on 8 March 2026: that midnight is EST, the next one EDT.
    periods = periods_at(utc(2026, 3, 8, 12, 0), NEW_YORK)
    assert periods.day.label == "2026-03-08"
    assert periods.day_resets_at == utc(2026, 3, 9, 4, 0)
    assert periods.month_resets_at == utc(2026, 4, 1, 4, 0)


UTC_DAY = Period(PeriodKind.DAY, utc(2026, 1, 10), utc(2026, 1, 11), "2026-01-10")
UTC_MONTH = Period(PeriodKind.MONTH, utc(2026, 1, 1), utc(2026, 2, 1), "2026-01")


def test_a_period_already_counted_lasts_whatever_the_zone_is_now() -> None:
    """issue 16, finding 6: at 11:00 UTC Kiritimati is a day ahead, but the UTC day counted
    so far is still the one a call counts in."""
    periods = periods_at(
        utc(2026, 1, 10, 11), "Pacific/Kiritimati", latest_day=UTC_DAY, latest_month=UTC_MONTH
    )
    assert (periods.day, periods.month) == (UTC_DAY, UTC_MONTH)


def test_the_next_period_starts_where_the_counted_one_ended() -> None:
    # After the UTC day, Tokyo's next midnight (15:00 UTC) is 15 hours on: a day of its own.
    after = current_period(PeriodKind.DAY, utc(2026, 1, 11, 1), "Asia/Tokyo", UTC_DAY)
    assert after == Period(PeriodKind.DAY, utc(2026, 1, 11), utc(2026, 1, 11, 15), "2026-01-11")


def test_a_stub_shorter_than_half_a_period_joins_the_next() -> None:
    # After the UTC day, New York's midnight is only 5 hours on: the stub joins its next day.
    after = current_period(PeriodKind.DAY, utc(2026, 1, 11, 1), NEW_YORK, UTC_DAY)
    assert after == Period(PeriodKind.DAY, utc(2026, 1, 11), utc(2026, 1, 12, 5), "2026-01-11")
    # The same for a month: Kiritimati's February began ten hours before the UTC January ended.
    month = current_period(PeriodKind.MONTH, utc(2026, 2, 1, 1), "Pacific/Kiritimati", UTC_MONTH)
    assert month == Period(PeriodKind.MONTH, utc(2026, 2, 1), utc(2026, 2, 28, 10), "2026-02")


def test_a_gap_since_the_last_counted_period_starts_at_the_local_boundary() -> None:
    later = current_period(PeriodKind.DAY, utc(2026, 1, 20, 12), NEW_YORK, UTC_DAY)
    assert later == calendar_period(PeriodKind.DAY, utc(2026, 1, 20, 12), NEW_YORK)
    assert later.starts_at == utc(2026, 1, 20, 5)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(Exception, match="unknown time zone"):
        periods_at(utc(2026, 1, 1), "Mars/Olympus_Mons")


# Arithmetic ----------------------------------------------------------------------------------

CAPS = CallCaps(monthly_calls=100, daily_calls=10, monthly_spend_cents=50, cost_cents=2)


def test_calls_left_is_the_smallest_of_the_three_caps() -> None:
    assert calls_left(CAPS, day_calls=3, month_calls=20, month_spend_cents=10) == 7
    assert calls_left(CAPS, day_calls=0, month_calls=98, month_spend_cents=0) == 2
    # 50 cents at 2 a call leaves 5 calls once 40 are spent.
    assert calls_left(CAPS, day_calls=0, month_calls=0, month_spend_cents=40) == 5
    assert calls_left(CAPS, day_calls=12, month_calls=0, month_spend_cents=0) == 0


def test_the_call_mentions_the_quota_only_when_fewer_than_three_are_left() -> None:
    assert low_quota_sentence(3, CapKind.DAILY) is None
    assert low_quota_sentence(2, CapKind.DAILY) == "Your Tocsin plan has 2 calls left today."
    assert low_quota_sentence(1, CapKind.MONTHLY) == (
        "Your Tocsin plan has 1 call left this month."
    )
    assert low_quota_sentence(0, CapKind.SPEND) == (
        "This is the last call your Tocsin plan allows this month."
    )


# Counting in the database ----------------------------------------------------------------------


def _org(runtime: Runtime) -> str:
    return seeded.person(runtime, email="q@example.com").org_id


def test_counting_stops_at_the_daily_cap_and_gives_back(runtime: Runtime) -> None:
    org_id = _org(runtime)
    caps = CallCaps(monthly_calls=100, daily_calls=3, monthly_spend_cents=1000, cost_cents=2)
    periods = periods_at(utc(2026, 1, 1, 12), "UTC")
    results = []
    for _ in range(4):
        with runtime.database.write() as session:
            results.append(count_call(session, org_id=org_id, caps=caps, periods=periods))
    assert [type(result) for result in results] == [Counted, Counted, Counted, Refused]
    assert [r.left for r in results[:3] if isinstance(r, Counted)] == [2, 1, 0]
    refused = results[3]
    assert isinstance(refused, Refused)
    assert refused.cap == CapKind.DAILY
    assert refused.resets_at == utc(2026, 1, 2)
    with runtime.database.write() as session:
        give_back(
            session,
            org_id=org_id,
            day_starts_at=periods.day.starts_at,
            month_starts_at=periods.month.starts_at,
            cost_cents=2,
        )
    with runtime.database.read() as session:
        rows = {
            (row.kind, row.starts_at, row.ends_at, row.label): (row.calls, row.spend_cents)
            for row in session.scalars(select(UsageCounter).where(UsageCounter.org_id == org_id))
        }
    assert rows == {
        ("day", utc(2026, 1, 1), utc(2026, 1, 2), "2026-01-01"): (2, 4),
        ("month", utc(2026, 1, 1), utc(2026, 2, 1), "2026-01"): (2, 4),
    }


def test_the_spend_limit_refuses_before_the_monthly_quota(runtime: Runtime) -> None:
    org_id = _org(runtime)
    caps = CallCaps(monthly_calls=100, daily_calls=100, monthly_spend_cents=5, cost_cents=2)
    periods = periods_at(utc(2026, 1, 1, 12), "UTC")
    results = []
    for _ in range(3):
        with runtime.database.write() as session:
            results.append(count_call(session, org_id=org_id, caps=caps, periods=periods))
    refused = results[2]
    assert isinstance(refused, Refused)
    assert refused.cap == CapKind.SPEND
    # The refused call left the day's count as it was.
    with runtime.database.read() as session:
        day = session.get(UsageCounter, (org_id, "day", utc(2026, 1, 1)))
        assert day is not None
        assert (day.calls, day.spend_cents) == (2, 4)


# The engine at each cap --------------------------------------------------------------------------


@pytest.fixture
def capped(
    client: TestClient, runtime: Runtime, clock: ManualClock, make_pager: MakePager
) -> Pager:
    runtime.billing = tiny_billing(daily=3)
    clock.advance((utc(2026, 1, 10, 20) - clock.now()).total_seconds())  # 15:00 in New York
    pager = make_pager(throttle=())
    ok(
        client.patch(pager.org, json={"timezone": NEW_YORK}, headers=pager.user_auth),
    )
    return pager


def _spoken(runtime: Runtime) -> list[str]:
    """What each call said, in the order of the alerts (db0, db1, ...): the calls were all
    made at the same instant of the test clock, so their own order is not defined."""
    with runtime.database.read() as session:
        return sorted(session.scalars(select(CallAttempt.spoken_text)))


def test_the_last_calls_say_how_many_are_left(capped: Pager, runtime: Runtime) -> None:
    endpoint = capped.endpoint(capped.contact("Ana"))
    for n in range(3):
        capped.fire(endpoint, {"title": f"Disk full on db{n}"})
        capped.run()
    spoken = _spoken(runtime)
    assert spoken[0].endswith("Your Tocsin plan has 2 calls left today.")
    assert spoken[1].endswith("Your Tocsin plan has 1 call left today.")
    assert spoken[2].endswith("This is the last call your Tocsin plan allows today.")
    notices = ok(capped.client.get(f"{capped.org}/notices", headers=capped.auth))["items"]
    # Said to the owners once per day, not at every call.
    assert [notice["kind"] for notice in notices] == ["quota_low"]


def test_past_the_cap_the_alert_is_recorded_and_the_owner_told_but_nobody_called(
    capped: Pager,
) -> None:
    endpoint = capped.endpoint(capped.contact("Ana"))
    for n in range(3):
        capped.fire(endpoint, {"title": f"Disk full on db{n}"})
        capped.run()
    assert len(capped.calls()) == 3

    over = capped.fire(endpoint, {"title": "Disk full on db9"})
    capped.run()
    assert len(capped.calls()) == 3
    detail = capped.alert(over)
    assert detail["status"] == "open"
    assert [job["outcome"] for job in detail["jobs"]] == ["over_quota"]
    assert "call.over_quota" in capped.actions(over)
    notices = ok(capped.client.get(f"{capped.org}/notices", headers=capped.auth))["items"]
    exhausted = [notice for notice in notices if notice["kind"] == "quota_exhausted"]
    assert len(exhausted) == 1
    assert "daily cap of 3 calls" in exhausted[0]["message"]
    assert "2026-01-11 00:00 America/New_York" in exhausted[0]["message"]
    usage = ok(capped.client.get(f"{capped.org}/usage", headers=capped.auth))
    assert (usage["today"]["calls"], usage["today"]["left"], usage["calls_left"]) == (3, 0, 0)


def test_the_daily_cap_resets_at_the_organizations_midnight_not_utc(capped: Pager) -> None:
    endpoint = capped.endpoint(capped.contact("Ana"))
    for n in range(3):
        capped.fire(endpoint, {"title": f"Disk full on db{n}"})
        capped.run()

    # 00:30 UTC on the 11th is 19:30 on the 10th in New York: still the same local day.
    capped.clock.advance((utc(2026, 1, 11, 0, 30) - capped.clock.now()).total_seconds())
    capped.fire(endpoint, {"title": "Still the 10th in New York"})
    capped.run()
    assert len(capped.calls()) == 3

    # 04:59:59 UTC is one second before New York's midnight.
    capped.clock.advance((utc(2026, 1, 11, 4, 59, 59) - capped.clock.now()).total_seconds())
    capped.fire(endpoint, {"title": "A second before midnight"})
    capped.run()
    assert len(capped.calls()) == 3

    capped.clock.advance(1)
    capped.fire(endpoint, {"title": "A new day in New York"})
    capped.run()
    assert len(capped.calls()) == 4
    usage = ok(capped.client.get(f"{capped.org}/usage?days=2", headers=capped.auth))
    assert usage["today"]["period"] == "2026-01-11"
    assert [(day["date"], day["calls"]) for day in usage["per_day"]] == [
        ("2026-01-10", 3),
        ("2026-01-11", 1),
    ]
    assert usage["month"]["calls"] == 4
    assert usage["per_endpoint"] == [{"endpoint_id": endpoint, "name": "Production", "calls": 4}]


def test_a_call_the_provider_never_placed_is_not_counted(capped: Pager) -> None:
    endpoint = capped.endpoint(capped.contact("Ana", behaviour="reject"))
    capped.fire(endpoint)
    capped.run()
    usage = ok(capped.client.get(f"{capped.org}/usage", headers=capped.auth))
    assert usage["today"]["calls"] == 0
    assert usage["per_endpoint"] == []
