"""Adding, changing and removing an organization's telephony provider accounts: each checked
by building it before it is saved, its credentials sealed, and the change audited. Reading them
is `providers.queries`.

An account chooses the caller ID its calls present (`caller_id_id`) among the organization's
proven ones (`providers.caller_ids.choosable`); a `caller_id` setting (a SIP trunk's) is taken as
that choice when it names one of them, and refused otherwise. An account may be saved without
one, but places no call until it has one: `caller_id_warning` says so for the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput
from tocsin.core.ids import new_id
from tocsin.core.secretbox import SecretBox
from tocsin.providers.caller_ids import choosable, unprove_through
from tocsin.providers.models import CallerId, ProviderAccount
from tocsin.providers.queries import get_account
from tocsin.restrictions.blocks import require_writable
from tocsin.safety import screen_caller_id
from tocsin.telephony.factory import BuildContext, ProviderFactory
from tocsin.telephony.setting_text import has_control_character


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200 or has_control_character(cleaned):
        raise InvalidInput(
            "name must be 1 to 200 characters, without control characters", code="invalid_name"
        )
    return cleaned


# Priorities run from 1 (tried first) to this.
MAX_PRIORITY = 9


def _check_priority(priority: int) -> int:
    if not 1 <= priority <= MAX_PRIORITY:
        raise InvalidInput(
            f"priority must be 1 (tried first) to {MAX_PRIORITY}", code="invalid_priority"
        )
    return priority


def create_account(
    session: Session,
    *,
    org_id: str,
    kind: str,
    name: str,
    priority: int,
    settings: dict[str, Any],
    credentials: dict[str, Any],
    factory: ProviderFactory,
    box: SecretBox,
    context: BuildContext,
    actor: Actor,
    now: datetime,
    caller_id_id: str | None = None,
) -> ProviderAccount:
    """`caller_id_id`: the proven caller ID its calls present (see the module docstring)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    # Building it proves the settings and credentials are complete, and the checks for saving
    # that its headers and hosts are allowed, before anything is stored.
    factory.check(kind, settings, credentials, context)
    account_id = new_id("prv")
    settings, chosen = _caller_choice(
        session, org_id=org_id, account_id=account_id, settings=settings, wanted=caller_id_id
    )
    account = ProviderAccount(
        id=account_id,
        org_id=org_id,
        kind=kind,
        name=_clean_name(name),
        priority=_check_priority(priority),
        settings=settings,
        sealed_credentials=box.seal(credentials),
        enabled=True,
        caller_id_id=chosen,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    _flush_priority(session, priority)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PROVIDER_CREATED,
        at=now,
        org_id=org_id,
        target_type="provider_account",
        target_id=account.id,
        details={
            "kind": account.kind,
            "priority": account.priority,
            "caller_id_id": account.caller_id_id,
        },
    )
    return account


@dataclass(frozen=True)
class AccountUpdate:
    """A changed account, and the caller IDs it had proved that are proven no longer (its
    settings or credentials changed: they may now reach another provider account)."""

    account: ProviderAccount
    unproven: list[str] = field(default_factory=list)


