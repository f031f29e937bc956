"""Stopping queued calls for a reason outside their alert, where everyone can see it.

An opt-out, a do-not-call entry, enforcement, or a contact a new calling policy blocks can
cancel calls an alert is waiting for, in organizations other than the one that asked. Whatever
stops a page must show: each alert that lost a call gets the reason on its timeline (the
command's own audit action, so the timeline says what happened and by what means), its
escalation moves on to its next step, and `tell_owners_calls_stopped` tells each organization
that lost calls once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.paging.escalation import poke
from tocsin.paging.jobs import cancel_pending_where
from tocsin.paging.models import JobOutcome


@dataclass(frozen=True)
class StoppedCalls:
    """The calls cancelled, and for each organization that lost any, its alerts and how many
    of each alert's calls."""

    cancelled: int
    by_org: dict[str, Counter[str]]


def stop_pending_calls(
    session: Session,
    condition: ColumnElement[bool],
    *,
    outcome: JobOutcome,
    reason: str,
    action: AuditAction,
    details: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> StoppedCalls:
    """Cancel the pending calls matching `condition`, record `action` with `details` on the
    timeline of each alert that lost one, and let their escalations move on."""
    jobs = cancel_pending_where(session, condition, outcome=outcome, reason=reason, now=now)
    by_org: dict[str, Counter[str]] = {}
    for job in jobs:
        by_org.setdefault(job.org_id, Counter())[job.alert_id] += 1
    for escalation_id in dict.fromkeys(job.escalation_id for job in jobs):
        poke(session, escalation_id=escalation_id, now=now)
    for org_id, alerts in by_org.items():
        for alert_id, cancelled in sorted(alerts.items()):
            audit.record(
                session,
                actor=actor,
                action=action,
                at=now,
                org_id=org_id,
                target_type="alert",
                target_id=alert_id,
                details={**details, "calls_cancelled": cancelled},
            )
    return StoppedCalls(len(jobs), by_org)


def tell_owners_calls_stopped(
    session: Session,
    stopped: StoppedCalls,
    *,
    number: str,
    why: str,
    period: str,
    actor: Actor,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Tell the owners of each organization that lost calls to `number`, once per `period`:
    `why` says what stopped them ("its owner opted out of all calls by texting STOP")."""
    for org_id, alerts in stopped.by_org.items():
        cancelled = sum(alerts.values())
        tell_owners(
            session,
            org_id=org_id,
            kind="calls_stopped",
            period=period,
            message=(
                f"Calls to {number} were stopped: {why}. {cancelled} pending call(s) for "
                f"{len(alerts)} alert(s) were cancelled, and their escalations went on to their "
                "next steps. Page someone else on those alerts if nobody else is on them."
            ),
            now=now,
            actor=actor,
            details={
                **(details or {}),
                "number": number,
                "alert_ids": sorted(alerts),
                "calls_cancelled": cancelled,
            },
        )
