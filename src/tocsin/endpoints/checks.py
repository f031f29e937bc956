"""What an endpoint or an escalation policy must pass before it is saved: rules and steps that
parse, and actions that name only this organization's callable contacts, members, schedules,
projects and escalation policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.contacts.checks import check_contacts
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.endpoints.models import EscalationPolicy, RoutingMode
from tocsin.messages import check_template
from tocsin.oncall.lookups import check_targets
from tocsin.routing.rules import MAX_RULES, RULES, ActionType
from tocsin.routing.steps import CallStep, check_steps, dump_steps, parse_steps


def checked_routing(value: str) -> str:
    try:
        return RoutingMode(value).value
    except ValueError as exc:
        allowed = ", ".join(mode.value for mode in RoutingMode)
        raise InvalidInput(f"routing must be one of: {allowed}", code="invalid_routing") from exc


def checked_template(template: str | None) -> str | None:
    """The template to store (None for the default); InvalidInput if it does not render.

    Rendering takes up to the template cage's time limit, which a write transaction would
    hold every other writer for on SQLite: adapters call this before they open one, and the
    command's own call finds the sample's words remembered (messages/caged.py)."""
    if template is None or not template.strip():
        return None
    check_template(template)
    return template


def validated_rules(
    session: Session, *, org_id: str, rules: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    if len(rules) > MAX_RULES:
        raise InvalidInput(f"an endpoint has at most {MAX_RULES} rules", code="invalid_rules")
    try:
        parsed = RULES.validate_python(list(rules))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"rules.{where}: {first['msg']}", code="invalid_rules") from exc
    actions = [rule.action for rule in parsed]
    check_contacts(
        session, org_id=org_id, contact_ids=[a.contact_id for a in actions if a.contact_id]
    )
    check_targets(
        session,
        org_id=org_id,
        user_ids=[a.user_id for a in actions if a.user_id],
        schedule_ids=[a.schedule_id for a in actions if a.schedule_id],
        project_ids=[a.project_id for a in actions if a.project_id],
    )
    policies = {
        r.action.escalation_id
        for r in parsed
        if r.action.type == ActionType.CALL_ESCALATION and r.action.escalation_id
    }
    if policies:
        found = set(
            session.scalars(
                select(EscalationPolicy.id).where(
                    EscalationPolicy.org_id == org_id, EscalationPolicy.id.in_(policies)
                )
            )
        )
        missing = sorted(policies - found)
        if missing:
            raise NotFound(
                f"escalation policy not found: {missing[0]}", code="escalation_not_found"
            )
    return [rule.model_dump(mode="json", exclude_none=True) for rule in parsed]


def validated_steps(
    session: Session, *, org_id: str, steps: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    try:
        parsed = parse_steps(list(steps))
        check_steps(parsed)
    except (ValidationError, ValueError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise InvalidInput(f"steps: {message}", code="invalid_steps") from exc
    calls = [step for step in parsed if isinstance(step, CallStep)]
    check_contacts(
        session, org_id=org_id, contact_ids=[c for step in calls for c in step.contact_ids]
    )
    check_targets(
        session,
        org_id=org_id,
        user_ids=[u for step in calls for u in step.user_ids],
        schedule_ids=[s for step in calls for s in step.schedule_ids],
        project_ids=[p for step in calls for p in step.project_ids],
    )
    return dump_steps(parsed)
