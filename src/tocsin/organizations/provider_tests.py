"""A test call through one of an organization's provider accounts, from its dashboard: to one
of its own contacts whose owner verified the number (a test call rings a real phone, so it
needs the same consent an alert's does), screened and audited by `prepare_test_call`, through
that account alone, from the caller ID it presents, in the contact's language, else the
organization's."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts.service import get_organization
from tocsin.contacts.languages import language_of_number
from tocsin.contacts.queries import get_contact
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import InvalidInput
from tocsin.numbers import consent
from tocsin.numbers.consent import REASONS, NumberState
from tocsin.providers.choice import ProviderChoices
from tocsin.providers.queries import get_account
from tocsin.providers.test_calls import PreparedCall, prepare_test_call


def prepare_account_test(
    session: Session,
    *,
    org_id: str,
    account_id: str,
    contact_id: str,
    providers: ProviderChoices,
    settings: Settings,
    actor: Actor,
    now: datetime,
) -> PreparedCall:
    """The call to place, through the account only; InvalidInput when the contact's number is
    not verified or the account would carry no call now (disabled, or no caller ID)."""
    account = get_account(session, org_id=org_id, account_id=account_id)
    contact = get_contact(session, org_id=org_id, contact_id=contact_id)
    state = consent.state_of(session, org_id=org_id, number=contact.phone_e164)
    if state != NumberState.VERIFIED:
        raise InvalidInput(
            f"{contact.name} cannot be called: {REASONS[state]}", code="number_not_verified"
        )
    if not account.enabled:
        raise InvalidInput(f"{account.name} is disabled", code="provider_disabled")
    prepared = prepare_test_call(
        session,
        org_id=org_id,
        to=contact.phone_e164,
        region=None,
        providers=providers,
        settings=settings,
        actor=actor,
        now=now,
        language=language_of_number(session, contact, get_organization(session, org_id)),
        account_id=account.id,
    )
    through = [choice for choice in prepared.choices if choice.account_id == account.id]
    if not through:
        raise InvalidInput(
            f"{account.name} places no call now: "
            + ("; ".join(prepared.passed_over) or "it is not in the organization's chain"),
            code="provider_unavailable",
        )
    return replace(prepared, choices=through)
