"""Changing what the dashboard used to only show: contacts and endpoints edited and deleted,
escalation policies written step by step, and provider accounts added, tested and removed,
each by the API's own commands, for administrators only, behind the session's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import seeded
from tests.rows import browser_for, proven_caller_id
from tests.web.browser_forms import form_token, owner_home, submit
from tocsin.accounts.models import Role
from tocsin.audit.models import AuditEvent
from tocsin.contacts.models import Contact
from tocsin.endpoints.models import Endpoint, EscalationPolicy
from tocsin.providers.models import ProviderAccount
from tocsin.runtime import Runtime


def _org(home: str) -> str:
    return home.rsplit("/", 1)[1]


def _actions(runtime: Runtime, target_id: str) -> list[str]:
    with runtime.database.read() as session:
        return list(
            # In the order they happened: ids sort by creation (core/ids.py); without the order,
            # PostgreSQL may return updated rows' neighbours in any order.
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target_id == target_id)
                .order_by(AuditEvent.id)
            )
        )


def _audited(runtime: Runtime, action: str) -> bool:
    with runtime.database.read() as session:
        return session.scalar(select(AuditEvent.id).where(AuditEvent.action == action)) is not None


def test_a_contact_is_renamed_renumbered_and_deleted_from_its_page(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    contact_id = seeded.contact(runtime, _org(home), phone="+447400123456", name="Ana")
    page = f"{home}/contacts/{contact_id}"
    assert "Delete contact Ana" in client.get(page).text

    renamed = submit(client, page, f"{page}/edit", {"name": "Ana B", "phone": "+447400123456"})
    assert (renamed.status_code, renamed.headers["location"]) == (303, page)
    shown = client.get(page).text
    assert "<h1>Ana B</h1>" in shown
    # The same number typed again is no change: it stays verified.
    assert 'id="number-state">verified</span>' in shown

    renumbered = submit(client, page, f"{page}/edit", {"name": "Ana B", "phone": "07400 654321"})
    assert renumbered.status_code == 303
    assert 'id="number-state">unverified</span>' in client.get(page).text

    refused = submit(client, page, f"{page}/edit", {"name": "Ana B", "phone": "+449098790123"})
    assert refused.status_code == 422
    assert 'id="blocked-reasons"' in refused.text

    deleted = submit(client, page, f"{page}/delete", {})
    assert deleted.headers["location"] == f"{home}/contacts?deleted=1"
    assert "Contact deleted" in client.get(deleted.headers["location"]).text
    assert client.get(page).status_code == 404
    contact_events = [a for a in _actions(runtime, contact_id) if a.startswith("contact.")]
    assert "consent.withdrawn" in _actions(runtime, contact_id)  # the old number's consent
    assert contact_events == [
        "contact.created",
        "contact.updated",
        "contact.updated",
        "contact.deleted",
    ]


def test_an_endpoint_is_renamed_reordered_and_deleted(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    ana = seeded.contact(runtime, _org(home), phone="+447400123456", name="Ana")
    bo = seeded.contact(runtime, _org(home), phone="+447400123457", name="Bo")
    endpoint_id = seeded.endpoint(runtime, _org(home), ana)
    page = f"{home}/endpoints/{endpoint_id}"
    shown = client.get(page).text
    assert 'id="settings-contact-0"' in shown
    saved = client.post(
        f"{page}/settings",
        data={
            "name": "Payments",
            "contact_ids": [bo, ana, ""],
            "csrf_token": form_token(shown),
        },
        follow_redirects=False,
    )
    assert saved.headers["location"] == f"{page}?saved=settings"
    assert "Settings saved." in client.get(saved.headers["location"]).text
    with runtime.database.read() as session:
        endpoint = session.get(Endpoint, endpoint_id)
        assert endpoint is not None
        # The box was left unticked: no key is required any more.
        assert (endpoint.name, endpoint.require_key) == ("Payments", False)
    assert re.search(r"Calls: <a[^>]*>Bo</a>, <a[^>]*>Ana</a>", client.get(page).text)

    deleted = submit(client, page, f"{page}/delete", {})
    assert deleted.headers["location"] == f"{home}/endpoints?deleted=1"
    assert client.get(page).status_code == 404


def _steps_form(token: str, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"csrf_token": token, **fields}


def test_an_escalation_policy_is_written_as_steps_and_shown_with_names(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    ana = seeded.contact(runtime, _org(home), phone="+447400123456", name="Ana")
    bo = seeded.member(runtime, _org(home), email="bo@example.com")
    listing = client.get(f"{home}/escalations")
    assert listing.status_code == 200
    made = client.post(
        f"{home}/escalations",
        data=_steps_form(
            form_token(listing.text),
            name="Payments chain",
            **{"who-0": [f"contact:{ana}"], "wait-0": "5", "who-1": [f"user:{bo.user_id}"]},
            repeat="2",
        ),
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page = made.headers["location"]
    policy_id = page.rsplit("/", 1)[1]
    with runtime.database.read() as session:
        policy = session.get(EscalationPolicy, policy_id)
        assert policy is not None
        assert policy.steps == [
            {"type": "call", "contact_ids": [ana]},
            {"type": "wait", "minutes": 5.0},
            {"type": "call", "contact_ids": [], "user_ids": [bo.user_id]},
            {"type": "repeat", "times": 2},
        ]
    shown = client.get(page).text
    steps = shown.split('id="escalation-steps"')[1].split("</ol>")[0]
    assert "Page <strong>Ana (+447400123456)</strong>, then wait 5 min." in steps
    assert "Page <strong>bo</strong>." in steps
    assert "Start again from step 1, 2 more times." in steps
    assert bo.user_id not in steps

    # A step with nobody in it is left out; a wait first is refused as the API refuses it.
    refused = submit(client, page, page, {"name": "Payments chain", "wait-0": "5"})
    assert refused.status_code == 422
    assert "invalid_steps" in refused.text

    deleted = submit(client, page, f"{page}/delete", {})
    assert deleted.headers["location"] == f"{home}/escalations?deleted=1"
    assert _actions(runtime, policy_id) == [
        "escalation.created",
        "escalation.deleted",
    ]


def test_a_provider_account_is_added_tested_and_removed_and_its_secrets_never_shown(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    ana = seeded.contact(runtime, _org(home), phone="+447400123456", name="Ana")
    page = f"{home}/providers"
    added = submit(
        client,
        page,
        page,
        {
            "kind": "simulator",
            "name": "Our simulator",
            "priority": "2",
            "settings": "outcome=no_answer",
            "credentials": "token=very-secret-value",
        },
    )
    assert added.headers["location"] == f"{page}?done=added", added.text
    shown = client.get(added.headers["location"]).text
    assert "Our simulator" in shown
    assert "very-secret-value" not in shown
    with runtime.database.read() as session:
        account = session.scalar(select(ProviderAccount))
        assert account is not None
        assert account.settings == {"outcome": "no_answer"}
        assert "very-secret-value" not in account.sealed_credentials
        account_id = account.id

    tested = submit(client, page, f"{page}/{account_id}/test", {"contact_id": ana})
    # No proven caller ID yet: the account places no call, and the page says why.
    assert tested.status_code == 422
    assert "caller_id_missing" in tested.text or "places no call" in tested.text

    caller_id = proven_caller_id(runtime, _org(home))
    with runtime.database.write() as session:
        chosen = session.get(ProviderAccount, account_id)
        assert chosen is not None
        chosen.caller_id_id = caller_id
    called = submit(client, page, f"{page}/{account_id}/test", {"contact_id": ana})
    assert called.status_code == 200, called.text
    assert "took the test call to +447400123456" in called.text
    assert _audited(runtime, "call.test")

    refused = submit(client, page, page, {"kind": "twilio", "name": "T", "priority": "3"})
    assert refused.status_code == 422
    assert "account_sid is required" in refused.text

    removed = submit(client, page, f"{page}/{account_id}/delete", {})
    assert removed.headers["location"] == f"{page}?done=removed"
    assert _actions(runtime, account_id) == ["provider.created", "provider.deleted"]


def test_members_look_but_only_administrators_change(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    contact_id = seeded.contact(runtime, owner.org_id, phone="+447400123456", name="Ana")
    endpoint_id = seeded.endpoint(runtime, owner.org_id, contact_id)
    member = seeded.member(runtime, owner.org_id, role=Role.MEMBER)
    browser = browser_for(client, runtime, member.user_id)
    home = f"/o/{owner.org_id}"
    contact_page = browser.get(f"{home}/contacts/{contact_id}").text
    assert "Delete contact" not in contact_page
    assert "Save settings" not in browser.get(f"{home}/endpoints/{endpoint_id}").text
    assert "Create an escalation policy" not in browser.get(f"{home}/escalations").text
    # Provider accounts are for administrators only, to read too, as in the API.
    assert browser.get(f"{home}/providers").status_code == 403
    token = form_token(contact_page)
    for action in (
        f"{home}/contacts/{contact_id}/delete",
        f"{home}/endpoints/{endpoint_id}/delete",
        f"{home}/escalations",
        f"{home}/providers",
    ):
        answer = browser.post(action, data={"csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 403, action
    with runtime.database.read() as session:
        assert session.get(Contact, contact_id) is not None
        assert session.get(Endpoint, endpoint_id) is not None


def test_every_new_form_needs_the_session_token(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    contact_id = seeded.contact(runtime, _org(home), phone="+447400123456", name="Ana")
    endpoint_id = seeded.endpoint(runtime, _org(home), contact_id)
    for action in (
        f"{home}/contacts/{contact_id}/delete",
        f"{home}/endpoints/{endpoint_id}/delete",
        f"{home}/escalations",
        f"{home}/providers",
    ):
        answer = client.post(action, data={"csrf_token": "forged"}, follow_redirects=False)
        assert answer.status_code == 403, action
        assert "csrf_failed" in answer.text
    with runtime.database.read() as session:
        assert session.get(Contact, contact_id) is not None
        assert session.get(Endpoint, endpoint_id) is not None
