"""Contacts in the dashboard: adding one (with the live number screen), verifying its number
by code, and the consent evidence that leaves."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import code_in_simulator
from tests.web.browser_forms import owner_home, submit
from tocsin.documents.versions import SHIPPED_VERSION
from tocsin.numbers.models import NumberVerification
from tocsin.runtime import Runtime

PREMIUM = "+449098790123"
PREMIUM_REASONS = (
    "fictional/test range 0909 879 0000-0999 (premium rate)",
    "premium-rate number: the caller pays a high tariff",
)


def add_contact(client: TestClient, home: str, name: str, phone: str) -> str:
    """Adds a contact through the list page's form; returns its page."""
    answer = submit(client, f"{home}/contacts", f"{home}/contacts", {"name": name, "phone": phone})
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def send_code(client: TestClient, page: str) -> str:
    """Asks for a code by call from the contact's page; returns the verification id."""
    sent = submit(client, page, f"{page}/code", {"channel": "call"})
    assert sent.status_code == 303, sent.text
    shown = client.get(sent.headers["location"])
    assert "Code sent" in shown.text
    found = re.search(r'name="verification_id" value="([^"]+)"', shown.text)
    assert found, shown.text
    return found.group(1)


def test_adding_a_contact_lists_it_unverified_and_opens_its_page(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    page = add_contact(client, home, "Ana", "+44 7400 123456")
    assert re.fullmatch(rf"{home}/contacts/ct_\w+", page)
    shown = client.get(page)
    assert shown.status_code == 200
    assert "+447400123456" in shown.text
    assert '<span class="badge unverified" id="number-state">unverified</span>' in shown.text
    listing = client.get(f"{home}/contacts")
    assert f'<a href="{page}">Ana</a>' in listing.text
    assert '<span class="badge unverified">unverified</span>' in listing.text


def test_the_live_screen_says_whether_a_number_can_be_called(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    fine = client.get(f"{home}/contacts/screen", params={"phone": "07400 123456"})
    assert fine.status_code == 200
    assert "Can be called: +447400123456" in fine.text
    blocked = client.get(f"{home}/contacts/screen", params={"phone": PREMIUM})
    for reason in PREMIUM_REASONS:
        assert reason in blocked.text
    assert "Can be called" not in blocked.text
    assert client.get(f"{home}/contacts/screen", params={"phone": ""}).text.strip() == ""


def test_a_blocked_number_is_refused_with_each_reason(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    refused = submit(
        client, f"{home}/contacts", f"{home}/contacts", {"name": "Paid line", "phone": PREMIUM}
    )
    assert refused.status_code == 422
    assert "number_blocked" in refused.text
    for reason in PREMIUM_REASONS:
        assert f"<li>{reason}</li>" in refused.text
    # The form keeps what was typed.
    assert 'value="Paid line"' in refused.text
    assert "No contacts yet." in client.get(f"{home}/contacts").text


def test_verifying_by_code_counts_a_wrong_guess_then_records_consent(
    client: TestClient, runtime: Runtime, data_dir: Path
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    page = add_contact(client, home, "Ana", "+447400123456")
    verification_id = send_code(client, page)
    code = code_in_simulator(data_dir, verification_id)
    wrong = "000000" if code != "000000" else "111111"

    refused = submit(
        client, page, f"{page}/verify", {"verification_id": verification_id, "code": wrong}
    )
    assert refused.status_code == 422
    assert "that code is not right" in refused.text
    # The form is still there to try again.
    assert f'name="verification_id" value="{verification_id}"' in refused.text
    with runtime.database.read() as db:
        row = db.scalar(select(NumberVerification).where(NumberVerification.id == verification_id))
        assert row is not None
        assert row.wrong_attempts == 1

    confirmed = submit(
        client, page, f"{page}/verify", {"verification_id": verification_id, "code": code}
    )
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, page)
    shown = client.get(page)
    assert '<span class="badge verified" id="number-state">verified</span>' in shown.text
    records = shown.text.split("<h2>Consent records</h2>", 1)[1]
    assert "<td>call</td>" in records
    assert "testclient" in records  # the user agent that typed the code
    # Who gave the consent, by name, never by id.
    assert "<td>ana</td>" in records
    assert "usr_" not in records
    assert SHIPPED_VERSION in records  # the acceptable-use policy in force
    # The code is used: the page no longer offers to type it.
    assert 'name="verification_id"' not in shown.text


def test_a_code_can_be_sent_by_sms(client: TestClient, runtime: Runtime, data_dir: Path) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    page = add_contact(client, home, "Ana", "+447400123456")
    answer = submit(client, page, f"{page}/code", {"channel": "sms"})
    assert answer.status_code == 303, answer.text
    verification_id = answer.headers["location"].split("sent=", 1)[1]
    # The simulator texts: the code arrives as a called one does.
    assert code_in_simulator(data_dir, verification_id).isdigit()
    assert "Code sent" in client.get(answer.headers["location"]).text


def test_another_organizations_contact_is_not_found(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    page = add_contact(client, home, "Ana", "+447400123456")
    other = TestClient(client.app)
    other_home = owner_home(other, runtime, "bo@example.com", "Bo Ops")
    assert other.get(page).status_code == 404
    assert other.get(f"{home}/contacts").status_code == 404
    contact_id = page.rsplit("/", 1)[1]
    assert other.get(f"{other_home}/contacts/{contact_id}").status_code == 404


def test_a_contact_form_without_its_token_is_refused(client: TestClient, runtime: Runtime) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    forged = client.post(
        f"{home}/contacts", data={"name": "Eve", "phone": "+447400123456"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "csrf_failed" in forged.text
    assert "No contacts yet." in client.get(f"{home}/contacts").text
