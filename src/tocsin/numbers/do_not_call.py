"""The do-not-call list: numbers an organization must not call again.

A callee's 9 on the keypad, or an organization member through the API or CLI, adds a number.
The list is read at dial time, so it stops the very next call, and pending calls to the number
are cancelled when it is added. Only the owner of the number can lift an entry, by verifying
the number again (`tocsin.numbers.consent.record`), which is why nothing here removes one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput
from tocsin.core.ids import new_id
from tocsin.core.pagination import Page, paginate
from tocsin.numbers.models import DoNotCall
from tocsin.safety import PLATFORM_CONTEXT, screen


def e164_of(raw: str, region: str | None) -> str:
    """Any real number may be listed, even one the screen would block: listing it only ever
    prevents calls."""
    e164 = screen(raw, region, PLATFORM_CONTEXT).e164
    if e164 is None:
        raise InvalidInput("this is not a phone number", code="invalid_number")
    return e164


def add(
    session: Session,
    *,
    org_id: str,
    number: str,
    source: str,
    actor: Actor,
    now: datetime,
    attempt_id: str | None = None,
) -> DoNotCall:
    """List `number` (E.164) for the organization; listing it again changes nothing, unless
    its owner had lifted the entry."""
    existing = session.scalar(
        select(DoNotCall).where(DoNotCall.org_id == org_id, DoNotCall.phone_e164 == number)
    )
    if existing is not None:
        if existing.lifted_at is not None:
            existing.lifted_at = None
            existing.source = source
            existing.actor_type, existing.actor_id = actor.type, actor.id
            existing.attempt_id = attempt_id
            existing.created_at = now
        return existing
    entry = DoNotCall(
        id=new_id("dnc"),
        org_id=org_id,
        phone_e164=number,
        source=source,
        actor_type=actor.type,
        actor_id=actor.id,
        attempt_id=attempt_id,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[DoNotCall]:
    query = select(DoNotCall).where(DoNotCall.org_id == org_id)
    return paginate(session, query, DoNotCall.id, limit=limit, cursor=cursor, newest_first=True)
