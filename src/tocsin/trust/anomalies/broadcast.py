"""One message read to many different numbers: a broadcast, not a page.

An alert goes to the few people on call (three to five, with escalation); the same text to a
crowd is an announcement or a campaign. Texts are compared digits aside, so "Order 123" and
"Order 456" count as one message with a different number filled in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.paging.models import CallAttempt
from tocsin.trust.anomalies.calls import distinct_numbers_per_org, within
from tocsin.trust.anomalies.findings import (
    Finding,
    day_of,
    fingerprint,
    hard,
    hours,
    normalise_text,
    sample,
)
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "broadcast"
# How much of each text a case quotes.
_QUOTE = 200


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    start = now - thresholds.window
    # Only an organization that called enough numbers at all can have broadcast to them.
    busy = distinct_numbers_per_org(session, start, now, minimum=thresholds.broadcast_numbers)
    if not busy:
        return []
    rows = session.execute(
        select(CallAttempt.org_id, CallAttempt.to_number, CallAttempt.spoken_text)
        .where(CallAttempt.org_id.in_(list(busy)), *within(start, now))
        .distinct()
    )
    numbers: dict[tuple[str, str], set[str]] = defaultdict(set)
    example: dict[tuple[str, str], str] = {}
    for org_id, to_number, text in rows:
        key = (org_id, normalise_text(text))
        numbers[key].add(to_number)
        example.setdefault(key, text)

    per_org: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for (org_id, form), called in numbers.items():
        if len(called) >= thresholds.broadcast_numbers:
            per_org[org_id].append((example[(org_id, form)], called))

    findings = []
    for org_id, texts in sorted(per_org.items()):
        texts.sort(key=lambda item: (-len(item[1]), item[0]))
        widest = len(texts[0][1])
        findings.append(
            Finding(
                detector=NAME,
                org_id=org_id,
                summary=(
                    f"the same message read to {widest} distinct numbers in "
                    f"{hours(thresholds.window)} h"
                ),
                fingerprint=fingerprint(NAME, org_id, day_of(now)),
                details={
                    "max_numbers_per_text": widest,
                    "texts": [
                        {
                            "sample_text": text[:_QUOTE],
                            "distinct_numbers": len(called),
                            "sample_numbers": sample(called, thresholds.samples),
                        }
                        for text, called in texts[: thresholds.samples]
                    ],
                    "hard_threshold": thresholds.broadcast_hard,
                },
                over_hard_threshold=hard(widest, thresholds.broadcast_hard),
            )
        )
    return findings
