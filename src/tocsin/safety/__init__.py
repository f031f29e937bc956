"""The platform safety net: number screening as pure functions.

`screen(number, region, context)` says whether a number may be called and why not. Enforced when
a number is added or changed, and again at dial time.
"""

from tocsin.safety.context import PLATFORM_CONTEXT, ScreeningContext, organization_context
from tocsin.safety.reasons import Reason, ReasonCode, Verdict
from tocsin.safety.screen import region_of, screen

__all__ = [
    "PLATFORM_CONTEXT",
    "Reason",
    "ReasonCode",
    "ScreeningContext",
    "Verdict",
    "organization_context",
    "region_of",
    "screen",
]
