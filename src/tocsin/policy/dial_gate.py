"""The dial gate: may a claimed call job place its call now? A pure decision over plain facts.

Everything that could forbid or delay a call is asked again at dial time, because any of it may
have changed since the alert came in. The engine loads `DialFacts` in one read pass, in the
transaction that writes the attempt (engine/dial_facts.py), asks `decide`, and applies the
`Decision` (engine/planning.py).

The checks run in this order, and the first that applies is the decision:

1. The call that carries this job's alert (paging/bundles.py) has not ended: `AwaitCarrier`.
2. The job's last attempt has not ended (its worker stopped mid-call): `Reconcile`, by asking
   the provider, never by dialling again. It comes before everything else, so an attempt that
   may be ringing is settled even when its alert has closed meanwhile.
3. The alert was acknowledged, resolved or deleted meanwhile: `Skip`, quietly (the alert's own
   timeline says why).
4. The job has made all its attempts: `Skip` as not placed.
5. The number's standing with the organization: unverified, on the do-not-call list, or opted
   out of all calls from Tocsin: `Skip`, said on the alert's timeline.
6. A suspension or termination of the organization, the endpoint or the number: `Skip`, said.
7. The safety screen with the organization's calling policy and plan refuses the number:
   `Block`. The attempt is written as blocked, so the refusal stands among the alert's calls.
8. The number's throttle is full: `Hold` until it has room (a call is delayed, never dropped).
   The first call about a new critical alert waits only for the news throttle.
9. A cap of the organization's plan is used up: `OverQuota`; the owners are told.
10. Otherwise `Dial`.

The throttle and the caps come after the screen, so a number that is never called neither waits
for room nor uses up the plan; the caps come last because a call is counted only when it is
placed (the engine counts it atomically with the attempt row, which is also the guard against
two workers taking the last call at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tocsin.core.throttle import Bucket, hold
from tocsin.policy.quota import CallCaps, CapKind, Periods, cap_reached
from tocsin.safety import Verdict

# Facts -------------------------------------------------------------------------------------------


class AlertState(StrEnum):
    """The job's alert as the gate sees it; GONE for an alert deleted meanwhile."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    GONE = "gone"


@dataclass(frozen=True)
class NumberRefusal:
    """Why the organization may not call the number (numbers/consent.py)."""

    code: str
    reason: str
    # Calls to the number were stopped (the do-not-call list, the owner's opt-out): the job is
    # done. Otherwise the number is unverified, and the job is blocked.
    stopped: bool


@dataclass(frozen=True)
class Enforcement:
    """An active suspension or termination that covers the call (restrictions/blocks.py)."""

    code: str
    reason: str


@dataclass(frozen=True)
class Throttle:
    """The number's recent calls, and the limits they are held to."""

    # When calls that may have rung the number were placed, newest first: every one inside the
    # longest window of either table, at least as many as the largest limit if there are.
    recent_calls: tuple[datetime, ...]
    buckets: tuple[Bucket, ...]
    news_buckets: tuple[Bucket, ...]
    # The first call to this number about a new critical alert, which waits only for news_buckets.
    is_news: bool = False


@dataclass(frozen=True)
class Usage:
    """The caps of the organization's plan, and what the periods a call now counts in have used."""

    caps: CallCaps
    periods: Periods
    day_calls: int = 0
    month_calls: int = 0
    month_spend_cents: int = 0


@dataclass(frozen=True)
class DialFacts:
    """Everything `decide` needs, read in one pass in the transaction that writes the attempt."""

    now: datetime
    number: str
    alert: AlertState
    attempts_made: int
    max_attempts: int
    verdict: Verdict
    throttle: Throttle
    # The call this job's alert rides on has not ended yet.
    carrier_running: bool = False
    # The job's last attempt has not ended.
    unfinished_attempt: bool = False
    number_refusal: NumberRefusal | None = None
    enforcement: Enforcement | None = None
    # None when no plan counts the call (its organization is gone).
    usage: Usage | None = None


# Decisions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwaitCarrier:
    """Wait for the call that carries this job's alert; its end moves the job on."""


@dataclass(frozen=True)
class Reconcile:
    """Settle the job's unfinished attempt by asking the provider; never dial it again."""


