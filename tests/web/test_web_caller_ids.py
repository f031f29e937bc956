"""Caller IDs in the dashboard (issue 16, finding 1): a provider account with no proven caller
ID is flagged, a number is added and proven by the code the platform sent, and choosing it for
the account clears the warning."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests import rows
from tests.factories import code_in_simulator
from tests.web.browser_forms import owner_home, submit
from tocsin.numbers.models import NumberVerification
from tocsin.runtime import Runtime


def test_an_account_without_a_caller_id_is_flagged_until_one_is_proven_and_chosen(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    org_id = home.rsplit("/", 1)[1]
    account = rows.provider_account(runtime, org_id, "simulator", caller_id=None)
    page = f"{home}/caller-ids"
    shown = client.get(page)
    assert shown.status_code == 200
    assert "has no caller ID chosen" in shown.text

    added = submit(client, page, page, {"number": "+44 7400 000002"})
    assert added.status_code == 303, added.text
    found = re.search(r"/caller-ids/(cid_\w+)/code", client.get(page).text)
    assert found
    caller_id = found.group(1)
    sent = submit(client, page, f"{page}/{caller_id}/code", {"channel": "call"})
    assert sent.status_code == 303, sent.text
    with runtime.database.read() as session:
        verification_id = session.scalar(
            select(NumberVerification.id).where(NumberVerification.purpose == "caller_id")
        )
    assert verification_id is not None
    code = code_in_simulator(runtime.settings.data_dir, verification_id)
    wrong = submit(client, page, f"{page}/{caller_id}/confirm", {"code": "000000"})
    assert wrong.status_code == 422
    proven = submit(client, page, f"{page}/{caller_id}/confirm", {"code": code})
    assert proven.status_code == 303, proven.text
    chosen = submit(
        client, page, f"{home}/providers/{account}/caller-id", {"caller_id_id": caller_id}
    )
    assert chosen.status_code == 303, chosen.text
    after = client.get(page).text
    assert "has no caller ID chosen" not in after
    assert "+447400000002" in after


def test_the_form_refuses_a_number_nobody_should_be_asked_to_call_back(
    client: TestClient, runtime: Runtime
) -> None:
    """Issue 17, finding 14: a one-ring area code is never shown as a caller ID."""
    home = owner_home(client, runtime, "ana@example.com")
    page = f"{home}/caller-ids"
    refused = submit(client, page, page, {"number": "+1 876 210 1234"})
    assert refused.status_code == 422
    assert "cannot be a caller ID" in refused.text
    assert "one-ring" in refused.text
    assert "+18762101234" not in client.get(page).text
