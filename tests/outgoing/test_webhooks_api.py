"""The webhooks API: the secret in the answers that make one (creation, rotation) and never
after, changes and filters, a test event and the paged delivery log, sending one event again,
and who may do what (administrators only: a webhook's URL is often a credential)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import ok
from tests.oncall import schedule_rows
from tests.outgoing.rows import (
    PUBLIC_ADDRESS,
    deliveries,
    finished_delivery,
    fire,
    public_hosts,
)
from tests.rows import tenant_rows
from tocsin.accounts.models import Role
from tocsin.runtime import Runtime
from tocsin.telephony.hosts import HostPolicy

HOOK = {"name": "Slack relay", "url": "https://relay.example.com/tocsin", "events": ["created"]}


@pytest.fixture(autouse=True)
def _public_dns(runtime: Runtime) -> None:
    # Every name resolves to a public address: the host rule's refusals are tested elsewhere.
    runtime.webhook_hosts = public_hosts()


def test_the_secret_is_shown_when_made_and_rotated_and_never_in_a_read(
    runtime: Runtime, client: TestClient
) -> None:
    tenant = tenant_rows(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    made = ok(client.post(f"{org}/webhooks", json=HOOK, headers=tenant.auth), 201)
    assert made["secret"].startswith("whsec_")
    assert (made["enabled"], made["events"], made["created_by"]) == (
        True,
        ["created"],
        f"user:{tenant.user_id}",
    )
    hook = f"{org}/webhooks/{made['id']}"
    for read in (
        client.get(hook, headers=tenant.auth),
        client.get(f"{org}/webhooks", headers=tenant.auth),
    ):
        assert made["secret"] not in read.text
        assert "secret_sealed" not in read.text
    rotated = ok(client.post(f"{hook}/rotate-secret", headers=tenant.auth))
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != made["secret"]
    assert rotated["previous_secret_until"] == "2026-01-02T00:00:00Z"
    assert rotated["secret"] not in client.get(hook, headers=tenant.auth).text


def test_changes_filters_and_deleting(runtime: Runtime, client: TestClient) -> None:
    tenant = tenant_rows(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    project = schedule_rows.project(runtime, tenant.org_id)
    made = ok(
        client.post(
            f"{org}/webhooks",
            json={**HOOK, "endpoint_id": tenant.endpoint_id, "events": ["resolved", "created"]},
            headers=tenant.auth,
        ),
        201,
    )
    assert made["events"] == ["created", "resolved"]  # in the events' own order
    hook = f"{org}/webhooks/{made['id']}"
    changed = ok(
        client.patch(
            hook,
            json={"name": "Status page", "endpoint_id": None, "project_id": project},
            headers=tenant.auth,
        )
    )
    assert (changed["name"], changed["endpoint_id"], changed["project_id"]) == (
        "Status page",
        None,
        project,
    )
    assert changed["url"] == HOOK["url"]  # not given: kept
    unchanged = ok(client.patch(hook, json={}, headers=tenant.auth))
    assert unchanged["project_id"] == project
    nowhere = client.patch(
        hook, json={"endpoint_id": "ep_01nowhere000000000000000000"}, headers=tenant.auth
    )
    assert (nowhere.status_code, nowhere.json()["error"]["code"]) == (404, "endpoint_not_found")
    bad_events = client.post(f"{org}/webhooks", json={**HOOK, "events": []}, headers=tenant.auth)
    assert bad_events.status_code == 422
    unknown = client.post(
        f"{org}/webhooks", json={**HOOK, "events": ["paged"]}, headers=tenant.auth
    )
    assert unknown.status_code == 422
    assert client.delete(hook, headers=tenant.auth).status_code == 204
    gone = client.get(hook, headers=tenant.auth)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "webhook_not_found")


def test_a_test_event_is_queued_and_the_log_pages_newest_first(
    runtime: Runtime, client: TestClient
) -> None:
    tenant = tenant_rows(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    made = ok(client.post(f"{org}/webhooks", json=HOOK, headers=tenant.auth), 201)
    hook = f"{org}/webhooks/{made['id']}"
    queued = [ok(client.post(f"{hook}/test", headers=tenant.auth), 202) for _ in range(3)]
    assert {item["status"] for item in queued} == {"pending"}
    assert queued[0]["body"]["type"] == "webhook.test"
    assert queued[0]["body"]["data"]["webhook"] == {"id": made["id"], "name": "Slack relay"}
    first = ok(client.get(f"{hook}/deliveries?limit=2", headers=tenant.auth))
    assert [item["id"] for item in first["items"]] == [queued[2]["id"], queued[1]["id"]]
    rest = ok(
        client.get(f"{hook}/deliveries?limit=2&cursor={first['next_cursor']}", headers=tenant.auth)
    )
    assert ([item["id"] for item in rest["items"]], rest["next_cursor"]) == (
        [queued[0]["id"]],
        None,
    )
    none = ok(client.get(f"{hook}/deliveries?status=delivered", headers=tenant.auth))
    assert none["items"] == []
    odd = client.get(f"{hook}/deliveries?status=lost", headers=tenant.auth)
    assert (odd.status_code, odd.json()["error"]["code"]) == (422, "invalid_status")


def test_a_finished_delivery_is_sent_again_under_its_event_id_and_a_waiting_one_is_not(
    runtime: Runtime, client: TestClient
) -> None:
    tenant = tenant_rows(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    made = ok(client.post(f"{org}/webhooks", json=HOOK, headers=tenant.auth), 201)
    hook = f"{org}/webhooks/{made['id']}"
    waiting = ok(client.post(f"{hook}/test", headers=tenant.auth), 202)
    refused = client.post(f"{hook}/deliveries/{waiting['id']}/redeliver", headers=tenant.auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "delivery_in_progress")
    finished = finished_delivery(runtime, tenant.org_id, made["id"])
    again = ok(client.post(f"{hook}/deliveries/{finished}/redeliver", headers=tenant.auth), 202)
    original = next(d for d in deliveries(runtime) if d.id == finished)
    assert again["id"] != finished
    assert (again["event_id"], again["body"], again["status"]) == (
        original.event_id,
        original.body,
        "pending",
    )
    assert original.status == "failed"  # the log keeps what happened to it


def test_a_disabled_webhook_takes_no_test_and_its_waiting_deliveries_are_given_up(
    runtime: Runtime, client: TestClient
) -> None:
    tenant = tenant_rows(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    made = ok(client.post(f"{org}/webhooks", json=HOOK, headers=tenant.auth), 201)
    hook = f"{org}/webhooks/{made['id']}"
    ok(client.post(f"{hook}/test", headers=tenant.auth), 202)
    off = ok(client.patch(hook, json={"enabled": False}, headers=tenant.auth))
    assert off["enabled"] is False
    [given_up] = deliveries(runtime)
    assert (given_up.status, given_up.last_error) == ("gave_up", "the webhook was disabled")
    refused = client.post(f"{hook}/test", headers=tenant.auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "webhook_disabled")
    on = ok(client.patch(hook, json={"enabled": True}, headers=tenant.auth))
    assert (on["enabled"], on["disabled_reason"], on["failing_since"]) == (True, None, None)


def test_only_administrators_see_or_change_webhooks(runtime: Runtime, client: TestClient) -> None:
    tenant = tenant_rows(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    made = ok(client.post(f"{org}/webhooks", json=HOOK, headers=tenant.auth), 201)
    member = seeded.member(runtime, tenant.org_id, role=Role.MEMBER)
    admin = seeded.member(runtime, tenant.org_id, role=Role.ADMIN)
    hook = f"{org}/webhooks/{made['id']}"
    for method, path in (
        ("GET", f"{org}/webhooks"),
        ("GET", hook),
        ("GET", f"{hook}/deliveries"),
        ("POST", f"{hook}/test"),
        ("POST", f"{hook}/rotate-secret"),
        ("DELETE", hook),
    ):
        answer = client.request(method, path, headers=member.auth)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "insufficient_role")
    assert ok(client.get(hook, headers=admin.auth))["url"] == HOOK["url"]
    assert client.post(f"{org}/webhooks", json=HOOK, headers=member.auth).status_code == 403


def test_an_organization_has_at_most_twenty_webhooks(runtime: Runtime, client: TestClient) -> None:
    tenant = tenant_rows(runtime)
    org = f"/v1/orgs/{tenant.org_id}"
    for number in range(20):
        ok(
            client.post(
                f"{org}/webhooks", json={**HOOK, "name": f"Hook {number}"}, headers=tenant.auth
            ),
            201,
        )
    over = client.post(f"{org}/webhooks", json=HOOK, headers=tenant.auth)
    assert (over.status_code, over.json()["error"]["code"]) == (409, "too_many_webhooks")


def test_a_slow_dns_answer_holds_no_database_writer(runtime: Runtime, client: TestClient) -> None:
    """The host is the customer's, and so is how slowly its DNS answers: it is looked up
    before the transaction that saves the webhook, so ingest (a writer, of which SQLite runs
    one at a time) goes on meanwhile."""
    tenant = tenant_rows(runtime)
    asked, answer = threading.Event(), threading.Event()

    def slow(host: str, port: int) -> list[str]:
        asked.set()
        answer.wait(20)
        return [PUBLIC_ADDRESS]

    runtime.webhook_hosts = HostPolicy(resolver=slow)
    created: list[int] = []
    saving = threading.Thread(
        target=lambda: created.append(
            client.post(
                f"/v1/orgs/{tenant.org_id}/webhooks", json=HOOK, headers=tenant.auth
            ).status_code
        )
    )
    saving.start()
    try:
        assert asked.wait(20)
        accepted: list[str | None] = []
        ingest = threading.Thread(
            target=lambda: accepted.append(
                fire(runtime, tenant.endpoint_id, {"title": "Meanwhile"}).alert_id
            )
        )
        ingest.start()
        ingest.join(10)
        assert not ingest.is_alive(), "ingest waited for a webhook's DNS lookup"
        assert accepted[0] is not None
    finally:
        answer.set()
        saving.join(20)
    assert created == [201]
