"""Abuse reports from the public: someone got a call they did not want and tells us the caller
ID they saw, if any, and when.

Reports are matched to what fits within a window around the reported time (the reporter's
clock and memory are rough):
- alert calls, by caller ID, narrowed to the reporter's own number when they give it; with no
  caller ID shown (phones say "Unknown" for a withheld number) by the reporter's number alone;
- verification codes, which are calls and texts to people who may never have agreed to be
  called, by the reporter's number (a code's caller ID is the platform's or the
  organization's, and the number it went to is what tells them apart).
The organization of the closest match is the case's organization. The reporter is told only
that the report was received: which organization placed the call is not theirs to learn from
this form.
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
from tocsin.numbers.models import NumberVerification
from tocsin.paging.models import CallAttempt
from tocsin.trust.cases import open_case
from tocsin.trust.models import CaseKind, TrustCase

MATCH_WINDOW = timedelta(minutes=15)
MAX_MATCHES = 20


@dataclass(frozen=True)
class Report:
    # None when the phone showed no number ("Unknown", "Withheld", nothing).
    caller_id: str | None
    seen_at: datetime
    reported_time: str
    timezone: str | None
    description: str
    reporter_contact: str | None
    called_number: str | None
    # What the reporter typed as the caller ID, kept as evidence whatever it was.
    reported_caller_id: str | None = None


def shows_no_number(typed: str | None) -> bool:
    """Whether the caller ID the reporter saw is no number at all: blank, or words such as
    "Unknown", "Private number" or "No caller ID", which have no digit in them."""
    return typed is None or not any(character.isdigit() for character in typed)


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
    caller_id: str | None,
    seen_at: datetime,
    called_number: str | None,
    window: timedelta = MATCH_WINDOW,
) -> list[CallAttempt]:
    """Calls placed within `window` of `seen_at`, closest first: from `caller_id`, narrowed to
    `called_number` where any went there; without a caller ID, only those to `called_number`."""
    if caller_id is None and called_number is None:
        return []
    query = select(CallAttempt).where(
        CallAttempt.created_at >= seen_at - window,
        CallAttempt.created_at <= seen_at + window,
    )
    if caller_id is None:
        query = query.where(CallAttempt.to_number == called_number)
    else:
        query = query.where(CallAttempt.caller_id == caller_id)
    attempts = list(session.scalars(query))
    if called_number is not None:
        to_them = [attempt for attempt in attempts if attempt.to_number == called_number]
        attempts = to_them or attempts
    attempts.sort(key=lambda attempt: abs((attempt.created_at - seen_at).total_seconds()))
    return attempts[:MAX_MATCHES]


def matching_codes(
    session: Session,
    *,
    seen_at: datetime,
    called_number: str | None,
    window: timedelta = MATCH_WINDOW,
) -> list[NumberVerification]:
    """Verification codes sent to `called_number` within `window` of `seen_at`, closest first.
    A code that was issued but never went out (no provider reference) called nobody."""
    if called_number is None:
        return []
    codes = list(
        session.scalars(
            select(NumberVerification).where(
                NumberVerification.phone_e164 == called_number,
                NumberVerification.provider_ref.is_not(None),
                NumberVerification.created_at >= seen_at - window,
                NumberVerification.created_at <= seen_at + window,
            )
        )
    )
    codes.sort(key=lambda code: abs((code.created_at - seen_at).total_seconds()))
    return codes[:MAX_MATCHES]


def _match(attempt: CallAttempt, seen_at: datetime) -> dict[str, Any]:
    return {
        "attempt_id": attempt.id,
        "org_id": attempt.org_id,
        "alert_id": attempt.alert_id,
        "to_number": attempt.to_number,
        "at": attempt.created_at.isoformat(),
        "seconds_from_report": round((attempt.created_at - seen_at).total_seconds()),
    }


def _code_match(code: NumberVerification, seen_at: datetime) -> dict[str, Any]:
    return {
        "verification_id": code.id,
        "org_id": code.org_id,
        "purpose": code.purpose,
        "channel": code.channel,
        "to_number": code.phone_e164,
        "at": code.created_at.isoformat(),
        "seconds_from_report": round((code.created_at - seen_at).total_seconds()),
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
    codes = matching_codes(session, seen_at=report.seen_at, called_number=report.called_number)
    # Closest first, whichever kind: the case belongs to whoever most likely rang.
    closest = sorted(
        [(attempt.created_at, attempt.org_id) for attempt in matches]
        + [(code.created_at, code.org_id) for code in codes],
        key=lambda found: abs((found[0] - report.seen_at).total_seconds()),
    )
    organizations = list(dict.fromkeys(org for _, org in closest if org is not None))
    org_id = organizations[0] if organizations else None
    where = f"organization {org_id}" if org_id else "no matching call"
    shown = report.caller_id or "no caller ID"
    case, _ = open_case(
        session,
        kind=CaseKind.ABUSE_REPORT,
        summary=f"Report of a call from {shown} at {report.seen_at:%Y-%m-%d %H:%M} UTC: {where}",
        details={
            "caller_id": report.caller_id,
            "reported_caller_id": report.reported_caller_id,
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
            "verification_matches": [_code_match(code, report.seen_at) for code in codes],
        },
        actor=actor,
        now=now,
        org_id=org_id,
    )
    return case
