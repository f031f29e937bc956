"""What a consent code must pass before it is written: what an alert call to the number passes.
A code proving a caller ID passes the same, and the counts below take both kinds together
(`numbers.verification.ORG_PURPOSES`): they are one channel to the number.

A verification code calls or texts someone who has not consented to anything yet, so it is
held to the alert call's rules, in this order (the first that applies refuses):

1. A suspension or termination of the organization, of the number, or of the person asking
   (the user, or the user who created the asking API key): 403, as at dial time.
2. The safety screen with the organization's calling policy and its plan's international
   flag, as in force now (a downgrade closes calls abroad to codes too): 422.
3. A number whose calls were stopped (this organization's do-not-call list, or its owner's
   platform opt-out) gets at most one code per `STOPPED_NUMBER_GAP` from the organization:
   the owner's way back is a code, but the list must not become a way to pester them.
4. The number's per-destination throttle (core/throttle.py), counting alert calls that may
   have rung it and codes that went out: 429 until it has room.
5. The plan's daily budget of codes (`verification_codes_per_day`), over the last 24 hours,
   counted under the organization's row lock so that two requests cannot both take the last.

Between 3 and 4, the number's own code limits (`numbers.verification.check_consent_room`: a
code a minute from one organization, a few consent codes a day from all), which say more
precisely why to wait. The caller then counts the rate limits per person and organization.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.accounts.service import calling_policy
from tocsin.billing.plans import Plan
from tocsin.core.ratelimit import RateLimited
from tocsin.core.throttle import Bucket, hold, largest_limit, longest_window
from tocsin.db.base import UTCDateTime
from tocsin.numbers.consent import stopped_at
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import ORG_PURPOSES, WENT_OUT, check_consent_room
from tocsin.policy.numbers import checked_number
from tocsin.restrictions.blocks import code_block

STOPPED_NUMBER_GAP = timedelta(days=7)
BUDGET_WINDOW = timedelta(hours=24)

# Call attempts, named by table: paging sits above contacts. These are the statuses of
# attempts that may have rung the number (paging.models.PLACED_ATTEMPT_STATUSES, which a test
# holds this to).
PLACED_STATUSES = ("sending", "in_progress", "answered", "no_answer", "busy", "failed")
_ATTEMPTS = table(
    "call_attempts",
    column("to_number"),
    column("created_at", UTCDateTime()),
    column("status"),
)


@dataclass(frozen=True)
class CodeRules:
    """The platform's settings a code is checked against."""

    throttle: tuple[Bucket, ...]
    sanctioned_regions: frozenset[str]


def check_consent_code(
    session: Session,
    *,
    org: Organization,
    plan: Plan,
    number: str,
    person_id: str | None,
    rules: CodeRules,
    now: datetime,
) -> None:
    """Refuse a consent code to `number` (E.164) that an alert call could not make, in the
    order the module docstring gives; the caller then writes the code."""
    block = code_block(session, org_id=org.id, number=number, person_id=person_id, now=now)
    if block is not None:
        raise block.refusal()
    policy = calling_policy(org, plan_allows_international=plan.international_calling)
    checked_number(number, region=None, policy=policy, sanctioned_regions=rules.sanctioned_regions)
    _check_stopped_number(session, org_id=org.id, number=number, now=now)
    # The number's own code limits first: they say more precisely why to wait.
    check_consent_room(session, number=number, org_id=org.id, now=now)
    _check_throttle(session, number=number, buckets=rules.throttle, now=now)
    _check_budget(session, org_id=org.id, plan=plan, now=now)


def _check_stopped_number(session: Session, *, org_id: str, number: str, now: datetime) -> None:
    stopped = stopped_at(session, org_id=org_id, number=number)
    if stopped is None:
        return
    # Codes sent after the stop: the one that verified the number before does not count.
    since = max(stopped, now - STOPPED_NUMBER_GAP)
    last = session.scalar(
        select(func.max(NumberVerification.created_at)).where(
            NumberVerification.org_id == org_id,
            NumberVerification.phone_e164 == number,
            NumberVerification.purpose.in_(ORG_PURPOSES),
            NumberVerification.created_at > since,
        )
    )
    if last is None:
        return
    raise RateLimited(
        "calls to this number were stopped (its do-not-call entry or its owner's opt-out); "
        f"its owner may be sent one code every {STOPPED_NUMBER_GAP.days} days to verify it again",
        retry_after=_seconds(last + STOPPED_NUMBER_GAP - now),
        code="verification_stopped_number",
    )


def recent_contacts(
    session: Session, *, number: str, buckets: Sequence[Bucket], now: datetime
) -> list[datetime]:
    """When the number was lately called about alerts or sent a code, newest first."""
    if not buckets:
        return []
    since = now - longest_window(buckets)
    limit = largest_limit(buckets)
    calls = session.scalars(
        select(_ATTEMPTS.c.created_at)
        .where(
            _ATTEMPTS.c.to_number == number,
            _ATTEMPTS.c.created_at > since,
            _ATTEMPTS.c.status.in_(PLACED_STATUSES),
        )
        .order_by(_ATTEMPTS.c.created_at.desc())
        .limit(limit)
    )
    codes = session.scalars(
        select(NumberVerification.created_at)
        .where(
            NumberVerification.phone_e164 == number,
            NumberVerification.created_at > since,
            WENT_OUT,
        )
        .order_by(NumberVerification.created_at.desc())
        .limit(limit)
    )
    return sorted([*calls, *codes], reverse=True)[:limit]


def _check_throttle(
    session: Session, *, number: str, buckets: tuple[Bucket, ...], now: datetime
) -> None:
    held = hold(recent_contacts(session, number=number, buckets=buckets, now=now), now, buckets)
    if held is None:
        return
    raise RateLimited(
        f"this number was called lately; it may get {held.bucket.describe()}",
        retry_after=_seconds(held.until - now),
        code="number_throttled",
    )


def _check_budget(session: Session, *, org_id: str, plan: Plan, now: datetime) -> None:
    # The lock makes the count and the code written after it one step for this organization.
    session.scalar(select(Organization.id).where(Organization.id == org_id).with_for_update())
    since = now - BUDGET_WINDOW
    counted = session.execute(
        select(func.count(), func.min(NumberVerification.created_at)).where(
            NumberVerification.org_id == org_id,
            NumberVerification.purpose.in_(ORG_PURPOSES),
            NumberVerification.created_at > since,
            # A code no provider took reached nobody.
            NumberVerification.send_error.is_(None),
        )
    ).one()
    used, oldest = counted
    budget = plan.verification_codes_per_day
    if used < budget:
        return
    raise RateLimited(
        f"the {plan.name} plan allows {budget} verification codes in 24 hours",
        retry_after=_seconds(oldest + BUDGET_WINDOW - now) if oldest else 24 * 3600,
        code="verification_quota",
    )


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
