"""A ping: its key checked, the organization's standing and the monitor's rate limit asked, the
monitor moved on (states.py), its alert opened or resolved (transitions.py), and the ping kept
in its log, all in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.core.actors import Actor
from tocsin.core.errors import NotFound
from tocsin.core.ids import new_id
from tocsin.core.ratelimit import Limits, RateLimiter
from tocsin.formats.untrusted import clean_text
from tocsin.heartbeats import transitions
from tocsin.heartbeats.keys import key_matches
from tocsin.heartbeats.models import HeartbeatMonitor, HeartbeatPing, PingKind
from tocsin.heartbeats.queries import PING_LOG, get_monitor, snapshot_of
from tocsin.heartbeats.states import after_ping
from tocsin.restrictions.blocks import ingest_block
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults

# What the log keeps of a ping's body and user agent.
BODY_KEPT = 1024
USER_AGENT_KEPT = 300


@dataclass(frozen=True)
class Ping:
    kind: PingKind
    # GET, HEAD or POST; `shell` from `tocsin heartbeat ping`.
    method: str
    client_address: str | None = None
    user_agent: str = ""
    body: bytes = b""


@dataclass(frozen=True)
class PingResult:
    heartbeat_id: str
    kind: PingKind
    state: str
    next_due_at: datetime | None
    # The alert a `/fail` opened (or found open).
    alert_id: str | None


def not_found_for_ping() -> NotFound:
    """The one answer to an unknown id, a wrong key and a deleted monitor alike."""
    return NotFound("no heartbeat with this id and key", code="heartbeat_not_found")


_MONITOR = select(HeartbeatMonitor)


def receive_ping(
    session: Session,
    *,
    heartbeat_id: str,
    key: str,
    ping: Ping,
    digest_key: bytes,
    now: datetime,
    limiter: RateLimiter,
    paging: PagingDefaults = DEFAULT_PAGING,
) -> PingResult:
    """A job's ping with the monitor's key. NotFound for an unknown id and a wrong key alike;
    refused as the webhook is (403) while the organization or endpoint is suspended; 429 past
    the monitor's rate limit, which counts only pings whose key is right."""
    monitor = session.scalar(_MONITOR.where(HeartbeatMonitor.id == heartbeat_id))
    matches = key_matches(digest_key, monitor.key_digest if monitor else None, key)
    if monitor is None or not matches:
        raise not_found_for_ping()
    block = ingest_block(session, org_id=monitor.org_id, endpoint_id=monitor.endpoint_id, now=now)
    if block is not None:
        raise block.refusal()
    limiter.hit(Limits.HEARTBEAT_PING, monitor.id, what="pings to this heartbeat")
    actor = Actor("heartbeat", monitor.id, ping.client_address)
    return _take(session, monitor, ping, actor=actor, now=now, paging=paging)


def ping_as(
    session: Session,
    *,
    org_id: str,
    heartbeat_id: str,
    kind: PingKind,
    actor: Actor,
    now: datetime,
    paging: PagingDefaults = DEFAULT_PAGING,
) -> PingResult:
    """A ping sent by someone who may see the monitor (the shell, to try a monitor out): the
    same as a job's, without a key."""
    monitor = get_monitor(session, org_id=org_id, heartbeat_id=heartbeat_id)
    return _take(session, monitor, Ping(kind, "shell"), actor=actor, now=now, paging=paging)


def _take(
    session: Session,
    monitor: HeartbeatMonitor,
    ping: Ping,
    *,
    actor: Actor,
    now: datetime,
    paging: PagingDefaults,
) -> PingResult:
    # Pings to one monitor and the worker's look at it take turns on its row, each deciding on
    # what the last one committed.
    session.refresh(monitor, with_for_update=True)
    monitor.last_ping_at, monitor.last_ping_kind = now, ping.kind.value
    change = after_ping(snapshot_of(session, monitor), ping.kind, now)
    alert_id = transitions.apply(session, monitor, change, actor=actor, now=now, paging=paging)
    _log(session, monitor.id, ping, now)
    return PingResult(monitor.id, ping.kind, monitor.state, monitor.next_due_at, alert_id)


def _log(session: Session, heartbeat_id: str, ping: Ping, now: datetime) -> None:
    session.add(
        HeartbeatPing(
            id=new_id("hbp"),
            heartbeat_id=heartbeat_id,
            kind=ping.kind.value,
            at=now,
            method=ping.method,
            client_address=ping.client_address,
            user_agent=clean_text(ping.user_agent)[:USER_AGENT_KEPT],
            body=clean_text(ping.body[:BODY_KEPT].decode("utf-8", errors="replace")),
        )
    )
    session.flush()
    kept = (
        select(HeartbeatPing.id)
        .where(HeartbeatPing.heartbeat_id == heartbeat_id)
        .order_by(HeartbeatPing.id.desc())
        .limit(PING_LOG)
    )
    session.execute(
        delete(HeartbeatPing)
        .where(HeartbeatPing.heartbeat_id == heartbeat_id)
        .where(HeartbeatPing.id.not_in(kept.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
