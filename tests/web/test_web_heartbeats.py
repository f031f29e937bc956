"""The Heartbeats pages without a browser: an administrator makes a monitor (its key shown on
that page once, never again), sees its status, last ping and next due time, edits, pauses,
rotates and deletes it; a member may look but not change; a bad schedule is refused with the
API's words and the form keeps what was typed."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests import seeded
from tests.factories import ok
from tests.rows import browser_for
from tests.web.browser_forms import form_token
from tocsin.accounts.models import Role
from tocsin.runtime import Runtime

_KEY = re.compile(r'<code id="new-key">(hbk_\w+)</code>')


def _post(browser: TestClient, page: str, action: str, **fields: str) -> httpx.Response:
    token = form_token(browser.get(page).text)
    response: httpx.Response = browser.post(
        action, data={**fields, "csrf_token": token}, follow_redirects=False
    )
    return response


def test_an_admin_makes_watches_and_changes_a_heartbeat(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    contact = seeded.contact(runtime, owner.org_id, phone="+447400123456")
    endpoint = seeded.endpoint(runtime, owner.org_id, contact, name="Production")
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/heartbeats"
    listing = browser.get(page).text
    assert 'id="no-heartbeats"' in listing
    assert f'href="{page}" aria-current="page"' in listing

    refused = _post(
        browser, page, page, name="Backup", endpoint_id=endpoint, cron="61 2 * * *", grace="5m"
    )
    assert refused.status_code == 422
    assert "does not parse" in refused.text
    assert 'value="61 2 * * *"' in refused.text

    made = _post(
        browser, page, page, name="Backup", endpoint_id=endpoint, interval="5m", grace="1m"
    )
    assert made.status_code == 201
    found = _KEY.search(made.text)
    assert found is not None
    key = found.group(1)
    heartbeat_id = re.search(r"/v1/heartbeats/(hb_\w+)", made.text)
    assert heartbeat_id is not None
    detail = f"{page}/{heartbeat_id.group(1)}"
    shown = browser.get(detail).text
    assert key not in shown  # shown once, on the page that made it
    assert "every 5m, grace 1m" in shown
    assert 'id="heartbeat-status">new<' in shown

    ok(
        client.get(
            f"/v1/heartbeats/{heartbeat_id.group(1)}",
            params={"key": key},
            headers={"User-Agent": "curl/8.5.0"},
        )
    )
    shown = browser.get(detail).text
    assert 'id="heartbeat-status">up<' in shown
    assert "Thu 01 Jan 00:05 UTC" in shown  # next due, in the organization's zone
    assert "<td>curl/8.5.0</td>" in shown  # the ping's user agent, in the ping log
    assert '<span class="badge up">up</span>' in browser.get(page).text

    saved = _post(
        browser, detail, detail, name="Nightly backup", endpoint_id=endpoint, interval="",
        cron="30 2 * * *", timezone="Europe/Berlin", grace="15m", severity="major",
    )  # fmt: skip
    assert (saved.status_code, saved.headers["location"]) == (303, f"{detail}?saved=1")
    shown = browser.get(detail).text
    assert "cron 30 2 * * * (Europe/Berlin), grace 15m" in shown
    assert "(major)" in shown

    paused = _post(browser, detail, f"{detail}/pause")
    assert paused.status_code == 303
    assert 'id="heartbeat-status">paused<' in browser.get(detail).text
    _post(browser, detail, f"{detail}/resume")
    assert 'id="heartbeat-status">up<' in browser.get(detail).text

    rotated = _post(browser, detail, f"{detail}/rotate-key")
    new_key = _KEY.search(rotated.text)
    assert new_key is not None
    assert new_key.group(1) != key
    gone = client.get(f"/v1/heartbeats/{heartbeat_id.group(1)}", params={"key": key})
    assert gone.status_code == 404

    deleted = _post(browser, detail, f"{detail}/delete")
    assert (deleted.status_code, deleted.headers["location"]) == (303, page)
    assert 'id="no-heartbeats"' in browser.get(page).text


def test_a_member_looks_but_cannot_change(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    endpoint = seeded.endpoint(runtime, owner.org_id)
    owner_browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/heartbeats"
    made = _post(owner_browser, page, page, name="Backup", endpoint_id=endpoint, interval="1h")
    heartbeat_id = re.search(r"/v1/heartbeats/(hb_\w+)", made.text)
    assert heartbeat_id is not None
    member = seeded.member(runtime, owner.org_id, role=Role.MEMBER)
    browser = browser_for(client, runtime, member.user_id)
    detail = f"{page}/{heartbeat_id.group(1)}"
    shown = browser.get(detail).text
    assert "Backup" in shown
    assert "Rotate key" not in shown
    assert "Create a heartbeat" not in browser.get(page).text
    token = form_token(shown)
    refused = browser.post(f"{detail}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    assert "Backup" in browser.get(page).text
