"""The worker's side of the delivery log: claim the deliveries due, and record how each
attempt went, in transactions of their own on either side of the request (the request itself
is `outgoing/sender.py`, and holds no transaction open).

Claiming takes each row under a lock that other workers pass over (SKIP LOCKED on PostgreSQL;
SQLite runs one writer at a time) and leases it: `sending`, due again at the lease's end, so
a worker that dies mid-request leaves it to be tried again, never lost. A retried delivery
keeps its `webhook-id`, which is how a receiver tells a repeat (at-least-once delivery).

When a subscription keeps failing, its owners are told (once per run of failures), and after
`DISABLE_AFTER` of nothing getting through it is disabled, as it is at once when the receiver
answers 410 Gone."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.audit.notices import tell_owners
from tocsin.core.actors import Actor
from tocsin.outgoing.commands import give_up_waiting, host_of
from tocsin.outgoing.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tocsin.outgoing.retries import Answer, Verdict, VerdictKind, judge

log = logging.getLogger(__name__)

ENGINE = Actor("engine")
# Nothing delivered for this long, through failure after failure: the subscription is
# disabled (Standard Webhooks recommends disabling an endpoint that fails for long).
DISABLE_AFTER = timedelta(days=5)
# Attempts kept in a delivery's log; a delivery has at most retries.MAX_ATTEMPTS.
KEPT_ATTEMPTS = 20
SNIPPET_CHARACTERS = 500


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds for one attempt."""

    id: str
    org_id: str
    subscription_id: str
    event_id: str
    url: str
    body: dict[str, Any]
    # Sealed secrets that sign it: the current one, and the one before while it is kept.
    sealed_secrets: tuple[str, ...]
    # This attempt's number (1 for the first).
    attempt: int


def claim_due(
    session: Session, *, now: datetime, limit: int, lease: timedelta, skip_locked: bool
) -> list[Claimed]:
    """Up to `limit` deliveries due now (waiting, or left by a worker whose lease ended) of
    enabled subscriptions, leased to the caller."""
    rows = session.execute(
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.next_attempt_at <= now,
            WebhookDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            WebhookSubscription.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=skip_locked)
    ).all()
    claimed: list[Claimed] = []
    for delivery, subscription in rows:
        delivery.status = DeliveryStatus.SENDING.value
        delivery.attempts += 1
        delivery.next_attempt_at = now + lease
        delivery.updated_at = now
        sealed = [subscription.secret_sealed]
        if (
            subscription.previous_secret_sealed is not None
            and subscription.previous_secret_until is not None
            and subscription.previous_secret_until > now
        ):
            sealed.append(subscription.previous_secret_sealed)
        claimed.append(
            Claimed(
                id=delivery.id,
                org_id=delivery.org_id,
                subscription_id=subscription.id,
                event_id=delivery.event_id,
                url=subscription.url,
                body=delivery.body,
                sealed_secrets=tuple(sealed),
                attempt=delivery.attempts,
            )
        )
    return claimed


def record_attempt(session: Session, *, claimed: Claimed, answer: Answer, now: datetime) -> None:
    """Write how the attempt went, and what follows: delivered, due again, failed or given
    up; the subscription's health with it. Nothing when another worker has claimed the
    delivery since (this one's lease ran out): that worker records its own attempt."""
    # The subscription first, then the delivery: everything that changes both (recording,
    # disabling) takes them in this order, so two recorders of one subscription take turns
    # rather than deadlock. The subscription's lock lets alerts go on writing deliveries
    # (an UPDATE's lock, which a foreign key's check does not wait for).
    subscription = session.scalar(
        select(WebhookSubscription)
        .where(WebhookSubscription.id == claimed.subscription_id)
        .with_for_update(key_share=True)
    )
    delivery = session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == claimed.id).with_for_update()
    )
    if subscription is None or delivery is None or delivery.attempts != claimed.attempt:
        return
    verdict = judge(answer, attempts=delivery.attempts, delivery_id=delivery.id, now=now)
    if delivery.status != DeliveryStatus.SENDING and verdict.kind == VerdictKind.RETRY:
        # Given up meanwhile (the subscription was disabled): it stays so.
        verdict = Verdict(VerdictKind.GAVE_UP, error=delivery.last_error)
    _apply(delivery, answer, verdict, now)
    if verdict.kind == VerdictKind.DELIVERED:
        subscription.failing_since = None
        subscription.last_delivered_at = now
        return
    subscription.failing_since = subscription.failing_since or now
    if not subscription.enabled:
        return  # stopped already (by a person, or by the attempt recorded just before)
    if verdict.disable is not None:
        _disable(session, subscription, verdict.disable, now)
    elif subscription.failing_since <= now - DISABLE_AFTER:
        days = DISABLE_AFTER.days
        _disable(
            session,
            subscription,
            f"no delivery got through for {days} days, through failure after failure",
            now,
        )
    elif verdict.kind in (VerdictKind.FAILED, VerdictKind.GAVE_UP):
        _tell_failing(session, subscription, delivery, now)


