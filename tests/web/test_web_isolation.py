"""No dashboard page shows or changes another tenant's data: every page route with an id in
its path, walked with a signed-in browser session of tenant A and the ids of tenant B, answers
404 (403 for the admin console, which A is not part of), exactly as for ids that exist nowhere,
and changes nothing of B's."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import fastapi.routing
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.delivery.pager import MakePager
from tests.factories import ok
from tests.maintenance.window_rows import window
from tests.oncall import schedule_rows
from tests.outgoing import rows as outgoing_rows
from tests.web.browser_forms import form_token, owner_home
from tocsin.accounts.models import ApiKey
from tocsin.cli.common import CLI_ACTOR
from tocsin.contacts.models import Contact
from tocsin.endpoints.models import Endpoint, EscalationPolicy
from tocsin.heartbeats.models import HeartbeatMonitor
from tocsin.maintenance.models import MaintenanceWindow
from tocsin.oncall import calendar_feeds, calendar_tokens
from tocsin.oncall.models import CalendarFeed, CalendarToken, CalendarTokenKind
from tocsin.outgoing.models import WebhookDelivery, WebhookSubscription
from tocsin.paging.models import Alert, CallAttempt
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import Runtime

_PARAM = re.compile(r"{(\w+)}")


def page_routes(client: TestClient) -> set[tuple[str, str]]:
    app = client.app
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = list(flatten(app.routes) if flatten else app.routes)  # type: ignore[attr-defined]
    found: set[tuple[str, str]] = set()
    for route in routes:
        path = getattr(route, "path", "")
        if path.startswith(("/v1/", "/.well-known/", "/static")) or not _PARAM.search(path):
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, path))
    return found


def b_world(client: TestClient, runtime: Runtime, make_pager: MakePager) -> dict[str, str]:
    """Tenant B with one of everything a page can name."""
    b = make_pager()
    contact = b.contact("B on call", behaviour="no_answer")
    endpoint = b.endpoint(contact)
    alert = b.fire(endpoint)
    b.run()
    key = ok(
        client.post(
            f"{b.org}/api-keys",
            json={"name": "b-hook", "endpoint_id": endpoint},
            headers=b.user_auth,
        ),
        201,
    )
    invite = ok(client.post(f"{b.org}/invites", json={"role": "member"}, headers=b.user_auth), 201)
    with runtime.database.read() as session:
        attempt = session.scalar(select(CallAttempt.id).where(CallAttempt.org_id == b.org_id))
    assert attempt is not None
    b_rotation = schedule_rows.rotation(runtime, b.org_id, b.owner_id)
    b_schedule = schedule_rows.schedule(
        runtime, b.org_id, {"name": "Primary", "rotation_id": b_rotation}
    )
    b_override = schedule_rows.override(runtime, b.org_id, b_schedule, "add", b.owner_id)
    b_token, b_calendar = _b_calendars(runtime, b.org_id, b_schedule)
    b_heartbeat = ok(
        client.post(
            f"{b.org}/heartbeats",
            json={"name": "B nightly", "endpoint_id": endpoint, "interval_seconds": 300},
            headers=b.auth,
        ),
        201,
    )
    # Upcoming, so B's alert above stays as it is.
    b_window = window(
        runtime, b.org_id, reason="B's upgrade", starts_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    b_webhook = outgoing_rows.subscribe(runtime, b.org_id).subscription.id
    b_escalation = ok(
        client.post(
            f"{b.org}/escalations",
            json={"name": "B chain", "steps": [{"type": "call", "contact_ids": [contact]}]},
            headers=b.user_auth,
        ),
        201,
    )["id"]
    b_account = ok(
        client.post(
            f"{b.org}/providers",
            json={"kind": "simulator", "name": "B's own", "priority": 7},
            headers=b.user_auth,
        ),
        201,
    )["id"]
    return {
        "rotation_id": b_rotation,
        "schedule_id": b_schedule,
        "override_id": b_override,
        "org_id": b.org_id,
        "contact_id": contact,
        "endpoint_id": endpoint,
        "alert_id": alert,
        "attempt_id": attempt,
        "key_id": key["id"],
        "invite_id": invite["id"],
        "case_id": "case_of_nobody",
        "action_id": "enf_of_nobody",
        "user_id": "usr_of_nobody",
        "caller_id_id": "cid_of_nobody",
        "account_id": b_account,
        "project_id": "prj_of_nobody",
        "number_id": "ct_of_nobody",
        "token_id": b_token,
        "calendar_id": b_calendar,
        "heartbeat_id": b_heartbeat["id"],
        "window_id": b_window,
        "webhook_id": b_webhook,
        "delivery_id": outgoing_rows.finished_delivery(runtime, b.org_id, b_webhook),
        "escalation_id": b_escalation,
        # The policy pages are public: a kind or version that does not exist is the 404.
        "kind": "no_such_kind",
        "version": "no_such_version",
    }


def _b_calendars(runtime: Runtime, org_id: str, schedule_id: str) -> tuple[str, str]:
    """A feed link of B's schedule and an external calendar of B's."""
    now = runtime.clock.now()
    with runtime.database.write() as session:
        token = calendar_tokens.create_token(
            session,
            org_id=org_id,
            kind=CalendarTokenKind.SCHEDULE,
            subject_id=schedule_id,
            actor=CLI_ACTOR,
            key=runtime.calendar_token_key,
            now=now,
        )
        feed = calendar_feeds.add_feed(
            session,
            org_id=org_id,
            name="B rota",
            url="https://93.184.216.34/b.ics",
            policy=runtime.provider_hosts,
            actor=CLI_ACTOR,
            now=now,
        )
        return token.row.id, feed.id


def test_tenant_a_reaches_nothing_of_tenant_b_through_any_page(
    client: TestClient, runtime: Runtime, make_pager: MakePager
) -> None:
    b_ids = b_world(client, runtime, make_pager)
    browser = TestClient(client.app)
    home = owner_home(browser, runtime, "a@example.com", "A Ops")
    token = form_token(browser.get(home).text)
    routes = page_routes(client)
    assert len(routes) >= 10, routes
    failures = []
    for method, template in sorted(routes):
        names = _PARAM.findall(template)
        missing = [name for name in names if name not in b_ids]
        assert not missing, f"{template}: give the isolation test an id for {missing}"
        path = _PARAM.sub(lambda match: b_ids[match.group(1)], template)
        if method == "GET":
            answer = browser.get(path, follow_redirects=False)
        else:
            answer = browser.request(
                method, path, data={"csrf_token": token}, follow_redirects=False
            )
        expected = 403 if template.startswith("/admin") else 404
        if answer.status_code != expected:
            failures.append(f"{method} {template}: {answer.status_code}")
    assert not failures, "\n".join(failures)
    # Nothing of B's changed: the alert is still open, the contact and key still there.
    with runtime.database.read() as session:
        alert = session.get(Alert, b_ids["alert_id"])
        assert alert is not None
        assert alert.status == "open"
        assert session.get(Contact, b_ids["contact_id"]) is not None
        key = session.get(ApiKey, b_ids["key_id"])
        assert key is not None
        assert key.revoked_at is None
        link = session.get(CalendarToken, b_ids["token_id"])
        assert link is not None
        assert link.revoked_at is None
        assert session.get(CalendarFeed, b_ids["calendar_id"]) is not None
        heartbeat = session.get(HeartbeatMonitor, b_ids["heartbeat_id"])
        assert heartbeat is not None
        assert (heartbeat.name, heartbeat.paused) == ("B nightly", False)
        b_window = session.get(MaintenanceWindow, b_ids["window_id"])
        assert b_window is not None
        assert (b_window.ended_at, b_window.deleted_at) == (None, None)
        webhook = session.get(WebhookSubscription, b_ids["webhook_id"])
        assert webhook is not None
        assert (webhook.enabled, webhook.previous_secret_sealed) == (True, None)
        assert [d.id for d in session.scalars(select(WebhookDelivery))] == [b_ids["delivery_id"]]
        assert session.get(Endpoint, b_ids["endpoint_id"]) is not None
        policy = session.get(EscalationPolicy, b_ids["escalation_id"])
        assert policy is not None
        assert policy.name == "B chain"
        account = session.get(ProviderAccount, b_ids["account_id"])
        assert account is not None
        assert account.enabled
