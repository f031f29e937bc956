"""The public opt-out form cannot be turned into a weapon (issue 16, finding 3): it dialled
any number, abroad too, for anyone; and six anonymous requests used up a number's codes for a
day, so its owner could neither verify it nor opt out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.delivery.pager import MakePager, Pager, uk_mobile
from tests.factories import code_sent, ok
from tests.trust.conftest import staff_login

# Côte d'Ivoire, Latvia, the Isle of Man, Jamaica, Antigua and Syria: what was dialled at once.
ABROAD = (
    "+2250701234567",
    "+37120012345",
    "+447624123456",
    "+18762101234",
    "+12684641234",
    "+963944123456",
)


def dialled(data_dir: Path) -> list[str]:
    calls = data_dir / "simulator" / "calls"
    return [path.read_text() for path in sorted(calls.glob("*.txt"))] if calls.exists() else []


def ask(client: TestClient, number: str, address: str | None = None) -> Any:
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/v1/public/opt-out", json={"number": number}, headers=headers)


def held_cases(pager: Pager) -> list[dict[str, Any]]:
    staff = staff_login(pager.runtime)
    found: list[dict[str, Any]] = ok(
        pager.client.get("/v1/admin/cases?kind=opt_out_request", headers=staff)
    )["items"]
    return found


def called(pager: Pager, number: str) -> None:
    """An alert call to `number`, as an organization's paging makes one."""
    pager.fire(pager.endpoint(pager.contact("Callee", behaviour="no_answer", phone=number)))
    pager.run()
    assert number in pager.numbers_called()


def test_the_form_dials_nobody_abroad_and_nobody_tocsin_never_called(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    answers = [ask(client, number) for number in ABROAD]
    for number, answer in zip(ABROAD, answers, strict=True):
        assert answer.status_code in (202, 422), (number, answer.text)
    assert dialled(pager.data_dir) == []
    held = {case["details"]["number"] for case in held_cases(pager)}
    accepted = {a.json()["phone_e164"] for a in answers if a.status_code == 202}
    assert accepted
    assert accepted <= held


def test_the_form_answers_alike_whether_or_not_tocsin_calls_the_number(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    known, unknown = uk_mobile(), uk_mobile()
    called(pager, known)
    pager.clock.advance(3600)
    before = len(dialled(pager.data_dir))
    sent, held = ask(client, known), ask(client, unknown)
    assert (sent.status_code, held.status_code) == (202, 202)
    assert sent.json().keys() == held.json().keys()
    assert held.json()["verification_id"].startswith("ver_")
    assert held.json()["phone_e164"] == unknown
    # Only the number Tocsin called got a code.
    assert len(dialled(pager.data_dir)) == before + 1
    # A code typed for the held request is as wrong as a wrong code, and dies as one.
    for tries_left in (4, 3, 2, 1, 0):
        wrong = client.post(
            "/v1/public/opt-out/confirm",
            json={"verification_id": held.json()["verification_id"], "code": "123456"},
        )
        assert wrong.status_code == 422, wrong.text
        assert wrong.json()["error"]["code"] == "verification_code_wrong"
        assert wrong.json()["error"]["details"]["tries_left"] == tries_left
    locked = client.post(
        "/v1/public/opt-out/confirm",
        json={"verification_id": held.json()["verification_id"], "code": "123456"},
    )
    assert locked.json()["error"]["code"] == "verification_locked"
    [case] = held_cases(pager)
    assert case["details"]["number"] == unknown
    assert case["details"]["reasons"] == ["never_called"]


def test_a_number_called_abroad_is_held_for_review_not_dialled(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    french = "+33612345678"
    ok(
        pager.client.patch(
            f"{pager.org}/calling-policy",
            json={"international_enabled": True, "allowed_regions": ["FR"]},
            headers=pager.user_auth,
        )
    )
    called(pager, french)
    before = len(dialled(pager.data_dir))
    pager.clock.advance(3600)
    ok(ask(client, french), 202)
    assert len(dialled(pager.data_dir)) == before
    [case] = held_cases(pager)
    assert case["details"]["reasons"] == ["outside_region"]


def test_six_anonymous_requests_leave_the_owner_able_to_verify_and_opt_out(
    client: TestClient, pager: Pager, make_pager: MakePager, staff: dict[str, str]
) -> None:
    number = uk_mobile()
    called(pager, number)
    for n in range(6):
        pager.clock.advance(3600)
        ok(ask(client, number, address=f"198.51.100.{n}"), 202)
    codes = len(dialled(pager.data_dir)) - 1
    assert codes <= 3
    # The owner verifies the number for another organization: a budget of its own.
    other = make_pager()
    theirs = other.contact("Owner", phone=number, verified=False)
    sent = ok(
        other.client.post(f"{other.org}/contacts/{theirs}/verification", headers=other.auth), 202
    )
    assert code_sent(client, sent["verification_id"])
    # The owner's own opt-out request is answered and kept for staff, never refused.
    pager.clock.advance(3600)
    ok(ask(client, number), 202)
    [case] = held_cases(pager)
    assert case["details"]["number"] == number
    assert "number_budget" in case["details"]["reasons"]
    # Staff who believe the request stop every call to the number.
    ok(
        client.post(
            f"/v1/admin/cases/{case['id']}/enforcement",
            json={
                "kind": "suspension",
                "scope": "number",
                "target": number,
                "reason": "its owner asked through the opt-out form",
            },
            headers=staff_login(pager.runtime),
        ),
        201,
    )
    pager.clock.advance(3600)
    again = other.client.post(f"{other.org}/contacts/{theirs}/verification", headers=other.auth)
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "number_suspended"


def test_a_known_number_gets_a_code_it_can_opt_out_with(client: TestClient, pager: Pager) -> None:
    number = uk_mobile()
    called(pager, number)
    pager.clock.advance(3600)
    sent = ok(ask(client, number), 202)
    code = code_sent(client, sent["verification_id"])
    done = ok(
        client.post(
            "/v1/public/opt-out/confirm",
            json={"verification_id": sent["verification_id"], "code": code},
        )
    )
    assert done["phone_e164"] == number


def test_the_form_has_a_platform_wide_budget(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    pager.runtime.settings.public_opt_out_codes_per_hour = 2
    numbers = [uk_mobile() for _ in range(3)]
    for number in numbers:
        called(pager, number)
    pager.clock.advance(3600)
    before = len(dialled(pager.data_dir))
    for n, number in enumerate(numbers):
        ok(ask(client, number, address=f"198.51.100.{n}"), 202)
    assert len(dialled(pager.data_dir)) == before + 2
    [case] = held_cases(pager)
    assert case["details"]["reasons"] == ["platform_budget"]
