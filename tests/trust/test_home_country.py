"""Issue 16, finding 7: the home country was self-declared and accepted IR, KP, RU, SY, CU, and
changing it bypassed international-off-by-default (a free organization reached Nigeria).

Now a sanctioned home country (the screen's own list, TOCSIN_SANCTIONED_REGIONS) is refused at
sign-up, at creation and on change; members move it at most once in 30 days, each move is
audited, and every contact is screened again under the new policy: numbers out of bounds are
blocked with the reason, and their pending calls stop, on the alert's timeline and told to the
owners."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.delivery.pager import Pager
from tests.factories import PASSWORD, ok
from tocsin.audit.models import AuditEvent, Notice
from tocsin.cli.common import CLI_ACTOR
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.core.clock import ManualClock
from tocsin.core.errors import Conflict, Forbidden
from tocsin.organizations import commands
from tocsin.policy.numbers import NumberBlocked
from tocsin.runtime import Runtime

DAY = 24 * 3600


def move_home(runtime: Runtime, org_id: str, region: str, actor: Actor) -> Any:
    with runtime.database.write() as session:
        return commands.change_calling_policy(
            session, runtime, org_id=org_id, home_region=region, international_enabled=None,
            allowed_regions=None, voice=None, actor=actor, now=runtime.clock.now(),
        )  # fmt: skip


def actions(runtime: Runtime, org_id: str, prefix: str) -> list[AuditEvent]:
    with runtime.database.read() as session:
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.org_id == org_id, AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.id)
            )
        )
        session.expunge_all()
        return events


@pytest.mark.parametrize("region", ["IR", "KP", "RU", "CU"])
def test_a_sanctioned_home_country_is_refused_everywhere(
    runtime: Runtime, client: TestClient, region: str
) -> None:
    """Issue 16, finding 7: home country accepted IR, KP, RU, CU."""
    assert region in runtime.settings.sanctioned_region_set()
    signup = client.post(
        "/v1/auth/signup",
        json={"email": f"x-{region}@example.com", "password": PASSWORD, "country": region},
    )
    assert (signup.status_code, signup.json()["error"]["code"]) == (403, "sanctioned_region")
    owner = seeded.person(runtime)
    owner_actor = Actor("user", owner.user_id)
    with pytest.raises(Forbidden) as created, runtime.database.write() as session:
        commands.create_organization(
            session, runtime, name="Elsewhere", owner_id=owner.user_id, country=region,
            actor=owner_actor, now=runtime.clock.now(),
        )  # fmt: skip
    assert created.value.code == "sanctioned_region"
    # Not even the operator's shell can base an organization there.
    with pytest.raises(Forbidden):
        move_home(runtime, owner.org_id, region, CLI_ACTOR)


def test_members_move_the_home_country_once_in_30_days_and_each_move_is_audited(
    runtime: Runtime, clock: ManualClock
) -> None:
    owner = seeded.person(runtime)
    member = Actor("user", owner.user_id)
    # Declared at sign-up: that counts as a move.
    with pytest.raises(Conflict) as too_soon:
        move_home(runtime, owner.org_id, "FR", member)
    assert too_soon.value.code == "home_country_change_too_soon"
    clock.advance(30 * DAY)
    move_home(runtime, owner.org_id, "FR", member)
    clock.advance(DAY)
    with pytest.raises(Conflict):
        move_home(runtime, owner.org_id, "DE", member)
    # The operator may, at any time.
    move_home(runtime, owner.org_id, "DE", CLI_ACTOR)
    moves = actions(runtime, owner.org_id, "org.home_country_changed")
    assert [(event.details["from"], event.details["to"]) for event in moves] == [
        ("GB", "FR"),
        ("FR", "DE"),
    ]
    assert [event.actor_type for event in moves] == ["user", "cli"]


def test_the_api_refuses_a_second_move_with_a_structured_409(
    runtime: Runtime, client: TestClient
) -> None:
    owner = seeded.person(runtime)
    refused = client.patch(
        f"/v1/orgs/{owner.org_id}/calling-policy", json={"home_region": "NG"}, headers=owner.auth
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        409,
        "home_country_change_too_soon",
    )


def test_a_move_blocks_the_contacts_now_out_of_bounds_and_stops_their_calls(
    pager: Pager, runtime: Runtime
) -> None:
    """Issue 16, finding 7: changing the home country bypassed international-off-by-default.
    Moving from GB to NG makes every British number international, which is off."""
    ana = pager.contact("Ana", behaviour="no_answer")
    alert = pager.fire(pager.endpoint(ana))
    pager.run()
    assert [job["status"] for job in pager.alert(alert)["jobs"]] == ["pending"]

    move_home(runtime, pager.org_id, "NG", CLI_ACTOR)

    with runtime.database.read() as session:
        contact = session.get(Contact, ana)
        assert contact is not None
        assert contact.blocked_reason is not None
        assert "international" in contact.blocked_reason
    detail = pager.alert(alert)
    assert [(job["status"], job["outcome"]) for job in detail["jobs"]] == [("cancelled", "blocked")]
    assert "contact.blocked" in pager.actions(alert)
    with runtime.database.read() as session:
        notice = session.scalar(select(Notice).where(Notice.kind == "contacts_blocked"))
        assert notice is not None
        assert notice.details["contact_ids"] == [ana]
    pager.later(minutes=5)
    assert len(pager.calls()) == 1
    # The contact shows why, and configuration may not call it.
    shown = ok(pager.client.get(f"{pager.org}/contacts/{ana}", headers=pager.auth))
    assert "international" in shown["blocked_reason"]
    refused = pager.client.post(
        f"{pager.org}/endpoints", json={"name": "x", "contact_ids": [ana]}, headers=pager.auth
    )
    assert refused.json()["error"]["code"] == "contact_blocked"

    # Back home: allowed again.
    move_home(runtime, pager.org_id, "GB", CLI_ACTOR)
    with runtime.database.read() as session:
        contact = session.get(Contact, ana)
        assert contact is not None
        assert contact.blocked_reason is None
    assert [e.action for e in actions(runtime, pager.org_id, "contact.")][-2:] == [
        "contact.blocked",
        "contact.unblocked",
    ]


def test_after_a_move_numbers_of_the_old_home_are_refused_like_any_foreign_number(
    runtime: Runtime,
) -> None:
    owner = seeded.person(runtime)
    move_home(runtime, owner.org_id, "NG", CLI_ACTOR)
    with pytest.raises(NumberBlocked):
        seeded.contact(runtime, owner.org_id, phone="+447400123456", verified=False)
