"""My profile: a member adds numbers, verifies each with the code it received, and sets the
rules "call mobile at 0, SMS at 0, call desk at 3"; the People page shows them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import code_sent
from tests.web.browser_forms import owner_home, submit
from tocsin.accounts.models import Membership
from tocsin.core.clock import ManualClock
from tocsin.numbers.models import NumberVerification
from tocsin.oncall.models import Method
from tocsin.oncall.people import get_person
from tocsin.runtime import Runtime


def _code_for(runtime: Runtime, client: TestClient, number_id: str) -> str:
    with runtime.database.read() as session:
        verification = session.scalar(
            select(NumberVerification.id)
            .where(NumberVerification.contact_id == number_id)
            .order_by(NumberVerification.created_at.desc())
            .limit(1)
        )
    assert verification is not None
    return code_sent(client, verification)


def test_my_profile_adds_verifies_and_orders_my_numbers(
    client: TestClient, runtime: Runtime, clock: ManualClock
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    me = f"{home}/me"
    org_id = home.removeprefix("/o/")
    for name, phone, method in (
        ("mobile", "+447400620001", "voice"),
        ("mobile texts", "+447400620002", "sms"),
        ("desk", "+447400620003", "voice"),
    ):
        added = submit(
            client, me, f"{me}/numbers", {"name": name, "phone": phone, "method": method}
        )
        assert added.status_code == 303, added.text
    with runtime.database.read() as session:
        user_id = session.scalar(select(Membership.user_id).where(Membership.org_id == org_id))
        assert user_id is not None
        person = get_person(session, org_id=org_id, user_id=user_id)
        numbers = {n.name: n.id for n in person.numbers}
    for name, number_id in numbers.items():
        sent = submit(client, me, f"{me}/numbers/{number_id}/code", {})
        assert sent.status_code == 303, sent.text
        page = client.get(sent.headers["location"]).text
        assert f"Code sent to {name}" in page
        verified = submit(
            client,
            sent.headers["location"],
            f"{me}/numbers/{number_id}/verify",
            {"code": _code_for(runtime, client, number_id)},
        )
        assert verified.status_code == 303, verified.text
        clock.advance(61)
    saved = submit(
        client,
        me,
        f"{me}/rules",
        {
            "way_0": f"voice:{numbers['mobile']}", "delay_0": "0",
            "way_1": f"sms:{numbers['mobile texts']}", "delay_1": "0",
            "way_2": f"voice:{numbers['desk']}", "delay_2": "3",
        },
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    with runtime.database.read() as session:
        person = get_person(session, org_id=org_id, user_id=user_id)
    assert all(n.verified for n in person.numbers)
    assert [(n.method, n.contact_id, n.delay_minutes) for n in person.plan] == [
        (Method.VOICE, numbers["mobile"], 0),
        (Method.SMS, numbers["mobile texts"], 0),
        (Method.VOICE, numbers["desk"], 3),
    ]
    people = client.get(f"{home}/people").text
    assert "mobile texts" in people
    assert "unverified" not in people
    wrong = submit(client, me, f"{me}/rules", {"way_0": f"sms:{numbers['desk']}"})
    assert wrong.status_code == 409
