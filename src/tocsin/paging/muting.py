"""What an alert's timeline and its owners are told when a maintenance window mutes it, and
when paging starts after it. Which window covers an alert is maintenance's to say
(tocsin.maintenance); paging only carries the answer, a `Mute`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.paging.models import Alert

ENGINE = Actor("engine")


@dataclass(frozen=True)
class Mute:
    """A window that covers an alert now."""

    window_id: str
    # The end of the window's occurrence that covers the alert.
    until: datetime
    # Whether the alert pages at `until` if still open (the window's `page_after`).
    page_after: bool
    # Who made the window and why, as the timeline shows it: reason, created_by.
    said: dict[str, Any] = field(default_factory=dict)

    @property
    def next_at(self) -> datetime | None:
        """When paging is looked at again: the end, or never by itself."""
        return self.until if self.page_after else None


def record_muted(
    session: Session,
    *,
    org_id: str,
    alert_id: str,
    escalation_id: str,
    mute: Mute,
    now: datetime,
    restarted: bool = False,
) -> None:
    """The alert is muted by `mute`'s window: say so on its timeline, keep which window on the
    alert, and tell the owners once per occurrence of the window that it mutes alerts."""
    session.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(muted_by_window_id=mute.window_id, muted_until=mute.until)
        .execution_options(synchronize_session="fetch")
    )
    details: dict[str, Any] = {
        **mute.said,
        "window_id": mute.window_id,
        "until": mute.until.isoformat(),
        "page_after": mute.page_after,
        "escalation_id": escalation_id,
    }
    if restarted:
        # Its escalation had run out, and a new notification would have started it again.
        details["restarted"] = True
    audit.record(
        session,
        actor=ENGINE,
        action=AuditAction.ALERT_MUTED,
        at=now,
        org_id=org_id,
        target_type="alert",
        target_id=alert_id,
        details=details,
    )
    then = "then pages if the alert is still open" if mute.page_after else "does not page then"
    tell_owners(
        session,
        org_id=org_id,
        kind="alerts_muted",
        period=f"{mute.window_id}:{mute.until.isoformat()}",
        message=(
            f'The maintenance window {mute.window_id} ("{mute.said.get("reason", "")}", by '
            f"{mute.said.get('created_by', 'someone')}) is muting alerts: nobody is called for "
            f"them until it ends at {mute.until:%Y-%m-%d %H:%M} UTC, and it {then}."
        ),
        now=now,
        actor=ENGINE,
        details={"window_id": mute.window_id, "alert_id": alert_id},
    )


def record_unmuted(
    session: Session, *, org_id: str, alert: Alert, escalation_id: str, why: str, now: datetime
) -> None:
    """Paging starts for an alert a window muted: no window covers it any more (`why` says
    how that came about)."""
    audit.record(
        session,
        actor=ENGINE,
        action=AuditAction.ALERT_UNMUTED,
        at=now,
        org_id=org_id,
        target_type="alert",
        target_id=alert.id,
        details={
            "window_id": alert.muted_by_window_id,
            "why": why,
            "escalation_id": escalation_id,
        },
    )
