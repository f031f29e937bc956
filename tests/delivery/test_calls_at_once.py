"""How many calls one worker holds at once, at its defaults. A SIP call holds its worker's place
until it ends; at the old default of 8 places, the ninth of ten people paged at the same moment
was dialled only once an earlier call had ended, a minute or more later (issue 21)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.test_drain import LongCall, fire
from tests.delivery.test_reconcile import attempts_of, simulator
from tocsin.core.clock import ManualClock
from tocsin.engine.worker import Worker
from tocsin.runtime import Runtime

PAGED_AT_ONCE = 10


def test_a_worker_at_its_defaults_dials_everyone_paged_at_once_while_the_first_calls_talk(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    phones = [f"+4474001234{index:02d}" for index in range(PAGED_AT_ONCE)]
    alert_ids = [fire(client, seeded.tenant(runtime, phone=phone)) for phone in phones]
    # Answered at once, going on until `end` is set, as calls over a SIP trunk do.
    end = asyncio.Event()
    calls = LongCall(simulator(data_dir, clock), ends=end)
    # The worker `tocsin serve` and `tocsin worker` build, at the default settings.
    delivery = Worker(
        runtime.database,
        calls,  # type: ignore[arg-type]
        clock=clock,
        settings=runtime.worker_settings(),
    )

    async def scenario() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(delivery.run(stop))
        # Every call is under way before any has ended: no one waits for a free place.
        while calls.under_way < PAGED_AT_ONCE:
            await asyncio.wait_for(calls.talking.wait(), timeout=30)
            calls.talking.clear()
        end.set()
        stop.set()
        await asyncio.wait_for(running, timeout=30)

    asyncio.run(scenario())
    for alert_id in alert_ids:
        alert, [attempt] = attempts_of(runtime, alert_id)
        assert (attempt.status, alert.status) == ("answered", "acknowledged")
