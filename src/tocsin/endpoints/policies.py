"""Escalation policies of an organization: create, read, change, delete.

A policy's call steps may only name the organization's own contacts; that check is also the
tenant check, since another organization's contact is simply not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.contacts.models import Contact
from tocsin.core.errors import Conflict, InvalidInput, NotFound
from tocsin.core.ids import new_id
from tocsin.core.pagination import Page, paginate
from tocsin.endpoints.models import Endpoint, EscalationPolicy
from tocsin.numbers import consent
from tocsin.routing.rules import ActionType, parse_rules
from tocsin.routing.steps import CallStep, check_steps, dump_steps, parse_steps


def _clean_name(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > 200:
        raise InvalidInput("name must be 1 to 200 characters", code="invalid_name")
    return cleaned


def check_contacts(session: Session, *, org_id: str, contact_ids: Sequence[str]) -> None:
    """NotFound unless every id is a contact of this organization, and a conflict unless each
    can be called (its owner verified the number)."""
    wanted = set(contact_ids)
    if not wanted:
        return
    found = set(
        session.scalars(select(Contact.id).where(Contact.org_id == org_id, Contact.id.in_(wanted)))
    )
    missing = sorted(wanted - found)
    if missing:
        raise NotFound(f"contact not found: {missing[0]}", code="contact_not_found")
    consent.require_callable(session, org_id=org_id, contact_ids=sorted(wanted))


def _validated_steps(
    session: Session, *, org_id: str, steps: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    try:
        parsed = parse_steps(list(steps))
        check_steps(parsed)
    except (ValidationError, ValueError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise InvalidInput(f"steps: {message}", code="invalid_steps") from exc
    contact_ids = [c for step in parsed if isinstance(step, CallStep) for c in step.contact_ids]
    check_contacts(session, org_id=org_id, contact_ids=contact_ids)
    return dump_steps(parsed)


def create_policy(
    session: Session, *, org_id: str, name: str, steps: Sequence[dict[str, Any]], now: datetime
) -> EscalationPolicy:
    policy = EscalationPolicy(
        id=new_id("esp"),
        org_id=org_id,
        name=_clean_name(name),
        steps=_validated_steps(session, org_id=org_id, steps=steps),
        created_at=now,
        updated_at=now,
    )
    session.add(policy)
    session.flush()
    return policy


def get_policy(session: Session, *, org_id: str, policy_id: str) -> EscalationPolicy:
    policy = session.scalar(
        select(EscalationPolicy).where(
            EscalationPolicy.id == policy_id, EscalationPolicy.org_id == org_id
        )
    )
    if policy is None:
        raise NotFound("escalation policy not found", code="escalation_not_found")
    return policy


def update_policy(
    session: Session,
    *,
    org_id: str,
    policy_id: str,
    now: datetime,
    name: str | None = None,
    steps: Sequence[dict[str, Any]] | None = None,
) -> EscalationPolicy:
    """Alerts already escalating keep the steps they started with."""
    policy = get_policy(session, org_id=org_id, policy_id=policy_id)
    if name is not None:
        policy.name = _clean_name(name)
    if steps is not None:
        policy.steps = _validated_steps(session, org_id=org_id, steps=steps)
    policy.updated_at = now
    return policy


def delete_policy(session: Session, *, org_id: str, policy_id: str) -> None:
    policy = get_policy(session, org_id=org_id, policy_id=policy_id)
    users = [
        endpoint_id
        for endpoint_id, rules in session.execute(
            select(Endpoint.id, Endpoint.rules).where(Endpoint.org_id == org_id)
        )
        if any(
            rule.action.type == ActionType.CALL_ESCALATION
            and rule.action.escalation_id == policy.id
            for rule in parse_rules(rules)
        )
    ]
    if users:
        raise Conflict(
            f"escalation policy is used by the rules of endpoint {users[0]}; change them first",
            code="escalation_in_use",
        )
    session.delete(policy)


def list_policies(
    session: Session, *, org_id: str, limit: int, cursor: str | None
) -> Page[EscalationPolicy]:
    query = select(EscalationPolicy).where(EscalationPolicy.org_id == org_id)
    return paginate(session, query, EscalationPolicy.id, limit=limit, cursor=cursor)
