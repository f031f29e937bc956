"""What a plan allows an organization to have: endpoints, contacts, members, calls abroad."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import seeded
from tests.billing.helpers import tiny_billing
from tests.delivery.pager import Pager
from tocsin.accounts.models import Organization
from tocsin.paging.models import CallAttempt
from tocsin.runtime import Runtime


@pytest.fixture(autouse=True)
def _tiny(runtime: Runtime) -> None:
    runtime.billing = tiny_billing()  # 2 endpoints, 3 contacts, 2 members, national only


def refused(response: object, resource: str, limit: int) -> None:
    assert getattr(response, "status_code", None) == 403
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "plan_limit"
    assert error["details"] == {"plan": "tiny", "resource": resource, "limit": limit}


def test_endpoints_and_contacts_stop_at_the_plans_limit(pager: Pager) -> None:
    contacts = [pager.contact(f"C{n}") for n in range(3)]
    refused(
        pager.client.post(
            f"{pager.org}/contacts",
            json={"name": "C4", "phone": "+447400123499"},
            headers=pager.auth,
        ),
        "contacts",
        3,
    )
    pager.endpoint(contacts[0])
    pager.endpoint(contacts[1])
    refused(
        pager.client.post(f"{pager.org}/endpoints", json={"name": "Third"}, headers=pager.auth),
        "endpoints",
        2,
    )


def test_members_stop_at_the_plans_limit(pager: Pager) -> None:
    # The owner and one member fill the Tiny plan's two places.
    seeded.member(pager.runtime, pager.org_id)
    refused(
        pager.client.post(f"{pager.org}/invites", json={"role": "member"}, headers=pager.user_auth),
        "members",
        2,
    )


def test_a_national_plan_keeps_calls_abroad_off(pager: Pager, runtime: Runtime) -> None:
    response = pager.client.patch(
        f"{pager.org}/calling-policy",
        json={"international_enabled": True, "allowed_regions": ["FR"]},
        headers=pager.user_auth,
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "plan_limit")

    # Set on a larger plan before (when the number was verified, too), the switch stays on;
    # the plan in force still decides.
    with runtime.database.write() as session:
        org = session.get(Organization, pager.org_id)
        assert org is not None
        org.international_enabled, org.allowed_regions = True, ["FR"]
        org.plan = "team"
    paris = pager.contact("Paris", phone="+33612345678")
    with runtime.database.write() as session:
        org = session.get(Organization, pager.org_id)
        assert org is not None
        org.plan = "tiny"
    endpoint = pager.endpoint(paris)
    pager.fire(endpoint)
    pager.run()
    assert pager.calls() == []
    with runtime.database.read() as session:
        [attempt] = session.scalars(select(CallAttempt)).all()
    assert (attempt.status, attempt.error_code) == ("blocked", "international_disabled")
