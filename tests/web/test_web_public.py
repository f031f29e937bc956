"""The public pages, as someone without an account uses them: stop every call to your number
in two steps, and report a call you did not want without learning who made it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.delivery.pager import CALLER_ID, Pager, uk_mobile
from tests.factories import code_in_simulator, ok
from tests.web.browser_forms import form_token, submit
from tocsin.runtime import Runtime
from tocsin.trust.models import TrustCase

_VERIFICATION = re.compile(r'name="verification_id" value="(ver_[^"]+)"')


def number_state(pager: Pager, contact_id: str) -> str:
    contact = ok(pager.client.get(f"{pager.org}/contacts/{contact_id}", headers=pager.auth))
    state: str = contact["number_state"]
    return state


def test_opting_out_in_two_steps_stops_every_organization_calling(
    client: TestClient, pager: Pager, data_dir: Path
) -> None:
    number = uk_mobile()
    sam = pager.contact("Sam", phone=number)
    # The form sends its code only to a number Tocsin called.
    pager.fire(pager.endpoint(sam))
    pager.run()
    visitor = TestClient(client.app)

    sent = submit(visitor, "/opt-out", "/opt-out", {"number": number})
    assert sent.status_code == 303, sent.text
    code_step = visitor.get(sent.headers["location"])
    assert "Code sent" in code_step.text
    found = _VERIFICATION.search(code_step.text)
    assert found, "the code step carries the verification id"
    verification_id = found.group(1)
    assert 'for="code">Code</label>' in code_step.text

    wrong = f"{(int(code_in_simulator(data_dir, verification_id)) + 1) % 1_000_000:06d}"
    refused = visitor.post(
        "/opt-out/confirm",
        data={
            "verification_id": verification_id,
            "code": wrong,
            "csrf_token": form_token(code_step.text),
        },
    )
    assert refused.status_code == 422
    assert "verification_code_wrong" in refused.text
    assert verification_id in refused.text  # the form is shown again, for another try
    assert number_state(pager, sam) == "verified"

    stopped = visitor.post(
        "/opt-out/confirm",
        data={
            "verification_id": verification_id,
            "code": code_in_simulator(data_dir, verification_id),
            "csrf_token": form_token(refused.text),
        },
    )
    assert stopped.status_code == 200
    assert "No organization on Tocsin will call" in stopped.text
    assert number_state(pager, sam) == "opted_out"


def test_the_opt_out_page_refuses_a_number_the_platform_never_calls(
    client: TestClient, data_dir: Path
) -> None:
    refused = submit(client, "/opt-out", "/opt-out", {"number": "+19005551234"})
    assert refused.status_code == 422
    assert "number_blocked" in refused.text or "invalid_number" in refused.text
    assert 'value="+19005551234"' in refused.text
    calls = data_dir / "simulator" / "calls"
    assert not calls.exists() or not list(calls.glob("*"))


def test_a_report_files_a_case_and_shows_only_its_reference(
    client: TestClient, pager: Pager, runtime: Runtime
) -> None:
    victim = uk_mobile()
    pager.fire(pager.endpoint(pager.contact("Victim", phone=victim)))
    pager.run()
    seen = pager.clock.now().strftime("%Y-%m-%dT%H:%M")
    visitor = TestClient(client.app)
    form = visitor.get("/report")
    for label in (
        "Caller ID you saw (optional)",
        "When (date and time)",
        "Time zone",
        "What happened",
        "How to reach you (optional)",
        "Your number (optional)",
    ):
        assert f">{label}</label>" in form.text, label

    sent = submit(
        visitor,
        "/report",
        "/report",
        {
            "caller_id": CALLER_ID,
            "seen_at": seen,
            "timezone": "UTC",
            "description": "A robot called me about a disk",
            "contact": "victim@example.com",
            "your_number": victim,
        },
    )
    assert sent.status_code == 303, sent.text
    thanks = visitor.get(sent.headers["location"])
    reference = re.search(r'id="report-reference">(case_[^<]+)<', thanks.text)
    assert reference, thanks.text
    with runtime.database.read() as session:
        case = session.get(TrustCase, reference.group(1))
        assert case is not None
        assert (case.kind, case.org_id) == ("abuse_report", pager.org_id)
        assert case.details["reporter_contact"] == "victim@example.com"
    # Which organization called is for trust and safety staff, not for the reporter.
    assert pager.org_id not in thanks.text
    assert "Pager test" not in thanks.text


def test_a_report_without_a_time_zone_is_shown_again_with_the_problem(
    client: TestClient,
) -> None:
    refused = submit(
        client,
        "/report",
        "/report",
        {"caller_id": CALLER_ID, "seen_at": "2025-12-31T10:00", "description": "who is this"},
    )
    assert refused.status_code == 422
    assert "timezone_required" in refused.text
    assert "who is this" in refused.text


@pytest.mark.parametrize("page", ["/opt-out", "/opt-out/confirm", "/report"])
def test_public_forms_refuse_a_post_without_the_double_submit_token(
    client: TestClient, page: str
) -> None:
    client.get("/report")  # the cookie alone is not enough: the form must echo it
    refused = client.post(page, data={"number": uk_mobile(), "caller_id": CALLER_ID})
    assert refused.status_code == 403
    assert "csrf_failed" in refused.text
    forged = client.post(page, data={"csrf_token": "guessed", "number": uk_mobile()})
    assert forged.status_code == 403
