"""An account's known addresses: where it signed in from before, all the way.

An address is known to an account once a sign-in from it succeeded completely (the password
and, with two-step sign-in on, a code), and stays known for `KNOWN_FOR` after its latest one.
Sign-ups, refreshed tokens and half-finished sign-ins do not make an address known: only a
proof of the password (and the code) does. The account-wide limit on wrong guesses spares known
addresses (accounts/sign_in_limits.py), so many addresses guessing at once cannot keep the
owner out of the places they use.

An IPv6 address is grouped by its /64 network: a home or office network hands its devices many
addresses of one /64 (and changes them daily for privacy), and anyone holding one address of a
/64 can usually use them all, so the /64 is what one place or one attacker is.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tocsin.accounts.models import SignInAddress, User
from tocsin.db.base import table_of
from tocsin.db.upsert import insert_ignoring_conflicts

KNOWN_FOR = timedelta(days=90)
# Where the client's address is not known: one group, and never a known address.
UNKNOWN = "-"

_ADDRESSES = table_of(SignInAddress)


def address_group(ip_address: str | None) -> str:
    """What the limits and known addresses count by: an IPv4 address itself, an IPv6 address's
    /64 network, or any other text (a test client's name) as it is."""
    if not ip_address:
        return UNKNOWN
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return ip_address[:64]
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def is_known(session: Session, *, email: str, address: str, now: datetime) -> bool:
    """Whether the account with this (normalised) e-mail signed in from `address` lately."""
    if address == UNKNOWN:
        return False
    found = session.scalar(
        select(SignInAddress.user_id)
        .join(User, User.id == SignInAddress.user_id)
        .where(
            User.email == email,
            SignInAddress.address == address,
            SignInAddress.last_at > now - KNOWN_FOR,
        )
    )
    return found is not None


def remember(session: Session, *, user_id: str, address: str, now: datetime) -> None:
    """A sign-in from `address` succeeded; the account's addresses unused for `KNOWN_FOR` go."""
    if address == UNKNOWN:
        return
    session.execute(
        delete(SignInAddress).where(
            SignInAddress.user_id == user_id, SignInAddress.last_at <= now - KNOWN_FOR
        )
    )
    seen = session.execute(
        update(SignInAddress)
        .where(SignInAddress.user_id == user_id, SignInAddress.address == address)
        .values(last_at=now)
        .execution_options(synchronize_session=False)
    )
    if seen.rowcount == 0:  # type: ignore[attr-defined]
        # Two first sign-ins from one address at once: the second finds the row and moves on.
        session.execute(
            insert_ignoring_conflicts(session, _ADDRESSES, on=["user_id", "address"]).values(
                user_id=user_id, address=address, first_at=now, last_at=now
            )
        )
