"""Accepting an alert: the alert, its call jobs and the audit event in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.db.base import table_of
from tocsin.db.locks import takes_row_locks
from tocsin.db.statements import run
from tocsin.db.wakeup import announce_work
from tocsin.endpoints.queries import EndpointRoute, call_targets
from tocsin.formats.intent import Intent
from tocsin.formats.parse import ParsedAlert, dedup_key_for
from tocsin.intake import subscriptions
from tocsin.intake.nobody_paged import say_nobody_paged
from tocsin.intake.route import route_alert
from tocsin.intake.subscriptions import PendingConfirmation
from tocsin.maintenance import muting
from tocsin.outgoing.events import alert_changed
from tocsin.outgoing.models import AlertEvent
from tocsin.paging import escalation, lifecycle
from tocsin.paging.models import Alert, AlertStatus
from tocsin.routing.rules import ActionType
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults


class Outcome(StrEnum):
    CREATED = "created"
    DEDUPLICATED = "deduplicated"
    # A repeat of an open alert whose escalation had run out with nobody answering: paging
    # starts again from the first step.
    RESTARTED = "restarted"
    RESOLVED = "resolved"
    ACKNOWLEDGED = "acknowledged"
    # Amazon SNS's housekeeping: no alert, nobody paged.
    SUBSCRIPTION_PENDING = "subscription_pending"
    SUBSCRIPTION_CONFIRMED = "subscription_confirmed"
    SUBSCRIPTION_REFUSED = "subscription_refused"
    UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True)
class IngestResult:
    # None for a sender's housekeeping, which is no alert.
    alert_id: str | None
    outcome: Outcome
    calls_queued: int
    calls_cancelled: int = 0
    # A subscription to confirm once the transaction has committed (the webhook route does,
    # with subscriptions.confirm_and_record).
    confirmation: PendingConfirmation | None = None
    # Why nothing was called, for the sender to read: a repeat whose alert is still open.
    message: str | None = None
    # Whose format the body was read in (formats Source), for metrics and the log.
    sender: str | None = None


def _open_alert(session: Session, endpoint_id: str, dedup_key: str) -> Alert | None:
    return session.scalar(
        select(Alert)
        .where(Alert.endpoint_id == endpoint_id, Alert.open_dedup_key == dedup_key)
        .with_for_update()
    )


# The statements of the hot path are built once and executed with parameters: building one per
# request costs more than running it.
_OPEN_ALERT_ID = (
    select(Alert.id)
    .where(Alert.endpoint_id == bindparam("endpoint_id"))
    .where(Alert.open_dedup_key == bindparam("dedup_key"))
    .with_for_update()
)
_ALERTS = table_of(Alert)
_INSERT_ALERT = insert(_ALERTS)
# Where writers run side by side (PostgreSQL), a race for the same open alert ends in a repeat
# rather than an error: no savepoint (two round trips) around every insert to catch one.
_INSERT_ALERT_UNLESS_OPEN = (
    postgresql.insert(_ALERTS)
    .on_conflict_do_nothing(constraint="uq_alerts_open_dedup")
    .returning(_ALERTS.c.id)
)
# A repeat also brings the alert up to date: a group whose members changed, or a check whose
# message did, is what the next call reads out (it is rendered from the row at dial time).
_COUNT_REPEAT = (
    update(_ALERTS)
    .where(_ALERTS.c.id == bindparam("alert_id"))
    .values(
        repeat_count=_ALERTS.c.repeat_count + 1,
        last_received_at=bindparam("now"),
        title=bindparam("title"),
        message=bindparam("message"),
        severity=bindparam("severity"),
        payload=bindparam("payload", type_=_ALERTS.c.payload.type),
        content_type=bindparam("content_type"),
    )
    .returning(_ALERTS.c.repeat_count)
)


def _open_alert_id(session: Session, endpoint_id: str, dedup_key: str) -> str | None:
    return run(
        session, _OPEN_ALERT_ID, {"endpoint_id": endpoint_id, "dedup_key": dedup_key}
    ).scalar()


def accept_alert(
    session: Session,
    *,
    endpoint: EndpointRoute,
    parsed: ParsedAlert,
    actor: Actor,
    now: datetime,
    paging: PagingDefaults = DEFAULT_PAGING,
    admit: Callable[[], None] = lambda: None,
    request_id: str | None = None,
) -> IngestResult:
    """Record the alert: a new one pages, a repeat of an open one updates it (and starts its
    escalation again if it had run out), a resolve ends it. `admit()` is called before anything
    new is paged or stored, and may refuse it (a rate limit): repeats do not count. A new alert
    and its call jobs keep `request_id`, the HTTP request's that brought it."""
    if parsed.intent == Intent.SUBSCRIBE:
        pending = subscriptions.pending_confirmation(endpoint, parsed, actor)
        return IngestResult(None, Outcome.SUBSCRIPTION_PENDING, 0, confirmation=pending)
    if parsed.intent == Intent.UNSUBSCRIBE:
        subscriptions.record_unsubscribe(
            session, endpoint=endpoint, parsed=parsed, actor=actor, now=now
        )
        return IngestResult(None, Outcome.UNSUBSCRIBED, calls_queued=0)
    dedup_key = dedup_key_for(endpoint.id, parsed)
    if parsed.intent == Intent.RESOLVE:
        return _resolve(
            session,
            endpoint=endpoint,
            parsed=parsed,
            dedup_key=dedup_key,
            actor=actor,
            now=now,
            admit=admit,
            request_id=request_id,
        )
    if parsed.intent == Intent.ACKNOWLEDGE:
        return _acknowledge(
            session,
            endpoint=endpoint,
            parsed=parsed,
            dedup_key=dedup_key,
            actor=actor,
            now=now,
            admit=admit,
            request_id=request_id,
        )

    # The hot path of every webhook: Core statements, because the ORM's unit of work costs
    # more than the SQL itself here, and nothing below needs loaded objects.
    alert_id = _open_alert_id(session, endpoint.id, dedup_key)
    if alert_id is None:
        admit()
        alert_id = new_id("al")
        values = _alert_values(
            alert_id, endpoint, parsed, dedup_key, now, AlertStatus.OPEN, request_id
        )
        if not takes_row_locks(session):
            # SQLite runs one write transaction at a time (BEGIN IMMEDIATE): nothing can insert
            # between our read and our insert, so that race needs no guard.
            run(session, _INSERT_ALERT, values)
        elif run(session, _INSERT_ALERT_UNLESS_OPEN, values).scalar() is None:
            # Another transaction created the same open alert between our read and our insert
            # (PostgreSQL waited for it to commit): this one repeats it.
            alert_id = _open_alert_id(session, endpoint.id, dedup_key)
            if alert_id is None:
                raise RuntimeError("an open alert conflicted, then could not be found")
            return _repeat(session, alert_id, endpoint, parsed, actor, now, admit)
    else:
        return _repeat(session, alert_id, endpoint, parsed, actor, now, admit)

    # The alert is read only when a webhook wants the event: no read on the hot path otherwise.
    alert_changed(
        session,
        org_id=endpoint.org_id,
        alert=lambda: session.get_one(Alert, alert_id),
        event=AlertEvent.CREATED,
        now=now,
    )
    targets = call_targets(session, endpoint.id)
    route = route_alert(
        session,
        org_id=endpoint.org_id,
        rules=endpoint.rules,
        routing=endpoint.routing,
        parsed=parsed,
        targets=targets,
        now=now,
        endpoint_id=endpoint.id,
        paging=paging,
    )
    # A maintenance window that covers the alert now: recorded, and nobody paged until it ends.
    mute = (
        muting.mute_for_new(
            session, org_id=endpoint.org_id, endpoint_id=endpoint.id, parsed=parsed, now=now
        )
        if route.plan
        else None
    )
    queued = 0
    if mute is None:
        queued = escalation.start(
            session,
            org_id=endpoint.org_id,
            alert_id=alert_id,
            plan=route.plan,
            now=now,
            known_targets=targets,
            request_id=request_id,
        )
    received: dict[str, Any] = {
        "endpoint_id": endpoint.id,
        "severity": parsed.severity.value,
        "source": parsed.source.value,
        "route": route.describe(),
        "calls_queued": queued,
    }
    if mute is not None:
        received["muted_by"] = mute.window_id
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ALERT_RECEIVED,
        at=now,
        org_id=endpoint.org_id,
        target_type="alert",
        target_id=alert_id,
        details=received,
    )
    if mute is not None:
        escalation.start_muted(
            session, org_id=endpoint.org_id, alert_id=alert_id, plan=route.plan, now=now, mute=mute
        )
    if not route.plan and route.action.type != ActionType.RECORD:
        say_nobody_paged(
            session,
            org_id=endpoint.org_id,
            endpoint_id=endpoint.id,
            alert_id=alert_id,
            action=route.action.type.value,
            title=parsed.title,
            actor=actor,
            now=now,
        )
    if queued:
        announce_work(session)
    return IngestResult(alert_id, Outcome.CREATED, calls_queued=queued)


