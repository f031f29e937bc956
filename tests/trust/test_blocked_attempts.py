"""Issue 16, finding 10: "attempts to add emergency or premium numbers leave no trace although
the policy calls attempted bypass a violation" (aup.md section 3: "any attempt to get a blocked
number past the screen"). Each refused number is audited with its reasons, whichever door it
came through, and repeated attempts open a case."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests import seeded
from tests.delivery.pager import Pager
from tests.factories import ok
from tocsin.audit.actions import AuditAction
from tocsin.audit.models import AuditEvent
from tocsin.cli import app
from tocsin.contacts import commands as contacts
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.policy.numbers import NumberBlocked
from tocsin.runtime import Runtime
from tocsin.trust.anomalies import DEFAULT_THRESHOLDS, run_scan
from tocsin.trust.anomalies.blocked_numbers import NAME
from tocsin.trust.models import TrustCase

ADMIN = Actor("user", "usr_admin", "203.0.113.9")
PREMIUM = "+449098790000"
SHARED_COST = "+448712345678"


def refusals(runtime: Runtime, org_id: str) -> list[AuditEvent]:
    with runtime.database.read() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.org_id == org_id,
                    AuditEvent.action == AuditAction.NUMBER_REFUSED.value,
                )
                .order_by(AuditEvent.created_at, AuditEvent.id)
            )
        )


def try_to_add(pager: Pager, phone: str) -> NumberBlocked:
    runtime = pager.runtime
    with pytest.raises(NumberBlocked) as refused, runtime.database.write() as session:
        contacts.create_contact(
            session,
            org_id=pager.org_id,
            name="Sneaky",
            phone=phone,
            region="GB",
            actor=ADMIN,
            now=pager.clock.now(),
            billing=runtime.billing,
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
        )
    return refused.value


def test_a_refused_number_is_audited_with_its_reasons(pager: Pager) -> None:
    try_to_add(pager, "999")
    try_to_add(pager, PREMIUM)
    emergency, premium = refusals(pager.runtime, pager.org_id)
    assert emergency.details == {
        "typed": "999",
        "e164": None,
        "reasons": ["emergency"],
        "operation": "contact.create",
    }
    assert (emergency.actor_type, emergency.actor_id, emergency.ip_address) == (
        "user",
        "usr_admin",
        "203.0.113.9",
    )
    assert premium.details is not None
    assert premium.details["reasons"] == ["test_number", "premium_rate"]
    assert premium.target_type == "number"
    assert premium.target_id == PREMIUM
    # The refusal left nothing else behind.
    with pager.runtime.database.read() as session:
        names = session.scalars(select(Contact.name).where(Contact.org_id == pager.org_id))
        assert "Sneaky" not in list(names)


def test_changing_a_contact_to_a_blocked_number_is_audited_and_changes_nothing(
    pager: Pager,
) -> None:
    contact_id = pager.contact("Ana")
    runtime = pager.runtime
    with pytest.raises(NumberBlocked), runtime.database.write() as session:
        contacts.update_contact(
            session,
            org_id=pager.org_id,
            contact_id=contact_id,
            actor=ADMIN,
            now=pager.clock.now(),
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
            name="Renamed",
            phone=SHARED_COST,
        )
    [event] = refusals(runtime, pager.org_id)
    assert event.details is not None
    assert (event.details["operation"], event.details["reasons"]) == (
        "contact.update",
        ["shared_cost"],
    )
    with runtime.database.read() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert contact.name == "Ana"  # the refused change took nothing with it


def test_the_api_refuses_and_the_org_audit_trail_shows_it(client: TestClient, pager: Pager) -> None:
    refused = pager.client.post(
        f"{pager.org}/contacts", json={"name": "x", "phone": "112"}, headers=pager.auth
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "number_blocked"
    trail = ok(pager.client.get(f"{pager.org}/audit?action=number.refused", headers=pager.auth))
    [event] = trail["items"]
    assert event["details"]["reasons"] == ["emergency"]


def test_the_cli_refusal_is_audited_too(pager: Pager, cli: CliRunner) -> None:
    result = cli.invoke(app, ["contact", "add", "Desk", PREMIUM, "--org", pager.org_id])
    assert result.exit_code != 0
    assert "premium" in result.output.lower()
    [event] = refusals(pager.runtime, pager.org_id)
    assert event.actor_type == "cli"


def scan_cases(runtime: Runtime, now: datetime) -> list[TrustCase]:
    with runtime.database.write() as session:
        run_scan(session, now=now, thresholds=DEFAULT_THRESHOLDS, auto_suspend=False)
    with runtime.database.read() as session:
        return [
            case
            for case in session.scalars(select(TrustCase))
            if case.details.get("detector") == NAME
        ]


def test_repeated_attempts_to_add_blocked_numbers_open_a_case(pager: Pager) -> None:
    for number in ("999", PREMIUM):
        try_to_add(pager, number)
    assert scan_cases(pager.runtime, pager.clock.now()) == []  # two could be mistakes
    try_to_add(pager, SHARED_COST)
    [case] = scan_cases(pager.runtime, pager.clock.now())
    assert case.org_id == pager.org_id
    assert case.details["attempts"] == 3
    assert sorted(case.details["reasons"]) == [
        "emergency",
        "premium_rate",
        "shared_cost",
        "test_number",
    ]
    assert case.details["sample_numbers"] == sorted(["999", PREMIUM, SHARED_COST])
    # Scanning again refreshes the same case.
    try_to_add(pager, "112")
    [again] = scan_cases(pager.runtime, pager.clock.now())
    assert (again.id, again.details["attempts"]) == (case.id, 4)


def test_typos_and_numbers_abroad_are_not_attempted_bypass(pager: Pager) -> None:
    """A number refused as invalid, or as international while international calling is off, is
    an honest mistake or a setting: audited, but not counted towards a case."""
    for number in ("12", "+2348031234567", "+2348031234568", "+33612345678"):
        try_to_add(pager, number)
    assert len(refusals(pager.runtime, pager.org_id)) == 4
    assert scan_cases(pager.runtime, pager.clock.now()) == []


def test_other_organizations_attempts_are_counted_apart(pager: Pager, runtime: Runtime) -> None:
    other = seeded.tenant(runtime, phone="+447400123457")
    try_to_add(pager, "999")
    try_to_add(pager, PREMIUM)
    with pytest.raises(NumberBlocked), runtime.database.write() as session:
        contacts.create_contact(
            session,
            org_id=other.org_id,
            name="x",
            phone=SHARED_COST,
            region="GB",
            actor=ADMIN,
            now=pager.clock.now(),
            billing=runtime.billing,
            sanctioned_regions=runtime.settings.sanctioned_region_set(),
        )
    assert scan_cases(runtime, pager.clock.now()) == []
