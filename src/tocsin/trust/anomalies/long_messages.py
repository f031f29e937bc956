"""Long texts read to many numbers: a script, not an alert.

An alert is read aloud and has to be understood at three in the morning, so it is short (the
default templates name the source, the severity and a title). A long speech to many different
people is what a pre-recorded sales or political call sounds like.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from tocsin.paging.models import CallAttempt
from tocsin.trust.anomalies.calls import sample_numbers, within
from tocsin.trust.anomalies.findings import Finding, day_of, fingerprint, hard, hours
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "long_messages"
_QUOTE = 300


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    start = now - thresholds.window
    is_long = func.length(CallAttempt.spoken_text) > thresholds.long_message_characters
    count = func.count(distinct(CallAttempt.to_number))
    offenders = session.execute(
        select(CallAttempt.org_id, count, func.max(func.length(CallAttempt.spoken_text)))
        .where(is_long, *within(start, now))
        .group_by(CallAttempt.org_id)
        .having(count >= thresholds.long_message_numbers)
        .order_by(CallAttempt.org_id)
    )
    findings = []
    for org_id, numbers, longest in offenders:
        text = session.scalar(
            select(CallAttempt.spoken_text)
            .where(CallAttempt.org_id == org_id, is_long, *within(start, now))
            .order_by(CallAttempt.created_at.desc())
            .limit(1)
        )
        findings.append(
            Finding(
                detector=NAME,
                org_id=org_id,
                summary=(
                    f"texts over {thresholds.long_message_characters} characters read to "
                    f"{numbers} distinct numbers in {hours(thresholds.window)} h"
                ),
                fingerprint=fingerprint(NAME, org_id, day_of(now)),
                details={
                    "distinct_numbers": numbers,
                    "longest_characters": longest,
                    "sample_text": (text or "")[:_QUOTE],
                    "sample_numbers": sample_numbers(
                        session, org_id, start, now, limit=thresholds.samples, condition=is_long
                    ),
                    "hard_threshold": thresholds.long_message_hard,
                },
                over_hard_threshold=hard(numbers, thresholds.long_message_hard),
            )
        )
    return findings
