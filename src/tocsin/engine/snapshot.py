"""What a worker keeps of an attempt outside the transaction that wrote it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tocsin.paging.models import AttemptStatus, CallAttempt
from tocsin.safety import ScreeningContext, screen


@dataclass(frozen=True)
class AttemptSnapshot:
    """What a worker needs of an attempt outside the transaction that wrote it."""

    attempt_id: str
    job_id: str
    org_id: str
    provider_account_id: str | None
    platform_provider: str | None
    idempotency_key: str
    to_number: str
    caller_id: str
    spoken_text: str
    status: AttemptStatus
    sending_deadline: datetime
    accepted_at: datetime | None
    # The organization's text-to-speech voice; None for the server's.
    voice: str | None = None
    # The language of the call's fixed prompts, as the attempt recorded it.
    language: str = "en"
    # What a number the call is redirected to (a SIP 3xx) must pass; None: follow none.
    screening: ScreeningContext | None = None
    # The caller ID the alert's endpoint chose, if any (providers.caller_ids).
    endpoint_caller_id: str | None = None
    # When the webhook that queued this call arrived, for a call's first attempt (the webhook
    # to dial latency, core/metrics.py); None for later attempts and escalation steps.
    webhook_received_at: datetime | None = None

    @classmethod
    def of(
        cls,
        attempt: CallAttempt,
        *,
        voice: str | None = None,
        screening: ScreeningContext | None = None,
        endpoint_caller_id: str | None = None,
        webhook_received_at: datetime | None = None,
    ) -> AttemptSnapshot:
        return cls(
            attempt_id=attempt.id,
            job_id=attempt.job_id,
            org_id=attempt.org_id,
            provider_account_id=attempt.provider_account_id,
            platform_provider=attempt.platform_provider,
            idempotency_key=attempt.idempotency_key,
            to_number=attempt.to_number,
            caller_id=attempt.caller_id,
            spoken_text=attempt.spoken_text,
            status=AttemptStatus(attempt.status),
            sending_deadline=attempt.sending_deadline,
            accepted_at=attempt.accepted_at,
            voice=voice,
            language=attempt.language or "en",
            screening=screening,
            endpoint_caller_id=endpoint_caller_id,
            webhook_received_at=webhook_received_at,
        )

    def may_be_redirected_to(self, number: str) -> bool:
        """A redirect of the call to `number` is followed only if the safety screen and the
        organization's calling policy would let Tocsin call it in the first place."""
        return self.screening is not None and screen(number, None, self.screening).allowed

    @property
    def placed_by(self) -> tuple[str | None, str | None]:
        """(provider account, platform provider) the attempt names, as ProviderChoice has them."""
        return self.provider_account_id, self.platform_provider