class SkipReason(StrEnum):
    """Why a job ends without a call. The engine maps each to the job's status and outcome."""

    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    ALERT_RESOLVED = "alert_resolved"
    ALERT_GONE = "alert_gone"
    NO_ATTEMPTS_LEFT = "no_attempts_left"
    NUMBER_UNVERIFIED = "number_unverified"
    NUMBER_STOPPED = "number_stopped"
    ENFORCEMENT = "enforcement"


@dataclass(frozen=True)
class Skip:
    """End the job without an attempt."""

    reason: SkipReason
    # What the job keeps as its last error.
    detail: str
    # The reason code the alert's timeline gives, where it says anything.
    code: str


@dataclass(frozen=True)
class Block:
    """The screen refused the number: write the attempt as blocked, with every reason."""

    verdict: Verdict

    @property
    def code(self) -> str:
        return self.verdict.reasons[0].code.value

    @property
    def message(self) -> str:
        return "; ".join(reason.message for reason in self.verdict.reasons)


@dataclass(frozen=True)
class Hold:
    """Delay the job until the number's throttle has room."""

    until: datetime
    limit: Bucket
    reason: str


@dataclass(frozen=True)
class OverQuota:
    """No call: `cap` of the plan is used up until `resets_at`."""

    cap: CapKind
    resets_at: datetime


@dataclass(frozen=True)
class Dial:
    """Write the attempt, counted against the plan's caps, and place the call."""


Decision = AwaitCarrier | Reconcile | Skip | Block | Hold | OverQuota | Dial

_ALERT_CLOSED = {
    AlertState.ACKNOWLEDGED: SkipReason.ALERT_ACKNOWLEDGED,
    AlertState.RESOLVED: SkipReason.ALERT_RESOLVED,
    AlertState.GONE: SkipReason.ALERT_GONE,
}


def decide(facts: DialFacts) -> Decision:
    """What to do with the job now; the module docstring gives the order of the checks."""
    if facts.carrier_running:
        return AwaitCarrier()
    if facts.unfinished_attempt:
        return Reconcile()
    skipped = _skipped(facts)
    if skipped is not None:
        return skipped
    if not facts.verdict.allowed:
        return Block(facts.verdict)
    return _held(facts) or _over_quota(facts) or Dial()


def _skipped(facts: DialFacts) -> Skip | None:
    """The job's own state, the number's standing and enforcement, in that order."""
    if facts.alert != AlertState.OPEN:
        reason = _ALERT_CLOSED[facts.alert]
        return Skip(reason, f"alert {facts.alert.value}", reason.value)
    if facts.attempts_made >= facts.max_attempts:
        return Skip(SkipReason.NO_ATTEMPTS_LEFT, "no attempts left", "no_attempts_left")
    number = facts.number_refusal
    if number is not None:
        reason = SkipReason.NUMBER_STOPPED if number.stopped else SkipReason.NUMBER_UNVERIFIED
        return Skip(reason, number.reason, number.code)
    enforcement = facts.enforcement
    if enforcement is not None:
        detail = f"{enforcement.code}: {enforcement.reason}"
        return Skip(SkipReason.ENFORCEMENT, detail, enforcement.code)
    return None


def _held(facts: DialFacts) -> Hold | None:
    throttle = facts.throttle
    held = hold(throttle.recent_calls, facts.now, throttle.buckets)
    if held is not None and throttle.is_news:
        held = hold(throttle.recent_calls, facts.now, throttle.news_buckets)
    if held is None:
        return None
    reason = f"throttle: {held.bucket.describe()} to {facts.number}"
    return Hold(held.until, held.bucket, reason)


def _over_quota(facts: DialFacts) -> OverQuota | None:
    usage = facts.usage
    if usage is None:
        return None
    cap = cap_reached(
        usage.caps,
        day_calls=usage.day_calls,
        month_calls=usage.month_calls,
        month_spend_cents=usage.month_spend_cents,
    )
    if cap is None:
        return None
    periods = usage.periods
    return OverQuota(
        cap, periods.day_resets_at if cap == CapKind.DAILY else periods.month_resets_at
    )
