"""Why a number is blocked: a fixed set of codes, each with a message a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    EMERGENCY = "emergency"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    TOLL_FREE = "toll_free"
    SHORT_CODE = "short_code"
    TEST_NUMBER = "test_number"
    SANCTIONED = "sanctioned"
    HIGH_RISK = "high_risk"
    NOT_VOICE = "not_voice"
    INVALID = "invalid"
    INTERNATIONAL_DISABLED = "international_disabled"
    COUNTRY_NOT_ALLOWED = "country_not_allowed"

    @property
    def is_platform_block(self) -> bool:
        """Platform blocks hold whatever an organization configures; only the last two are
        organization policy that an admin may change."""
        return self not in (ReasonCode.INTERNATIONAL_DISABLED, ReasonCode.COUNTRY_NOT_ALLOWED)


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message: str


@dataclass(frozen=True)
class Verdict:
    input: str
    region: str | None
    e164: str | None
    reasons: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def verdict(self) -> str:
        return "allow" if self.allowed else "block"

    @property
    def codes(self) -> list[str]:
        return [reason.code.value for reason in self.reasons]

    def as_dict(self) -> dict[str, object]:
        return {
            "input": self.input,
            "region": self.region,
            "e164": self.e164,
            "verdict": self.verdict,
            "reasons": [{"code": r.code.value, "message": r.message} for r in self.reasons],
        }
