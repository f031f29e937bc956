"""A paging setup for engine tests: an organization configured straight in the database (the
row factories of tests/seeded.py), a simulator whose callees behave per number, and a worker
on the injected clock.

Tests read as what happens: `pager.fire(...)`, `pager.run()`, `pager.later(minutes=2)`, then
look at `pager.calls()` (what the simulator was asked to dial, in order) and `pager.alert(id)`
(the API's view of the alert, its escalation, jobs and timeline).

Tests take the `pager` fixture (tests/conftest.py), and `make_pager` for more organizations on
the same server. Options differ by module or test through a mark:
`pytestmark = pytest.mark.pager(throttle=(), rounds=1)`; a test's mark overrides its module's.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests import seeded
from tests.factories import ok
from tocsin.accounts.models import User
from tocsin.contacts.models import Contact
from tocsin.contacts.queries import get_number
from tocsin.core.actors import Actor
from tocsin.core.clock import ManualClock
from tocsin.core.throttle import VOICE_PER_NUMBER, Bucket
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.routing.steps import PagingDefaults
from tocsin.runtime import Runtime
from tocsin.telephony.simulator import SimulatorProvider

CALLER_ID = "+447400000001"
UNANSWERED_RETRY = timedelta(minutes=2)
_numbers = itertools.count(10)


def uk_mobile() -> str:
    # Six digits after 7400, however many numbers the tests of one run have taken.
    return f"+447400{900000 + next(_numbers) % 100000:06d}"


@dataclass(frozen=True)
class Call:
    to: str
    key: str


class Pager:
    def __init__(
        self,
        client: TestClient,
        runtime: Runtime,
        clock: ManualClock,
        data_dir: Path,
        *,
        throttle: tuple[Bucket, ...] = VOICE_PER_NUMBER,
        unanswered_retries: int = 1,
        rounds: int | None = None,
    ) -> None:
        """`rounds`: passes through the built-in plans (10 by default; 1 calls each contact's
        step once, for tests about something else than paging until answered)."""
        self.client, self.runtime, self.clock = client, runtime, clock
        if rounds is not None:
            runtime.paging = PagingDefaults(rounds=rounds)
        owner = seeded.person(runtime, org_name="Pager test")
        # The owner's token, for what only people may do (time zone, trial); it expires, so use
        # it before moving the clock by more than a quarter of an hour.
        self.user_auth = owner.auth
        self.owner_id = owner.user_id
        self.org_id = owner.org_id
        self.org = f"/v1/orgs/{self.org_id}"
        self.ingest_key = seeded.api_key(runtime, self.org_id, name="hooks")
        # A key, not the user's token: tests move the clock by hours and tokens expire.
        automation = seeded.api_key(
            runtime, self.org_id, name="automation", scopes=("read", "write")
        )
        self.auth = {"Authorization": f"Bearer {automation}"}
        self.behaviours: dict[str, str] = {}
        self.data_dir = data_dir
        self.settings = WorkerSettings(
            lease=timedelta(seconds=60),
            send_deadline=timedelta(seconds=30),
            retry_after=timedelta(seconds=20),
            unanswered_retries=unanswered_retries,
            unanswered_retry_after=UNANSWERED_RETRY,
            caller_id=CALLER_ID,
            throttle=throttle,
            billing=runtime.billing,
            public_base_url=runtime.settings.public_base_url,
        )
        self._worker: Worker | None = None

    # Configuration, in the database -----------------------------------------------------------

    def contact(
        self,
        name: str,
        behaviour: str = "press:1",
        phone: str | None = None,
        *,
        verified: bool = True,
    ) -> str:
        """A contact whose callee does `behaviour` (a simulator behaviour) when called; its
        owner has verified the number unless `verified` is False."""
        number = phone or uk_mobile()
        self.behaviours[number] = behaviour
        self._worker = None
        return seeded.contact(self.runtime, self.org_id, phone=number, name=name, verified=verified)

    def member(
        self,
        name: str,
        behaviour: str = "press:1",
        *,
        channel: str = "voice",
        verified_by_self: bool = True,
        user_id: str | None = None,
    ) -> tuple[str, str]:
        """A member of the organization (a new one unless `user_id`) with one number of their
        own on `channel`, which they verified themself unless told not to (then the owner
        did); returns (user id, contact id)."""
        if user_id is None:
            user_id = seeded.member(self.runtime, self.org_id).user_id
            with self.runtime.database.write() as session:
                session.execute(update(User).where(User.id == user_id).values(display_name=name))
        number = uk_mobile()
        self.behaviours[number] = behaviour
        self._worker = None
        contact_id = seeded.contact(
            self.runtime, self.org_id, phone=number, name=name, verified=False
        )
        with self.runtime.database.write() as session:
            session.execute(
                update(Contact)
                .where(Contact.id == contact_id)
                .values(user_id=user_id, channel=channel)
            )
        seeded.verify(
            self.runtime,
            self.org_id,
            contact_id,
            by=Actor("user", user_id) if verified_by_self else None,
        )
        return user_id, contact_id

    def phone(self, contact_id: str) -> str:
        with self.runtime.database.read() as session:
            return get_number(session, org_id=self.org_id, contact_id=contact_id).phone_e164

    def escalation(self, *steps: dict[str, Any], name: str = "On call") -> str:
        return seeded.escalation(self.runtime, self.org_id, *steps, name=name)

    def endpoint(
        self,
        *contact_ids: str,
        rules: list[dict[str, Any]] | None = None,
        routing: str = "primary",
        template: str | None = None,
    ) -> str:
        return seeded.endpoint(
            self.runtime, self.org_id, *contact_ids, rules=rules, routing=routing, template=template
        )

    def escalating_endpoint(self, *steps: dict[str, Any]) -> str:
        """An endpoint whose every alert follows an escalation policy of these steps."""
        policy = self.escalation(*steps)
        return self.endpoint(
            rules=[{"action": {"type": "call_escalation", "escalation_id": policy}}]
        )

    # Alerts ----------------------------------------------------------------------------------

    def fire(self, endpoint_id: str, payload: dict[str, Any] | None = None) -> str:
        body = ok(
            self.client.post(
                f"/v1/hooks/{endpoint_id}",
                json=payload or {"title": "Disk full on db1", "severity": "critical"},
                headers={"X-Alert-Key": self.ingest_key},
            ),
            202,
        )
        alert_id: str = body["alert_id"]
        return alert_id

    def alert(self, alert_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = ok(
            self.client.get(f"{self.org}/alerts/{alert_id}", headers=self.auth)
        )
        return detail

    def actions(self, alert_id: str) -> list[str]:
        return [entry["action"] for entry in self.alert(alert_id)["timeline"]]

    # The engine ------------------------------------------------------------------------------

    @property
    def simulator(self) -> SimulatorProvider:
        return SimulatorProvider(
            self.data_dir,
            clock=self.clock,
            default_behaviour="press:1",
            behaviours=self.behaviours,
            record_audio=False,
        )

    @property
    def worker(self) -> Worker:
        if self._worker is None:
            self._worker = Worker(
                self.runtime.database,
                self.simulator,
                clock=self.clock,
                settings=self.settings,
                worker_id="worker-a",
            )
        return self._worker

    def run(self) -> int:
        """Let the worker do everything that is due now; returns how many calls it started."""
        return asyncio.run(self.worker.run_until_idle())

    def later(self, *, minutes: float = 0, seconds: float = 0) -> int:
        """Let time pass, then run what became due."""
        self.clock.advance(minutes * 60 + seconds)
        return self.run()

    def calls(self) -> list[Call]:
        """Every dial request for an alert the simulator received, in order (verification
        calls left out)."""
        path = self.data_dir / "simulator" / "dials.log"
        if not path.exists():
            return []
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        return [
            Call(line["to"], line["idempotency_key"])
            for line in lines
            if not line["idempotency_key"].startswith("verify/")
        ]

    def numbers_called(self) -> list[str]:
        return [call.to for call in self.calls()]


class MakePager(Protocol):
    """The `make_pager` fixture (tests/conftest.py): one more organization set up for paging,
    on the test's server; options not given are those of the test's `pager` marks."""

    def __call__(
        self,
        *,
        throttle: tuple[Bucket, ...] = ...,
        unanswered_retries: int = ...,
        rounds: int | None = ...,
    ) -> Pager: ...
