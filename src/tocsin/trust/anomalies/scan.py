"""Running every detector: file or update a case per finding, and suspend what is past a
hard threshold.

Findings become cases in the trust and safety queue, one per detector, subject and period
(the fingerprint), so running the scan again only refreshes the evidence. With `auto_suspend`,
an organization past a hard threshold is suspended at once; queued calls are cancelled, the
owners told and the case records it (cases.act_on_case). It is suspended once: not while a
suspension or termination is in force, nor soon after staff lifted one the scan made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.restrictions.kinds import BLOCKING, ActionKind, ActionScope
from tocsin.restrictions.models import EnforcementAction
from tocsin.trust.anomalies import (
    blocked_numbers,
    broadcast,
    distinct_numbers,
    long_messages,
    marketing,
    repeated_trials,
    shared_numbers,
    verification_codes,
)
from tocsin.trust.anomalies.findings import Finding
from tocsin.trust.anomalies.thresholds import DEFAULT_THRESHOLDS, Thresholds
from tocsin.trust.cases import act_on_case, open_case
from tocsin.trust.models import CaseKind, TrustCase

log = logging.getLogger(__name__)

SCAN_ACTOR = Actor("system", "anomaly-scan")

# Any constant works; it only has to be the same in every Tocsin process.
_SCAN_LOCK = 0x70C5A7

Detector = Callable[[Session, datetime, Thresholds], list[Finding]]

DETECTORS: tuple[tuple[str, Detector], ...] = (
    (distinct_numbers.NAME, distinct_numbers.detect),
    (broadcast.NAME, broadcast.detect),
    (long_messages.NAME, long_messages.detect),
    (marketing.NAME, marketing.detect),
    (shared_numbers.NAME, shared_numbers.detect),
    (repeated_trials.NAME, repeated_trials.detect),
    (blocked_numbers.NAME, blocked_numbers.detect),
    (verification_codes.NAME, verification_codes.detect),
)


@dataclass(frozen=True)
class FiledCase:
    case_id: str
    detector: str
    org_id: str | None
    summary: str
    created: bool
    over_hard_threshold: bool
    # The suspension this scan took because of it, if any.
    suspension_id: str | None = None


@dataclass(frozen=True)
class ScanReport:
    # False when another process was scanning (PostgreSQL), so this one did nothing.
    ran: bool
    findings: int = 0
    new_cases: int = 0
    suspensions: int = 0
    cases: tuple[FiledCase, ...] = ()


def run_scan(
    session: Session,
    *,
    now: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    auto_suspend: bool,
) -> ScanReport:
    """Run every detector over recent traffic, in the caller's transaction. On PostgreSQL
    one process scans at a time and the others return a report that did not run."""
    if session.get_bind().dialect.name == "postgresql":
        taken = session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _SCAN_LOCK})
        if not taken:
            return ScanReport(ran=False)
    findings = [finding for _, detect in DETECTORS for finding in detect(session, now, thresholds)]
    filed = [
        _file(session, finding, now=now, auto_suspend=auto_suspend, thresholds=thresholds)
        for finding in findings
    ]
    report = ScanReport(
        ran=True,
        findings=len(findings),
        new_cases=sum(case.created for case in filed),
        suspensions=sum(case.suspension_id is not None for case in filed),
        cases=tuple(filed),
    )
    if findings:
        log.info(
            "anomaly scan: %d findings, %d new cases, %d suspensions",
            report.findings,
            report.new_cases,
            report.suspensions,
        )
    return report


def _file(
    session: Session, finding: Finding, *, now: datetime, auto_suspend: bool, thresholds: Thresholds
) -> FiledCase:
    summary = f"{finding.detector}: {finding.summary}"
    case, created = open_case(
        session,
        kind=CaseKind.ANOMALY,
        summary=summary,
        details={
            **finding.details,
            "detector": finding.detector,
            "over_hard_threshold": finding.over_hard_threshold,
            "last_seen_at": now.isoformat(),
        },
        actor=SCAN_ACTOR,
        now=now,
        org_id=finding.org_id,
        fingerprint=finding.fingerprint,
    )
    if not created:
        # The counts grow through the period; the queue should show the latest.
        case.summary = summary[:300]
    suspension_id = None
    if (
        auto_suspend
        and finding.over_hard_threshold
        and finding.org_id is not None
        and _may_suspend(session, finding.org_id, now=now, thresholds=thresholds)
    ):
        suspension_id = _suspend(session, finding, finding.org_id, case, now=now)
    return FiledCase(
        case_id=case.id,
        detector=finding.detector,
        org_id=finding.org_id,
        summary=case.summary,
        created=created,
        over_hard_threshold=finding.over_hard_threshold,
        suspension_id=suspension_id,
    )


def _may_suspend(session: Session, org_id: str, *, now: datetime, thresholds: Thresholds) -> bool:
    about_org = (
        EnforcementAction.scope == ActionScope.ORGANIZATION.value,
        EnforcementAction.target_id == org_id,
    )
    in_force = session.scalar(
        select(EnforcementAction.id)
        .where(
            *about_org,
            EnforcementAction.kind.in_(BLOCKING),
            EnforcementAction.lifted_at.is_(None),
            EnforcementAction.starts_at <= now,
            or_(EnforcementAction.ends_at.is_(None), EnforcementAction.ends_at > now),
        )
        .limit(1)
    )
    if in_force is not None:
        return False
    # Staff who lifted the scan's suspension looked at the traffic and let it go on.
    lifted = session.scalar(
        select(EnforcementAction.id)
        .where(
            *about_org,
            EnforcementAction.actor_type == SCAN_ACTOR.type,
            EnforcementAction.actor_id == SCAN_ACTOR.id,
            EnforcementAction.lifted_at > now - thresholds.respect_lift,
        )
        .limit(1)
    )
    return lifted is None


def _suspend(
    session: Session, finding: Finding, org_id: str, case: TrustCase, *, now: datetime
) -> str:
    action, _ = act_on_case(
        session,
        case_id=case.id,
        kind=ActionKind.SUSPENSION,
        scope=ActionScope.ORGANIZATION,
        target=org_id,
        reason=(
            f"automatic suspension: anomaly detector {finding.detector} past its hard "
            f"threshold ({finding.summary})"
        ),
        actor=SCAN_ACTOR,
        now=now,
    )
    log.warning("anomaly scan suspended %s: %s (case %s)", org_id, finding.detector, case.id)
    return action.id
