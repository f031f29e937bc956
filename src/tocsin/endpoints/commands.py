"""Creating, changing and deleting endpoints and escalation policies: the one way the API, the
dashboard and the shell all use. Each command checks, changes and audits inside the caller's
transaction and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tocsin.accounts.models import ApiKey
from tocsin.audit import log as audit
from tocsin.audit.actions import AuditAction
from tocsin.billing.limits import Resource, check_room
from tocsin.billing.standing import BillingConfig
from tocsin.contacts.checks import require_callable
from tocsin.contacts.queries import get_contact
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict, InvalidInput
from tocsin.core.ids import new_id
from tocsin.core.names import clean_name
from tocsin.endpoints.checks import (
    checked_routing,
    checked_template,
    validated_rules,
    validated_steps,
)
from tocsin.endpoints.models import Endpoint, EndpointContact, EscalationPolicy, RoutingMode
from tocsin.endpoints.queries import get_endpoint, get_policy
from tocsin.oncall.projects import require_project_editor
from tocsin.providers.caller_ids import choosable
from tocsin.restrictions.blocks import require_writable
from tocsin.routing.rules import ActionType, parse_rules

# Endpoints --------------------------------------------------------------------------------------


def create_endpoint(
    session: Session,
    *,
    org_id: str,
    name: str,
    actor: Actor,
    now: datetime,
    billing: BillingConfig,
    require_key: bool = True,
    routing: str = RoutingMode.PRIMARY.value,
    contact_ids: Sequence[str] = (),
    rules: Sequence[dict[str, Any]] = (),
    template: str | None = None,
    caller_id_id: str | None = None,
) -> Endpoint:
    """A new endpoint within the plan's limit, calling only contacts whose owners consented;
    `caller_id_id` is a proven caller ID its calls present (providers.caller_ids)."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    check_room(session, org_id=org_id, resource=Resource.ENDPOINTS, billing=billing, now=now)
    endpoint = Endpoint(
        id=new_id("ep"),
        org_id=org_id,
        name=clean_name(name),
        require_key=require_key,
        routing=checked_routing(routing),
        rules=validated_rules(session, org_id=org_id, rules=rules),
        template=checked_template(template),
        caller_id_id=(
            choosable(session, org_id=org_id, caller_id_id=caller_id_id).id
            if caller_id_id
            else None
        ),
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    if contact_ids:
        _set_contacts(session, endpoint=endpoint, contact_ids=contact_ids)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ENDPOINT_CREATED,
        at=now,
        org_id=org_id,
        target_type="endpoint",
        target_id=endpoint.id,
    )
    return endpoint


def update_endpoint(
    session: Session,
    *,
    org_id: str,
    endpoint_id: str,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    require_key: bool | None = None,
    routing: str | None = None,
    contact_ids: Sequence[str] | None = None,
    rules: Sequence[dict[str, Any]] | None = None,
    template: str | None = None,
    caller_id_id: str | None = None,
) -> Endpoint:
    """None leaves a field as it is; an empty `template` goes back to the default, an empty
    `caller_id_id` to each provider account's own caller ID."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    endpoint = get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    _require_editor(session, org_id, endpoint.project_id, actor)
    if caller_id_id is not None:
        endpoint.caller_id_id = (
            choosable(session, org_id=org_id, caller_id_id=caller_id_id).id
            if caller_id_id
            else None
        )
    if rules is not None:
        endpoint.rules = validated_rules(session, org_id=org_id, rules=rules)
    if template is not None:
        endpoint.template = checked_template(template)
    if name is not None:
        endpoint.name = clean_name(name)
    if require_key is not None:
        endpoint.require_key = require_key
    if routing is not None:
        endpoint.routing = checked_routing(routing)
    if contact_ids is not None:
        _set_contacts(session, endpoint=endpoint, contact_ids=contact_ids)
    endpoint.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ENDPOINT_UPDATED,
        at=now,
        org_id=org_id,
        target_type="endpoint",
        target_id=endpoint_id,
    )
    return endpoint


def delete_endpoint(
    session: Session, *, org_id: str, endpoint_id: str, actor: Actor, now: datetime
) -> None:
    require_writable(session, org_id=org_id, actor=actor, now=now)
    endpoint = get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    _require_editor(session, org_id, endpoint.project_id, actor)
    session.delete(endpoint)
    # Keys bound to the endpoint can do nothing any more; revoking them says so in the key list.
    session.execute(
        update(ApiKey)
        .where(ApiKey.endpoint_id == endpoint_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ENDPOINT_DELETED,
        at=now,
        org_id=org_id,
        target_type="endpoint",
        target_id=endpoint_id,
    )


def _set_contacts(session: Session, *, endpoint: Endpoint, contact_ids: Sequence[str]) -> None:
    if len(set(contact_ids)) != len(contact_ids):
        raise InvalidInput("a contact is listed twice", code="duplicate_contact")
    for contact_id in contact_ids:
        # Also the tenant check: a contact of another organization is simply not found.
        get_contact(session, org_id=endpoint.org_id, contact_id=contact_id)
    require_callable(session, org_id=endpoint.org_id, contact_ids=contact_ids)
    session.execute(delete(EndpointContact).where(EndpointContact.endpoint_id == endpoint.id))
    session.add_all(
        EndpointContact(endpoint_id=endpoint.id, contact_id=contact_id, position=position)
        for position, contact_id in enumerate(contact_ids)
    )
    session.flush()


# Escalation policies ----------------------------------------------------------------------------


def create_policy(
    session: Session,
    *,
    org_id: str,
    name: str,
    steps: Sequence[dict[str, Any]],
    actor: Actor,
    now: datetime,
) -> EscalationPolicy:
    """A new policy whose call steps name only contacts whose owners consented."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    policy = EscalationPolicy(
        id=new_id("esp"),
        org_id=org_id,
        name=clean_name(name),
        steps=validated_steps(session, org_id=org_id, steps=steps),
        created_at=now,
        updated_at=now,
    )
    session.add(policy)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ESCALATION_CREATED,
        at=now,
        org_id=org_id,
        target_type="escalation_policy",
        target_id=policy.id,
    )
    return policy


