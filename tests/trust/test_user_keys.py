"""A user's enforcement and the API keys they made (issue 16, review of the enforcement work).

Terminating a user revoked every key they ever made, in every organization, so an innocent
organization's Prometheus went silent (401) with nothing said to its owners; suspending a user
left their write keys writing. Now a terminated user's keys go where they could change things
and stay where they only page, with an audit event and a notice in the organization that had
them; and a suspended user's keys are refused every change, as their tokens are."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.rows import tenant_rows
from tocsin.accounts.models import Role
from tocsin.audit.models import AuditEvent, Notice
from tocsin.core.actors import Actor
from tocsin.organizations import api_keys
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust import enforcement

STAFF = Actor("user", "usr_staff")


def act(runtime: Runtime, kind: ActionKind, scope: ActionScope, target: str) -> str:
    with runtime.database.write() as session:
        action, _ = enforcement.take_action(
            session, kind=kind, scope=scope, target=target, reason="fraud", actor=STAFF,
            now=runtime.clock.now(), digest_key=runtime.billing_digest_key,
        )  # fmt: skip
        action_id: str = action.id
        return action_id


def key_by(runtime: Runtime, org_id: str, user_id: str, *, name: str, scopes: list[str]) -> Any:
    """A key of the organization made by this member; (its id, its plaintext)."""
    with runtime.database.write() as session:
        made = api_keys.create_api_key(
            session, org_id=org_id, name=name, scopes=scopes, created_by=user_id,
            actor=Actor("user", user_id), now=runtime.clock.now(),
            digest_key=runtime.api_key_digest_key,
        )  # fmt: skip
        return made.key.id, made.plaintext


def hook(client: TestClient, endpoint_id: str, key: str) -> Any:
    return client.post(
        f"/v1/hooks/{endpoint_id}", json={"title": "disk full"}, headers={"X-Alert-Key": key}
    )


def revocations(runtime: Runtime, org_id: str) -> set[str | None]:
    with runtime.database.read() as session:
        return {
            event.target_id
            for event in session.scalars(
                select(AuditEvent).where(
                    AuditEvent.org_id == org_id, AuditEvent.action == "api_key.revoked"
                )
            )
        }


def notices(runtime: Runtime, org_id: str) -> list[Notice]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(Notice).where(Notice.org_id == org_id, Notice.kind == "member_keys_revoked")
            )
        )


def test_a_terminated_admin_leaves_an_innocent_organization_its_ingest_key(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, review finding 1 (HIGH): terminating a user revoked the ingest key they had
    made for an innocent organization B, which then got 401 `invalid_key` for every alert with
    nothing in its audit log and no notice. The ingest-only key keeps paging B; the admin's
    write key is revoked; B's log says so and its owners are told once, naming both."""
    innocent = tenant_rows(runtime)
    admin = seeded.member(runtime, innocent.org_id, role=Role.ADMIN)
    ingest_id, ingest = key_by(
        runtime, innocent.org_id, admin.user_id, name="prometheus", scopes=["ingest"]
    )
    write_id, write = key_by(
        runtime, innocent.org_id, admin.user_id, name="terraform", scopes=["read", "write"]
    )
    assert hook(client, innocent.endpoint_id, ingest).status_code == 202

    act(runtime, ActionKind.TERMINATION, ActionScope.USER, admin.user_id)

    assert hook(client, innocent.endpoint_id, ingest).status_code == 202
    listed = client.get(
        f"/v1/orgs/{innocent.org_id}/contacts", headers={"Authorization": f"Bearer {write}"}
    )
    assert (listed.status_code, listed.json()["error"]["code"]) == (401, "invalid_key")
    assert revocations(runtime, innocent.org_id) == {write_id}
    [notice] = notices(runtime, innocent.org_id)
    assert notice.details is not None
    assert notice.details["revoked_key_ids"] == [write_id]
    assert notice.details["kept_key_ids"] == [ingest_id]
    assert "'terraform'" in notice.message
    assert "'prometheus'" in notice.message
    assert "Rotate them" in notice.message


def test_a_terminated_users_own_organization_loses_all_their_keys_on_the_record(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, review finding 1: in an organization the terminated user owns alone, every
    key they made goes, as before, and now each revocation is in that organization's log."""
    own = tenant_rows(runtime)
    act(runtime, ActionKind.TERMINATION, ActionScope.USER, own.user_id)
    refused = hook(client, own.endpoint_id, own.ingest_key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_key")
    assert len(revocations(runtime, own.org_id)) == 1
    assert notices(runtime, own.org_id) == []


def test_a_terminated_users_keys_in_a_terminated_organization_all_go(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, review finding 1: an organization that is itself terminated keeps nothing."""
    org = tenant_rows(runtime)
    admin = seeded.member(runtime, org.org_id, role=Role.ADMIN)
    key_by(runtime, org.org_id, admin.user_id, name="prom", scopes=["ingest"])
    act(runtime, ActionKind.TERMINATION, ActionScope.ORGANIZATION, org.org_id)
    act(runtime, ActionKind.TERMINATION, ActionScope.USER, admin.user_id)
    with runtime.database.read() as session:
        # The user's termination, by its target: rows without ORDER BY come in any order.
        [user_termination] = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "enforcement.termination",
                AuditEvent.target_id == admin.user_id,
            )
        ).all()
    assert user_termination.details["keys_revoked"] == 0  # the organization's termination took it
    assert notices(runtime, org.org_id) == []


def test_a_user_suspension_stops_their_write_key_but_not_their_pages(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, review finding 2 (MEDIUM): an owner suspended at user scope got 403
    `user_suspended` on their bearer token but 201 on `POST /contacts` through their write key.
    Every change through the key is refused now; alerts through it still page the organization,
    until the organization itself is suspended."""
    tenant = tenant_rows(runtime)
    _, write = key_by(
        runtime, tenant.org_id, tenant.user_id, name="ci", scopes=["ingest", "read", "write"]
    )
    act(runtime, ActionKind.SUSPENSION, ActionScope.USER, tenant.user_id)

    by_token = client.get(f"/v1/orgs/{tenant.org_id}/contacts", headers=tenant.auth)
    assert (by_token.status_code, by_token.json()["error"]["code"]) == (403, "user_suspended")
    added = client.post(
        f"/v1/orgs/{tenant.org_id}/contacts",
        json={"name": "Mallory", "phone": "+447400123999"},
        headers={"Authorization": f"Bearer {write}"},
    )
    assert (added.status_code, added.json()["error"]["code"]) == (403, "user_suspended")
    assert hook(client, tenant.endpoint_id, write).status_code == 202
    assert hook(client, tenant.endpoint_id, tenant.ingest_key).status_code == 202

    act(runtime, ActionKind.SUSPENSION, ActionScope.ORGANIZATION, tenant.org_id)
    refused = hook(client, tenant.endpoint_id, write)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "org_suspended")