def _apply(delivery: WebhookDelivery, answer: Answer, verdict: Verdict, now: datetime) -> None:
    entry = {
        "at": now.isoformat(),
        "status_code": answer.status_code,
        "error": None if verdict.kind == VerdictKind.DELIVERED else verdict.error,
        "ms": answer.milliseconds,
    }
    delivery.attempt_log = [*(delivery.attempt_log or []), entry][-KEPT_ATTEMPTS:]
    delivery.last_status_code = answer.status_code
    delivery.response_snippet = (answer.snippet or "")[:SNIPPET_CHARACTERS] or None
    delivery.updated_at = now
    if verdict.kind == VerdictKind.DELIVERED:
        delivery.status = DeliveryStatus.DELIVERED.value
        delivery.last_error = None
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif verdict.kind == VerdictKind.RETRY:
        delivery.status = DeliveryStatus.PENDING.value
        delivery.last_error = verdict.error
        delivery.next_attempt_at = verdict.next_at
    else:
        delivery.status = (
            DeliveryStatus.FAILED.value
            if verdict.kind == VerdictKind.FAILED
            else DeliveryStatus.GAVE_UP.value
        )
        delivery.last_error = verdict.error
        delivery.next_attempt_at = None


def _tell_failing(
    session: Session, subscription: WebhookSubscription, delivery: WebhookDelivery, now: datetime
) -> None:
    """Once per run of failures: the first delivery that finally failed says so."""
    since = subscription.failing_since or now
    tell_owners(
        session,
        org_id=subscription.org_id,
        kind="webhook_failing",
        period=f"{subscription.id}:{since.isoformat()}",
        message=(
            f'The webhook "{subscription.name}" ({host_of(subscription.url)}) could not deliver '
            f"an event: {delivery.last_error}. Later events are still tried; if nothing gets "
            f"through for {DISABLE_AFTER.days} days it is disabled. Its delivery log shows "
            "each attempt."
        ),
        now=now,
        actor=ENGINE,
        details={"webhook_id": subscription.id, "delivery_id": delivery.id},
    )


def _disable(
    session: Session, subscription: WebhookSubscription, reason: str, now: datetime
) -> None:
    subscription.enabled = False
    subscription.disabled_reason = reason
    subscription.updated_at = now
    give_up_waiting(session, subscription.id, f"the webhook was disabled: {reason}", now)
    details = {"name": subscription.name, "host": host_of(subscription.url), "reason": reason}
    audit.record(
        session,
        actor=ENGINE,
        action=AuditAction.WEBHOOK_DISABLED,
        at=now,
        org_id=subscription.org_id,
        target_type="webhook",
        target_id=subscription.id,
        details=details,
    )
    log.warning("webhook %s disabled: %s", subscription.id, reason)
    tell_owners(
        session,
        org_id=subscription.org_id,
        kind="webhook_disabled",
        period=f"{subscription.id}:{now.isoformat()}",
        message=(
            f'The webhook "{subscription.name}" ({host_of(subscription.url)}) was disabled: '
            f"{reason}. Nothing is sent to it until it is enabled again."
        ),
        now=now,
        actor=ENGINE,
        details={"webhook_id": subscription.id},
    )


# The delivery log keeps a finished delivery this long; a waiting one is kept however old.
LOG_KEPT = timedelta(days=30)


def purge_log(session: Session, *, now: datetime) -> int:
    """Delete finished deliveries older than `LOG_KEPT`; returns how many."""
    finished = [status.value for status in DeliveryStatus if status.is_final]
    result = session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.status.in_(finished), WebhookDelivery.updated_at < now - LOG_KEPT)
        .execution_options(synchronize_session=False)
    )
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        log.info("webhook delivery log: %d deliveries older than %s removed", removed, LOG_KEPT)
    return removed
