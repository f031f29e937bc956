"""Repeated attempts to add numbers the screen blocks: someone probing for a way past it.

Each refused number is audited (`number.refused`, written by `contacts.checks`) with the
screen's reasons. The acceptable-use policy counts "any attempt to get a blocked number past
the screen" as a violation, but one refused number is as likely a slip of the finger: so the
scan files a case when an organization's refusals for reasons that only an attempt at bypass
explains (an emergency, premium-rate or sanctioned number, say) reach a threshold in a day.
A number refused as invalid, or as international while the organization has not enabled that
country, is a typo or a setting, and never counts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.audit import trail
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.safety.reasons import ReasonCode
from tocsin.trust.anomalies.findings import Finding, day_of, fingerprint, hours, sample
from tocsin.trust.anomalies.thresholds import Thresholds

NAME = "blocked_numbers"

# What no alerting setup has a reason to dial: an attempt to add one is what the policy means.
BYPASS_REASONS = frozenset(
    {
        ReasonCode.EMERGENCY.value,
        ReasonCode.PREMIUM_RATE.value,
        ReasonCode.SHARED_COST.value,
        ReasonCode.TOLL_FREE.value,
        ReasonCode.SHORT_CODE.value,
        ReasonCode.TEST_NUMBER.value,
        ReasonCode.SANCTIONED.value,
        ReasonCode.HIGH_RISK.value,
    }
)


def _bypass(event: AuditEvent) -> bool:
    reasons = (event.details or {}).get("reasons") or []
    return any(reason in BYPASS_REASONS for reason in reasons)


def detect(session: Session, now: datetime, thresholds: Thresholds) -> list[Finding]:
    events = trail.of_action(
        session, action=AuditAction.NUMBER_REFUSED, after=now - thresholds.window, until=now
    )
    by_org: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.org_id is not None and _bypass(event):
            by_org[event.org_id].append(event)
    findings = []
    for org_id, attempts in sorted(by_org.items()):
        if len(attempts) < thresholds.blocked_number_attempts:
            continue
        details = [event.details or {} for event in attempts]
        reasons = sorted({reason for found in details for reason in found.get("reasons", [])})
        findings.append(
            Finding(
                detector=NAME,
                org_id=org_id,
                summary=(
                    f"{len(attempts)} attempts to add blocked numbers ({', '.join(reasons)}) in "
                    f"{hours(thresholds.window)} h"
                ),
                fingerprint=fingerprint(NAME, org_id, day_of(now)),
                details={
                    "attempts": len(attempts),
                    "reasons": reasons,
                    "sample_numbers": sample(
                        (str(found.get("e164") or found.get("typed")) for found in details),
                        thresholds.samples,
                    ),
                    "event_ids": [event.id for event in attempts][-thresholds.samples :],
                    "actors": sorted(
                        {f"{event.actor_type}:{event.actor_id or ''}" for event in attempts}
                    ),
                },
            )
        )
    return findings
