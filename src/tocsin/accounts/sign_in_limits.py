"""How fast anyone may guess an account's password or authenticator codes, without letting them
lock its owner out.

Three buckets, the same for the API and the dashboard (docs/security.md):

- every sign-in attempt from one client address, whatever the account
  (`TOCSIN_RATE_LIMIT_LOGIN`), counted before the password hash: a flood, or one address trying
  passwords on many accounts;
- wrong passwords and codes for one account from one address
  (`TOCSIN_RATE_LIMIT_LOGIN_ACCOUNT_ADDRESS`): whoever guesses slows themselves down, not the
  owner somewhere else;
- wrong passwords and codes for one account from every address
  (`TOCSIN_RATE_LIMIT_LOGIN_ACCOUNT`): many addresses guessing together. The account's known
  addresses (accounts/sign_in_addresses.py) are spared it, so the owner still gets in from
  where they signed in before, with the right password (and code).

The account buckets are checked before anything is verified and count only wrong guesses, so
the owner's own sign-ins never use them up. Addresses are grouped as sign_in_addresses groups
them (an IPv6 address by its /64). The counts live where every rate limit's do
(core/ratelimit.py): in each process's memory, or in Redis, shared by every process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.accounts.models import User
from tocsin.accounts.service import normalise_email
from tocsin.accounts.sign_in_addresses import address_group, is_known
from tocsin.core.errors import InvalidInput, Unauthorized
from tocsin.core.ratelimit import Limits, RateLimited, RateLimiter

# The refusals that mean a guess was wrong; "mfa_required" (no code yet) guesses nothing.
WRONG_GUESSES = frozenset({"invalid_credentials", "mfa_invalid"})


@dataclass(frozen=True)
class Attempt:
    """One try at an account's password or code, from one address."""

    limiter: RateLimiter
    account: str
    address: str
    known: bool

    def check(self) -> None:
        """RateLimited (429, with Retry-After) while a bucket of this account is full."""
        self.limiter.check(
            Limits.LOGIN_ACCOUNT_ADDRESS,
            self.account,
            self.address,
            what="wrong sign-ins to this account from this address",
        )
        if not self.known:
            self.limiter.check(
                Limits.LOGIN_ACCOUNT, self.account, what="wrong sign-ins to this account"
            )

    @contextmanager
    def guessing(self) -> Iterator[None]:
        """Count a wrong password or code refused inside against this account."""
        try:
            yield
        except Unauthorized as refused:
            if refused.code in WRONG_GUESSES:
                self._count_wrong_guess()
            raise

    def succeeded(self) -> None:
        """The owner got in from here: their own typos at this address are forgotten."""
        self.limiter.clear(Limits.LOGIN_ACCOUNT_ADDRESS, self.account, self.address)

    def _count_wrong_guess(self) -> None:
        buckets = (
            (Limits.LOGIN_ACCOUNT_ADDRESS, (self.account, self.address)),
            (Limits.LOGIN_ACCOUNT, (self.account,)),
        )
        for name, keys in buckets:
            try:
                self.limiter.hit(name, *keys)
            except RateLimited:
                # Filled by a guess racing this one; the next attempt's check refuses.
                continue


def account_of(email: str) -> tuple[str, bool]:
    """The account an e-mail as typed names, and whether it is well-formed (only such an
    address can have an account, or be looked up: a NUL fails PostgreSQL's query). Unknown
    and malformed ones have buckets too, so a 429 says nothing about whether an account
    exists."""
    try:
        return normalise_email(email), True
    except InvalidInput:
        return email.strip().lower()[:320], False


def password_attempt(
    session: Session,
    limiter: RateLimiter,
    *,
    email: str,
    ip_address: str | None,
    now: datetime,
) -> Attempt:
    """Count the attempt against its address and check the account's buckets, before the
    password hash: what a flood would be after."""
    address = address_group(ip_address)
    limiter.hit(Limits.LOGIN, address, what="sign-in attempts from this address")
    account, well_formed = account_of(email)
    known = well_formed and is_known(session, email=account, address=address, now=now)
    attempt = Attempt(limiter, account, address, known)
    attempt.check()
    return attempt


def code_attempt(
    session: Session,
    limiter: RateLimiter,
    *,
    user: User,
    ip_address: str | None,
    now: datetime,
) -> Attempt:
    """A code typed after the password was checked: the dashboard's second page, or turning
    the authenticator off or replacing it. The account's buckets, checked."""
    address = address_group(ip_address)
    known = is_known(session, email=user.email, address=address, now=now)
    attempt = Attempt(limiter, user.email, address, known)
    attempt.check()
    return attempt
