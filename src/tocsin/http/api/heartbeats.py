"""Heartbeat monitors API, scoped to one organization: make, list, read, change, pause, resume
and delete monitors, rotate their ping keys, and read their last pings. The pings themselves
come to `heartbeat_pings.py`."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from tocsin.accounts.models import Role, Scope
from tocsin.core.pagination import DEFAULT_LIMIT
from tocsin.heartbeats import commands, queries
from tocsin.heartbeats.commands import MonitorWithKey
from tocsin.heartbeats.models import HeartbeatMonitor
from tocsin.http.api.deps import Caller, get_caller
from tocsin.http.api.route import ApiRoute
from tocsin.http.api.schemas.common import Limit, PageOut, errors
from tocsin.http.api.schemas.heartbeats import (
    HeartbeatIn,
    HeartbeatOut,
    HeartbeatPatch,
    NewHeartbeatOut,
    PingListOut,
    PingOut,
)

router = APIRouter(
    prefix="/v1/orgs/{org_id}/heartbeats",
    tags=["heartbeats"],
    route_class=ApiRoute,
)


def _out(caller: Caller, monitor: HeartbeatMonitor) -> HeartbeatOut:
    runtime = caller.runtime
    return HeartbeatOut.of(
        monitor, base_url=runtime.settings.public_base_url, now=runtime.clock.now()
    )


def _with_key(caller: Caller, made: MonitorWithKey) -> NewHeartbeatOut:
    return NewHeartbeatOut(**_out(caller, made.monitor).model_dump(), key=made.key)


@router.post(
    "",
    status_code=201,
    response_model=NewHeartbeatOut,
    summary="Create a heartbeat monitor",
    responses=errors(
        (404, "endpoint_not_found", "endpoint not found"),
        (422, "invalid_cron", "cron: not five fields"),
    ),
)
def create_heartbeat(
    org_id: str, body: HeartbeatIn, caller: Caller = Depends(get_caller)
) -> NewHeartbeatOut:
    """A monitor, new until its first ping; its ping key is in this answer only. Admins and owners,
    or a key with `write`."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        made = commands.create_monitor(
            s,
            org_id=org_id,
            endpoint_id=body.endpoint_id,
            name=body.name,
            interval_seconds=body.interval_seconds,
            cron=body.cron,
            timezone=body.timezone,
            grace_seconds=body.grace_seconds,
            max_runtime_seconds=body.max_runtime_seconds,
            severity=body.severity.value,
            actor=access.actor,
            now=runtime.clock.now(),
            digest_key=runtime.heartbeat_key_digest_key,
        )
        return _with_key(caller, made)


@router.get("", response_model=PageOut[HeartbeatOut], summary="List heartbeat monitors")
def list_heartbeats(
    org_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
) -> PageOut[HeartbeatOut]:
    """The organization's monitors and their state. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        page = queries.list_monitors(s, org_id=org_id, limit=limit, cursor=cursor)
        return PageOut[HeartbeatOut](
            items=[_out(caller, monitor) for monitor in page.items],
            next_cursor=page.next_cursor,
        )


@router.get(
    "/{heartbeat_id}",
    response_model=HeartbeatOut,
    summary="Get a heartbeat monitor",
    responses=errors((404, "heartbeat_not_found", "heartbeat not found")),
)
def get_heartbeat(
    org_id: str, heartbeat_id: str, caller: Caller = Depends(get_caller)
) -> HeartbeatOut:
    """One monitor and its state. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        return _out(caller, queries.get_monitor(s, org_id=org_id, heartbeat_id=heartbeat_id))


