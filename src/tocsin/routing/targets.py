"""What an escalation step turns into: one job per number to call or text, or member to mail."""

from __future__ import annotations

from typing import NamedTuple


class CallTarget(NamedTuple):
    """One job to write: a number to call (or text), or a member to mail."""

    contact_id: str | None
    # The number; for an email job, the member's id.
    phone_e164: str
    channel: str = "voice"
    # The member this tells, when a step paged a person (their notification rules).
    user_id: str | None = None
    # How long after the step starts: a member's later notification rules wait.
    delay_seconds: float = 0.0
