"""Abuse reports from the public: someone got a call they did not want and tells us the caller
ID they saw and when.

Reports are matched to the calls that fit, by caller ID within a window around the reported
time (the reporter's clock and memory are rough), narrowed to the reporter's own number when
they give it; the organization of the closest call is the case's organization. The reporter is
told only that the report was received: which organization placed the call is not theirs to
learn from this form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput
from tocsin.paging.models import CallAttempt
from tocsin.trust.cases import open_case
from tocsin.trust.models import CaseKind, TrustCase

MATCH_WINDOW = timedelta(minutes=15)
MAX_MATCHES = 20


@dataclass(frozen=True)
class Report:
    caller_id: str
    seen_at: datetime
    reported_time: str
    timezone: str | None
    description: str
    reporter_contact: str | None
    called_number: str | None


def seen_at_of(text: str, timezone: str | None, *, now: datetime) -> datetime:
    """The reported moment in UTC; a time without an offset needs a time zone to mean anything."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise InvalidInput(
            "seen_at must be an ISO 8601 date and time, e.g. 2026-12-01T14:05:00+01:00",
            code="invalid_seen_at",
        ) from error
    if moment.tzinfo is None:
        if not timezone:
            raise InvalidInput(
                "say which time zone seen_at is in: add an offset or `timezone`",
                code="timezone_required",
            )
        try:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise InvalidInput(
                f"unknown time zone {timezone!r}", code="invalid_timezone"
            ) from error
    moment = moment.astimezone(UTC)
    if moment > now + timedelta(minutes=5):
        raise InvalidInput("seen_at is in the future", code="seen_at_in_future")
    return moment


def matching_calls(
    session: Session,
    *,
    caller_id: str,
    seen_at: datetime,
    called_number: str | None,
    window: timedelta = MATCH_WINDOW,
) -> list[CallAttempt]:
    """Calls from `caller_id` placed within `window` of `seen_at`, closest first."""
    attempts = list(
        session.scalars(
            select(CallAttempt).where(
                CallAttempt.caller_id == caller_id,
                CallAttempt.created_at >= seen_at - window,
                CallAttempt.created_at <= seen_at + window,
            )
        )
    )
    if called_number is not None:
        to_them = [attempt for attempt in attempts if attempt.to_number == called_number]
        attempts = to_them or attempts
    attempts.sort(key=lambda attempt: abs((attempt.created_at - seen_at).total_seconds()))
    return attempts[:MAX_MATCHES]


def _match(attempt: CallAttempt, seen_at: datetime) -> dict[str, Any]:
    return {
        "attempt_id": attempt.id,
        "org_id": attempt.org_id,
        "alert_id": attempt.alert_id,
        "to_number": attempt.to_number,
        "at": attempt.created_at.isoformat(),
        "seconds_from_report": round((attempt.created_at - seen_at).total_seconds()),
    }


def file_report(
    session: Session, *, report: Report, actor: Actor, user_agent: str | None, now: datetime
) -> TrustCase:
    matches = matching_calls(
        session,
        caller_id=report.caller_id,
        seen_at=report.seen_at,
        called_number=report.called_number,
    )
    org_id = matches[0].org_id if matches else None
    organizations = list(dict.fromkeys(attempt.org_id for attempt in matches))
    where = f"organization {org_id}" if org_id else "no matching call"
    case, _ = open_case(
        session,
        kind=CaseKind.ABUSE_REPORT,
        summary=f"Report of a call from {report.caller_id} at "
        f"{report.seen_at:%Y-%m-%d %H:%M} UTC: {where}",
        details={
            "caller_id": report.caller_id,
            "seen_at": report.seen_at.isoformat(),
            "reported_time": report.reported_time,
            "timezone": report.timezone,
            "description": report.description,
            "reporter_contact": report.reporter_contact,
            "called_number": report.called_number,
            "reporter_ip": actor.ip_address,
            "reporter_user_agent": user_agent,
            "matched_orgs": organizations,
            "matches": [_match(attempt, report.seen_at) for attempt in matches],
        },
        actor=actor,
        now=now,
        org_id=org_id,
    )
    return case
