"""Rate limits on ingest, sign-in, password resets, verification, previews and public forms,
with `limits`.

Counters live in this process's memory by default, or in Redis when TOCSIN_REDIS_URL is set, so
that several API processes share one budget. Moving windows: a burst at the edge of a fixed
window cannot get twice the limit through.

A limiter that cannot reach its store lets the request through and logs it: a Redis outage must
not turn into lost alerts or locked-out operators.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from tocsin.core.errors import InvalidInput, TocsinError

log = logging.getLogger(__name__)


class RateLimited(TocsinError):
    status_code = 429
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code, details={"retry_after_seconds": retry_after})
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def parse_rate_limits(text: str) -> tuple[RateLimitItem, ...]:
    """`10/minute;100/hour` (the `limits` notation); empty for no limit."""
    if not text.strip():
        return ()
    try:
        return tuple(parse_many(text))
    except ValueError as exc:
        raise InvalidInput(
            f"rate limit {text!r} does not parse; write it like 10/minute;100/hour",
            code="invalid_rate_limit",
        ) from exc


def _describe(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    per = unit if item.multiples == 1 else f"{item.multiples} {unit}s"
    return f"{item.amount} per {per}"


class RateLimiter:
    def __init__(
        self,
        limits: Mapping[str, tuple[RateLimitItem, ...]],
        *,
        storage: Storage | None = None,
        namespace: str = "tocsin",
        now: Callable[[], float] = time.time,
    ) -> None:
        self._limits = dict(limits)
        self._strategy = MovingWindowRateLimiter(storage or MemoryStorage())
        self._namespace = namespace
        self._now = now

    @classmethod
    def from_url(
        cls,
        limits: Mapping[str, tuple[RateLimitItem, ...]],
        redis_url: str | None,
        *,
        namespace: str = "tocsin",
    ) -> RateLimiter:
        if not redis_url:
            return cls(limits, namespace=namespace)
        storage = storage_from_string(redis_url, wrap_exceptions=True)
        if not isinstance(storage, Storage):
            raise InvalidInput(f"{redis_url!r} is not a Redis URL", code="invalid_redis_url")
        return cls(limits, storage=storage, namespace=namespace)

    def storage_reachable(self) -> bool:
        """Whether the counters' storage answers (always, in memory; Redis when it is up)."""
        try:
            return bool(self._strategy.storage.check())
        except Exception:  # a storage that cannot say is not ready, whatever it raised
            return False

    def hit(self, name: str, *identifiers: str, what: str | None = None) -> None:
        """Count one request under every limit called `name`; RateLimited when one is full."""
        for item in self._limits.get(name, ()):
            keys = (self._namespace, name, *identifiers)
            try:
                allowed = self._strategy.hit(item, *keys)
                if allowed:
                    continue
                stats = self._strategy.get_window_stats(item, *keys)
            except StorageError as exc:
                log.error("rate limit store unreachable, allowing %s: %s", name, exc)
                return
            raise self._refusal(item, stats.reset_time, what)

    def check(self, name: str, *identifiers: str, what: str | None = None) -> None:
        """RateLimited if `name` is already full for these identifiers; counts nothing."""
        for item in self._limits.get(name, ()):
            keys = (self._namespace, name, *identifiers)
            try:
                if self._strategy.test(item, *keys):
                    continue
                stats = self._strategy.get_window_stats(item, *keys)
            except StorageError as exc:
                log.error("rate limit store unreachable, allowing %s: %s", name, exc)
                return
            raise self._refusal(item, stats.reset_time, what)

    def _refusal(self, item: RateLimitItem, reset_time: float, what: str | None) -> RateLimited:
        # `limits` still counts an entry at exactly the window's end, so the first moment that
        # certainly has room is one second past the whole seconds left.
        retry_after = max(1, math.floor(reset_time - self._now()) + 1)
        return RateLimited(
            f"too many {what or 'requests'}: the limit is {_describe(item)}; "
            f"try again in {retry_after} s",
            retry_after=retry_after,
        )

    def clear(self, name: str, *identifiers: str) -> None:
        """Forget the count, e.g. after a successful sign-in."""
        for item in self._limits.get(name, ()):
            try:
                self._strategy.clear(item, self._namespace, name, *identifiers)
            except StorageError as exc:
                log.error("rate limit store unreachable, not cleared: %s", exc)


class Limits:
    """The names of the limits Tocsin applies."""

    INGEST_KEY = "ingest_key"
    INGEST_ENDPOINT = "ingest_endpoint"
    INGEST_FAILURES = "ingest_failures"
    # Sign-in attempts per client address; wrong passwords and codes per account and address,
    # and per account (accounts/sign_in_limits.py).
    LOGIN = "login"
    LOGIN_ACCOUNT_ADDRESS = "login_account_address"
    LOGIN_ACCOUNT = "login_account"
    SIGNUP = "signup"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a name, not a secret)
    PASSWORD_RESET_EMAIL = "password_reset_email"  # noqa: S105 (a name, not a secret)
    # Verification codes, per person (a user, or the user who created the asking API key)
    # and per organization: never per key, since keys cost nothing to make.
    VERIFICATION = "verification"
    VERIFICATION_ORG = "verification_org"
    PUBLIC_FORM = "public_form"
    # Previews of a webhook, which render a customer's template: per person and organization.
    PREVIEW = "preview"
    PREVIEW_ORG = "preview_org"
    # Pings to one heartbeat monitor (heartbeats/pings.py).
    HEARTBEAT_PING = "heartbeat_ping"
