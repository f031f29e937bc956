"""The per-number throttle table, as pure arithmetic over when a number's calls were made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.core.throttle import VOICE_PER_NUMBER, Bucket, hold, parse_buckets

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ago(*minutes: float) -> list[datetime]:
    """Call times this many minutes ago, newest first as the engine reads them."""
    return sorted((NOW - timedelta(minutes=m) for m in minutes), reverse=True)


def test_the_default_table_is_the_one_declared() -> None:
    assert [(b.limit, b.window) for b in VOICE_PER_NUMBER] == [
        (1, timedelta(minutes=1)),
        (3, timedelta(minutes=15)),
        (7, timedelta(hours=1)),
        (15, timedelta(hours=3)),
    ]
    assert [b.describe() for b in VOICE_PER_NUMBER] == [
        "1 per minute",
        "3 per 15 min",
        "7 per hour",
        "15 per 3 h",
    ]


def test_a_number_never_called_may_be_called_now() -> None:
    assert hold([], NOW, VOICE_PER_NUMBER) is None


def test_a_second_call_within_a_minute_waits_for_the_minute() -> None:
    held = hold(ago(0.25), NOW, VOICE_PER_NUMBER)
    assert held is not None
    assert held.until == NOW + timedelta(seconds=45)
    assert held.bucket.describe() == "1 per minute"


def test_a_retry_two_minutes_later_is_not_held() -> None:
    assert hold(ago(2), NOW, VOICE_PER_NUMBER) is None


def test_three_calls_in_fifteen_minutes_hold_the_fourth_until_the_oldest_leaves() -> None:
    held = hold(ago(2, 5, 10), NOW, VOICE_PER_NUMBER)
    assert held is not None
    assert (held.until, held.bucket.limit) == (NOW + timedelta(minutes=5), 3)


def test_the_longest_hold_over_all_full_buckets_wins() -> None:
    # Seven calls in the last hour, spread so the 15-minute bucket has room.
    held = hold(ago(20, 25, 30, 35, 40, 45, 50), NOW, VOICE_PER_NUMBER)
    assert held is not None
    assert (held.until, held.bucket.limit) == (NOW + timedelta(minutes=10), 7)


def test_calls_outside_every_window_do_not_count() -> None:
    assert hold(ago(*range(181, 200)), NOW, VOICE_PER_NUMBER) is None


def test_after_the_hold_there_is_room_in_every_bucket() -> None:
    recent = ago(*[3 + 11 * i for i in range(15)])
    held = hold(recent, NOW, VOICE_PER_NUMBER)
    assert held is not None
    later = held.until
    assert (
        hold([t for t in recent if t > later - timedelta(hours=3)], later, VOICE_PER_NUMBER) is None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/1m,3/15m", (Bucket(1, timedelta(minutes=1)), Bucket(3, timedelta(minutes=15)))),
        (" 2 / 30s ", (Bucket(2, timedelta(seconds=30)),)),
        ("5/1d", (Bucket(5, timedelta(days=1)),)),
        ("", ()),
    ],
)
def test_throttles_are_configured_as_limit_per_window(
    text: str, expected: tuple[Bucket, ...]
) -> None:
    assert parse_buckets(text) == expected


@pytest.mark.parametrize("text", ["3", "3/15", "0/1m", "3/0m", "three/1m", "3/1w"])
def test_unreadable_throttles_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="throttle"):
        parse_buckets(text)
