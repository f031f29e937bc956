"""The delivery log keeps a finished delivery 30 days, and a delivery still waiting however
old it is (it may yet be sent)."""

from __future__ import annotations

from datetime import timedelta

from tests.outgoing.rows import deliveries, finished_delivery, subscribe
from tests.rows import tenant_rows
from tocsin.cli.common import CLI_ACTOR
from tocsin.core.clock import ManualClock
from tocsin.outgoing import commands
from tocsin.outgoing.deliveries import LOG_KEPT, purge_log
from tocsin.runtime import Runtime


def test_finished_deliveries_older_than_thirty_days_are_removed_and_waiting_ones_kept(
    runtime: Runtime, clock: ManualClock
) -> None:
    tenant = tenant_rows(runtime)
    webhook_id = subscribe(runtime, tenant.org_id).subscription.id
    old = finished_delivery(runtime, tenant.org_id, webhook_id)
    with runtime.database.write() as session:
        waiting = commands.send_test(
            session, org_id=tenant.org_id, webhook_id=webhook_id, actor=CLI_ACTOR, now=clock.now()
        ).id
    clock.advance((LOG_KEPT - timedelta(days=1)).total_seconds())
    recent = finished_delivery(runtime, tenant.org_id, webhook_id)
    with runtime.database.write() as session:
        assert purge_log(session, now=clock.now()) == 0
    clock.advance(timedelta(days=1, seconds=1).total_seconds())
    with runtime.database.write() as session:
        assert purge_log(session, now=clock.now()) == 1
    assert {d.id for d in deliveries(runtime)} == {waiting, recent}
    assert old not in {d.id for d in deliveries(runtime)}
