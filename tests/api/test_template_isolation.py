"""One organization's template cannot hold up another's webhooks (issue 17, finding 1).

Before: saving `{% set l=[1]*20000 %}{{ [l]*20000 }}` blocked another organization's webhook
for 26 s and grew the server from 256 MiB to 1.4 GiB; the same bomb behind an `if` saved fine
and went off later, through a preview by a read-only key (no rate limit) or at dial time.
Now templates render in the cage's processes, each render stopped after
TOCSIN_TEMPLATE_RENDER_SECONDS, and never inside a write transaction. The bomb here is one the
sandbox cannot see (tests/messages/bombs.py), so it is the cage that stops it.
"""

from __future__ import annotations

import resource
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.accounts.helpers import api_key_header, create_key, join
from tests.api.test_rate_limits import limiter, limits_clock  # noqa: F401 (a fixture)
from tests.factories import Tenant, make_tenant, ok
from tests.messages.bombs import behind_an_if, deep_comparison, fresh
from tocsin.core.clock import ManualClock
from tocsin.messages import MessageContext, caged
from tocsin.runtime import Runtime

STOPPED = "the template was stopped: it took longer than 1 s"


@dataclass
class Race:
    bomb: httpx.Response
    bomb_finished: float
    webhook: httpx.Response
    webhook_took: float
    webhook_finished: float
    grew_mib: float


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def webhook(client: TestClient, tenant: Tenant) -> httpx.Response:
    return client.post(
        f"/v1/hooks/{tenant.endpoint_id}",
        json={"title": f"Disk full {uuid.uuid4().hex[:6]}"},
        headers=tenant.alert_key,
    )


def race(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    bomb: Callable[[], httpx.Response],
    other: Tenant,
) -> Race:
    """Send `bomb` from a thread of its own and, once its template is rendering, the other
    tenant's webhook: one measurement, no loop."""
    rendering = threading.Event()
    render = caged.TEMPLATES.render

    def noted(template: str, context: MessageContext) -> str:
        rendering.set()
        return render(template, context)

    monkeypatch.setattr(caged.TEMPLATES, "render", noted)
    ok(webhook(client, other), 202)  # the first request of a route costs more than the rest
    peak = peak_mib()
    answers: dict[str, httpx.Response] = {}
    finished: dict[str, float] = {}

    def send_bomb() -> None:
        answers["bomb"] = bomb()
        finished["bomb"] = time.monotonic()

    sender = threading.Thread(target=send_bomb)
    sender.start()
    assert rendering.wait(timeout=30)
    started = time.monotonic()
    answer = webhook(client, other)
    webhook_finished = time.monotonic()
    sender.join(timeout=30)
    return Race(
        bomb=answers["bomb"],
        bomb_finished=finished["bomb"],
        webhook=answer,
        webhook_took=webhook_finished - started,
        webhook_finished=webhook_finished,
        grew_mib=peak_mib() - peak,
    )


def test_a_previewed_bomb_is_stopped_while_another_tenants_webhook_is_answered_at_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    mallory, alice = make_tenant(client), make_tenant(client, phone="+447400123457")
    template = behind_an_if(deep_comparison())
    ok(
        client.patch(
            f"/v1/orgs/{mallory.org_id}/endpoints/{mallory.endpoint_id}",
            json={"template": template},
            headers=mallory.auth,
        )
    )
    reader = create_key(client, mallory, ["read"])["key"]

    def preview() -> httpx.Response:
        return client.post(
            f"/v1/orgs/{mallory.org_id}/endpoints/{mallory.endpoint_id}/preview",
            json={"title": "Disk full on db1", "boom": True},
            headers=api_key_header(reader),
        )

    raced = race(client, monkeypatch, preview, alice)
    assert raced.webhook.status_code == 202, raced.webhook.text
    assert raced.webhook_took < 0.1
    assert raced.webhook_finished < raced.bomb_finished  # while the bomb was still going
    answer = ok(raced.bomb)
    assert answer["template_problem"] == STOPPED
    assert answer["spoken_text"].startswith("Alert from Production. Severity ")
    assert raced.grew_mib < 64


def test_a_saved_bomb_is_refused_while_another_tenants_webhook_is_answered_at_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    mallory, alice = make_tenant(client), make_tenant(client, phone="+447400123457")
    template = fresh(deep_comparison())

    def save() -> httpx.Response:
        return client.patch(
            f"/v1/orgs/{mallory.org_id}/endpoints/{mallory.endpoint_id}",
            json={"template": template},
            headers=mallory.auth,
        )

    raced = race(client, monkeypatch, save, alice)
    assert raced.webhook.status_code == 202, raced.webhook.text
    assert raced.webhook_took < 0.1
    assert raced.webhook_finished < raced.bomb_finished
    assert raced.bomb.status_code == 422
    assert raced.bomb.json()["error"] == {
        "code": "invalid_template",
        "message": f"template does not work: {STOPPED}",
    }
    path = f"/v1/orgs/{mallory.org_id}/endpoints/{mallory.endpoint_id}"
    endpoint = ok(client.get(path, headers=mallory.auth))
    assert endpoint["template"] is None
    assert raced.grew_mib < 64


def test_previews_are_limited_per_person_and_per_organization(
    client: TestClient,
    runtime: Runtime,
    limits_clock: ManualClock,  # noqa: F811
) -> None:
    runtime.rate_limiter = limiter(limits_clock, preview="2/minute", preview_org="3/minute")
    owner, other = make_tenant(client), make_tenant(client, phone="+447400123457")
    owners_key = api_key_header(create_key(client, owner, ["read"])["key"])
    member, _ = join(client, owner, "member", email=f"{uuid.uuid4().hex[:8]}@example.com")

    def preview(tenant: Tenant, headers: dict[str, str]) -> httpx.Response:
        return client.post(
            f"/v1/orgs/{tenant.org_id}/endpoints/{tenant.endpoint_id}/preview",
            json={"title": "Disk full"},
            headers=headers,
        )

    ok(preview(owner, owner.auth))
    ok(preview(owner, owner.auth))
    # A key its owner made counts as its owner: keys cost nothing to make.
    refused = preview(owner, owners_key)
    assert refused.status_code == 429
    assert refused.json()["error"]["message"].startswith("too many previews")
    ok(preview(other, other.auth))  # another organization has its own budget
    ok(preview(owner, member))  # another person of the organization: its third
    assert preview(owner, member).status_code == 429  # the organization's limit
    limits_clock.advance(seconds=61)
    ok(preview(owner, owners_key))