@router.patch(
    "/{heartbeat_id}",
    response_model=HeartbeatOut,
    summary="Update a heartbeat monitor",
    responses=errors(
        (404, "heartbeat_not_found", "heartbeat not found"),
        (404, "endpoint_not_found", "endpoint not found"),
        (422, "invalid_cron", "cron: not five fields"),
    ),
)
def update_heartbeat(
    org_id: str, heartbeat_id: str, body: HeartbeatPatch, caller: Caller = Depends(get_caller)
) -> HeartbeatOut:
    """Change what is given; an interval replaces a cron expression and the other way round. Admins
    and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        monitor = commands.update_monitor(
            s,
            org_id=org_id,
            heartbeat_id=heartbeat_id,
            actor=access.actor,
            now=now,
            name=body.name,
            endpoint_id=body.endpoint_id,
            interval_seconds=body.interval_seconds,
            cron=body.cron,
            timezone=body.timezone,
            grace_seconds=body.grace_seconds,
            max_runtime_seconds=body.max_runtime_seconds,
            clear_max_runtime=(
                "max_runtime_seconds" in body.model_fields_set and body.max_runtime_seconds is None
            ),
            severity=body.severity.value if body.severity is not None else None,
        )
        return _out(caller, monitor)


@router.delete(
    "/{heartbeat_id}",
    status_code=204,
    summary="Delete a heartbeat monitor",
    responses=errors((404, "heartbeat_not_found", "heartbeat not found")),
)
def delete_heartbeat(org_id: str, heartbeat_id: str, caller: Caller = Depends(get_caller)) -> None:
    """Its pings answer 404 from now on. Admins and owners, or a key with
    `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        commands.delete_monitor(
            s, org_id=org_id, heartbeat_id=heartbeat_id, actor=access.actor, now=now
        )


@router.post(
    "/{heartbeat_id}/pause",
    response_model=HeartbeatOut,
    summary="Pause a heartbeat monitor",
    responses=errors((404, "heartbeat_not_found", "heartbeat not found")),
)
def pause_heartbeat(
    org_id: str, heartbeat_id: str, caller: Caller = Depends(get_caller)
) -> HeartbeatOut:
    """A paused monitor never alerts; its pings are still taken and logged. Admins and owners, or a
    key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        monitor = commands.pause_monitor(
            s, org_id=org_id, heartbeat_id=heartbeat_id, actor=access.actor, now=now
        )
        return _out(caller, monitor)


@router.post(
    "/{heartbeat_id}/resume",
    response_model=HeartbeatOut,
    summary="Resume a heartbeat monitor",
    responses=errors((404, "heartbeat_not_found", "heartbeat not found")),
)
def resume_heartbeat(
    org_id: str, heartbeat_id: str, caller: Caller = Depends(get_caller)
) -> HeartbeatOut:
    """Expected again a whole period from now (a new monitor still waits for its first ping). Admins
    and owners, or a key with `write`."""
    now = caller.runtime.clock.now()
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        monitor = commands.resume_monitor(
            s, org_id=org_id, heartbeat_id=heartbeat_id, actor=access.actor, now=now
        )
        return _out(caller, monitor)


@router.post(
    "/{heartbeat_id}/rotate-key",
    response_model=NewHeartbeatOut,
    summary="Give a heartbeat monitor a new key",
    responses=errors((404, "heartbeat_not_found", "heartbeat not found")),
)
def rotate_heartbeat_key(
    org_id: str, heartbeat_id: str, caller: Caller = Depends(get_caller)
) -> NewHeartbeatOut:
    """A new ping key, in this answer only; the old one stops working at once. Admins and owners, or
    a key with `write`."""
    runtime = caller.runtime
    with caller.org(org_id, min_role=Role.ADMIN, scope=Scope.WRITE, write=True) as (s, access):
        made = commands.rotate_key(
            s,
            org_id=org_id,
            heartbeat_id=heartbeat_id,
            actor=access.actor,
            now=runtime.clock.now(),
            digest_key=runtime.heartbeat_key_digest_key,
        )
        return _with_key(caller, made)


@router.get(
    "/{heartbeat_id}/pings",
    response_model=PingListOut,
    summary="List a heartbeat monitor's pings",
    responses=errors((404, "heartbeat_not_found", "heartbeat not found")),
)
def list_heartbeat_pings(
    org_id: str, heartbeat_id: str, caller: Caller = Depends(get_caller)
) -> PingListOut:
    """The monitor's last pings, newest first. Any member, or a key with `read`."""
    with caller.org(org_id, min_role=Role.MEMBER, scope=Scope.READ, write=False) as (s, _):
        monitor = queries.get_monitor(s, org_id=org_id, heartbeat_id=heartbeat_id)
        return PingListOut(items=[PingOut.of(ping) for ping in queries.recent_pings(s, monitor.id)])
