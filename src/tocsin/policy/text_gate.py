"""The text gate: may a claimed text (SMS) or e-mail job tell its member now? A pure decision.

A text goes to a phone number, so it passes the same checks as a call to that number (the
dial gate's, policy/dial_gate.py) plus the SMS stop list: a number that texted STOP gets no
more texts, and its owner's STOP opted it out of calls too. A text is not a call: no throttle
holds it, it is not counted against the plan's call caps, and it is never retried. An e-mail
goes to the member's verified account address, through the outbox.

The checks, in order; the first that applies is the decision:

1. The job's text attempt has not ended (its worker stopped between writing the attempt and
   hearing back): `Unconfirmed`. It may have gone out, so it is never sent again.
2. The alert was acknowledged, resolved or deleted: `NotTold`, quietly.
3. The job already made its one attempt: `NotTold`, quietly.
4. Texts: the number's standing (unverified, do-not-call, opted out), the SMS stop list,
   enforcement, the safety screen, and whether any provider of the organization sends texts.
   E-mail: enforcement, whether the member still belongs to the organization and has a
   verified address. Each is `NotTold`, said on the alert's timeline.
5. Otherwise `Tell`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tocsin.policy.dial_gate import AlertState, Enforcement, NumberRefusal
from tocsin.safety import Verdict


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class NotToldReason(StrEnum):
    """Why a job ends without telling anyone; the engine maps each to a status and outcome."""

    ALERT_ACKNOWLEDGED = "alert_acknowledged"
    ALERT_RESOLVED = "alert_resolved"
    ALERT_GONE = "alert_gone"
    ALREADY_TRIED = "already_tried"
    NUMBER_UNVERIFIED = "number_unverified"
    NUMBER_STOPPED = "number_stopped"
    TEXTS_STOPPED = "texts_stopped"
    ENFORCEMENT = "enforcement"
    SCREENED_OUT = "screened_out"
    CANNOT_TEXT = "cannot_text"
    NOT_A_MEMBER = "not_a_member"
    ADDRESS_UNVERIFIED = "address_unverified"


# Reasons the alert's own timeline already explains.
QUIET = frozenset(
    {
        NotToldReason.ALERT_ACKNOWLEDGED,
        NotToldReason.ALERT_RESOLVED,
        NotToldReason.ALERT_GONE,
        NotToldReason.ALREADY_TRIED,
    }
)


@dataclass(frozen=True)
class TextFacts:
    """What `decide_text` needs, read in the transaction that writes the attempt."""

    channel: Channel
    alert: AlertState
    attempts_made: int
    unfinished_attempt: bool = False
    enforcement: Enforcement | None = None
    # Texts only.
    number_refusal: NumberRefusal | None = None
    texts_stopped: bool = False
    verdict: Verdict | None = None
    # Whether any provider in the organization's chain sends texts (a SIP trunk does not).
    can_text: bool = False
    # E-mail only.
    member: bool = False
    address_verified: bool = False


@dataclass(frozen=True)
class Unconfirmed:
    """Settle the unfinished attempt as unknown; never send it again."""


@dataclass(frozen=True)
class NotTold:
    reason: NotToldReason
    # In words, for the job's last error and the timeline.
    detail: str
    # The code the timeline gives.
    code: str


@dataclass(frozen=True)
class Tell:
    """Write the attempt (committed before the provider hears of it), then send."""


TextDecision = Unconfirmed | NotTold | Tell

_ALERT_CLOSED = {
    AlertState.ACKNOWLEDGED: NotToldReason.ALERT_ACKNOWLEDGED,
    AlertState.RESOLVED: NotToldReason.ALERT_RESOLVED,
    AlertState.GONE: NotToldReason.ALERT_GONE,
}


def decide_text(facts: TextFacts) -> TextDecision:
    """What to do with a text or e-mail job now; the module docstring gives the order."""
    if facts.unfinished_attempt:
        return Unconfirmed()
    if facts.alert != AlertState.OPEN:
        reason = _ALERT_CLOSED[facts.alert]
        return NotTold(reason, f"alert {facts.alert.value}", reason.value)
    if facts.attempts_made >= 1:
        return NotTold(NotToldReason.ALREADY_TRIED, "told once already", "already_tried")
    refusal = _sms_refusal(facts) if facts.channel == Channel.SMS else _email_refusal(facts)
    return refusal or Tell()


def _enforced(facts: TextFacts) -> NotTold | None:
    if facts.enforcement is None:
        return None
    detail = f"{facts.enforcement.code}: {facts.enforcement.reason}"
    return NotTold(NotToldReason.ENFORCEMENT, detail, facts.enforcement.code)


def _sms_refusal(facts: TextFacts) -> NotTold | None:
    number = facts.number_refusal
    if number is not None:
        reason = NotToldReason.NUMBER_STOPPED if number.stopped else NotToldReason.NUMBER_UNVERIFIED
        return NotTold(reason, number.reason, number.code)
    if facts.texts_stopped:
        return NotTold(
            NotToldReason.TEXTS_STOPPED,
            "the number texted STOP: it gets no texts until it texts START",
            "sms_stopped",
        )
    enforced = _enforced(facts)
    if enforced is not None:
        return enforced
    if facts.verdict is not None and not facts.verdict.allowed:
        reasons = facts.verdict.reasons
        detail = "; ".join(reason.message for reason in reasons)
        return NotTold(NotToldReason.SCREENED_OUT, detail, reasons[0].code.value)
    if not facts.can_text:
        return NotTold(
            NotToldReason.CANNOT_TEXT,
            "no provider of this organization can send texts (a SIP trunk sends none, and an "
            "account with no proven caller ID sends nothing)",
            "cannot_text",
        )
    return None


def _email_refusal(facts: TextFacts) -> NotTold | None:
    enforced = _enforced(facts)
    if enforced is not None:
        return enforced
    if not facts.member:
        return NotTold(
            NotToldReason.NOT_A_MEMBER, "no longer a member of the organization", "not_a_member"
        )
    if not facts.address_verified:
        return NotTold(
            NotToldReason.ADDRESS_UNVERIFIED,
            "the member's e-mail address is not verified",
            "address_unverified",
        )
    return None
