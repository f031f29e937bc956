"""The platform safety net: number screening as pure functions.

`screen(number, region, context)` says whether a number may be called and why not. Enforced when
a number is added or changed, and again at dial time. `screen_caller_id(number, region)` says
whether a number may be shown as a caller ID.
"""

from tocsin.safety.caller_ids import CallerIdVerdict, screen_caller_id
from tocsin.safety.context import PLATFORM_CONTEXT, ScreeningContext, organization_context
from tocsin.safety.reasons import Reason, ReasonCode, Verdict
from tocsin.safety.screen import region_of, screen

__all__ = [
    "PLATFORM_CONTEXT",
    "CallerIdVerdict",
    "Reason",
    "ReasonCode",
    "ScreeningContext",
    "Verdict",
    "organization_context",
    "region_of",
    "screen",
    "screen_caller_id",
]
