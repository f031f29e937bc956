"""What each answer of a receiver leads to (outgoing/retries.py), as a table: Standard
Webhooks' "Delivery success and failure" (https://www.standardwebhooks.com): 2xx delivered, a
redirect a failure, 410 Gone stops the webhook, 429 and 5xx and no answer tried again on the
schedule (Retry-After honoured within bounds), any other 4xx failed at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.outgoing.retries import (
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER,
    SCHEDULE,
    Answer,
    VerdictKind,
    judge,
    retry_after,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("answer", "kind", "disables"),
    [
        (Answer(200), VerdictKind.DELIVERED, False),
        (Answer(204), VerdictKind.DELIVERED, False),
        (Answer(299), VerdictKind.DELIVERED, False),
        (Answer(301), VerdictKind.FAILED, False),
        (Answer(308), VerdictKind.FAILED, False),
        (Answer(400), VerdictKind.FAILED, False),
        (Answer(401), VerdictKind.FAILED, False),
        (Answer(404), VerdictKind.FAILED, False),
        (Answer(410), VerdictKind.FAILED, True),
        (Answer(408), VerdictKind.RETRY, False),
        (Answer(429), VerdictKind.RETRY, False),
        (Answer(500), VerdictKind.RETRY, False),
        (Answer(502), VerdictKind.RETRY, False),
        (Answer(503), VerdictKind.RETRY, False),
        (Answer(None, error="could not connect"), VerdictKind.RETRY, False),
        (Answer(None, error="no answer within 15 seconds"), VerdictKind.RETRY, False),
    ],
)
def test_each_answer_leads_where_the_specification_says(
    answer: Answer, kind: VerdictKind, disables: bool
) -> None:
    verdict = judge(answer, attempts=1, delivery_id="whd_1", now=NOW)
    assert verdict.kind == kind
    assert (verdict.disable is not None) == disables
    if kind == VerdictKind.RETRY:
        assert verdict.next_at is not None
        assert SCHEDULE[0] <= verdict.next_at - NOW <= SCHEDULE[0] * 1.25


def test_the_last_attempt_gives_up_and_the_wait_grows_along_the_schedule() -> None:
    waits = []
    for attempts in range(1, MAX_ATTEMPTS):
        verdict = judge(Answer(500), attempts=attempts, delivery_id="whd_1", now=NOW)
        assert verdict.next_at is not None
        waits.append(verdict.next_at - NOW)
    assert waits == sorted(waits)
    assert judge(Answer(500), attempts=MAX_ATTEMPTS, delivery_id="whd_1", now=NOW).kind == (
        VerdictKind.GAVE_UP
    )
    assert sum(SCHEDULE, timedelta()) == timedelta(hours=15, minutes=42, seconds=30)


def test_jitter_is_the_deliverys_own_and_the_same_every_time() -> None:
    def wait(delivery_id: str) -> timedelta:
        verdict = judge(Answer(503), attempts=3, delivery_id=delivery_id, now=NOW)
        assert verdict.next_at is not None
        return verdict.next_at - NOW

    assert wait("whd_a") == wait("whd_a")
    assert len({wait(f"whd_{n}") for n in range(20)}) > 10


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", timedelta(minutes=2)),
        (" 45 ", timedelta(seconds=45)),
        ("Thu, 01 Jan 2026 01:00:00 GMT", timedelta(hours=1)),
        ("Wed, 31 Dec 2025 23:00:00 GMT", timedelta(0)),  # in the past: now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
        ("9" * 40, timedelta(seconds=10**7)),  # absurd, bounded before it overflows
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: str | None, wait: timedelta | None
) -> None:
    assert retry_after(header, NOW) == wait


def test_retry_after_never_shortens_the_schedule_nor_stretches_past_an_hour() -> None:
    short = judge(Answer(429, retry_after="1"), attempts=4, delivery_id="whd_1", now=NOW)
    assert short.next_at is not None
    assert short.next_at - NOW >= SCHEDULE[3]
    long = judge(Answer(503, retry_after="999999"), attempts=1, delivery_id="whd_1", now=NOW)
    assert long.next_at == NOW + MAX_RETRY_AFTER
