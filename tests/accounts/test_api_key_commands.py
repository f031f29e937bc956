"""API keys as their one command makes them, whichever of the API, the dashboard or the shell
asks: the same audit details every time, and a rotation that names the key it replaced."""

from __future__ import annotations

from typing import Any

import pytest

from tests import seeded
from tocsin.audit import trail
from tocsin.audit.actions import AuditAction
from tocsin.core.actors import Actor
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.organizations import api_keys
from tocsin.runtime import Runtime


def _audited(runtime: Runtime, org_id: str, action: AuditAction) -> list[tuple[Any, ...]]:
    """(target, details) of each event of `action`, oldest first."""
    with runtime.database.read() as session:
        page = trail.search(session, org_id=org_id, action=action, limit=50)
        return [(event.target_id, event.details) for event in reversed(page.items)]


def _endpoint_of_new_org(runtime: Runtime) -> tuple[str, str, Actor]:
    owner = seeded.person(runtime)
    contact_id = seeded.contact(runtime, owner.org_id, phone="+447400123456")
    endpoint_id = seeded.endpoint(runtime, owner.org_id, contact_id)
    return owner.org_id, endpoint_id, Actor("user", owner.user_id)


def _new_key(runtime: Runtime, org_id: str, actor: Actor, **bound: str) -> api_keys.NewKey:
    with runtime.database.write() as session:
        return api_keys.create_api_key(
            session,
            org_id=org_id,
            name="alertmanager",
            scopes=["ingest"],
            created_by=actor.id,
            actor=actor,
            now=runtime.clock.now(),
            digest_key=runtime.api_key_digest_key,
            **bound,
        )


def _rotate(runtime: Runtime, org_id: str, endpoint_id: str, key_id: str, actor: Actor) -> str:
    with runtime.database.write() as session:
        rotated = api_keys.rotate_api_key(
            session,
            org_id=org_id,
            endpoint_id=endpoint_id,
            key_id=key_id,
            created_by=actor.id,
            actor=actor,
            now=runtime.clock.now(),
            digest_key=runtime.api_key_digest_key,
        )
        return rotated.key.id


def test_every_new_key_is_audited_with_its_scopes_and_endpoint(runtime: Runtime) -> None:
    org_id, endpoint_id, owner = _endpoint_of_new_org(runtime)
    bound = _new_key(runtime, org_id, owner, endpoint_id=endpoint_id).key.id
    unbound = _new_key(runtime, org_id, owner).key.id
    assert _audited(runtime, org_id, AuditAction.API_KEY_CREATED) == [
        (bound, {"scopes": ["ingest"], "endpoint_id": endpoint_id}),
        (unbound, {"scopes": ["ingest"], "endpoint_id": None}),
    ]


def test_a_rotated_key_is_revoked_and_its_successor_names_it(runtime: Runtime) -> None:
    org_id, endpoint_id, owner = _endpoint_of_new_org(runtime)
    old = _new_key(runtime, org_id, owner, endpoint_id=endpoint_id).key.id
    new = _rotate(runtime, org_id, endpoint_id, old, owner)
    created = _audited(runtime, org_id, AuditAction.API_KEY_CREATED)
    assert created[-1] == (
        new,
        {"scopes": ["ingest"], "endpoint_id": endpoint_id, "rotated_from": old},
    )
    assert _audited(runtime, org_id, AuditAction.API_KEY_REVOKED) == [(old, None)]
    with pytest.raises(InvalidInput, match="already revoked"):
        _rotate(runtime, org_id, endpoint_id, old, owner)


def test_a_key_is_revoked_through_its_own_endpoint_only(runtime: Runtime) -> None:
    org_id, endpoint_id, owner = _endpoint_of_new_org(runtime)
    unbound = _new_key(runtime, org_id, owner).key.id
    with runtime.database.write() as session, pytest.raises(NotFound):
        api_keys.revoke_api_key(
            session,
            org_id=org_id,
            key_id=unbound,
            actor=owner,
            now=runtime.clock.now(),
            endpoint_id=endpoint_id,
        )
    assert _audited(runtime, org_id, AuditAction.API_KEY_REVOKED) == []
