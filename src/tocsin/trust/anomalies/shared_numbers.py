"""One number called by several organizations: quotas split across accounts.

Each organization's plan caps its calls. Someone who wants more opens more organizations and
calls the same people from each, which no single organization's numbers reveal. A person on
call for two employers is plausible; three organizations in one week is worth a look. The
case belongs to the number, not to one organization, and names every organization.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from tocsin.paging.models import CallAttempt
from tocsin.trust.anomalies.calls import within
from tocsin.trust.anomalies.findings import Finding, fingerprint, week_of
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "shared_numbers"


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    days = thresholds.shared_number_days
    start = now - timedelta(days=days)
    orgs = func.count(distinct(CallAttempt.org_id))
    shared = list(
        session.scalars(
            select(CallAttempt.to_number)
            .where(*within(start, now))
            .group_by(CallAttempt.to_number)
            .having(orgs >= thresholds.shared_number_orgs)
        )
    )
    if not shared:
        return []
    calls: dict[str, dict[str, int]] = defaultdict(dict)
    for number, org_id, count in session.execute(
        select(CallAttempt.to_number, CallAttempt.org_id, func.count())
        .where(CallAttempt.to_number.in_(shared), *within(start, now))
        .group_by(CallAttempt.to_number, CallAttempt.org_id)
    ):
        calls[number][org_id] = count

    findings = []
    for number in sorted(calls):
        per_org = calls[number]
        findings.append(
            Finding(
                detector=NAME,
                org_id=None,
                summary=f"{number} called by {len(per_org)} organizations in {days} days",
                fingerprint=fingerprint(NAME, number, week_of(now)),
                details={
                    "number": number,
                    "org_ids": sorted(per_org),
                    "calls_per_org": dict(sorted(per_org.items())),
                },
            )
        )
    return findings
