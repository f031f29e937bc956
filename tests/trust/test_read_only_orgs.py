"""Issue 16, finding 4: a suspended or terminated organization's members kept full admin access
(contacts, keys, providers, endpoints, policies, invites). Now every command that changes an
organization's configuration refuses a member's change while it is suspended or terminated;
reads, appeals, billing and leaving stay open, and the operator's shell is not held to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import seeded
from tests.factories import ok
from tocsin.accounts.models import Role
from tocsin.billing.commands import start_trial
from tocsin.cli.common import CLI_ACTOR
from tocsin.contacts import commands as contacts
from tocsin.core.actors import Actor
from tocsin.core.errors import Forbidden
from tocsin.endpoints import commands as endpoints
from tocsin.organizations import api_keys, commands
from tocsin.providers import commands as providers
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust import appeals, enforcement

STAFF = Actor("user", "usr_staff")


def suspend(runtime: Runtime, org_id: str, kind: ActionKind = ActionKind.SUSPENSION) -> str:
    with runtime.database.write() as session:
        action, _ = enforcement.take_action(
            session,
            kind=kind,
            scope=ActionScope.ORGANIZATION,
            target=org_id,
            reason="robocalling complaints",
            actor=STAFF,
            now=runtime.clock.now(),
            digest_key=runtime.billing_digest_key,
        )
        action_id: str = action.id
        return action_id


class Org:
    """An organization with a verified contact, an endpoint, a policy and a key, whose owner
    then tries each change as a member."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        owner = seeded.person(runtime, org_name="Suspended Ltd")
        self.org_id, self.user_id = owner.org_id, owner.user_id
        self.owner = Actor("user", owner.user_id)
        self.contact_id = seeded.contact(runtime, self.org_id, phone="+447400123456")
        self.endpoint_id = seeded.endpoint(runtime, self.org_id, self.contact_id)
        self.policy_id = seeded.escalation(
            runtime, self.org_id, {"type": "call", "contact_ids": [self.contact_id]}
        )
        seeded.api_key(runtime, self.org_id)
        with runtime.database.read() as session:
            self.key_id = (
                api_keys.keys_page(session, org_id=self.org_id, limit=1, cursor=None).items[0].id
            )
        self.invite_code = seeded.invite(runtime, self.org_id)

    def attempt(self, change: Callable[[Session, Actor], Any], actor: Actor | None = None) -> Any:
        with self.runtime.database.write() as session:
            return change(session, actor or self.owner)


def changes(org: Org) -> dict[str, Callable[[Session, Actor], Any]]:
    runtime, now = org.runtime, org.runtime.clock.now()
    o = org.org_id
    common: dict[str, Any] = {"org_id": o, "now": now}
    provider: dict[str, Any] = {
        "factory": runtime.provider_factory,
        "box": runtime.credentials_box,
        "context": runtime.build_context,
    }
    sanctioned = runtime.settings.sanctioned_region_set()
    return {
        "rename": lambda s, a: commands.update_organization(
            s, name="Phish Bank", timezone=None, actor=a, **common
        ),
        "calling policy": lambda s, a: commands.change_calling_policy(
            s, runtime, home_region=None, international_enabled=None, allowed_regions=None,
            voice="en", actor=a, **common,
        ),
        "invite": lambda s, a: commands.create_invite(
            s, runtime, role=Role.MEMBER, email=None, created_by=org.user_id, actor=a, **common
        ),
        "role": lambda s, a: commands.change_member_role(
            s, user_id=org.user_id, role=Role.OWNER, actor=a, **common
        ),
        "create key": lambda s, a: api_keys.create_api_key(
            s, name="more", scopes=["ingest"], created_by=org.user_id, actor=a,
            digest_key=runtime.api_key_digest_key, **common,
        ),
        "revoke key": lambda s, a: api_keys.revoke_api_key(s, key_id=org.key_id, actor=a, **common),
        "add contact": lambda s, a: contacts.create_contact(
            s, name="Bank", phone="+447400999888", region=None, actor=a,
            billing=runtime.billing, sanctioned_regions=sanctioned, **common,
        ),
        "change contact": lambda s, a: contacts.update_contact(
            s, contact_id=org.contact_id, name="Renamed", actor=a, sanctioned_regions=sanctioned,
            **common,
        ),
        "delete contact": lambda s, a: contacts.delete_contact(
            s, contact_id=org.contact_id, actor=a, **common
        ),
        "add endpoint": lambda s, a: endpoints.create_endpoint(
            s, name="More", actor=a, billing=runtime.billing, **common
        ),
        "change endpoint": lambda s, a: endpoints.update_endpoint(
            s, endpoint_id=org.endpoint_id, name="Renamed", actor=a, **common
        ),
        "delete endpoint": lambda s, a: endpoints.delete_endpoint(
            s, endpoint_id=org.endpoint_id, actor=a, **common
        ),
        "add policy": lambda s, a: endpoints.create_policy(
            s, name="More", steps=[{"type": "call", "contact_ids": [org.contact_id]}], actor=a,
            **common,
        ),
        "change policy": lambda s, a: endpoints.update_policy(
            s, policy_id=org.policy_id, name="Renamed", actor=a, **common
        ),
        "delete policy": lambda s, a: endpoints.delete_policy(
            s, policy_id=org.policy_id, actor=a, **common
        ),
        "add provider": lambda s, a: providers.create_account(
            s, kind="twilio", name="Own", priority=1,
            settings={"from_number": "+15005550006"},
            credentials={"account_sid": "AC" + "0" * 32, "auth_token": "x" * 32},
            actor=a, **provider, **common,
        ),
    }  # fmt: skip


