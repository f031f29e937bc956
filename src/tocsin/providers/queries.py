"""Reading an organization's telephony provider accounts. Read-only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.errors import NotFound
from tocsin.providers.models import ProviderAccount


def get_account(session: Session, *, org_id: str, account_id: str) -> ProviderAccount:
    account = session.scalar(
        select(ProviderAccount).where(
            ProviderAccount.id == account_id, ProviderAccount.org_id == org_id
        )
    )
    if account is None:
        raise NotFound("provider account not found", code="provider_not_found")
    return account


def list_accounts(session: Session, *, org_id: str) -> list[ProviderAccount]:
    """The organization's accounts in the order they are tried."""
    return list(
        session.scalars(
            select(ProviderAccount)
            .where(ProviderAccount.org_id == org_id)
            .order_by(ProviderAccount.priority)
        )
    )
