"""The Webhooks pages without a browser: an administrator adds a webhook (refused, with the
API's words, when not public https) and sees its secret once, on the page that answers; the
delivery log shows each attempt's status code; a test event, a new secret, disabling and
deleting work from the page; a member is shown nothing of it."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi.testclient import TestClient

from tests import seeded
from tests.oncall.schedule_rows import project
from tests.outgoing.rows import deliveries
from tests.rows import browser_for
from tests.web.browser_forms import form_token
from tocsin.accounts.models import Role
from tocsin.outgoing.deliveries import claim_due, record_attempt
from tocsin.outgoing.retries import Answer
from tocsin.runtime import Runtime

URL = "https://93.184.216.34/hooks/T0001/secret-part"


def _post(browser: TestClient, page: str, action: str, **fields: str | list[str]) -> httpx.Response:
    token = form_token(browser.get(page).text)
    return browser.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)


def _secret(page: httpx.Response) -> str:
    return page.text.split('id="webhook-secret" class="secret">')[1].split("<")[0]


def _attempt(runtime: Runtime, status: int) -> None:
    """The worker's attempt, answered `status`."""
    with runtime.database.write() as session:
        claimed = claim_due(
            session,
            now=runtime.clock.now(),
            limit=10,
            lease=timedelta(0),
            skip_locked=False,
        )
    for one in claimed:
        with runtime.database.write() as session:
            record_attempt(session, claimed=one, answer=Answer(status), now=runtime.clock.now())


def test_an_admin_adds_a_webhook_sees_its_secret_once_and_reads_its_log(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/webhooks"
    assert 'id="no-webhooks"' in browser.get(page).text

    plain = _post(browser, page, page, name="Relay", url="http://93.184.216.34/x", events="created")
    assert plain.status_code == 422
    assert "must be https" in plain.text
    assert 'value="http://93.184.216.34/x"' in plain.text  # what was typed, kept
    private = _post(browser, page, page, name="Relay", url="https://10.1.2.3/x", events="created")
    assert private.status_code == 422
    assert "not allowed" in private.text

    made = _post(browser, page, page, name="Relay", url=URL, events=["created", "resolved"])
    assert made.status_code == 200
    secret = _secret(made)
    assert secret.startswith("whsec_")
    assert "created, resolved" in made.text
    listed = browser.get(page).text
    assert "Relay" in listed
    assert "93.184.216.34" in listed
    assert "secret-part" not in listed  # the path may be a credential of its own
    [webhook_id] = _ids(listed)
    detail = f"{page}/{webhook_id}"
    assert secret not in browser.get(detail).text  # shown once

    queued = _post(browser, detail, f"{detail}/test")
    assert "test event was queued" in queued.text
    _attempt(runtime, 503)
    log = browser.get(detail).text
    assert "webhook.test" in log
    assert ": 503" in log
    assert "the receiver answered 503" in log

    rotated = _post(browser, detail, f"{detail}/rotate-secret")
    new_secret = _secret(rotated)
    assert new_secret.startswith("whsec_")
    assert new_secret != secret
    disabled = _post(browser, detail, f"{detail}/enabled", enabled="false")
    assert disabled.status_code == 303
    assert "disabled" in browser.get(detail).text
    assert {d.status for d in deliveries(runtime)} == {"gave_up"}
    deleted = _post(browser, detail, f"{detail}/delete")
    assert deleted.status_code == 303
    assert 'id="no-webhooks"' in browser.get(page).text


def test_a_webhook_for_one_endpoint_or_project_names_it(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    billing = seeded.endpoint(runtime, owner.org_id, name="Billing API")
    platform = project(runtime, owner.org_id, "Platform")
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/webhooks"

    endpoint_page = f"/o/{owner.org_id}/endpoints/{billing}"
    project_page = f"/o/{owner.org_id}/projects/{platform}"
    for only, named in (
        ({"endpoint_id": billing}, f'endpoint <a href="{endpoint_page}">Billing API</a>'),
        ({"project_id": platform}, f'project <a href="{project_page}">Platform</a>'),
    ):
        made = _post(browser, page, page, name="Relay", url=URL, events="created", **only)
        assert made.status_code == 200
        assert made.text.split('id="webhook-only">')[1].split("</dd>")[0] == named


def _ids(html: str) -> list[str]:
    return [
        part.split('"')[0] for part in html.split('id="webhook-')[1:] if part.startswith("whk_")
    ]


def test_a_member_is_refused_the_webhooks_pages(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    member = seeded.member(runtime, owner.org_id, role=Role.MEMBER)
    browser = browser_for(client, runtime, member.user_id)
    assert browser.get(f"/o/{owner.org_id}/webhooks").status_code == 403
