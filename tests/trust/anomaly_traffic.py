"""Call traffic written straight into the database, for the anomaly detectors' tests.

The detectors read only what was called, when and with what text, so the tests set that up
directly: `traffic.calls(org, numbers(30), "Disk full", ago=hours(2))`, then scan.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tocsin.accounts.models import Organization
from tocsin.core.ids import new_id
from tocsin.db.engine import Database
from tocsin.endpoints.models import Endpoint
from tocsin.paging.models import Alert, AttemptStatus, CallAttempt, CallJob, JobStatus

_slugs = itertools.count(1)


def numbers(count: int, *, first: int = 0) -> list[str]:
    """`count` distinct UK mobile numbers, from `first` on."""
    return [f"+447700{900000 + first + n:06d}" for n in range(count)]


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


class Traffic:
    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self.now = now
        self._alerts: dict[str, str] = {}

    def org(self, name: str = "Acme") -> str:
        with self.database.write() as session:
            org = Organization(
                id=new_id("org"),
                name=name,
                slug=f"anomaly-{next(_slugs)}-{new_id('s')[-6:]}",
                created_at=self.now() - timedelta(days=60),
            )
            session.add(org)
        return org.id

    def calls(
        self,
        org_id: str,
        to: Iterable[str],
        text: str = "Alert from Production. Severity critical. Disk full on db1.",
        *,
        ago: timedelta = timedelta(hours=1),
    ) -> None:
        """One settled call attempt to each number in `to`, `ago` before now."""
        at = self.now() - ago
        with self.database.write() as session:
            alert_id = self._alert_of(session, org_id)
            jobs = [
                CallJob(
                    id=new_id("job"),
                    org_id=org_id,
                    alert_id=alert_id,
                    to_number=number,
                    status=JobStatus.DONE.value,
                    run_at=at,
                    attempt_count=1,
                    created_at=at,
                    updated_at=at,
                )
                for number in to
            ]
            session.add_all(jobs)
            # No relationship tells the unit of work that attempts need their jobs first.
            session.flush()
            session.add_all(
                CallAttempt(
                    id=new_id("att"),
                    job_id=job.id,
                    org_id=org_id,
                    alert_id=alert_id,
                    attempt_no=1,
                    idempotency_key=new_id("idem"),
                    to_number=job.to_number,
                    caller_id="+447400000001",
                    provider="simulator",
                    worker_id="test",
                    status=AttemptStatus.ANSWERED.value,
                    spoken_text=text,
                    created_at=at,
                    sending_deadline=at + timedelta(seconds=30),
                )
                for job in jobs
            )

    def _alert_of(self, session: Session, org_id: str) -> str:
        """The organization's one alert, which every call of the tests is about."""
        if org_id in self._alerts:
            return self._alerts[org_id]
        now = self.now()
        endpoint = Endpoint(
            id=new_id("ep"), org_id=org_id, name="Production", created_at=now, updated_at=now
        )
        alert = Alert(
            id=new_id("alr"),
            org_id=org_id,
            endpoint_id=endpoint.id,
            dedup_key=new_id("dk"),
            severity="critical",
            title="Disk full",
            message="Disk full",
            payload={},
            content_type="application/json",
            received_at=now,
            last_received_at=now,
        )
        session.add(endpoint)
        session.flush()
        session.add(alert)
        session.flush()
        self._alerts[org_id] = alert.id
        return alert.id
