"""Maintenance windows made straight through their commands, for tests whose subject is what a
window does rather than the API that makes one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tocsin.core.actors import Actor
from tocsin.maintenance import commands, matchers
from tocsin.runtime import Runtime

SHELL = Actor("cli", "shell")


def window(
    runtime: Runtime,
    org_id: str,
    *,
    minutes: float | None = 60,
    match: tuple[str, ...] = (),
    actor: Actor = SHELL,
    **spec: Any,
) -> str:
    """A window of the organization, made now; by default org-wide, starting now, an hour
    long. `match` holds matchers as Alertmanager writes them (`severity=critical`)."""
    if "ends_at" in spec:
        minutes = None
    spec.setdefault("reason", "Database upgrade")
    with runtime.database.write() as session:
        made = commands.create_window(
            session,
            org_id=org_id,
            spec=commands.WindowSpec(
                duration=timedelta(minutes=minutes) if minutes is not None else None,
                matchers=tuple(matchers.parse_text(text) for text in match),
                **spec,
            ),
            actor=actor,
            now=runtime.clock.now(),
        )
        return made.id


def change(runtime: Runtime, org_id: str, window_id: str, **fields: Any) -> None:
    with runtime.database.write() as session:
        commands.update_window(
            session,
            org_id=org_id,
            window_id=window_id,
            change=commands.WindowChange(**fields),
            actor=SHELL,
            now=runtime.clock.now(),
        )


def end(runtime: Runtime, org_id: str, window_id: str) -> None:
    with runtime.database.write() as session:
        commands.end_window(
            session, org_id=org_id, window_id=window_id, actor=SHELL, now=runtime.clock.now()
        )


def delete(runtime: Runtime, org_id: str, window_id: str) -> None:
    with runtime.database.write() as session:
        commands.delete_window(
            session, org_id=org_id, window_id=window_id, actor=SHELL, now=runtime.clock.now()
        )
