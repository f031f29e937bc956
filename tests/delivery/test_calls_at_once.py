"""How many calls one worker holds at once, at its defaults. A SIP call holds its worker's place
until it ends; at the old default of 8 places, the ninth of ten people paged at the same moment
was dialled only once an earlier call had ended, a minute or more later (issue 21)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.test_drain import fire
from tests.delivery.test_reconcile import attempts_of, simulator
from tocsin.core.clock import ManualClock
from tocsin.engine.worker import Worker
from tocsin.runtime import Runtime
from tocsin.telephony.base import CallEvent, CallEventKind, CallHandle, CallRequest, Capabilities
from tocsin.telephony.simulator import SimulatorProvider

PAGED_AT_ONCE = 10


class HeldCalls:
    """The simulator's calls, answered at once and going on until `end` is set, as calls over
    a SIP trunk do; `all_talking` is set once `expected` calls are under way together."""

    name = "simulator"
    capabilities = Capabilities(lookup_by_idempotency_key=True)

    def __init__(self, simulator: SimulatorProvider, expected: int) -> None:
        self.simulator, self.expected = simulator, expected
        self.talking = 0
        self.all_talking, self.end = asyncio.Event(), asyncio.Event()

    async def dial(self, request: CallRequest) -> CallHandle:
        call = await self.simulator.dial(request)
        record = await self.simulator.lookup(request.idempotency_key)
        assert record is not None
        return _Held(call.provider_call_id, record.events, self)


class _Held:
    def __init__(self, call_id: str, events: tuple[CallEvent, ...], calls: HeldCalls) -> None:
        self.provider_call_id = call_id
        self._events, self._calls = events, calls

    async def events(self) -> AsyncIterator[CallEvent]:
        for event in self._events:
            if event.kind == CallEventKind.COMPLETED:
                break
            yield event
        self._calls.talking += 1
        if self._calls.talking == self._calls.expected:
            self._calls.all_talking.set()
        await self._calls.end.wait()
        yield self._events[-1]

    async def hangup(self) -> None:
        pass


def test_a_worker_at_its_defaults_dials_everyone_paged_at_once_while_the_first_calls_talk(
    client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    phones = [f"+4474001234{index:02d}" for index in range(PAGED_AT_ONCE)]
    alert_ids = [fire(client, seeded.tenant(runtime, phone=phone)) for phone in phones]
    calls = HeldCalls(simulator(data_dir, clock), expected=PAGED_AT_ONCE)
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
        await asyncio.wait_for(calls.all_talking.wait(), timeout=30)
        calls.end.set()
        stop.set()
        await asyncio.wait_for(running, timeout=30)

    asyncio.run(scenario())
    for alert_id in alert_ids:
        alert, [attempt] = attempts_of(runtime, alert_id)
        assert (attempt.status, alert.status) == ("answered", "acknowledged")
