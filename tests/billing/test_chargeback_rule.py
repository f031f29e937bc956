"""The chargeback rule of the shipped terms, as a table: which chargebacks count, and which
add up to a violation (issue 16, finding 9: every chargeback counted, while the policy counts
two or more unsubstantiated ones in 12 months and any filed after a refund was issued, and
never those after a refund request went unanswered for 14 days)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.billing.chargeback_rule import (
    Chargeback,
    RefundIssued,
    RefundRequest,
    Rule,
    Verdict,
    judge,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def won(cid: str, filed: float, *, txn: str | None = None) -> Chargeback:
    """A chargeback withdrawn or decided in our favour 30 days after it was filed."""
    return Chargeback(cid, txn or f"txn_{cid}", day(filed), reversed_at=day(filed + 30))


def standing(cid: str, filed: float, *, txn: str | None = None) -> Chargeback:
    return Chargeback(cid, txn or f"txn_{cid}", day(filed))


CASES = [
    # (name, chargebacks, refund requests, refunds issued, verdicts, violations (rule, key))
    ("a standing chargeback counts for nothing", [standing("a", 0)], [], [], ["standing"], []),
    (
        "one unsubstantiated chargeback is no violation",
        [won("a", 0)],
        [],
        [],
        ["unsubstantiated"],
        [],
    ),
    (
        "two unsubstantiated within 12 months are one",
        [won("a", 0), won("b", 200)],
        [],
        [],
        ["unsubstantiated", "unsubstantiated"],
        [(Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:b")],
    ),
    (
        "two unsubstantiated more than 12 months apart are none",
        [won("a", 0), won("b", 366)],
        [],
        [],
        ["unsubstantiated", "unsubstantiated"],
        [],
    ),
    (
        "exactly 365 days apart is within 12 months",
        [won("a", 0), won("b", 365)],
        [],
        [],
        ["unsubstantiated", "unsubstantiated"],
        [(Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:b")],
    ),
    (
        "a third one within the window is another violation",
        [won("a", 0), won("b", 10), won("c", 20)],
        [],
        [],
        ["unsubstantiated"] * 3,
        [
            (Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:b"),
            (Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:c"),
        ],
    ),
    (
        "one unsubstantiated and one standing are none",
        [won("a", 0), standing("b", 10)],
        [],
        [],
        ["unsubstantiated", "standing"],
        [],
    ),
    (
        "a chargeback after a refund was issued is bad faith on its own",
        [standing("a", 5, txn="t1")],
        [],
        [RefundIssued("t1", day(2))],
        ["bad_faith"],
        [(Rule.BAD_FAITH, "bad_faith:a")],
    ),
    (
        "a refund issued after the chargeback is no bad faith",
        [standing("a", 5, txn="t1")],
        [],
        [RefundIssued("t1", day(6))],
        ["standing"],
        [],
    ),
    (
        "a refund of another payment is no bad faith",
        [standing("a", 5, txn="t1")],
        [],
        [RefundIssued("t2", day(2))],
        ["standing"],
        [],
    ),
    (
        "a request unanswered for 14 days excuses the chargeback",
        [won("a", 14, txn="t1"), won("b", 20)],
        [RefundRequest("t1", day(0))],
        [],
        ["excused", "unsubstantiated"],
        [],
    ),
    (
        "a request answered only after 14 days still excuses it",
        [won("a", 30, txn="t1"), won("b", 40)],
        [RefundRequest("t1", day(0), answered_at=day(20))],
        [],
        ["excused", "unsubstantiated"],
        [],
    ),
    (
        "a request answered within 14 days excuses nothing",
        [won("a", 30, txn="t1"), won("b", 40)],
        [RefundRequest("t1", day(0), answered_at=day(3))],
        [],
        ["unsubstantiated", "unsubstantiated"],
        [(Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:b")],
    ),
    (
        "a chargeback 13 days after the request is not excused",
        [won("a", 13, txn="t1"), won("b", 20)],
        [RefundRequest("t1", day(0))],
        [],
        ["unsubstantiated", "unsubstantiated"],
        [(Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:b")],
    ),
    (
        "an excused chargeback is never bad faith",
        [standing("a", 30, txn="t1")],
        [RefundRequest("t1", day(0), answered_at=day(20))],
        [RefundIssued("t1", day(20))],
        ["excused"],
        [],
    ),
    (
        "a request on another payment excuses nothing",
        [won("a", 20, txn="t1"), won("b", 30)],
        [RefundRequest("t2", day(0))],
        [],
        ["unsubstantiated", "unsubstantiated"],
        [(Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:b")],
    ),
    (
        "a reversed bad-faith chargeback is unsubstantiated too",
        [won("a", 5, txn="t1"), won("b", 50)],
        [],
        [RefundIssued("t1", day(1))],
        ["bad_faith", "unsubstantiated"],
        [(Rule.BAD_FAITH, "bad_faith:a"), (Rule.UNSUBSTANTIATED, "repeated_unsubstantiated:b")],
    ),
]


@pytest.mark.parametrize(
    ("chargebacks", "requests", "refunds", "verdicts", "violations"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_chargeback_rule(
    chargebacks: list[Chargeback],
    requests: list[RefundRequest],
    refunds: list[RefundIssued],
    verdicts: list[str],
    violations: list[tuple[Rule, str]],
) -> None:
    judgement = judge(chargebacks, requests=requests, refunds=refunds)
    assert [item.verdict.value for item in judgement.judged] == verdicts
    assert [(v.rule, v.key) for v in judgement.violations] == violations


def test_a_violation_names_every_chargeback_in_it() -> None:
    judgement = judge([won("a", 0), won("b", 100), won("c", 400)])
    assert [v.chargeback_ids for v in judgement.violations] == [("a", "b"), ("b", "c")]


def test_the_excuse_is_explained() -> None:
    judged = judge([won("a", 15, txn="t1")], requests=[RefundRequest("t1", day(0))]).judged[0]
    assert judged.verdict is Verdict.EXCUSED
    assert "went unanswered for 14 days" in judged.because
