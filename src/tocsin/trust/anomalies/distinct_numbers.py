"""A sudden jump in how many different numbers an organization calls or sends codes to.

Paging calls the same few on-call people again and again; a list of numbers worked through is
what robocalling looks like. A spike is measured against the organization's own last week, so
a large customer that always pages many people stays quiet; past the hard threshold no history
excuses it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.trust.anomalies.calls import distinct_numbers_per_org, sample_reached_numbers
from tocsin.trust.anomalies.findings import Finding, day_of, fingerprint, hard, hours
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "distinct_numbers"


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    start = now - thresholds.window
    floor = thresholds.distinct_numbers_floor
    if thresholds.distinct_numbers_hard is not None:
        floor = min(floor, thresholds.distinct_numbers_hard)
    candidates = distinct_numbers_per_org(session, start, now, minimum=floor)
    if not candidates:
        return []
    # Day by day, so that a week with one busy day does not pass for a steady habit.
    days = thresholds.distinct_numbers_history_days
    history = {org_id: [0] * days for org_id in candidates}
    for day in range(days):
        day_end = start - timedelta(days=day)
        counts = distinct_numbers_per_org(
            session, day_end - timedelta(days=1), day_end, org_ids=list(candidates)
        )
        for org_id, count in counts.items():
            history[org_id][day] = count

    findings = []
    for org_id, count in sorted(candidates.items()):
        average = sum(history[org_id]) / days
        spike = (
            count >= thresholds.distinct_numbers_floor
            and count > thresholds.distinct_numbers_ratio * average
        )
        over = hard(count, thresholds.distinct_numbers_hard)
        if not (spike or over):
            continue
        findings.append(
            Finding(
                detector=NAME,
                org_id=org_id,
                summary=(
                    f"{count} distinct numbers called or sent codes in "
                    f"{hours(thresholds.window)} h "
                    f"(daily average {average:.1f} over the {days} days before)"
                ),
                fingerprint=fingerprint(NAME, org_id, day_of(now)),
                details={
                    "distinct_numbers": count,
                    "daily_average": round(average, 2),
                    # Newest day first.
                    "daily_history": history[org_id],
                    "sample_numbers": sample_reached_numbers(
                        session, org_id, start, now, limit=thresholds.samples
                    ),
                    "hard_threshold": thresholds.distinct_numbers_hard,
                },
                over_hard_threshold=over,
            )
        )
    return findings