@pytest.mark.parametrize("kind", [ActionKind.SUSPENSION, ActionKind.TERMINATION])
def test_members_can_change_nothing_in_a_suspended_or_terminated_organization(
    runtime: Runtime, kind: ActionKind
) -> None:
    """Issue 16, finding 4: members of a suspended or terminated organization kept full admin
    access. Every change is refused with the same structured 403."""
    org = Org(runtime)
    suspend(runtime, org.org_id, kind)
    past = "suspended" if kind == ActionKind.SUSPENSION else "terminated"
    for name, change in changes(org).items():
        with pytest.raises(Forbidden) as refused:
            org.attempt(change)
        assert refused.value.code == f"organization_{past}", name
        assert "robocalling complaints" in refused.value.message
    # An API key is a member too.
    with pytest.raises(Forbidden):
        org.attempt(changes(org)["add contact"], Actor("api_key", org.key_id))


def test_an_invite_to_a_suspended_organization_cannot_be_accepted(runtime: Runtime) -> None:
    org = Org(runtime)
    suspend(runtime, org.org_id)
    with pytest.raises(Forbidden) as refused:
        seeded.person(runtime, invite_code=org.invite_code)
    assert refused.value.code == "organization_suspended"


def test_reads_appeals_billing_and_leaving_stay_open(runtime: Runtime) -> None:
    org = Org(runtime)
    member = seeded.member(runtime, org.org_id)
    action_id = suspend(runtime, org.org_id)
    now = runtime.clock.now()
    with runtime.database.write() as session:
        appeals.file_appeal(
            session, org_id=org.org_id, action_id=action_id, statement="a misunderstanding",
            actor=org.owner, now=now,
        )  # fmt: skip
        start_trial(
            session, org_id=org.org_id, billing=runtime.billing,
            digest_key=runtime.billing_digest_key, actor=org.owner, now=now,
        )  # fmt: skip
        commands.remove_member(
            session, org_id=org.org_id, user_id=member.user_id, removed_by=member.user_id,
            remover_role=Role.MEMBER, actor=Actor("user", member.user_id), now=now,
        )  # fmt: skip


def test_the_operators_shell_is_not_held_to_the_suspension(runtime: Runtime) -> None:
    org = Org(runtime)
    suspend(runtime, org.org_id)
    org.attempt(changes(org)["delete contact"], CLI_ACTOR)


def test_lifting_the_suspension_opens_the_organization_again(runtime: Runtime) -> None:
    org = Org(runtime)
    action_id = suspend(runtime, org.org_id)
    with runtime.database.write() as session:
        enforcement.lift(session, action_id=action_id, actor=STAFF, now=runtime.clock.now())
    org.attempt(changes(org)["rename"])


def test_the_api_refuses_a_suspended_organizations_change_with_a_structured_403(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, finding 4, over HTTP: a member adding a contact gets the error object."""
    org = Org(runtime)
    auth = seeded.signed_in(runtime, org.user_id)
    suspend(runtime, org.org_id)
    refused = client.post(
        f"/v1/orgs/{org.org_id}/contacts", json={"name": "x", "phone": "+447400111222"},
        headers=auth,
    )  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "organization_suspended"
    # Reads still work.
    ok(client.get(f"/v1/orgs/{org.org_id}/contacts", headers=auth))
