"""Access tokens ended before their expiry: a short denylist by token id.

An access token is a signed JWT that lives `TOCSIN_ACCESS_TOKEN_SECONDS` (15 minutes) and is
stored nowhere, so without this it went on working after its sign-in was ended. Each refresh
token's row names the access token issued with it (`access_token_id`, `access_expires_at`);
ending a family of refresh tokens (logout, a refresh token used twice) or every token of some
people (a termination) writes the ids of their access tokens still alive here, each until its
own expiry.

Every request with an access token looks its id up: a primary-key read in the transaction the
request opens anyway. The database is the one store every API process shares, so a revocation
one process commits is honoured by all the others at once, with no cache to go stale. Redis is
not used for it: a denylist may neither be forgotten nor let tokens through while Redis is away,
which is the opposite of what rate limits want of it.

An entry past its token's expiry protects nothing (the token is refused as expired); they are
swept whenever tokens are revoked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, select
from sqlalchemy.orm import Session

from tocsin.accounts.models import RefreshToken, RevokedAccessToken
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts

_REVOKED = table_of(RevokedAccessToken)
# Runs on every request signed with an access token: built once, executed with parameters.
_REVOKED_ID = select(RevokedAccessToken.token_id).where(
    RevokedAccessToken.token_id == bindparam("token_id")
)


def is_revoked(session: Session, token_id: str) -> bool:
    return session.scalar(_REVOKED_ID, {"token_id": token_id}) is not None


def revoke_of_families(session: Session, *, family_ids: Sequence[str], now: datetime) -> int:
    """End the live access tokens issued with these families' refresh tokens; how many."""
    if not family_ids:
        return 0
    return _revoke(session, RefreshToken.family_id.in_(family_ids), now)


def revoke_of_users(session: Session, *, user_ids: Sequence[str], now: datetime) -> int:
    """End every live access token of these people; how many."""
    if not user_ids:
        return 0
    return _revoke(session, RefreshToken.user_id.in_(user_ids), now)


def _revoke(session: Session, issued_with: ColumnElement[bool], now: datetime) -> int:
    session.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at <= now))
    live = session.execute(
        select(RefreshToken.access_token_id, RefreshToken.access_expires_at).where(
            issued_with,
            RefreshToken.access_token_id.is_not(None),
            RefreshToken.access_expires_at > now,
        )
    ).all()
    if not live:
        return 0
    # Two revocations of one family at once (a logout racing a reuse) write the same ids.
    session.execute(
        insert_ignoring_conflicts(session, _REVOKED, on=["token_id"]).values(
            [{"token_id": token_id, "expires_at": expires} for token_id, expires in live]
        )
    )
    return len(live)
