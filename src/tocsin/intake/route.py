"""Routing an alert: which rule of its endpoint's scenario matches, and the plan that follows.

Every alert gets a route. A rule whose action can no longer be carried out (its escalation
policy, contact, member, schedule or project was deleted) falls back to the endpoint's primary
contact, and the route says so, rather than let the alert go unheard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.contacts.models import Contact
from tocsin.core.errors import NotFound
from tocsin.endpoints.models import Endpoint, EscalationPolicy, RoutingMode
from tocsin.formats.parse import ParsedAlert
from tocsin.formats.severity import Severity
from tocsin.oncall.lookups import check_targets
from tocsin.oncall.models import Project
from tocsin.routing.rules import (
    DEFAULT_ACTION,
    Action,
    ActionType,
    Rule,
    When,
    first_match,
    parse_rules,
)
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


_SAID = {"user": "member", "schedule": "schedule", "project": "project", "contact": "contact"}


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


# When no rule matches, an `info` alert tells (texts and e-mails) the endpoint's contacts and
# calls nobody: it says something happened, not that someone must act. Every other severity,
# `minor` included (Alertmanager's and Grafana's `warning` is minor), calls: when in doubt, call.
# A rule says otherwise for an endpoint (`severity in [minor] -> notify`, or `-> call_all` for
# info).
QUIET_BY_DEFAULT = frozenset({Severity.INFO})


def _default_action(routing: str, severity: Severity) -> Action:
    if severity in QUIET_BY_DEFAULT:
        return Action(type=ActionType.NOTIFY)
    if routing == RoutingMode.ALL:
        return Action(type=ActionType.CALL_ALL)
    return DEFAULT_ACTION


def local_zone(session: Session, *, org_id: str, endpoint_id: str | None) -> str:
    """The zone a rule's hours read the clock in when they name none: the endpoint's project's,
    when it has one with a zone, else the organization's."""
    if endpoint_id is not None:
        project_zone = session.scalar(
            select(Project.timezone)
            .join(Endpoint, Endpoint.project_id == Project.id)
            .where(Endpoint.id == endpoint_id, Endpoint.org_id == org_id)
        )
        if project_zone:
            return project_zone
    return session.scalar(select(Organization.timezone).where(Organization.id == org_id)) or "UTC"


def route_alert(
    session: Session,
    *,
    org_id: str,
    rules: Sequence[Mapping[str, Any]],
    routing: str,
    parsed: ParsedAlert,
    targets: Sequence[CallTarget],
    now: datetime,
    endpoint_id: str | None = None,
    paging: PagingDefaults = DEFAULT_PAGING,
) -> Route:
    """`now` is when the alert arrived, which rules with hours read on the local clock of
    `local_zone` unless they name a zone."""
    contact_ids = [target.contact_id for target in targets if target.contact_id is not None]
    when = When(now, lambda: local_zone(session, org_id=org_id, endpoint_id=endpoint_id))
    matched = first_match(parse_rules(rules), rule_document(parsed), when) if rules else None
    if matched is None:
        action = _default_action(routing, parsed.severity)
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
    elif action.type == ActionType.CALL_CONTACT and action.contact_id in contact_ids:
        pass  # one of the endpoint's own contacts, read just now
    elif action.target_id is not None:
        what = (action.target_field or "")[: -len("_id")]
        if not _exists(session, org_id, what, action.target_id):
            why = f"{_SAID[what]} no longer exists"
            if action.type == ActionType.NOTIFY:
                return _notify_contacts_instead(why, position, rule, contact_ids)
            fallback = f"{why}; calling the primary contact"
    if fallback is not None:
        action = DEFAULT_ACTION
    plan = plan_for(
        action, endpoint_contact_ids=contact_ids, policy_steps=policy_steps, paging=paging
    )
    return Route(action, plan, rule=position, rule_name=rule.name, fallback=fallback)


def _exists(session: Session, org_id: str, what: str, target_id: str) -> bool:
    if what == "contact":
        found = session.scalar(
            select(Contact.id).where(Contact.id == target_id, Contact.org_id == org_id)
        )
        return found is not None
    try:
        check_targets(session, org_id=org_id, **{f"{what}_ids": [target_id]})
    except NotFound:
        return False
    return True


def _notify_contacts_instead(
    why: str, position: int, rule: Rule, contact_ids: Sequence[str]
) -> Route:
    """A notify rule whose target is gone tells the endpoint's contacts: it was never meant to
    ring a phone, and it still tells someone."""
    action = Action(type=ActionType.NOTIFY)
    plan = plan_for(action, endpoint_contact_ids=contact_ids, policy_steps=None)
    fallback = f"{why}; notifying the endpoint's contacts"
    return Route(action, plan, rule=position, rule_name=rule.name, fallback=fallback)