def update_account(
    session: Session,
    *,
    org_id: str,
    account_id: str,
    factory: ProviderFactory,
    box: SecretBox,
    context: BuildContext,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    priority: int | None = None,
    enabled: bool | None = None,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, Any] | None = None,
    caller_id_id: str | None = None,
) -> AccountUpdate:
    """Change what is given; `caller_id_id` "" clears the account's caller ID. New settings
    or credentials withdraw the proofs the account's records gave (`unprove_through`), since
    they may now name another provider account, before a caller ID is chosen."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    account = get_account(session, org_id=org_id, account_id=account_id)
    unproven: list[str] = []
    if settings is not None or credentials is not None:
        new_credentials = (
            credentials if credentials is not None else box.open(account.sealed_credentials)
        )
        # Checked as given (a `caller_id` setting included) before anything changes.
        factory.check(
            account.kind,
            settings if settings is not None else account.settings,
            new_credentials,
            context,
        )
        unproven = unprove_through(
            session,
            org_id=org_id,
            account_id=account_id,
            reason="the account's settings or credentials changed",
            actor=actor,
            now=now,
        )
        session.flush()
    if settings is not None:
        settings, named = _caller_choice(
            session, org_id=org_id, account_id=account_id, settings=settings, wanted=caller_id_id
        )
        caller_id_id = named if named is not None else caller_id_id
    if caller_id_id == "":
        account.caller_id_id = None
    elif caller_id_id is not None:
        account.caller_id_id = choosable(
            session, org_id=org_id, caller_id_id=caller_id_id, account_id=account_id
        ).id
    if settings is not None:
        account.settings = settings
    if credentials is not None:
        account.sealed_credentials = box.seal(credentials)
    if name is not None:
        account.name = _clean_name(name)
    if priority is not None:
        account.priority = _check_priority(priority)
    if enabled is not None:
        account.enabled = enabled
    account.updated_at = now
    _flush_priority(session, account.priority)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PROVIDER_UPDATED,
        at=now,
        org_id=org_id,
        target_type="provider_account",
        target_id=account_id,
        details={
            "credentials_changed": credentials is not None,
            "caller_id_id": account.caller_id_id,
            **({"enabled": enabled} if enabled is not None else {}),
            **({"caller_ids_unproven": unproven} if unproven else {}),
        },
    )
    return AccountUpdate(account, unproven)


def delete_account(
    session: Session, *, org_id: str, account_id: str, actor: Actor, now: datetime
) -> None:
    """Remove the account; a caller ID it alone proved (its own records) is no longer proven."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    unprove_through(
        session,
        org_id=org_id,
        account_id=account_id,
        reason="the account was deleted",
        actor=actor,
        now=now,
    )
    session.delete(get_account(session, org_id=org_id, account_id=account_id))
    audit.record(
        session,
        actor=actor,
        action=AuditAction.PROVIDER_DELETED,
        at=now,
        org_id=org_id,
        target_type="provider_account",
        target_id=account_id,
    )


def _caller_choice(
    session: Session,
    *,
    org_id: str,
    account_id: str,
    settings: dict[str, Any],
    wanted: str | None,
) -> tuple[dict[str, Any], str | None]:
    """The settings without a `caller_id`, and the caller ID chosen: `wanted`, or the one
    whose number that setting names. Either must be proven and usable through the account."""
    settings = dict(settings)
    named = settings.pop("caller_id", None)
    if named is not None and str(named) not in ("", "anonymous"):
        _check_shown(session, org_id, str(named))
        found = session.scalar(
            select(CallerId).where(CallerId.org_id == org_id, CallerId.number == str(named))
        )
        if found is None:
            raise InvalidInput(
                f"the caller ID {named} is not one of this organization's caller IDs: add it "
                "and prove it first",
                code="caller_id_unknown",
            )
        if wanted not in (None, "", found.id):
            raise InvalidInput(
                "the caller_id setting and caller_id_id name different caller IDs",
                code="caller_id_conflict",
            )
        wanted = found.id
    if not wanted:
        return settings, wanted
    chosen = choosable(session, org_id=org_id, caller_id_id=wanted, account_id=account_id)
    return settings, chosen.id


def _check_shown(session: Session, org_id: str, number: str) -> None:
    """A `caller_id` setting the safety net forbids to show is refused as such, before it is
    looked up among the organization's caller IDs (where it could never be)."""
    org = session.get(Organization, org_id)
    verdict = screen_caller_id(number, org.home_region if org is not None else None)
    if not verdict.allowed:
        raise InvalidInput(
            f"settings.caller_id: {number} cannot be a caller ID: {verdict.summary()}",
            code="caller_id_refused",
            details={"field": "settings.caller_id", "reasons": verdict.reasons()},
        )


def _flush_priority(session: Session, priority: int) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"another provider account already has priority {priority}", code="priority_taken"
        ) from exc
