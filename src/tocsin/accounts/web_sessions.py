"""Browser sessions as stored: a random token's HMAC digest, 12 hours from sign-in, ended by
sign-out. The cookie and the CSRF check are the dashboard's (http/web/sessions.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tocsin.accounts.models import User, WebSession
from tocsin.core.ids import new_id

LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Opened:
    session: WebSession
    # The cookie value, in clear only here.
    token: str


def _digest(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def open_session(
    db: Session,
    *,
    user: User,
    key: bytes,
    now: datetime,
    mfa_passed: bool,
    ip_address: str | None,
    user_agent: str | None,
) -> Opened:
    token = secrets.token_urlsafe(32)
    row = WebSession(
        id=new_id("ws"),
        token_digest=_digest(key, token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        mfa_passed=mfa_passed,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300] or None,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    db.add(row)
    db.flush()
    return Opened(row, token)


def find(db: Session, *, token: str | None, key: bytes, now: datetime) -> WebSession | None:
    """The live session this cookie names, or None."""
    if not token:
        return None
    row = db.scalar(select(WebSession).where(WebSession.token_digest == _digest(key, token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def close(db: Session, *, session_id: str, now: datetime) -> None:
    db.execute(
        update(WebSession)
        .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def close_all_of(
    db: Session, *, user_ids: list[str], now: datetime, keep: str | None = None
) -> int:
    """Sign these users out of every browser but the session `keep`; returns how many
    sessions ended."""
    if not user_ids:
        return 0
    result = db.execute(
        update(WebSession)
        .where(
            WebSession.user_id.in_(user_ids),
            WebSession.revoked_at.is_(None),
            WebSession.id != (keep or ""),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
