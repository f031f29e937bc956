"""A number is called only after its owner typed the code sent to it, and the consent record
keeps who, when, how, from where and under which policy version."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import rows, seeded
from tests.delivery.pager import MakePager, Pager, uk_mobile
from tests.factories import code_sent, ok
from tocsin.core.config import Settings
from tocsin.core.ratelimit import Limits, RateLimiter, parse_rate_limits
from tocsin.documents.queries import aup_version_in_force
from tocsin.numbers.verification import MAX_WRONG_GUESSES


def verification_of(pager: Pager, contact_id: str) -> str:
    return f"{pager.org}/contacts/{contact_id}/verification"


def send_code(pager: Pager, contact_id: str, **body: Any) -> Any:
    return pager.client.post(
        verification_of(pager, contact_id),
        json=body or None,
        headers={**pager.auth, "User-Agent": "pytest-browser/1.0"},
    )


def enter(pager: Pager, contact_id: str, code: str, verification_id: str | None = None) -> Any:
    return pager.client.post(
        f"{verification_of(pager, contact_id)}/confirm",
        json={"code": code, "verification_id": verification_id},
        headers={**pager.auth, "User-Agent": "pytest-browser/1.0"},
    )


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def contact_state(pager: Pager, contact_id: str) -> str:
    state: str = ok(pager.client.get(f"{pager.org}/contacts/{contact_id}", headers=pager.auth))[
        "number_state"
    ]
    return state


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_an_unverified_number_cannot_be_configured_for_calls(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    assert contact_state(pager, ana) == "unverified"
    endpoint = pager.client.post(
        f"{pager.org}/endpoints", json={"name": "Prod", "contact_ids": [ana]}, headers=pager.auth
    )
    assert error_code(endpoint, 409) == "number_unverified"
    assert "verification" in endpoint.json()["error"]["message"]
    policy = pager.client.post(
        f"{pager.org}/escalations",
        json={"name": "On call", "steps": [{"type": "call", "contact_ids": [ana]}]},
        headers=pager.auth,
    )
    assert error_code(policy, 409) == "number_unverified"


def test_an_unverified_number_is_never_called_even_when_already_configured(
    pager: Pager,
) -> None:
    ana = pager.contact("Ana")
    endpoint = pager.endpoint(ana)
    # A new number for the same contact has not been verified by anyone.
    ok(
        pager.client.patch(
            f"{pager.org}/contacts/{ana}", json={"phone": uk_mobile()}, headers=pager.auth
        )
    )
    assert contact_state(pager, ana) == "unverified"
    alert_id = pager.fire(endpoint)
    pager.run()
    assert pager.calls() == []
    job = pager.alert(alert_id)["jobs"][0]
    assert (job["status"], job["outcome"]) == ("cancelled", "blocked")
    skipped = [e for e in pager.alert(alert_id)["timeline"] if e["action"] == "call.skipped"]
    assert skipped[0]["details"]["reason"] == "number_unverified"


def test_the_code_goes_by_call_and_entering_it_records_consent(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    sent = ok(send_code(pager, ana), 202)
    assert sent["channel"] == "call"
    # The code is spoken in a call with no keypad menu, digit by digit.
    call = ok(pager.client.get(f"{pager.org}/contacts/{ana}", headers=pager.auth))
    transcript = next((pager.data_dir / "simulator" / "calls").glob("*.txt")).read_text()
    assert "your verification code is" in transcript
    assert "The organization Pager test, on Tocsin, asked to send alert calls" in transcript
    assert "Press 1 to acknowledge" not in transcript
    code = code_sent(pager.client, sent["verification_id"])
    record = ok(enter(pager, ana, code))
    assert record["phone_e164"] == call["phone_e164"]
    assert record["method"] == "call"
    assert record["actor_type"] == "api_key"
    assert record["ip_address"] == "testclient"
    assert record["user_agent"] == "pytest-browser/1.0"
    with pager.runtime.database.read() as session:
        assert record["policy_version"] == aup_version_in_force(session, pager.clock.now())
    assert contact_state(pager, ana) == "verified"
    listed = ok(pager.client.get(f"{pager.org}/consents", headers=pager.auth))["items"]
    assert [c["id"] for c in listed] == [record["id"]]
    # Now it can be called.
    pager.fire(pager.endpoint(ana))
    pager.run()
    assert pager.numbers_called() == [call["phone_e164"]]


def test_wrong_codes_are_counted_and_a_code_dies_after_five(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    sent = ok(send_code(pager, ana), 202)
    code = code_sent(pager.client, sent["verification_id"])
    first = enter(pager, ana, wrong(code))
    assert error_code(first, 422) == "verification_code_wrong"
    assert first.json()["error"]["details"]["tries_left"] == MAX_WRONG_GUESSES - 1
    for _ in range(MAX_WRONG_GUESSES - 1):
        enter(pager, ana, wrong(code))
    assert error_code(enter(pager, ana, code), 422) == "verification_locked"
    assert contact_state(pager, ana) == "unverified"


def test_a_code_lasts_fifteen_minutes_and_works_once(pager: Pager) -> None:
    ana, bob = pager.contact("Ana", verified=False), pager.contact("Bob", verified=False)
    late = ok(send_code(pager, ana), 202)
    pager.clock.advance(15 * 60)
    expired = enter(pager, ana, code_sent(pager.client, late["verification_id"]))
    assert error_code(expired, 422) == "verification_expired"

    sent = ok(send_code(pager, bob), 202)
    code = code_sent(pager.client, sent["verification_id"])
    pager.clock.advance(14 * 60 + 59)
    ok(enter(pager, bob, code))
    assert error_code(enter(pager, bob, code, sent["verification_id"]), 409) == (
        "verification_used"
    )


def test_codes_to_one_number_are_a_minute_apart(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    ok(send_code(pager, ana), 202)
    pager.clock.advance(30)
    again = send_code(pager, ana)
    assert error_code(again, 429) == "verification_too_soon"
    assert again.headers["Retry-After"] == "30"
    pager.clock.advance(30)
    ok(send_code(pager, ana), 202)


def test_a_number_gets_only_a_few_codes_a_day(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    for _ in range(6):
        ok(send_code(pager, ana), 202)
        # Spaced out for the number's throttle (3 calls or codes per 15 minutes).
        pager.clock.advance(301)
    assert error_code(send_code(pager, ana), 429) == "verification_daily_limit"
    pager.clock.advance(24 * 3600)
    ok(send_code(pager, ana), 202)


def test_the_latest_code_is_the_one_checked_when_none_is_named(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    first = ok(send_code(pager, ana), 202)
    pager.clock.advance(61)
    second = ok(send_code(pager, ana), 202)
    assert error_code(enter(pager, ana, code_sent(pager.client, first["verification_id"])), 422)
    ok(enter(pager, ana, code_sent(pager.client, second["verification_id"])))


def test_key_9_is_lifted_only_by_verifying_the_number_again(pager: Pager) -> None:
    ana = pager.contact("Ana", behaviour="press:99")
    endpoint = pager.endpoint(ana)
    pager.fire(endpoint)
    pager.run()
    assert contact_state(pager, ana) == "do_not_call"
    pager.fire(endpoint, {"title": "Second"})
    pager.run()
    assert len(pager.calls()) == 1
    pager.behaviours[pager.phone(ana)] = "press:1"
    pager.clock.advance(60)
    seeded.verify(pager.runtime, pager.org_id, ana)
    assert contact_state(pager, ana) == "verified"
    listed = ok(pager.client.get(f"{pager.org}/do-not-call", headers=pager.auth))["items"]
    assert listed[0]["lifted_at"] is not None
    pager.clock.advance(3600)
    pager.fire(endpoint, {"title": "Third"})
    pager.run()
    assert len(pager.numbers_called()) == 2


def test_verification_codes_are_limited_per_requester(pager: Pager) -> None:
    pager.runtime.rate_limiter = RateLimiter(
        {
            Limits.VERIFICATION: parse_rate_limits(
                Settings.model_fields["rate_limit_verification"].default
            )
        }
    )
    contacts = [pager.contact(f"Ana {n}", verified=False) for n in range(6)]
    for contact_id in contacts[:5]:
        ok(send_code(pager, contact_id), 202)
    refused = send_code(pager, contacts[5])
    assert error_code(refused, 429) == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_a_contact_of_another_organization_cannot_be_verified(
    client: TestClient, pager: Pager, make_pager: MakePager
) -> None:
    other = make_pager()
    theirs = other.contact("Theirs", verified=False)
    assert error_code(send_code(pager, theirs), 404) == "contact_not_found"
    sent = ok(send_code(other, theirs), 202)
    code = code_sent(client, sent["verification_id"])
    assert error_code(enter(pager, theirs, code, sent["verification_id"]), 404) in (
        "contact_not_found",
        "verification_not_found",
    )


def test_consent_is_per_organization(pager: Pager, make_pager: MakePager) -> None:
    number = uk_mobile()
    mine = pager.contact("Shared", phone=number)
    other = make_pager()
    theirs = other.contact("Shared", phone=number, verified=False)
    assert contact_state(pager, mine) == "verified"
    assert contact_state(other, theirs) == "unverified"


def test_the_code_can_go_by_sms_where_the_provider_sends_texts(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    sent = ok(send_code(pager, ana, channel="sms"), 202)
    assert sent["channel"] == "sms"
    texts = list((pager.data_dir / "simulator" / "texts").glob("*.json"))
    assert len(texts) == 1
    body = texts[0].read_text()
    assert "Tocsin code" in body
    assert "Pager test on Tocsin asked to send you alert calls" in body
    record = ok(enter(pager, ana, code_sent(pager.client, sent["verification_id"])))
    assert record["method"] == "sms"
    assert contact_state(pager, ana) == "verified"


def test_sms_is_refused_when_no_provider_of_the_organization_sends_texts(pager: Pager) -> None:
    rows.proven_caller_id(pager.runtime, pager.org_id, "+447400000001")
    ok(
        pager.client.post(
            f"{pager.org}/providers",
            json={
                "kind": "sip",
                "name": "Trunk",
                "settings": {"host": "127.0.0.1", "caller_id": "+447400000001"},
            },
            headers=pager.user_auth,
        ),
        201,
    )
    ana = pager.contact("Ana", verified=False)
    assert error_code(send_code(pager, ana, channel="sms"), 422) == "sms_unsupported"
