"""Issue 16, finding 4: "termination" was a liftable suspension. The terminated owner opened a
new organization and got an alert call placed; a terminated user's API keys kept working.

Now a termination revokes keys, web sessions and refresh tokens, is lifted only by granting an
appeal, and marks who it was about, so that the same person or email (however spelled) gets no
new organization while it stands; each refusal is audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.factories import PASSWORD, ok
from tests.rows import browser_for, tenant_rows
from tocsin.accounts.models import User
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.billing.marks import MarkedByTermination
from tocsin.contacts.verify import issue_for_contact
from tocsin.core.actors import Actor
from tocsin.core.errors import Conflict
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import Channel, Requester
from tocsin.organizations.commands import CreationRefused
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust import appeals, enforcement

STAFF = Actor("user", "usr_staff")


def terminate(runtime: Runtime, scope: ActionScope, target: str) -> str:
    with runtime.database.write() as session:
        action, _ = enforcement.take_action(
            session, kind=ActionKind.TERMINATION, scope=scope, target=target, reason="fraud",
            actor=STAFF, now=runtime.clock.now(), digest_key=runtime.billing_digest_key,
        )  # fmt: skip
        action_id: str = action.id
        return action_id


def hook(client: TestClient, endpoint_id: str, key: str) -> Any:
    return client.post(
        f"/v1/hooks/{endpoint_id}", json={"title": "x"}, headers={"X-Alert-Key": key}
    )


def refusals(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.database.read() as session:
        return [
            event.details
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "org.creation_refused")
            )
        ]


def test_an_organizations_termination_revokes_its_keys_and_signs_every_member_out(
    runtime: Runtime, client: TestClient
) -> None:
    tenant = tenant_rows(runtime)
    member = seeded.member(runtime, tenant.org_id)
    browser = browser_for(client, runtime, member.user_id)
    assert browser.get(f"/o/{tenant.org_id}").status_code == 200
    assert hook(client, tenant.endpoint_id, tenant.ingest_key).status_code == 202

    terminate(runtime, ActionScope.ORGANIZATION, tenant.org_id)

    assert hook(client, tenant.endpoint_id, tenant.ingest_key).status_code == 401
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": member.refresh_token})
    assert refreshed.json()["error"]["code"] == "token_revoked"
    assert browser.get(f"/o/{tenant.org_id}", follow_redirects=False).status_code == 303
    with runtime.database.read() as session:
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "enforcement.termination",
                AuditEvent.target_type == "organization",
            )
        )
        assert event is not None
        assert event.details["keys_revoked"] == 1
        assert event.details["sessions_ended"] == 1
        assert event.details["refresh_tokens_revoked"] == 2


def test_a_terminated_users_api_keys_stop_working(runtime: Runtime, client: TestClient) -> None:
    """Issue 16, finding 4: a terminated user's API keys kept working."""
    tenant = tenant_rows(runtime)
    terminate(runtime, ActionScope.USER, tenant.user_id)
    refused = hook(client, tenant.endpoint_id, tenant.ingest_key)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_key")


