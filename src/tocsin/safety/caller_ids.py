"""Which numbers may be shown as a caller ID: the screen's verdict, read for a number that is
shown rather than dialled.

Whoever sees a caller ID may call it back. So a number the screen blocks because calling it
reaches emergency services, costs the caller (premium rate, shared cost, a high-risk
destination such as a one-ring area code) or is no line (a service code) is never shown, nor
a number in a sanctioned country: `NEVER_SHOWN`. An organization's caller ID must moreover be
a real line it can prove it holds: not invalid, not a fictional range (`NOT_A_LINE`). The
operator's own number (`TOCSIN_CALLER_ID`, a trunk's `caller_id`) may be a placeholder or
"anonymous", which nobody can call back.

Toll-free and not-voice numbers (a company's switchboard, such as a UK 03 number) stay
allowed: calling one back costs nothing more than an ordinary call.
"""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.safety.reasons import Reason, ReasonCode
from tocsin.safety.screen import screen

NEVER_SHOWN = frozenset(
    {
        ReasonCode.EMERGENCY,
        ReasonCode.PREMIUM_RATE,
        ReasonCode.SHARED_COST,
        ReasonCode.SHORT_CODE,
        ReasonCode.SANCTIONED,
        ReasonCode.HIGH_RISK,
    }
)
NOT_A_LINE = frozenset({ReasonCode.INVALID, ReasonCode.TEST_NUMBER})


@dataclass(frozen=True)
class CallerIdVerdict:
    """`e164` is the number to show (None when the input names no full number); `refusals`
    the screen's reasons that forbid showing it."""

    e164: str | None
    refusals: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        return not self.refusals

    def summary(self) -> str:
        return "; ".join(reason.message for reason in self.refusals)

    def reasons(self) -> list[dict[str, str]]:
        return [{"code": reason.code.value, "message": reason.message} for reason in self.refusals]


def screen_caller_id(
    raw: str, region: str | None = None, *, must_be_line: bool = True
) -> CallerIdVerdict:
    """Judge `raw` as a caller ID; a national number is read in `region`. `must_be_line`
    (an organization's caller ID) also refuses what is not a real line."""
    verdict = screen(raw, region)
    refused = NEVER_SHOWN | NOT_A_LINE if must_be_line else NEVER_SHOWN
    reasons = list(verdict.reasons)
    if region is not None:
        # Whoever is called may be anywhere: "911" is no emergency number in Britain, but a
        # caller in the US who calls it back reaches one.
        reasons += [r for r in screen(raw).reasons if r.code in NEVER_SHOWN and r not in reasons]
    refusals = tuple(reason for reason in reasons if reason.code in refused)
    if must_be_line and verdict.e164 is None and not refusals:
        refusals = (Reason(ReasonCode.INVALID, "this is not a phone number"),)
    return CallerIdVerdict(verdict.e164, refusals)
