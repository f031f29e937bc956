"""The audit log keeps each organization's events as long as its plan in force says."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests import seeded
from tests.billing.helpers import tiny_billing
from tocsin.accounts.models import Organization
from tocsin.audit import log as audit
from tocsin.audit.log import SYSTEM
from tocsin.audit.models import AuditEvent
from tocsin.core.clock import ManualClock
from tocsin.runtime import Runtime
from tocsin.trust.retention import purge_audit_log


def test_each_organization_keeps_its_plans_retention(runtime: Runtime, clock: ManualClock) -> None:
    runtime.billing = tiny_billing()  # tiny keeps 7 days, team 90
    small = seeded.person(runtime, org_name="Small").org_id
    paying = seeded.person(runtime, org_name="Paying").org_id
    with runtime.database.write() as session:
        org = session.get(Organization, paying)
        assert org is not None
        org.plan = "team"
        for days_ago in (100, 30, 6):
            for org_id in (small, paying, None):
                audit.record(
                    session,
                    actor=SYSTEM,
                    action=f"test.{days_ago}",
                    at=clock.now() - timedelta(days=days_ago),
                    org_id=org_id,
                )

    with runtime.database.write() as session:
        removed = purge_audit_log(
            session, billing=runtime.billing, evidence_days=730, now=clock.now()
        )
    with runtime.database.read() as session:
        kept = {
            (row.org_id, row.action)
            for row in session.execute(
                select(AuditEvent.org_id, AuditEvent.action).where(AuditEvent.action.like("test.%"))
            )
        }
    assert removed == 3
    assert kept == {
        (small, "test.6"),
        (paying, "test.30"),
        (paying, "test.6"),
        # Platform events are not any organization's to purge.
        (None, "test.100"),
        (None, "test.30"),
        (None, "test.6"),
    }

    # When the paid plan ends, the default plan's 7 days apply from then on.
    with runtime.database.write() as session:
        org = session.get(Organization, paying)
        assert org is not None
        org.plan_ends_at = clock.now()
        removed = purge_audit_log(
            session, billing=runtime.billing, evidence_days=730, now=clock.now()
        )
    assert removed == 1
