"""What a delivery says: the event as it was when it happened (written with the change), and
the bytes sent for it.

The envelope is Standard Webhooks' recommended one, `{"type", "timestamp", "data"}`, with the
alert in `data.alert` as the API shows it, and what the event adds beside it (the step and
round of an escalation). The dashboard link is added as it is sent (`wire`), from the server's
public address, which the places that write events do not know."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import User
from tocsin.outgoing.models import TEST_EVENT, AlertEvent


class AlertFacts(Protocol):
    """What a delivery tells of an alert; paging's `Alert` row is one."""

    @property
    def id(self) -> str: ...
    @property
    def org_id(self) -> str: ...
    @property
    def endpoint_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def acknowledged_by(self) -> str | None: ...
    @property
    def acknowledged_user_id(self) -> str | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def resolved_by(self) -> str | None: ...
    @property
    def resolved_user_id(self) -> str | None: ...


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _when(moment: datetime | None) -> str | None:
    return timestamp(moment) if moment is not None else None


def alert_body(
    session: Session,
    alert: AlertFacts,
    event: AlertEvent,
    *,
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of an alert event. Who acknowledged or resolved it is said as the alert keeps
    it (`user:<id>`, `source`, ...), with the member's name when a member did."""
    data: dict[str, Any] = {
        "alert": {
            "id": alert.id,
            "title": alert.title,
            "severity": alert.severity,
            "status": alert.status,
            "endpoint_id": alert.endpoint_id,
            "source": alert.source,
            "received_at": _when(alert.received_at),
            "acknowledged_at": _when(alert.acknowledged_at),
            "acknowledged_by": alert.acknowledged_by,
            "acknowledged_by_member": _member(session, alert.acknowledged_user_id),
            "resolved_at": _when(alert.resolved_at),
            "resolved_by": alert.resolved_by,
            "resolved_by_member": _member(session, alert.resolved_user_id),
        },
        **(details or {}),
    }
    return {"type": event.type, "timestamp": timestamp(now), "data": data}


def _member(session: Session, user_id: str | None) -> dict[str, str] | None:
    if user_id is None:
        return None
    name = session.scalar(select(User.display_name).where(User.id == user_id))
    return {"id": user_id, "name": name or ""}


def ping_body(*, subscription_id: str, name: str, now: datetime) -> dict[str, Any]:
    return {
        "type": TEST_EVENT,
        "timestamp": timestamp(now),
        "data": {"webhook": {"id": subscription_id, "name": name}},
    }


def alert_url(base_url: str, org_id: str, alert_id: str) -> str:
    """The alert's page in the dashboard."""
    return f"{base_url.rstrip('/')}/o/{org_id}/alerts/{alert_id}"


def as_sent(body: Mapping[str, Any], *, org_id: str, base_url: str) -> dict[str, Any]:
    """The body with the alert's dashboard link, as the receiver gets it."""
    data = dict(body.get("data") or {})
    alert = data.get("alert")
    if isinstance(alert, Mapping) and isinstance(alert.get("id"), str):
        data["alert"] = {**alert, "url": alert_url(base_url, org_id, alert["id"])}
    return {"type": body.get("type"), "timestamp": body.get("timestamp"), "data": data}


def wire(body: Mapping[str, Any], *, org_id: str, base_url: str) -> bytes:
    """The exact bytes POSTed and signed: compact JSON, UTF-8."""
    sent = as_sent(body, org_id=org_id, base_url=base_url)
    return json.dumps(sent, separators=(",", ":"), ensure_ascii=False).encode()
