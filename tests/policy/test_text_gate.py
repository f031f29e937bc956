"""The text gate as a table: plain facts in, one decision out, for a member's text or e-mail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.policy.test_dial_gate import ALLOWED, PREMIUM
from tocsin.policy.dial_gate import AlertState, Enforcement, NumberRefusal
from tocsin.policy.text_gate import (
    Channel,
    NotTold,
    NotToldReason,
    Tell,
    TextDecision,
    TextFacts,
    Unconfirmed,
    decide_text,
)

SMS = TextFacts(
    channel=Channel.SMS, alert=AlertState.OPEN, attempts_made=0, verdict=ALLOWED, can_text=True
)
EMAIL = TextFacts(
    channel=Channel.EMAIL,
    alert=AlertState.OPEN,
    attempts_made=0,
    member=True,
    address_verified=True,
)
SUSPENDED = Enforcement("organization_suspended", "suspended for review")
OPTED_OUT = NumberRefusal("platform_opt_out", "opted out", stopped=True)
UNVERIFIED = NumberRefusal("number_unverified", "not verified", stopped=False)


def _reason(decision: TextDecision) -> NotToldReason | str:
    return decision.reason if isinstance(decision, NotTold) else type(decision).__name__


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (SMS, "Tell"),
        (EMAIL, "Tell"),
        # An attempt that may have gone out is never sent again, even for a closed alert.
        (replace(SMS, unfinished_attempt=True, alert=AlertState.RESOLVED), "Unconfirmed"),
        (replace(SMS, alert=AlertState.ACKNOWLEDGED), NotToldReason.ALERT_ACKNOWLEDGED),
        (replace(EMAIL, alert=AlertState.GONE), NotToldReason.ALERT_GONE),
        (replace(SMS, attempts_made=1), NotToldReason.ALREADY_TRIED),
        # A text passes what a call to the number would, in the same order.
        (replace(SMS, number_refusal=OPTED_OUT, texts_stopped=True), NotToldReason.NUMBER_STOPPED),
        (replace(SMS, number_refusal=UNVERIFIED), NotToldReason.NUMBER_UNVERIFIED),
        (replace(SMS, texts_stopped=True, enforcement=SUSPENDED), NotToldReason.TEXTS_STOPPED),
        (replace(SMS, enforcement=SUSPENDED, verdict=PREMIUM), NotToldReason.ENFORCEMENT),
        (replace(SMS, verdict=PREMIUM, can_text=False), NotToldReason.SCREENED_OUT),
        (replace(SMS, can_text=False), NotToldReason.CANNOT_TEXT),
        # An e-mail needs a member with a verified address; no provider is asked.
        (replace(EMAIL, can_text=False), "Tell"),
        (replace(EMAIL, enforcement=SUSPENDED, member=False), NotToldReason.ENFORCEMENT),
        (replace(EMAIL, member=False), NotToldReason.NOT_A_MEMBER),
        (replace(EMAIL, address_verified=False), NotToldReason.ADDRESS_UNVERIFIED),
    ],
)
def test_decide_text(facts: TextFacts, expected: NotToldReason | str) -> None:
    assert _reason(decide_text(facts)) == expected


def test_a_screened_out_number_gives_every_reason() -> None:
    decision = decide_text(replace(SMS, verdict=PREMIUM))
    assert isinstance(decision, NotTold)
    assert decision.code == PREMIUM.reasons[0].code.value
    assert decision.detail == "; ".join(reason.message for reason in PREMIUM.reasons)


def test_tell_and_unconfirmed_carry_nothing() -> None:
    assert decide_text(SMS) == Tell()
    assert decide_text(replace(SMS, unfinished_attempt=True)) == Unconfirmed()
