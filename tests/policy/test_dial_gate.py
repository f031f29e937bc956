"""The dial gate as a table: plain facts in, one decision out; no database, no clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.core.throttle import Bucket
from tocsin.policy.dial_gate import (
    AlertState,
    AwaitCarrier,
    Block,
    Decision,
    Dial,
    DialFacts,
    Enforcement,
    Hold,
    NumberRefusal,
    OverQuota,
    Reconcile,
    Skip,
    SkipReason,
    Throttle,
    Usage,
    decide,
)
from tocsin.policy.quota import CallCaps, CapKind, Period, PeriodKind, Periods
from tocsin.safety import Reason, ReasonCode, Verdict

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NUMBER = "+447400123456"
EVERY_MINUTE = Bucket(1, timedelta(minutes=1))
THREE_IN_15_MIN = Bucket(3, timedelta(minutes=15))
TOMORROW = datetime(2024, 5, 2, tzinfo=UTC)
NEXT_MONTH = datetime(2024, 6, 1, tzinfo=UTC)

ALLOWED = Verdict(input=NUMBER, region="GB", e164=NUMBER, reasons=())
PREMIUM = Verdict(
    input="+449090000000",
    region="GB",
    e164="+449090000000",
    reasons=(Reason(ReasonCode.PREMIUM_RATE, "premium-rate number: the caller pays a lot"),),
)
UNVERIFIED = NumberRefusal("number_unverified", "number not verified by its owner", stopped=False)
ON_DO_NOT_CALL = NumberRefusal("do_not_call", "number is on the do-not-call list", stopped=True)
SUSPENDED = Enforcement("org_suspended", "robocalling")
# Three calls in the last quarter hour, none in the last minute.
BUSY_NUMBER = (NOW - timedelta(minutes=5), NOW - timedelta(minutes=8), NOW - timedelta(minutes=10))
CAPS = CallCaps(monthly_calls=100, daily_calls=10, monthly_spend_cents=500, cost_cents=2)
PERIODS = Periods(
    day=Period(PeriodKind.DAY, TOMORROW - timedelta(days=1), TOMORROW, "2024-05-01"),
    month=Period(PeriodKind.MONTH, datetime(2024, 5, 1, tzinfo=UTC), NEXT_MONTH, "2024-05"),
)

# A job whose call may go: every row below changes what makes it the row it is.
CALLABLE = DialFacts(
    now=NOW,
    number=NUMBER,
    alert=AlertState.OPEN,
    attempts_made=0,
    max_attempts=3,
    verdict=ALLOWED,
    throttle=Throttle(
        recent_calls=(), buckets=(EVERY_MINUTE, THREE_IN_15_MIN), news_buckets=(EVERY_MINUTE,)
    ),
    usage=Usage(CAPS, PERIODS, day_calls=3, month_calls=40, month_spend_cents=80),
)


HELD_BY_THE_THROTTLE = Hold(
    NOW + timedelta(minutes=5), THREE_IN_15_MIN, f"throttle: 3 per 15 min to {NUMBER}"
)


def facts(**changes: object) -> DialFacts:
    return replace(CALLABLE, **changes)  # type: ignore[arg-type]


def throttle(recent: tuple[datetime, ...], *, is_news: bool = False) -> Throttle:
    return replace(CALLABLE.throttle, recent_calls=recent, is_news=is_news)


def usage(**used: int) -> Usage:
    return Usage(CAPS, PERIODS, **used)


@pytest.mark.parametrize(
    ("given", "decision"),
    [
        pytest.param(CALLABLE, Dial(), id="dial"),
        pytest.param(facts(usage=None), Dial(), id="dial-without-a-plan-to-count-against"),
        pytest.param(
            facts(throttle=throttle(BUSY_NUMBER, is_news=True)),
            Dial(),
            id="dial-news-past-a-full-throttle",
        ),
        pytest.param(facts(carrier_running=True), AwaitCarrier(), id="await-carrier"),
        pytest.param(facts(unfinished_attempt=True), Reconcile(), id="reconcile"),
        pytest.param(
            facts(alert=AlertState.ACKNOWLEDGED),
            Skip(SkipReason.ALERT_ACKNOWLEDGED, "alert acknowledged", "alert_acknowledged"),
            id="skip-alert-acknowledged",
        ),
        pytest.param(
            facts(alert=AlertState.RESOLVED),
            Skip(SkipReason.ALERT_RESOLVED, "alert resolved", "alert_resolved"),
            id="skip-alert-resolved",
        ),
        pytest.param(
            facts(alert=AlertState.GONE),
            Skip(SkipReason.ALERT_GONE, "alert gone", "alert_gone"),
            id="skip-alert-gone",
        ),
        pytest.param(
            facts(attempts_made=3),
            Skip(SkipReason.NO_ATTEMPTS_LEFT, "no attempts left", "no_attempts_left"),
            id="skip-no-attempts-left",
        ),
        pytest.param(
            facts(number_refusal=UNVERIFIED),
            Skip(SkipReason.NUMBER_UNVERIFIED, UNVERIFIED.reason, "number_unverified"),
            id="skip-number-unverified",
        ),
        pytest.param(
            facts(number_refusal=ON_DO_NOT_CALL),
            Skip(SkipReason.NUMBER_STOPPED, ON_DO_NOT_CALL.reason, "do_not_call"),
            id="skip-number-stopped",
        ),
        pytest.param(
            facts(enforcement=SUSPENDED),
            Skip(SkipReason.ENFORCEMENT, "org_suspended: robocalling", "org_suspended"),
            id="skip-enforcement",
        ),
        pytest.param(facts(verdict=PREMIUM), Block(PREMIUM), id="block-by-the-screen"),
        pytest.param(
            facts(throttle=throttle(BUSY_NUMBER)),
            HELD_BY_THE_THROTTLE,
            id="hold-for-the-throttle",
        ),
        pytest.param(
            facts(throttle=throttle((NOW - timedelta(seconds=20), *BUSY_NUMBER), is_news=True)),
            Hold(NOW + timedelta(seconds=40), EVERY_MINUTE, f"throttle: 1 per minute to {NUMBER}"),
            id="hold-news-for-the-news-throttle",
        ),
        pytest.param(
            facts(usage=usage(day_calls=10, month_calls=40)),
            OverQuota(CapKind.DAILY, TOMORROW),
            id="over-quota-daily",
        ),
        pytest.param(
            facts(usage=usage(day_calls=1, month_calls=100)),
            OverQuota(CapKind.MONTHLY, NEXT_MONTH),
            id="over-quota-monthly",
        ),
        pytest.param(
            facts(usage=usage(day_calls=1, month_calls=40, month_spend_cents=499)),
            OverQuota(CapKind.SPEND, NEXT_MONTH),
            id="over-quota-spend",
        ),
    ],
)
def test_the_gate_decides_each_outcome_from_its_facts(given: DialFacts, decision: Decision) -> None:
    assert decide(given) == decision


FULL_DAY = usage(day_calls=10)


@pytest.mark.parametrize(
    ("given", "winner"),
    [
        pytest.param(
            facts(carrier_running=True, unfinished_attempt=True, alert=AlertState.RESOLVED),
            AwaitCarrier(),
            id="a-running-carrier-before-everything",
        ),
        pytest.param(
            facts(unfinished_attempt=True, alert=AlertState.RESOLVED, verdict=PREMIUM),
            Reconcile(),
            id="an-unfinished-attempt-before-a-closed-alert",
        ),
        pytest.param(
            facts(alert=AlertState.ACKNOWLEDGED, attempts_made=3, number_refusal=UNVERIFIED),
            Skip(SkipReason.ALERT_ACKNOWLEDGED, "alert acknowledged", "alert_acknowledged"),
            id="a-closed-alert-before-used-up-attempts",
        ),
        pytest.param(
            facts(attempts_made=3, number_refusal=ON_DO_NOT_CALL),
            Skip(SkipReason.NO_ATTEMPTS_LEFT, "no attempts left", "no_attempts_left"),
            id="used-up-attempts-before-the-numbers-standing",
        ),
        pytest.param(
            facts(number_refusal=ON_DO_NOT_CALL, enforcement=SUSPENDED),
            Skip(SkipReason.NUMBER_STOPPED, ON_DO_NOT_CALL.reason, "do_not_call"),
            id="the-numbers-standing-before-enforcement",
        ),
        pytest.param(
            facts(enforcement=SUSPENDED, verdict=PREMIUM),
            Skip(SkipReason.ENFORCEMENT, "org_suspended: robocalling", "org_suspended"),
            id="enforcement-before-the-screen",
        ),
        pytest.param(
            facts(verdict=PREMIUM, throttle=throttle(BUSY_NUMBER), usage=FULL_DAY),
            Block(PREMIUM),
            id="the-screen-before-the-throttle-and-the-caps",
        ),
        pytest.param(
            facts(throttle=throttle(BUSY_NUMBER), usage=FULL_DAY),
            HELD_BY_THE_THROTTLE,
            id="the-throttle-before-the-caps",
        ),
    ],
)
def test_the_first_check_that_applies_wins(given: DialFacts, winner: Decision) -> None:
    assert decide(given) == winner