def _repeat(
    session: Session,
    alert_id: str,
    endpoint: EndpointRoute,
    parsed: ParsedAlert,
    actor: Actor,
    now: datetime,
    admit: Callable[[], None],
) -> IngestResult:
    repeat_count = run(
        session,
        _COUNT_REPEAT,
        {
            "alert_id": alert_id,
            "now": now,
            "title": parsed.title,
            "message": parsed.message,
            "severity": parsed.severity.value,
            "payload": parsed.payload,
            "content_type": parsed.content_type,
        },
    ).scalar()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ALERT_REPEATED,
        at=now,
        org_id=endpoint.org_id,
        target_type="alert",
        target_id=alert_id,
        details={"repeat_count": repeat_count},
    )
    queued = escalation.on_repeat(
        session,
        alert_id=alert_id,
        now=now,
        before=admit,
        mute_for=muting.muter(
            session, org_id=endpoint.org_id, endpoint_id=endpoint.id, parsed=parsed, now=now
        ),
    )
    if queued:
        announce_work(session)
        return IngestResult(alert_id, Outcome.RESTARTED, calls_queued=queued)
    return IngestResult(
        alert_id, Outcome.DEDUPLICATED, calls_queued=0, message=_why_deduplicated(parsed)
    )


def _why_deduplicated(parsed: ParsedAlert) -> str:
    """What a sender who expected a call must know: which alert this repeated, and how to
    get a new one (the README's quick start leads everyone to send the same curl twice)."""
    same = (
        f"dedup_key {parsed.dedup_key!r}"
        if parsed.dedup_key
        else "title" + (" on the same host" if parsed.host.strip() else "")
    )
    return (
        f"an alert with the same {same} is still open, so this counts as a repeat of it and "
        "calls nobody new; for a new alert send another dedup_key or title, or resolve this "
        "one first"
    )


