"""Where windows meet alerts: whether one covers an alert now (intake asks for a new alert and
for a repeat; the worker when a muted escalation's window ends), in the shape paging takes, a
`Mute`.

A window mutes alerts whose paging has not begun: a new alert, or an open one whose escalation
had run out and would start again. It never stops an alert already paging: a page under way
when a window starts goes on (acknowledge it to stop it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.endpoints.models import Endpoint
from tocsin.formats.parse import ParsedAlert
from tocsin.maintenance.coverage import Candidate, Cover, ScopeKind, covering, subject_of
from tocsin.maintenance.models import MaintenanceWindow
from tocsin.maintenance.queries import candidates
from tocsin.paging import escalation
from tocsin.paging.models import Alert, Escalation, EscalationStatus
from tocsin.paging.muting import Mute

log = logging.getLogger(__name__)


def mute_for_new(
    session: Session, *, org_id: str, endpoint_id: str, parsed: ParsedAlert, now: datetime
) -> Mute | None:
    """The window that mutes a new alert (or a repeat of one), if any covers it now."""
    return mute_for(
        session,
        org_id=org_id,
        endpoint_id=endpoint_id,
        source=parsed.source.value,
        payload=parsed.payload,
        now=now,
    )


def mute_for(
    session: Session, *, org_id: str, endpoint_id: str, source: str, payload: Any, now: datetime
) -> Mute | None:
    """The window that covers an alert of this source and body on this endpoint now, if any."""
    found = candidates(session, org_id=org_id, now=now)
    if not found:
        return None
    project_id = _project_of(session, endpoint_id, found)
    subject = subject_of(
        endpoint_id=endpoint_id, project_id=project_id, source=source, payload=payload
    )
    try:
        cover = covering(found, subject, now)
    except Exception:
        # Every window was checked when saved; one that cannot be read now must not lose the
        # alert, nor keep it quiet: when in doubt, call.
        log.exception("organization %s: could not tell whether a window covers an alert", org_id)
        return None
    return _as_mute(session, cover) if cover is not None else None


def _project_of(session: Session, endpoint_id: str, found: list[Candidate]) -> str | None:
    if not any(candidate.reach.scope == ScopeKind.PROJECT for candidate in found):
        return None
    return session.scalar(select(Endpoint.project_id).where(Endpoint.id == endpoint_id))


def _as_mute(session: Session, cover: Cover) -> Mute:
    window = session.get(MaintenanceWindow, cover.window_id)
    said = {} if window is None else _said(window)
    return Mute(cover.window_id, cover.occurrence.ends_at, cover.page_after, said)


def _said(window: MaintenanceWindow) -> dict[str, Any]:
    return {"reason": window.reason, "created_by": window.created_by_name}


def muter(
    session: Session, *, org_id: str, endpoint_id: str, parsed: ParsedAlert, now: datetime
) -> Callable[[Alert], Mute | None]:
    """For a new notification of an open alert (paging.escalation.on_repeat): whether a window
    covers it now, read from what the notification says."""

    def mute_for(alert: Alert) -> Mute | None:
        return mute_for_new(session, org_id=org_id, endpoint_id=endpoint_id, parsed=parsed, now=now)

    return mute_for


def _still_muted(session: Session, now: datetime) -> Callable[[Alert], Mute | None]:
    """For a muted alert whose window ended or changed: the window that covers it now, if
    any; else, if the window that muted it does not page when it ends (and was not deleted,
    which undoes it), that window still, for good."""

    def still(alert: Alert) -> Mute | None:
        found = mute_for(
            session,
            org_id=alert.org_id,
            endpoint_id=alert.endpoint_id,
            source=alert.source,
            payload=alert.payload,
            now=now,
        )
        if found is not None or alert.muted_by_window_id is None:
            return found
        window = session.get(MaintenanceWindow, alert.muted_by_window_id)
        if window is None or window.page_after or window.deleted_at is not None:
            return None
        until = alert.muted_until or now
        return Mute(window.id, until, page_after=False, said=_said(window))

    return still


def advance(session: Session, *, escalation_id: str, now: datetime, skip_locked: bool) -> bool:
    """Move a due escalation on (the worker's step): a muted one pages if no window covers its
    alert any more; any other is paging's own `advance`. True if it moved."""
    status = session.scalar(select(Escalation.status).where(Escalation.id == escalation_id))
    if status == EscalationStatus.MUTED:
        return escalation.advance_muted(
            session,
            escalation_id=escalation_id,
            now=now,
            skip_locked=skip_locked,
            mute_for=_still_muted(session, now),
        )
    return escalation.advance(
        session, escalation_id=escalation_id, now=now, skip_locked=skip_locked
    )
