"""Which caller ID a call through a provider account presents, and whether one may be chosen.

An organization's calls and texts through its own provider accounts present only numbers it
has proven (`CallerId.proof`): the endpoint's choice where it is usable through the account,
else the account's own choice. A number proven by a code is usable through any of the
organization's accounts; one proven by the provider's own records only through that account.
An account left with none places no call (the worker passes it over and says why): the
platform's own number is for the platform's messages and calls through its own providers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import column, select, table, update
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.providers.models import CallerId, CallerIdProof, ProviderAccount

# Endpoints, named by table: they sit above providers, and choose caller IDs too.
_ENDPOINTS = table("endpoints", column("caller_id_id"))

# The reason code a call, a test call or an answer names when no proven caller ID is chosen.
CALLER_ID_MISSING = "caller_id_missing"


@dataclass(frozen=True)
class Presented:
    """What a call through one account shows: `number`, or why it has none (`problem`)."""

    number: str | None
    problem: str | None = None


def get_caller_id(session: Session, *, org_id: str, caller_id_id: str) -> CallerId:
    caller_id = session.get(CallerId, caller_id_id)
    if caller_id is None or caller_id.org_id != org_id:
        raise NotFound("no such caller ID in this organization", code="caller_id_not_found")
    return caller_id


def list_caller_ids(session: Session, *, org_id: str) -> list[CallerId]:
    return list(
        session.scalars(
            select(CallerId).where(CallerId.org_id == org_id).order_by(CallerId.created_at)
        )
    )


def choosable(
    session: Session, *, org_id: str, caller_id_id: str, account_id: str | None = None
) -> CallerId:
    """The caller ID an account (`account_id`) or an endpoint (None) may choose: the
    organization's and proven, and for an account usable through it."""
    caller_id = get_caller_id(session, org_id=org_id, caller_id_id=caller_id_id)
    if not caller_id.proven:
        raise InvalidInput(
            f"{caller_id.number} is not proven yet: send it a code, or check it with a "
            "provider account that owns it",
            code="caller_id_unproven",
        )
    if account_id is not None and not caller_id.usable_through(account_id):
        raise InvalidInput(
            f"{caller_id.number} was proven by another provider account's records; it is "
            "usable only through that account (prove it by a code to use it everywhere)",
            code="caller_id_not_usable_here",
        )
    return caller_id


def presented(
    session: Session,
    accounts: Iterable[ProviderAccount],
    *,
    endpoint_choice: str | None = None,
) -> dict[str, Presented]:
    """Per account, what a call through it presents (see the module docstring);
    `endpoint_choice` is the caller ID the call's endpoint chose, if any."""
    accounts = list(accounts)
    wanted = {a.caller_id_id for a in accounts if a.caller_id_id is not None}
    if endpoint_choice is not None:
        wanted.add(endpoint_choice)
    rows = (
        {c.id: c for c in session.scalars(select(CallerId).where(CallerId.id.in_(wanted)))}
        if wanted
        else {}
    )
    endpoint_caller = rows.get(endpoint_choice) if endpoint_choice is not None else None
    return {
        account.id: _presented(account, endpoint_caller, rows.get(account.caller_id_id or ""))
        for account in accounts
    }


def _presented(
    account: ProviderAccount, endpoint_caller: CallerId | None, own: CallerId | None
) -> Presented:
    for caller_id in (endpoint_caller, own):
        if caller_id is not None and caller_id.usable_through(account.id):
            return Presented(caller_id.number)
    if own is None:
        problem = f"provider account {account.name!r} has no caller ID chosen"
    elif not own.proven:
        problem = f"the caller ID {own.number} of provider account {account.name!r} is not proven"
    else:
        problem = (
            f"the caller ID {own.number} of provider account {account.name!r} is proven only "
            "through another provider account"
        )
    return Presented(None, problem)


def accounts_without_caller_id(session: Session) -> list[str]:
    """What each enabled organization account lacks to present a number of its own, one line
    each: after an upgrade that introduced caller IDs, every account lacks one until its
    organization proves and chooses one, and its calls are passed over meanwhile."""
    accounts = session.scalars(
        select(ProviderAccount)
        .where(ProviderAccount.enabled.is_(True))
        .order_by(ProviderAccount.org_id, ProviderAccount.priority)
    )
    lines = []
    for account in accounts:
        problem = caller_id_warning(session, account)
        if problem is not None:
            lines.append(f"organization {account.org_id}: {problem}")
    return lines


def caller_id_warning(session: Session, account: ProviderAccount) -> str | None:
    """What to tell whoever saves an account whose own choice gives its calls nothing to
    present (an endpoint's choice may still serve some of them); None when it has one."""
    own = session.get(CallerId, account.caller_id_id) if account.caller_id_id else None
    shown = _presented(account, None, own)
    if shown.number is not None:
        return None
    return (
        f"{shown.problem}: calls through it are passed over (and blocked when no other "
        "provider can place them) until a proven caller ID is chosen for it"
    )


def unprove_through(
    session: Session, *, org_id: str, account_id: str, reason: str, actor: Actor, now: datetime
) -> list[str]:
    """Withdraw the proof of every caller ID the account's own records proved, because the
    account is gone or no longer the one that vouched (`reason`, for the audit log), and clear
    every choice of them, which nothing could present any more. The numbers, for the answer."""
    unproven = list(
        session.scalars(
            select(CallerId).where(
                CallerId.org_id == org_id,
                CallerId.proof == CallerIdProof.PROVIDER,
                CallerId.proven_account_id == account_id,
            )
        )
    )
    for caller_id in unproven:
        caller_id.proof = caller_id.proven_account_id = caller_id.proven_how = None
        caller_id.proven_at = None
        caller_id.updated_at = now
        audit.record(
            session,
            actor=actor,
            action=AuditAction.CALLER_ID_UNPROVEN,
            at=now,
            org_id=org_id,
            details={"number": caller_id.number, "account_id": account_id, "reason": reason},
            target_type="caller_id",
            target_id=caller_id.id,
        )
    ids = [caller_id.id for caller_id in unproven]
    if ids:
        for account in session.scalars(
            select(ProviderAccount).where(ProviderAccount.caller_id_id.in_(ids))
        ):
            account.caller_id_id = None
        session.execute(
            update(_ENDPOINTS).where(_ENDPOINTS.c.caller_id_id.in_(ids)).values(caller_id_id=None)
        )
    return [caller_id.number for caller_id in unproven]
