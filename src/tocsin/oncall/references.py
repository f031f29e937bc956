"""What still names a rotation or a schedule, so deleting it is refused rather than leaving a
layer, a rule or an escalation step that quietly pages nobody.

Endpoints and escalation policies sit above on-call in the layers (they name schedules, not the
other way round), so their rows are read here through lightweight table constructs of the two
columns that matter, not through tocsin.endpoints' models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, column, select, table
from sqlalchemy.orm import Session

from tocsin.core.errors import Conflict
from tocsin.db.base import JSONText
from tocsin.oncall.models import Schedule

_ENDPOINTS = table(
    "endpoints",
    column("id", String),
    column("org_id", String),
    column("name", String),
    column("rules", JSONText()),
)
_POLICIES = table(
    "escalation_policies",
    column("id", String),
    column("org_id", String),
    column("name", String),
    column("steps", JSONText()),
)


@dataclass(frozen=True)
class Users:
    """Who names the thing: (kind, id, name) of each."""

    found: list[tuple[str, str, str]] = field(default_factory=list)

    def refuse(self, what: str, name: str) -> None:
        """Conflict (`<what>_in_use`) naming who still uses it; nothing when nobody does."""
        if not self.found:
            return
        named = ", ".join(f"{kind} {label!r}" for kind, _, label in self.found[:5])
        raise Conflict(
            f"{what} {name!r} is still used by {named}; change those first",
            code=f"{what}_in_use",
            details={"used_by": [{"type": kind, "id": id_} for kind, id_, _ in self.found]},
        )


def rotation_users(session: Session, *, org_id: str, rotation_id: str) -> Users:
    rows = session.execute(
        select(Schedule.id, Schedule.name, Schedule.layers).where(Schedule.org_id == org_id)
    ).all()
    return Users(
        [
            ("schedule", schedule_id, name)
            for schedule_id, name, layers in rows
            if any(layer.get("rotation_id") == rotation_id for layer in layers)
        ]
    )


def schedule_users(session: Session, *, org_id: str, schedule_id: str) -> Users:
    found: list[tuple[str, str, str]] = []
    endpoints = session.execute(
        select(_ENDPOINTS.c.id, _ENDPOINTS.c.name, _ENDPOINTS.c.rules).where(
            _ENDPOINTS.c.org_id == org_id
        )
    ).all()
    for endpoint_id, name, rules in endpoints:
        if any(_rule_names(rule, schedule_id) for rule in rules or ()):
            found.append(("endpoint", endpoint_id, name))
    policies = session.execute(
        select(_POLICIES.c.id, _POLICIES.c.name, _POLICIES.c.steps).where(
            _POLICIES.c.org_id == org_id
        )
    ).all()
    for policy_id, name, steps in policies:
        if any(schedule_id in (step.get("schedule_ids") or ()) for step in steps or ()):
            found.append(("escalation", policy_id, name))
    return Users(found)


def _rule_names(rule: dict[str, Any], schedule_id: str) -> bool:
    action = rule.get("action") or {}
    return bool(action.get("schedule_id") == schedule_id)
