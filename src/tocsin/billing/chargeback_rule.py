"""The chargeback rule of the shipped terms (`documents/texts/terms.md`, "Payments and
chargebacks"), as a plain function over the facts of one organization's payments.

- An **excused** chargeback is never counted: the customer had asked us for a refund of that
  payment and the request went unanswered for 14 days before the chargeback was filed.
- An **unsubstantiated** chargeback was withdrawn or decided in our favour (Paddle reverses
  it). Two or more filed within 12 months of each other are a violation.
- A **bad-faith** chargeback was filed after a refund of the same payment was issued. One is a
  violation.

A chargeback still standing (the customer's dispute holds, or is undecided) counts for
nothing. Each violation has a key that stays the same however often the rule is run, so the
case it files is filed once (`trust/chargebacks.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

REFUND_ANSWER_DAYS = 14
WINDOW_DAYS = 365
UNSUBSTANTIATED_LIMIT = 2


class Verdict(StrEnum):
    EXCUSED = "excused"
    BAD_FAITH = "bad_faith"
    UNSUBSTANTIATED = "unsubstantiated"
    # Not reversed: the dispute holds or is undecided. Not counted.
    STANDING = "standing"


class Rule(StrEnum):
    BAD_FAITH = "bad_faith"
    UNSUBSTANTIATED = "repeated_unsubstantiated"


@dataclass(frozen=True)
class Chargeback:
    id: str
    transaction_id: str
    filed_at: datetime
    # When it was withdrawn or decided in our favour; None while it stands.
    reversed_at: datetime | None = None


@dataclass(frozen=True)
class RefundRequest:
    """A customer asking for their money back on a payment, and when someone answered."""

    transaction_id: str
    requested_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True)
class RefundIssued:
    transaction_id: str
    issued_at: datetime


@dataclass(frozen=True)
class Judged:
    chargeback: Chargeback
    verdict: Verdict
    # Why, in a sentence for the audit log and the trust team.
    because: str


@dataclass(frozen=True)
class Violation:
    rule: Rule
    # Stable across runs: the rule and the chargeback that completed the violation.
    key: str
    chargeback_ids: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class Judgement:
    judged: tuple[Judged, ...]
    violations: tuple[Violation, ...]

    def verdict_of(self, chargeback_id: str) -> Judged:
        return next(item for item in self.judged if item.chargeback.id == chargeback_id)


def _ignored_request(
    chargeback: Chargeback, requests: Sequence[RefundRequest]
) -> RefundRequest | None:
    patience = timedelta(days=REFUND_ANSWER_DAYS)
    for request in requests:
        if request.transaction_id != chargeback.transaction_id:
            continue
        waited_long_enough = chargeback.filed_at - request.requested_at >= patience
        unanswered = request.answered_at is None or (
            request.answered_at - request.requested_at >= patience
        )
        if waited_long_enough and unanswered:
            return request
    return None


def _refund_before(chargeback: Chargeback, refunds: Sequence[RefundIssued]) -> RefundIssued | None:
    return next(
        (
            refund
            for refund in refunds
            if refund.transaction_id == chargeback.transaction_id
            and refund.issued_at < chargeback.filed_at
        ),
        None,
    )


def judge_one(
    chargeback: Chargeback,
    *,
    requests: Sequence[RefundRequest],
    refunds: Sequence[RefundIssued],
) -> Judged:
    ignored = _ignored_request(chargeback, requests)
    if ignored is not None:
        return Judged(
            chargeback,
            Verdict.EXCUSED,
            f"the refund request of {ignored.requested_at:%Y-%m-%d} went unanswered for "
            f"{REFUND_ANSWER_DAYS} days",
        )
    refund = _refund_before(chargeback, refunds)
    if refund is not None:
        return Judged(
            chargeback,
            Verdict.BAD_FAITH,
            f"filed after a refund of the same payment was issued on {refund.issued_at:%Y-%m-%d}",
        )
    if chargeback.reversed_at is not None:
        return Judged(
            chargeback,
            Verdict.UNSUBSTANTIATED,
            f"withdrawn or decided in our favour on {chargeback.reversed_at:%Y-%m-%d}",
        )
    return Judged(chargeback, Verdict.STANDING, "the dispute stands or is undecided")


def _repeated_unsubstantiated(judged: Sequence[Judged]) -> list[Violation]:
    # A bad-faith chargeback that was also reversed is unsubstantiated too.
    unsubstantiated = sorted(
        (
            item.chargeback
            for item in judged
            if item.verdict is Verdict.UNSUBSTANTIATED
            or (item.verdict is Verdict.BAD_FAITH and item.chargeback.reversed_at is not None)
        ),
        key=lambda chargeback: (chargeback.filed_at, chargeback.id),
    )
    window = timedelta(days=WINDOW_DAYS)
    violations = []
    for index, latest in enumerate(unsubstantiated):
        within = [
            earlier
            for earlier in unsubstantiated[: index + 1]
            if latest.filed_at - earlier.filed_at <= window
        ]
        if len(within) >= UNSUBSTANTIATED_LIMIT:
            violations.append(
                Violation(
                    Rule.UNSUBSTANTIATED,
                    f"{Rule.UNSUBSTANTIATED.value}:{latest.id}",
                    tuple(chargeback.id for chargeback in within),
                    f"{len(within)} unsubstantiated chargebacks within 12 months",
                )
            )
    return violations


def judge(
    chargebacks: Sequence[Chargeback],
    *,
    requests: Sequence[RefundRequest] = (),
    refunds: Sequence[RefundIssued] = (),
) -> Judgement:
    """Every chargeback's verdict, and the violations they add up to."""
    judged = [judge_one(item, requests=requests, refunds=refunds) for item in chargebacks]
    bad_faith = [
        Violation(
            Rule.BAD_FAITH,
            f"{Rule.BAD_FAITH.value}:{item.chargeback.id}",
            (item.chargeback.id,),
            f"a chargeback {item.because}",
        )
        for item in judged
        if item.verdict is Verdict.BAD_FAITH
    ]
    return Judgement(tuple(judged), tuple(bad_faith + _repeated_unsubstantiated(judged)))