def _acknowledge(
    session: Session,
    *,
    endpoint: EndpointRoute,
    parsed: ParsedAlert,
    dedup_key: str,
    actor: Actor,
    now: datetime,
    admit: Callable[[], None],
    request_id: str | None,
) -> IngestResult:
    """The sender says someone is on it (PagerDuty acknowledge, Nagios ACKNOWLEDGEMENT, ...):
    paging stops as if they had pressed 1."""
    alert = _open_alert(session, endpoint.id, dedup_key)
    if alert is None:
        admit()
        # Nothing open: keep the event for the timeline, acknowledged but holding no key, so a
        # later page for the same incident still calls.
        alert = Alert(
            **_alert_values(
                new_id("al"),
                endpoint,
                parsed,
                dedup_key,
                now,
                AlertStatus.ACKNOWLEDGED,
                request_id,
            )
        )
        alert.open_dedup_key = None
        alert.acknowledged_at, alert.acknowledged_by = now, "source"
        session.add(alert)
        lifecycle.arrived_closed(session, alert, actor=actor, now=now, details=_BY_SOURCE)
        return IngestResult(alert.id, Outcome.ACKNOWLEDGED, calls_queued=0, calls_cancelled=0)
    cancelled = lifecycle.close(
        session,
        alert,
        AlertStatus.ACKNOWLEDGED,
        actor=actor,
        now=now,
        by="source",
        details=_BY_SOURCE,
    )
    if cancelled is None:
        # Acknowledged already: the sender only repeats itself.
        return _repeat(session, alert.id, endpoint, parsed, actor, now, admit)
    return IngestResult(alert.id, Outcome.ACKNOWLEDGED, calls_queued=0, calls_cancelled=cancelled)


_BY_SOURCE = {"by": "source"}


def _alert_values(
    alert_id: str,
    endpoint: EndpointRoute,
    parsed: ParsedAlert,
    dedup_key: str,
    now: datetime,
    status: AlertStatus,
    request_id: str | None,
) -> dict[str, Any]:
    is_open = status != AlertStatus.RESOLVED
    return {
        "id": alert_id,
        "request_id": request_id,
        "org_id": endpoint.org_id,
        "endpoint_id": endpoint.id,
        "dedup_key": dedup_key,
        "open_dedup_key": dedup_key if is_open else None,
        "status": status.value,
        "severity": parsed.severity.value,
        "title": parsed.title,
        "message": parsed.message,
        "payload": parsed.payload,
        "content_type": parsed.content_type,
        "source": parsed.source.value,
        "repeat_count": 0,
        "received_at": now,
        "last_received_at": now,
        "resolved_at": None if is_open else now,
        "resolved_by": None if is_open else "source",
    }


def _resolve(
    session: Session,
    *,
    endpoint: EndpointRoute,
    parsed: ParsedAlert,
    dedup_key: str,
    actor: Actor,
    now: datetime,
    admit: Callable[[], None],
    request_id: str | None,
) -> IngestResult:
    alert = _open_alert(session, endpoint.id, dedup_key)
    if alert is None:
        admit()
        # Nothing open to resolve; keep the event anyway so the timeline shows it arrived.
        alert = Alert(
            **_alert_values(
                new_id("al"), endpoint, parsed, dedup_key, now, AlertStatus.RESOLVED, request_id
            )
        )
        session.add(alert)
        lifecycle.arrived_closed(session, alert, actor=actor, now=now, details=_BY_SOURCE)
        return IngestResult(alert.id, Outcome.RESOLVED, calls_queued=0, calls_cancelled=0)
    cancelled = lifecycle.close(
        session, alert, AlertStatus.RESOLVED, actor=actor, now=now, by="source", details=_BY_SOURCE
    )
    return IngestResult(alert.id, Outcome.RESOLVED, calls_queued=0, calls_cancelled=cancelled or 0)
