"""Applying the safety screen to an organization's numbers.

The same check runs when a number is added or changed (refusing it with the reasons) and at dial
time (failing the attempt with the reasons), so a number that slipped in some other way, or that
a later table update made dangerous, is still never called.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.core.errors import InvalidInput
from tocsin.safety import ScreeningContext, Verdict, organization_context, screen
from tocsin.safety.tables.sanctions import DEFAULT_SANCTIONED_REGIONS


@dataclass(frozen=True)
class CallingPolicy:
    """An organization's calling settings, as stored on it."""

    home_region: str
    international_enabled: bool
    allowed_regions: tuple[str, ...]


class NumberBlocked(InvalidInput):
    """A number the screen refuses; `details` carries every reason with its code."""

    def __init__(self, verdict: Verdict) -> None:
        summary = "; ".join(reason.message for reason in verdict.reasons)
        super().__init__(
            f"this number cannot be called: {summary}",
            code="number_blocked",
            details={
                "reasons": [{"code": r.code.value, "message": r.message} for r in verdict.reasons]
            },
        )
        self.verdict = verdict


def screening_context(
    policy: CallingPolicy, sanctioned_regions: Iterable[str] = DEFAULT_SANCTIONED_REGIONS
) -> ScreeningContext:
    return organization_context(
        home_region=policy.home_region,
        international_enabled=policy.international_enabled,
        allowed_regions=policy.allowed_regions,
        sanctioned_regions=frozenset(region.upper() for region in sanctioned_regions),
    )


def checked_number(
    raw: str,
    *,
    region: str | None,
    policy: CallingPolicy,
    sanctioned_regions: Iterable[str] = DEFAULT_SANCTIONED_REGIONS,
) -> str:
    """The E.164 form of a number this organization may call, or NumberBlocked."""
    verdict = screen(
        raw, region or policy.home_region, screening_context(policy, sanctioned_regions)
    )
    if not verdict.allowed or verdict.e164 is None:
        raise NumberBlocked(verdict)
    return verdict.e164
