"""Verification codes sent to many numbers: an organization working through a list.

A code reaches someone who has not consented, in the platform's voice. An organization adds
its on-call people once, so codes to a handful of numbers a day are onboarding; codes to a
dozen different numbers in a day are worth a look, and fifty are past any team's size. Codes
that no provider took reached nobody and are not counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import WENT_OUT, Purpose
from tocsin.trust.anomalies.findings import Finding, day_of, fingerprint, hard, hours
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "verification_codes"


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    start = now - thresholds.window
    sent = (
        NumberVerification.purpose == Purpose.CONSENT.value,
        NumberVerification.org_id.is_not(None),
        NumberVerification.created_at > start,
        NumberVerification.created_at <= now,
        WENT_OUT,
    )
    count = func.count(distinct(NumberVerification.phone_e164))
    rows = session.execute(
        select(NumberVerification.org_id, count, func.count())
        .where(*sent)
        .group_by(NumberVerification.org_id)
        .having(count >= thresholds.verification_numbers)
    ).all()
    findings = []
    for org_id, numbers, codes in sorted(rows, key=lambda row: str(row[0])):
        if org_id is None:
            continue
        samples = session.scalars(
            select(NumberVerification.phone_e164)
            .where(*sent, NumberVerification.org_id == org_id)
            .distinct()
            .order_by(NumberVerification.phone_e164)
            .limit(thresholds.samples)
        )
        findings.append(
            Finding(
                detector=NAME,
                org_id=org_id,
                summary=(
                    f"verification codes sent to {numbers} numbers in "
                    f"{hours(thresholds.window)} h ({codes} codes)"
                ),
                fingerprint=fingerprint(NAME, org_id, day_of(now)),
                details={
                    "distinct_numbers": numbers,
                    "codes": codes,
                    "sample_numbers": list(samples),
                    "hard_threshold": thresholds.verification_numbers_hard,
                },
                over_hard_threshold=hard(numbers, thresholds.verification_numbers_hard),
            )
        )
    return findings