def update_policy(
    session: Session,
    *,
    org_id: str,
    policy_id: str,
    actor: Actor,
    now: datetime,
    name: str | None = None,
    steps: Sequence[dict[str, Any]] | None = None,
) -> EscalationPolicy:
    """Alerts already escalating keep the steps they started with."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    policy = get_policy(session, org_id=org_id, policy_id=policy_id)
    _require_editor(session, org_id, policy.project_id, actor)
    if name is not None:
        policy.name = clean_name(name)
    if steps is not None:
        policy.steps = validated_steps(session, org_id=org_id, steps=steps)
    policy.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ESCALATION_UPDATED,
        at=now,
        org_id=org_id,
        target_type="escalation_policy",
        target_id=policy_id,
    )
    return policy


def delete_policy(
    session: Session, *, org_id: str, policy_id: str, actor: Actor, now: datetime
) -> None:
    """Refused while an endpoint's rules still call the policy."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    policy = get_policy(session, org_id=org_id, policy_id=policy_id)
    _require_editor(session, org_id, policy.project_id, actor)
    users = _endpoints_calling(session, policy)
    if users:
        raise Conflict(
            f"escalation policy is used by the rules of endpoint {users[0]}; change them first",
            code="escalation_in_use",
        )
    session.delete(policy)
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ESCALATION_DELETED,
        at=now,
        org_id=org_id,
        target_type="escalation_policy",
        target_id=policy_id,
    )


def _endpoints_calling(session: Session, policy: EscalationPolicy) -> list[str]:
    return [
        endpoint_id
        for endpoint_id, rules in session.execute(
            select(Endpoint.id, Endpoint.rules).where(Endpoint.org_id == policy.org_id)
        )
        if any(
            rule.action.type == ActionType.CALL_ESCALATION
            and rule.action.escalation_id == policy.id
            for rule in parse_rules(rules)
        )
    ]


# Projects ----------------------------------------------------------------------------------------


def move_endpoint(
    session: Session,
    *,
    org_id: str,
    endpoint_id: str,
    project_id: str | None,
    actor: Actor,
    now: datetime,
) -> Endpoint:
    """Put the endpoint in a project, or in none: whoever may change the project it leaves and
    the one it joins."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    endpoint = get_endpoint(session, org_id=org_id, endpoint_id=endpoint_id)
    before = endpoint.project_id
    _require_editor(session, org_id, before, actor)
    _require_editor(session, org_id, project_id, actor)
    endpoint.project_id = project_id
    endpoint.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ENDPOINT_PROJECT_CHANGED,
        at=now,
        org_id=org_id,
        target_type="endpoint",
        target_id=endpoint_id,
        details={"from": before, "to": project_id},
    )
    return endpoint


def move_policy(
    session: Session,
    *,
    org_id: str,
    policy_id: str,
    project_id: str | None,
    actor: Actor,
    now: datetime,
) -> EscalationPolicy:
    """`move_endpoint` for an escalation policy."""
    require_writable(session, org_id=org_id, actor=actor, now=now)
    policy = get_policy(session, org_id=org_id, policy_id=policy_id)
    before = policy.project_id
    _require_editor(session, org_id, before, actor)
    _require_editor(session, org_id, project_id, actor)
    policy.project_id = project_id
    policy.updated_at = now
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ESCALATION_PROJECT_CHANGED,
        at=now,
        org_id=org_id,
        target_type="escalation_policy",
        target_id=policy_id,
        details={"from": before, "to": project_id},
    )
    return policy


def _require_editor(session: Session, org_id: str, project_id: str | None, actor: Actor) -> None:
    """A thing in a project changes only by whoever may change the project (a restricted one
    keeps out admins who are not its editors)."""
    if project_id is not None:
        require_project_editor(session, org_id=org_id, project_id=project_id, actor=actor)
