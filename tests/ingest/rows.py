"""An endpoint that pages, written straight to the database, for tests of what ingest does with a
body: an organization, one contact and an endpoint that calls it, without the API's sign-up,
verification and key round trips. `Paging.send` parses a body and accepts it in one write
transaction, as the webhook route does.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tocsin.accounts.models import Organization
from tocsin.audit.models import AuditEvent
from tocsin.contacts.models import Contact
from tocsin.core.actors import Actor
from tocsin.core.ids import new_id
from tocsin.endpoints.models import Endpoint, EndpointContact
from tocsin.endpoints.queries import EndpointRoute, find_route
from tocsin.formats.parse import parse_alert
from tocsin.intake.accept import IngestResult, accept_alert
from tocsin.paging.models import Alert, CallJob
from tocsin.runtime import Runtime

_numbers = itertools.count(1)


@dataclass
class Paging:
    runtime: Runtime
    route: EndpointRoute

    def send(
        self,
        body: Any = b"",
        *,
        content_type: str = "application/json",
        query: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] | None = None,
    ) -> IngestResult:
        """Accept `body` (bytes as sent; a str or dict is sent as JSON) at the endpoint."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        if isinstance(body, str):
            raw = body.encode()
        parsed = parse_alert(
            body=raw,
            content_type=content_type,
            query=list(query),
            form=list(form) if form is not None else None,
        )
        with self.runtime.database.write() as session:
            return accept_alert(
                session,
                endpoint=self.route,
                parsed=parsed,
                actor=Actor("endpoint", self.route.id),
                now=self.runtime.clock.now(),
            )

    def alert(self, alert_id: str | None) -> Alert:
        with self.runtime.database.read() as session:
            alert = session.get(Alert, alert_id)
            assert alert is not None
            session.expunge(alert)
            return alert

    def alerts(self) -> list[Alert]:
        with self.runtime.database.read() as session:
            found = list(session.scalars(select(Alert).order_by(Alert.id)))
            session.expunge_all()
            return found

    def job_statuses(self, alert_id: str | None) -> list[str]:
        with self.runtime.database.read() as session:
            query = select(CallJob.status).where(CallJob.alert_id == alert_id)
            return list(session.scalars(query))

    def audit_actions(self) -> list[str]:
        with self.runtime.database.read() as session:
            return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def paging_endpoint(runtime: Runtime, *, name: str = "Production") -> Paging:
    now = runtime.clock.now()
    number = next(_numbers)
    with runtime.database.write() as session:
        org_id = new_id("org")
        org = Organization(id=org_id, name=f"Rows {number}", slug=org_id.lower(), created_at=now)
        contact = Contact(
            id=new_id("ct"),
            org_id=org.id,
            name="On call",
            phone_e164="+447400123456",
            created_at=now,
            updated_at=now,
        )
        endpoint = Endpoint(
            id=new_id("ep"), org_id=org.id, name=name, created_at=now, updated_at=now
        )
        session.add(org)
        session.flush()
        session.add_all([contact, endpoint])
        session.flush()
        session.add(EndpointContact(endpoint_id=endpoint.id, contact_id=contact.id, position=0))
        session.flush()
        route = find_route(session, endpoint.id)
    assert route is not None
    return Paging(runtime, route)
