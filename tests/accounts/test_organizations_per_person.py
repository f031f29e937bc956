"""Issue 16, finding 6: organizations per person were unlimited, each with fresh quota, even
with sign-up closed.

Now a person owns at most as many organizations as their plans allow (hosted: billing/plans.py
`organizations`), or TOCSIN_MAX_ORGS_PER_USER (default 3) where plans say nothing; while
sign-up is closed nobody makes one beyond their first, except the operator (`tocsin org
create --owner`) and platform staff. Each refusal is audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tocsin.audit.models import AuditEvent
from tocsin.billing.commands import set_plan
from tocsin.billing.plans import PlanCatalog
from tocsin.billing.standing import BillingConfig
from tocsin.cli.common import CLI_ACTOR
from tocsin.core.actors import Actor
from tocsin.organizations import commands
from tocsin.organizations.commands import CreationRefused
from tocsin.runtime import Runtime


def another(runtime: Runtime, user_id: str, actor: Actor | None = None) -> str:
    with runtime.database.write() as session:
        org = commands.create_organization(
            session, runtime, name="Another", owner_id=user_id, country=None,
            actor=actor or Actor("user", user_id), now=runtime.clock.now(),
        )  # fmt: skip
        org_id: str = org.id
        return org_id


def refusal_codes(runtime: Runtime) -> list[str]:
    with runtime.database.read() as session:
        return [
            event.details["code"]
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "org.creation_refused")
            )
        ]


def test_a_self_hosted_person_owns_at_most_the_settings_number(runtime: Runtime) -> None:
    """Issue 16, finding 6: organizations per person were unlimited."""
    assert runtime.settings.max_orgs_per_user == 3
    owner = seeded.person(runtime)
    another(runtime, owner.user_id)
    another(runtime, owner.user_id)
    with pytest.raises(CreationRefused) as refused:
        another(runtime, owner.user_id)
    assert refused.value.code == "org_limit"
    assert refused.value.details == {"owned": 3, "limit": 3}
    # The operator decides for themselves.
    another(runtime, owner.user_id, CLI_ACTOR)


def test_on_a_hosted_service_the_plan_says_how_many(runtime: Runtime) -> None:
    runtime.billing = BillingConfig(PlanCatalog.load(), default_plan="free")
    owner = seeded.person(runtime)
    with pytest.raises(CreationRefused):
        another(runtime, owner.user_id)
    # A Team subscriber may own three.
    with runtime.database.write() as session:
        set_plan(
            session, org_id=owner.org_id, plan="team", ends_at=None, billing=runtime.billing,
            actor=CLI_ACTOR, now=runtime.clock.now(),
        )  # fmt: skip
    another(runtime, owner.user_id)
    another(runtime, owner.user_id)
    with pytest.raises(CreationRefused):
        another(runtime, owner.user_id)


def test_with_sign_up_closed_only_the_operator_and_staff_make_organizations(
    runtime: Runtime, client: TestClient
) -> None:
    """Issue 16, finding 6: even with sign-up closed, anyone made organizations at will."""
    owner = seeded.person(runtime)
    staff = seeded.platform_admin(runtime)
    runtime.settings = runtime.settings.model_copy(update={"allow_signup": False})
    refused = client.post("/v1/orgs", json={"name": "More"}, headers=owner.auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "org_creation_closed")
    assert refusal_codes(runtime) == ["org_creation_closed"]
    made = client.post("/v1/orgs", json={"name": "Staff's"}, headers=staff.auth)
    assert made.status_code == 201
    another(runtime, owner.user_id, CLI_ACTOR)