def test_a_termination_is_lifted_only_by_granting_an_appeal(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, finding 4: termination was a liftable suspension."""
    owner = seeded.person(runtime)
    action_id = terminate(runtime, ActionScope.ORGANIZATION, owner.org_id)
    with pytest.raises(Conflict) as refused, runtime.database.write() as session:
        enforcement.lift(session, action_id=action_id, actor=STAFF, now=runtime.clock.now())
    assert refused.value.code == "termination_needs_appeal"
    staff = seeded.platform_admin(runtime)
    over_http = client.post(f"/v1/admin/enforcement/{action_id}/lift", headers=staff.auth)
    assert (over_http.status_code, over_http.json()["error"]["code"]) == (
        409,
        "termination_needs_appeal",
    )

    now = runtime.clock.now()
    with runtime.database.write() as session:
        case = appeals.file_appeal(
            session, org_id=owner.org_id, action_id=action_id, statement="we were hacked",
            actor=Actor("user", owner.user_id), now=now,
        )  # fmt: skip
        # A platform administrator other than the one who terminated decides.
        appeals.decide(
            session, case_id=case.id, decision=appeals.Decision.GRANT, note="credible",
            actor=Actor("user", staff.user_id), now=now,
        )  # fmt: skip
    # Lifted: the owner may open an organization again.
    seeded.organization(runtime, owner.user_id, name="After the appeal")


def test_the_terminated_owner_cannot_open_a_new_organization(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, finding 4: the terminated owner opened a new organization and got an alert
    call placed. The refusal is audited though the request fails."""
    owner = seeded.person(runtime)
    action_id = terminate(runtime, ActionScope.ORGANIZATION, owner.org_id)
    with pytest.raises(CreationRefused) as refused:
        seeded.organization(runtime, owner.user_id, name="Fresh start")
    assert refused.value.code == "terminated_identity"
    assert refused.value.details == {"matched": ["email", "owner"], "action_ids": [action_id]}

    response = client.post(
        "/v1/orgs", json={"name": "Fresh start"}, headers=seeded.signed_in(runtime, owner.user_id)
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        403,
        "terminated_identity",
    )
    [recorded] = refusals(runtime)
    assert recorded["code"] == "terminated_identity"
    assert recorded["action_ids"] == [action_id]


def test_the_terminated_email_however_spelled_gets_no_new_sign_up(
    runtime: Runtime, client: TestClient
) -> None:
    terminated = seeded.person(runtime, email="ana.bell@gmail.com")
    terminate(runtime, ActionScope.USER, terminated.user_id)
    response = client.post(
        "/v1/auth/signup", json={"email": "AnaBell+again@googlemail.com", "password": PASSWORD}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        403,
        "terminated_identity",
    )
    [recorded] = refusals(runtime)
    assert recorded["email"] == "anabell+again@googlemail.com"
    assert recorded["matched"] == ["email"]
    with runtime.database.read() as session:
        assert session.scalar(select(User.id).where(User.email.like("anabell%"))) is None
    # Someone else signs up as ever.
    ok(client.post("/v1/auth/signup", json={"email": "bob@example.org", "password": PASSWORD}), 202)


def test_a_number_a_termination_marked_gets_no_code_from_another_organization(
    runtime: Runtime,
) -> None:
    """Issue 16, finding 4: the terminated person came back with a new organization; their
    verified number is marked, so a code to it is refused (and the refusal kept), whoever asks."""
    phone = "+447400123999"
    terminated = seeded.person(runtime, org_name="Gone")
    seeded.contact(runtime, terminated.org_id, phone=phone)
    action_id = terminate(runtime, ActionScope.ORGANIZATION, terminated.org_id)

    comeback = seeded.person(runtime, org_name="Fresh start")
    contact_id = seeded.contact(runtime, comeback.org_id, phone=phone, verified=False)
    owner = Actor("user", comeback.user_id)
    with pytest.raises(MarkedByTermination) as refused, runtime.database.write() as session:
        issue_for_contact(
            session,
            runtime,
            org_id=comeback.org_id,
            contact_id=contact_id,
            channel=Channel.CALL,
            requester=Requester(owner),
            now=runtime.clock.now(),
        )
    assert refused.value.code == "terminated_identity"
    assert refused.value.details == {"matched": ["phone"], "action_ids": [action_id]}
    with runtime.database.read() as session:
        [event] = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.NUMBER_REFUSED.value,
                AuditEvent.org_id == comeback.org_id,
            )
        )
        assert event.details is not None
        assert event.details["reasons"] == ["terminated_identity"]
        codes = session.scalars(
            select(NumberVerification).where(NumberVerification.org_id == comeback.org_id)
        )
        assert list(codes) == []
