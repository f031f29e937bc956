"""What anyone can do without an account: stop every organization calling their number (after
proving it is theirs), and report a call they did not want."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.pager import CALLER_ID, MakePager, Pager, uk_mobile
from tests.factories import code_sent, ok
from tests.trust.conftest import staff_login


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def opt_out(client: TestClient, number: str) -> dict[str, Any]:
    sent = ok(client.post("/v1/public/opt-out", json={"number": number}), 202)
    code = code_sent(client, sent["verification_id"])
    result: dict[str, Any] = ok(
        client.post(
            "/v1/public/opt-out/confirm",
            json={"verification_id": sent["verification_id"], "code": code},
        )
    )
    return result


def state(pager: Pager, contact_id: str) -> str:
    found: str = ok(pager.client.get(f"{pager.org}/contacts/{contact_id}", headers=pager.auth))[
        "number_state"
    ]
    return found


def test_a_public_opt_out_stops_every_organization_calling_the_number(
    client: TestClient, pager: Pager, make_pager: MakePager
) -> None:
    number = uk_mobile()
    other = make_pager()
    mine = pager.contact("Sam", behaviour="no_answer", phone=number)
    theirs = other.contact("Sam", behaviour="no_answer", phone=number)
    my_endpoint = pager.endpoint(mine)
    mine_alert = pager.fire(my_endpoint)
    theirs_alert = other.fire(other.endpoint(theirs))
    pager.run()
    # Mine was called and will be again; theirs waits for the number's throttle.
    assert pager.numbers_called() == [number]

    result = opt_out(client, number)
    assert result["phone_e164"] == number
    assert result["calls_cancelled"] == 2
    assert state(pager, mine) == "opted_out"
    assert state(other, theirs) == "opted_out"
    for each, alert_id in ((pager, mine_alert), (other, theirs_alert)):
        assert [job["status"] for job in each.alert(alert_id)["jobs"]] == ["cancelled"]
    pager.later(minutes=30)
    assert pager.numbers_called() == [number]
    # A new alert is not called either, in either organization.
    pager.fire(my_endpoint, {"title": "Later"})
    pager.later(minutes=30)
    assert pager.numbers_called() == [number]


def test_only_the_owner_verifying_again_lifts_an_opt_out_and_only_for_that_organization(
    client: TestClient, pager: Pager, make_pager: MakePager
) -> None:
    number = uk_mobile()
    other = make_pager()
    mine = pager.contact("Sam", phone=number)
    theirs = other.contact("Sam", phone=number)
    # The form sends its code only to a number Tocsin called.
    pager.fire(pager.endpoint(mine))
    pager.run()
    opt_out(client, number)
    refused = pager.client.post(
        f"{pager.org}/endpoints", json={"name": "x", "contact_ids": [mine]}, headers=pager.auth
    )
    assert error_code(refused, 409) == "platform_opt_out"
    pager.clock.advance(61)
    seeded.verify(pager.runtime, pager.org_id, mine)
    assert state(pager, mine) == "verified"
    assert state(other, theirs) == "opted_out"
    pager.fire(pager.endpoint(mine), {"title": "After"})
    pager.run()
    assert pager.numbers_called() == [number, number]


def test_an_opt_out_needs_the_code_sent_to_the_number(client: TestClient, pager: Pager) -> None:
    number = uk_mobile()
    sam = pager.contact("Sam", phone=number)
    pager.fire(pager.endpoint(sam))
    pager.run()
    sent = ok(client.post("/v1/public/opt-out", json={"number": number}), 202)
    code = code_sent(client, sent["verification_id"])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    guessed = client.post(
        "/v1/public/opt-out/confirm",
        json={"verification_id": sent["verification_id"], "code": wrong},
    )
    assert error_code(guessed, 422) == "verification_code_wrong"
    assert state(pager, sam) == "verified"
    # A consent code is no good here, nor an opt-out code for contact verification.
    contact_code = client.post(
        "/v1/public/opt-out/confirm", json={"verification_id": "ver_nope", "code": code}
    )
    assert error_code(contact_code, 404) == "verification_not_found"
    transcripts = [p.read_text() for p in (pager.data_dir / "simulator" / "calls").glob("*.txt")]
    assert any("stop all calls from Tocsin to this number" in t for t in transcripts)


def test_the_opt_out_form_refuses_numbers_the_platform_never_calls(client: TestClient) -> None:
    for number in ("+19005551234", "999", "+447700900123"):
        refused = client.post("/v1/public/opt-out", json={"number": number, "region": "GB"})
        assert error_code(refused, 422) in ("number_blocked", "invalid_number"), number
    calls = client.app.state.runtime.settings.data_dir / "simulator" / "calls"  # type: ignore[attr-defined]
    assert not calls.exists() or not list(calls.glob("*"))


def test_an_abuse_report_finds_the_organization_and_call_by_caller_id_and_time(
    client: TestClient, pager: Pager, make_pager: MakePager, staff: dict[str, str]
) -> None:
    other = make_pager()
    victim = uk_mobile()
    other.fire(other.endpoint(other.contact("Someone")))
    other.run()  # another organization's call, same caller id, 25 minutes earlier
    pager.clock.advance(25 * 60)
    alert_id = pager.fire(pager.endpoint(pager.contact("Victim", phone=victim)))
    pager.run()
    [call] = pager.alert(alert_id)["calls"]
    called_at = pager.clock.now()
    pager.clock.advance(20 * 60)
    # The reporter saw the call in New York time, and remembers it a few minutes early.
    local = called_at.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
    seen = (local - timedelta(minutes=3)).replace(second=0, microsecond=0).isoformat()
    received = ok(
        client.post(
            "/v1/public/abuse-reports",
            json={
                "caller_id": CALLER_ID,
                "seen_at": seen,
                "timezone": "America/New_York",
                "description": "A robot keeps calling me about a disk",
                "contact": "victim@example.com",
            },
        ),
        201,
    )
    assert set(received) == {"reference", "received_at"}  # nothing about who called
    staff = staff_login(pager.runtime)
    case = ok(client.get(f"/v1/admin/cases/{received['reference']}", headers=staff))
    assert case["kind"] == "abuse_report"
    assert case["org_id"] == pager.org_id
    assert case["details"]["matches"][0]["attempt_id"] == call["id"]
    assert case["details"]["matches"][0]["to_number"] == victim
    assert case["details"]["reporter_contact"] == "victim@example.com"
    assert [e["action"] for e in case["history"]] == ["case.opened.abuse_report"]
    queue = ok(client.get("/v1/admin/cases?kind=abuse_report&status=open", headers=staff))
    assert [c["id"] for c in queue["items"]] == [case["id"]]


def test_an_abuse_report_narrows_to_the_reporters_number(
    client: TestClient, pager: Pager, make_pager: MakePager, staff: dict[str, str]
) -> None:
    other = make_pager()
    victim = uk_mobile()
    other.fire(other.endpoint(other.contact("Victim", phone=victim)))
    pager.fire(pager.endpoint(pager.contact("Someone else")))
    other.run()
    pager.run()
    now = pager.clock.now()
    received = ok(
        client.post(
            "/v1/public/abuse-reports",
            json={
                "caller_id": CALLER_ID,
                "seen_at": now.isoformat(),
                "description": "unwanted",
                "your_number": victim,
            },
        ),
        201,
    )
    case = ok(client.get(f"/v1/admin/cases/{received['reference']}", headers=staff))
    assert case["org_id"] == other.org_id
    assert [m["to_number"] for m in case["details"]["matches"]] == [victim]


def test_an_abuse_report_with_nothing_to_match_is_still_filed(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    received = ok(
        client.post(
            "/v1/public/abuse-reports",
            json={
                "caller_id": "+442071838750",
                "seen_at": pager.clock.now().isoformat(),
                "description": "who is this",
            },
        ),
        201,
    )
    case = ok(client.get(f"/v1/admin/cases/{received['reference']}", headers=staff))
    assert (case["org_id"], case["details"]["matches"]) == (None, [])


@pytest.mark.parametrize(
    ("seen_at", "timezone", "code"),
    [
        ("2026-12-01T14:05:00", None, "timezone_required"),
        ("2026-12-01T14:05:00", "Mars/Olympus", "invalid_timezone"),
        ("yesterday", None, "invalid_seen_at"),
        ("2099-01-01T00:00:00+00:00", None, "seen_at_in_future"),
    ],
)
def test_an_abuse_report_needs_a_time_with_its_zone(
    client: TestClient, seen_at: str, timezone: str | None, code: str
) -> None:
    refused = client.post(
        "/v1/public/abuse-reports",
        json={
            "caller_id": CALLER_ID,
            "seen_at": seen_at,
            "timezone": timezone,
            "description": "x",
        },
    )
    assert error_code(refused, 422) == code


def test_public_forms_are_rate_limited_per_address(client: TestClient, pager: Pager) -> None:
    body = {"caller_id": CALLER_ID, "seen_at": pager.clock.now().isoformat(), "description": "x"}
    for _ in range(10):
        ok(client.post("/v1/public/abuse-reports", json=body), 201)
    limited = client.post("/v1/public/abuse-reports", json=body)
    assert error_code(limited, 429) == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
