"""Endpoints in the dashboard: creating one for verified contacts, its webhook URL and keys,
its scenario, and a test alert paged like a real one."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.web.browser_forms import form_token, owner_home, submit
from tocsin.paging.models import Alert, CallJob
from tocsin.runtime import Runtime

_KEY = re.compile(r'<code id="new-key">(tk_[^<]+)</code>')


def contact(runtime: Runtime, home: str, name: str, phone: str, *, verified: bool = True) -> str:
    """A contact of the organization at `home`, its number verified by the owner unless
    `verified` is False (the contact pages are tests/web/test_web_contacts.py's); its id."""
    return seeded.contact(
        runtime, home.rsplit("/", 1)[1], phone=phone, name=name, verified=verified
    )


def endpoint(client: TestClient, home: str, contact_ids: list[str]) -> str:
    """An endpoint created on the list page; returns its page."""
    shown = client.get(f"{home}/endpoints")
    answer = client.post(
        f"{home}/endpoints",
        data={
            "name": "Production",
            "contact_ids": contact_ids,
            "csrf_token": form_token(shown.text),
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def new_key(client: TestClient, page: str, action: str) -> str:
    answer = submit(client, page, action, {})
    assert answer.status_code == 200, answer.text
    found = _KEY.search(answer.text)
    assert found, answer.text
    return found.group(1)


def hook(client: TestClient, endpoint_id: str, key: str) -> int:
    answer = client.post(
        f"/v1/hooks/{endpoint_id}", json={"title": "Disk full"}, headers={"X-Alert-Key": key}
    )
    status: int = answer.status_code
    return status


@pytest.fixture
def home(client: TestClient, runtime: Runtime) -> str:
    return owner_home(client, runtime, "ana@example.com")


def test_only_verified_contacts_can_be_chosen(
    client: TestClient, runtime: Runtime, home: str
) -> None:
    ana = contact(runtime, home, "Ana", "+447400123456")
    bo = contact(runtime, home, "Bo", "+447400123457", verified=False)
    listing = client.get(f"{home}/endpoints")
    assert f'<label for="contact-{ana}">Ana</label>' in listing.text
    assert f'<label for="contact-{bo}">Bo</label>' in listing.text
    assert re.search(rf'id="contact-{bo}"[^>]*disabled', listing.text)
    assert "cannot be chosen: number not verified by its owner" in listing.text

    # A forged form naming the unverified contact is refused by the service itself.
    refused = client.post(
        f"{home}/endpoints",
        data={"name": "Production", "contact_ids": [bo], "csrf_token": form_token(listing.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 409
    assert "number_unverified" in refused.text
    assert "No endpoints yet." in client.get(f"{home}/endpoints").text

    page = endpoint(client, home, [ana])
    assert re.fullmatch(rf"{home}/endpoints/ep_\w+", page)
    assert '<a href="' + page + '">Production</a>' in client.get(f"{home}/endpoints").text


def test_the_endpoint_page_shows_its_webhook_url_and_a_curl_example(
    client: TestClient, runtime: Runtime, home: str
) -> None:
    page = endpoint(client, home, [contact(runtime, home, "Ana", "+447400123456")])
    endpoint_id = page.rsplit("/", 1)[1]
    shown = client.get(page)
    url = f"http://tocsin.test/v1/hooks/{endpoint_id}"
    assert f'<code id="webhook-url">{url}</code>' in shown.text
    assert 'data-copy="webhook-url">Copy URL</button>' in shown.text
    curl = shown.text.split('<pre id="curl-example">', 1)[1].split("</pre>", 1)[0]
    assert url in curl
    assert "X-Alert-Key: $TOCSIN_ALERT_KEY" in curl


def test_a_key_is_shown_once_and_rotating_it_retires_the_old_one(
    client: TestClient, runtime: Runtime, home: str
) -> None:
    page = endpoint(client, home, [contact(runtime, home, "Ana", "+447400123456")])
    endpoint_id = page.rsplit("/", 1)[1]
    first = new_key(client, page, f"{page}/keys")
    assert hook(client, endpoint_id, first) == 202
    again = client.get(page)
    assert first not in again.text
    assert 'id="new-key"' not in again.text
    key_id = re.search(r"/keys/(key_\w+)/rotate", again.text)
    assert key_id

    second = new_key(client, page, f"{page}/keys/{key_id.group(1)}/rotate")
    assert second != first
    assert hook(client, endpoint_id, first) == 401
    assert hook(client, endpoint_id, second) == 202

    live = re.findall(r"/keys/(key_\w+)/revoke", client.get(page).text)
    assert len(live) == 1
    revoked = submit(client, page, f"{page}/keys/{live[0]}/revoke", {})
    assert (revoked.status_code, revoked.headers["location"]) == (303, page)
    assert hook(client, endpoint_id, second) == 401


def test_sending_a_test_alert_pages_through_the_webhook_path(
    client: TestClient, home: str, runtime: Runtime
) -> None:
    page = endpoint(client, home, [contact(runtime, home, "Ana", "+447400123456")])
    endpoint_id = page.rsplit("/", 1)[1]
    answer = submit(client, page, f"{page}/test", {})
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(rf"{home}/alerts/(al_\w+)", answer.headers["location"])
    assert found
    with runtime.database.read() as db:
        alert = db.get(Alert, found.group(1))
        assert alert is not None
        assert (alert.title, alert.endpoint_id) == ("Test alert from the dashboard", endpoint_id)
        jobs = db.scalars(select(CallJob).where(CallJob.alert_id == alert.id)).all()
        assert len(jobs) == 1
    # A second test is an alert of its own, not a repeat of the first.
    later = submit(client, page, f"{page}/test", {})
    assert later.headers["location"] != answer.headers["location"]


def test_the_scenario_saves_rules_template_and_escalation_policy(
    client: TestClient, home: str, runtime: Runtime
) -> None:
    ana = contact(runtime, home, "Ana", "+447400123456")
    page = endpoint(client, home, [ana])
    org_id = home.rsplit("/", 1)[1]
    policy_id = seeded.escalation(
        runtime, org_id, {"type": "call", "contact_ids": [ana]}, name="Night shift"
    )
    shown = client.get(page)
    for label in ("Scenario rules (JSON)", "Template", "Escalation policy"):
        assert f"{label} <span" in shown.text
    rule = (
        '[{"conditions": [{"field": "severity", "op": "in", "value": ["critical"]}], '
        '"action": {"type": "call_all"}}]'
    )
    fields = {"rules": rule, "template": "Alert: {{ title }}", "escalation_id": policy_id}
    saved = submit(client, page, f"{page}/scenario", fields)
    assert (saved.status_code, saved.headers["location"]) == (303, f"{page}?saved=1")
    after = client.get(saved.headers["location"])
    assert "Scenario saved." in after.text
    assert "call_all" in after.text
    assert f'<option value="{policy_id}" selected>Night shift</option>' in after.text
    assert "Alert: {{ title }}" in after.text
    # The chosen policy is the catch-all rule, not a rule typed in the textarea.
    textarea = after.text.split('id="scenario-rules"', 1)[1].split("</textarea>", 1)[0]
    assert policy_id not in textarea

    broken = submit(client, page, f"{page}/scenario", {"rules": "[{", "template": ""})
    assert broken.status_code == 422
    assert "invalid_rules" in broken.text
    assert "[{</textarea>" in broken.text  # what was typed stays to be fixed


def test_another_organizations_endpoint_is_not_found(
    client: TestClient, runtime: Runtime, home: str
) -> None:
    page = endpoint(client, home, [contact(runtime, home, "Ana", "+447400123456")])
    other = TestClient(client.app)
    other_home = owner_home(other, runtime, "bo@example.com", "Bo Ops")
    assert other.get(page).status_code == 404
    endpoint_id = page.rsplit("/", 1)[1]
    assert other.get(f"{other_home}/endpoints/{endpoint_id}").status_code == 404
    token = form_token(other.get(f"{other_home}/endpoints").text)
    tried = other.post(
        f"{other_home}/endpoints/{endpoint_id}/test",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert tried.status_code == 404


def test_an_endpoint_form_without_its_token_is_refused(
    client: TestClient, runtime: Runtime, home: str
) -> None:
    page = endpoint(client, home, [contact(runtime, home, "Ana", "+447400123456")])
    forged = client.post(f"{page}/keys", data={}, follow_redirects=False)
    assert forged.status_code == 403
    assert "csrf_failed" in forged.text
    assert client.post(f"{page}/test", data={}, follow_redirects=False).status_code == 403
