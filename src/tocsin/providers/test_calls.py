"""A test call from the shell: the number screened as an alert's would be, the providers that
would carry it with the caller ID each presents, and the audit event, all before anything is
dialled. Through an organization whose accounts have no proven caller ID it fails, as an
alert's call would be blocked. It speaks the organization's language (the called contact's when
the caller knows it), with the voice an alert call in that language has. What it says is kept
with its key, for a REST provider's callbacks to ask for once the call is answered
(`providers.test_call_answers`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts.service import calling_policy, get_organization
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import InvalidInput
from tocsin.core.ids import new_id
from tocsin.policy.numbers import NumberBlocked, checked_number
from tocsin.providers.caller_ids import CALLER_ID_MISSING
from tocsin.providers.choice import ProviderChoice, ProviderChoices
from tocsin.providers.models import ProviderTestCall
from tocsin.providers.test_call_answers import KEY_PREFIX
from tocsin.safety import ScreeningContext, screen
from tocsin.telephony.base import CallRequest
from tocsin.telephony.prompts import (
    DEFAULT_LANGUAGE,
    prompts_for,
    resolve_language,
    voice_for,
)


@dataclass(frozen=True)
class PreparedCall:
    request: CallRequest
    # In the order to try them; empty when no provider could carry the call.
    choices: list[ProviderChoice]
    # Why some of the organization's accounts will not be tried (no proven caller ID).
    passed_over: list[str] = field(default_factory=list)

    def request_through(self, choice: ProviderChoice) -> CallRequest:
        """The call as `choice` places it: from the caller ID it presents."""
        return replace(self.request, caller_id=choice.caller_id)


def prepare_test_call(
    session: Session,
    *,
    org_id: str | None,
    to: str,
    region: str | None,
    providers: ProviderChoices,
    settings: Settings,
    actor: Actor,
    now: datetime,
    language: str | None = None,
    account_id: str | None = None,
) -> PreparedCall:
    """Through the organization's providers under its calling policy; with no organization,
    through the platform's under the platform policy. NumberBlocked if the number may not be
    called. It speaks `language` (a contact's, `contacts.languages.language_of_number`), else
    the organization's, else English. `account_id`: the one provider account that will carry
    it, when the caller knows (its callbacks are checked with that account's credentials)."""
    sanctioned = settings.sanctioned_region_set()
    if org_id is not None:
        org = get_organization(session, org_id)
        number = checked_number(
            to, region=region, policy=calling_policy(org), sanctioned_regions=sanctioned
        )
        chain = providers.choices_for(session, org.id)
        if chain.caller_id_missing:
            reasons = "; ".join(passed.reason for passed in chain.passed_over)
            raise InvalidInput(
                f"no provider may place this call: no proven caller ID ({reasons}); add a "
                "caller ID, prove it and choose it for the provider account",
                code=CALLER_ID_MISSING,
            )
        choices = chain.choices
        passed_over = [passed.reason for passed in chain.passed_over]
        spoken, preferred_voice = resolve_language([language, org.language]), org.voice
    else:
        verdict = screen(to, region, ScreeningContext(sanctioned_regions=sanctioned))
        if not verdict.allowed or verdict.e164 is None:
            raise NumberBlocked(verdict)
        number = verdict.e164
        choices = providers.platform_chain().choices
        passed_over = []
        spoken, preferred_voice = resolve_language([language, DEFAULT_LANGUAGE]), None
    test_call = ProviderTestCall(
        id=new_id("tc"),
        org_id=org_id,
        account_id=account_id,
        spoken_text=prompts_for(spoken).test_call,
        language=spoken,
        created_at=now,
    )
    session.add(test_call)
    request = CallRequest(
        idempotency_key=KEY_PREFIX + test_call.id,
        to_number=number,
        caller_id=settings.caller_id,
        spoken_text=test_call.spoken_text,
        # As an alert call's: the organization's (or server's) voice when it speaks the
        # language, else the language's own.
        voice=voice_for(spoken, preferred_voice or settings.voice),
        language=spoken,
        ring_timeout_seconds=settings.call_timeout_seconds,
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.CALL_TEST,
        at=now,
        org_id=org_id,
        details={
            "to": number,
            "idempotency_key": request.idempotency_key,
            "language": request.language,
        },
    )
    return PreparedCall(request, choices, passed_over)
