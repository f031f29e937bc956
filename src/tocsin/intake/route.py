"""Routing an alert: which rule of its endpoint's scenario matches, and the plan that follows.

Every alert gets a route. A rule whose action can no longer be carried out (its escalation
policy, contact, member, schedule or project was deleted) falls back to the endpoint's primary
contact, and the route says so, rather than let the alert go unheard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.contacts.models import Contact
from tocsin.core.errors import NotFound
from tocsin.endpoints.models import EscalationPolicy, RoutingMode
from tocsin.formats.parse import ParsedAlert
from tocsin.oncall.lookups import check_targets
from tocsin.routing.rules import DEFAULT_ACTION, Action, ActionType, first_match, parse_rules
from tocsin.routing.steps import DEFAULT_PAGING, PagingDefaults, plan_for
from tocsin.routing.targets import CallTarget


@dataclass(frozen=True)
class Route:
    action: Action
    plan: list[dict[str, Any]]
    # Position and name of the rule that matched; None when the endpoint's default applied.
    rule: int | None = None
    rule_name: str | None = None
    fallback: str | None = None

    def describe(self) -> dict[str, Any]:
        """The route as the timeline shows it."""
        described: dict[str, Any] = {"action": self.action.type.value, "rule": self.rule}
        if self.rule_name:
            described["rule_name"] = self.rule_name
        if self.action.escalation_id:
            described["escalation_id"] = self.action.escalation_id
        for name in ("contact_id", "user_id", "schedule_id", "project_id"):
            if getattr(self.action, name):
                described[name] = getattr(self.action, name)
        if self.fallback:
            described["fallback"] = self.fallback
        return described


_NAMED_ELSEWHERE = {
    ActionType.CALL_MEMBER: "user",
    ActionType.CALL_ON_SCHEDULE: "schedule",
    ActionType.CALL_PROJECT: "project",
}
_SAID = {"user": "member", "schedule": "schedule", "project": "project"}


def rule_document(parsed: ParsedAlert) -> dict[str, Any]:
    """What rules read: the payload's own fields, overlaid with the normalised ones, so that
    `severity` means Tocsin's five levels and `payload.severity` what the sender wrote."""
    payload = parsed.payload if isinstance(parsed.payload, Mapping) else {}
    document: dict[str, Any] = dict(payload)
    if parsed.alerts:
        document["labels"] = payload.get("commonLabels") or {}
        document["annotations"] = payload.get("commonAnnotations") or {}
        document["alert_count"] = sum(1 for alert in parsed.alerts if alert.status == "firing")
    document.update(
        title=parsed.title,
        message=parsed.message,
        severity=parsed.severity.value,
        source=parsed.source.value,
        payload=parsed.payload,
    )
    return document


def _default_action(routing: str) -> Action:
    if routing == RoutingMode.ALL:
        return Action(type=ActionType.CALL_ALL)
    return DEFAULT_ACTION


def route_alert(
    session: Session,
    *,
    org_id: str,
    rules: Sequence[Mapping[str, Any]],
    routing: str,
    parsed: ParsedAlert,
    targets: Sequence[CallTarget],
    paging: PagingDefaults = DEFAULT_PAGING,
) -> Route:
    contact_ids = [target.contact_id for target in targets if target.contact_id is not None]
    matched = first_match(parse_rules(rules), rule_document(parsed)) if rules else None
    if matched is None:
        action = _default_action(routing)
        plan = plan_for(action, endpoint_contact_ids=contact_ids, policy_steps=None, paging=paging)
        return Route(action, plan)
    position, rule = matched
    action, fallback, policy_steps = rule.action, None, None
    if action.type == ActionType.CALL_ESCALATION:
        policy_steps = session.scalar(
            select(EscalationPolicy.steps).where(
                EscalationPolicy.id == action.escalation_id, EscalationPolicy.org_id == org_id
            )
        )
        if policy_steps is None:
            fallback = "escalation policy no longer exists; calling the primary contact"
    elif action.type == ActionType.CALL_CONTACT and action.contact_id not in contact_ids:
        exists = session.scalar(
            select(Contact.id).where(Contact.id == action.contact_id, Contact.org_id == org_id)
        )
        if exists is None:
            fallback = "contact no longer exists; calling the primary contact"
    elif action.type in _NAMED_ELSEWHERE and action.target_id is not None:
        what = _NAMED_ELSEWHERE[action.type]
        try:
            check_targets(session, org_id=org_id, **{f"{what}_ids": [action.target_id]})
        except NotFound:
            fallback = f"{_SAID[what]} no longer exists; calling the primary contact"
    if fallback is not None:
        action = DEFAULT_ACTION
    plan = plan_for(
        action, endpoint_contact_ids=contact_ids, policy_steps=policy_steps, paging=paging
    )
    return Route(action, plan, rule=position, rule_name=rule.name, fallback=fallback)
