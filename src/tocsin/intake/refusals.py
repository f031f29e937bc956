"""No refused webhook is silent: a refusal of a sender that proved who it is gets on the record.

Many senders never retry a 4xx (Alertmanager treats one as final), so a refused notification is
a page lost unless someone hears of it. Once a webhook's key (or its endpoint, for one that needs
no key) is known to be good, any refusal that follows (too big, unreadable, empty, over a rate
limit, the organization suspended) is written to the audit log against the endpoint and told to
the organization's owners once an hour. A sender that does not prove who it is gets its 401 or
404 and nothing more: a stranger must not fill anyone's audit log.

A storm of refusals is recorded once a minute per endpoint and reason, with how many were
refused meanwhile, so refusing stays cheap.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.core.errors import TocsinError

RECORD_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Refusal:
    """What was refused, and to whom it belongs."""

    org_id: str
    endpoint_id: str
    actor: Actor
    error: TocsinError


class RefusedAfterAuthentication(Exception):
    """Carries a refusal out of the transaction that made it (which rolls back)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.error.message)
        self.refusal = refusal


class RefusalLog:
    """Decides which refusals are written now; counts those it holds back (one per process)."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[datetime, int]] = {}
        self._lock = threading.Lock()

    def due(self, endpoint_id: str, code: str, now: datetime) -> int:
        """How many refusals to record now (this one and those held back), or 0 to hold it."""
        key = (endpoint_id, code)
        with self._lock:
            last, held = self._last.get(key, (None, 0))
            if last is not None and now - last < RECORD_EVERY:
                self._last[key] = (last, held + 1)
                return 0
            self._last[key] = (now, 0)
            if len(self._last) > 10_000:
                # Old entries only ever hold a count back; forgetting them records sooner.
                self._last = {key: self._last[key]}
            return held + 1


def record_refusal(session: Session, refusal: Refusal, *, count: int, now: datetime) -> None:
    error = refusal.error
    audit.record(
        session,
        actor=refusal.actor,
        action=AuditAction.ALERT_REFUSED,
        at=now,
        org_id=refusal.org_id,
        target_type="endpoint",
        target_id=refusal.endpoint_id,
        details={
            "status": error.status_code,
            "code": error.code,
            "message": error.message[:300],
            "refused": count,
        },
    )
    tell_owners(
        session,
        org_id=refusal.org_id,
        kind="alerts_refused",
        period=f"{refusal.endpoint_id}:{now:%Y-%m-%dT%H}",
        message=(
            f"Tocsin refused alerts sent to endpoint {refusal.endpoint_id} (HTTP "
            f"{error.status_code}, {error.code}: {error.message[:200]}). Senders such as "
            "Alertmanager do not send a refused notification again, so those alerts paged "
            "nobody; the endpoint's audit log has each refusal."
        ),
        now=now,
        actor=refusal.actor,
        details={"endpoint_id": refusal.endpoint_id, "code": error.code},
    )
