"""An endpoint's scenario checked before it is saved: rules that parse, and actions that name
only this organization's contacts and escalation policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.core.errors import InvalidInput, NotFound
from tocsin.endpoints.models import EscalationPolicy
from tocsin.endpoints.policies import check_contacts
from tocsin.routing.rules import MAX_RULES, RULES, ActionType


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
    contacts = [r.action.contact_id for r in parsed if r.action.type == ActionType.CALL_MEMBER]
    check_contacts(session, org_id=org_id, contact_ids=[c for c in contacts if c])
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
    return [rule.model_dump(exclude_none=True) for rule in parsed]
