"""Adding, changing and removing an organization's telephony provider accounts: each checked
by building it before it is saved, its credentials sealed, and the change audited. Reading them
is `providers.queries`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput
from tocsin.core.ids import new_id
from tocsin.core.secretbox import SecretBox
from tocsin.providers.models import ProviderAccount
from tocsin.providers.queries import get_account
from tocsin.restrictions.blocks import require_writable
from tocsin.telephony.factory import BuildContext, ProviderFactory


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > 200:
        raise InvalidInput("name must be 1 to 200 characters", code="invalid_name")
    return cleaned


def _check_priority(priority: int) -> int:
    if not 1 <= priority <= 9:
        raise InvalidInput("priority must be 1 (tried first) to 9", code="invalid_priority")
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
) -> ProviderAccount:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    # Building it proves the settings and credentials are complete, and the checks for saving
    # that its headers and hosts are allowed, before anything is stored.
    factory.check(kind, settings, credentials, context)
    account = ProviderAccount(
        id=new_id("prv"),
        org_id=org_id,
        kind=kind,
        name=_clean_name(name),
        priority=_check_priority(priority),
        settings=settings,
        sealed_credentials=box.seal(credentials),
        enabled=True,
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
        details={"kind": account.kind, "priority": account.priority},
    )
    return account


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
) -> ProviderAccount:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    account = get_account(session, org_id=org_id, account_id=account_id)
    if settings is not None or credentials is not None:
        new_settings = settings if settings is not None else account.settings
        new_credentials = (
            credentials if credentials is not None else box.open(account.sealed_credentials)
        )
        factory.check(account.kind, new_settings, new_credentials, context)
        account.settings = new_settings
        account.sealed_credentials = box.seal(new_credentials)
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
        details={"credentials_changed": credentials is not None},
    )
    return account


def delete_account(
    session: Session, *, org_id: str, account_id: str, actor: Actor, now: datetime
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
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


def _flush_priority(session: Session, priority: int) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"another provider account already has priority {priority}", code="priority_taken"
        ) from exc
