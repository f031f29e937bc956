"""The verification channel is policed like alert calls (issue 16, finding 2): a code is a call
or a text to someone who has not consented yet, so it passes enforcement, the do-not-call list,
platform opt-outs, the calling policy with the plan, a daily budget of its own and the
number's throttle, is counted per organization and per person, and the anomaly scan sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.pager import MakePager, Pager, uk_mobile
from tests.factories import code_sent, ok
from tocsin.accounts.models import Role
from tocsin.billing.commands import set_plan
from tocsin.cli.common import CLI_ACTOR
from tocsin.contacts.code_sends import PLACED_STATUSES
from tocsin.contacts.verify import issue_for_contact
from tocsin.core.actors import Actor
from tocsin.core.config import Settings
from tocsin.core.errors import Forbidden
from tocsin.core.ratelimit import RateLimited
from tocsin.numbers.verification import (
    DAILY_SENDS_PER_NUMBER,
    Channel,
    Purpose,
    Requester,
    check_consent_room,
    issue,
)
from tocsin.paging.models import PLACED_ATTEMPT_STATUSES
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import build_rate_limiter
from tocsin.trust.anomalies.scan import run_scan
from tocsin.trust.enforcement import take_action

STAFF = Actor("user", "staff")
PHISHING = (
    "Your Barclays account is locked. Call 0800 123 456 now or visit barclays-secure.example "
    "to keep your card"
)


def send_code(pager: Pager, contact_id: str, auth: dict[str, str] | None = None) -> Any:
    return pager.client.post(
        f"{pager.org}/contacts/{contact_id}/verification", headers=auth or pager.auth
    )


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    code: str = response.json()["error"]["code"]
    return code


def heard(data_dir: Path) -> list[str]:
    calls = data_dir / "simulator" / "calls"
    return [path.read_text() for path in sorted(calls.glob("*.txt"))] if calls.exists() else []


def with_shipped_limits(pager: Pager) -> None:
    """The rate limits an operator gets, not the generous ones the other tests run with."""
    pager.runtime.rate_limiter = build_rate_limiter(Settings(_env_file=None))  # type: ignore[call-arg]


def key_auth(pager: Pager, name: str) -> dict[str, str]:
    key = seeded.api_key(pager.runtime, pager.org_id, name=name, scopes=("read", "write"))
    return {"Authorization": f"Bearer {key}"}


def on_plan(pager: Pager, plan: str) -> None:
    with pager.runtime.database.write() as session:
        set_plan(
            session,
            org_id=pager.org_id,
            plan=plan,
            ends_at=None,
            billing=pager.runtime.billing,
            actor=STAFF,
            now=pager.clock.now(),
        )


def act(pager: Pager, kind: ActionKind, scope: ActionScope, target: str) -> None:
    with pager.runtime.database.write() as session:
        take_action(
            session,
            kind=kind,
            scope=scope,
            target=target,
            reason="abuse",
            actor=STAFF,
            now=pager.clock.now(),
            digest_key=pager.runtime.billing_digest_key,
        )


def test_a_phishing_name_is_not_read_and_a_burst_of_codes_through_many_keys_is_stopped(
    pager: Pager,
) -> None:
    """Renamed to a bank-phishing sentence, 25 numbers heard it within a minute, through five
    API keys of one person (each had a bucket of its own)."""
    with_shipped_limits(pager)
    ok(pager.client.patch(pager.org, json={"name": PHISHING}, headers=pager.user_auth))
    keys = [key_auth(pager, f"key {n}") for n in range(5)]
    contacts = [pager.contact(f"Target {n}", verified=False) for n in range(25)]
    answers = [send_code(pager, contact_id, keys[n % 5]) for n, contact_id in enumerate(contacts)]
    sent = [answer for answer in answers if answer.status_code == 202]
    refused = [answer for answer in answers if answer.status_code != 202]
    assert len(sent) <= 10
    assert {error_code(answer, 429) for answer in refused} <= {"rate_limited", "verification_quota"}
    texts = heard(pager.data_dir)
    assert len(texts) == len(sent)
    for text in texts:
        assert "barclays" not in text.lower()
        assert "0800" not in text
        assert "An organization on Tocsin asked to send alert calls" in text
        assert "this is Tocsin" in text
        assert "/opt-out" in text


def test_a_plain_name_is_said_in_the_platforms_words(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    ok(send_code(pager, ana), 202)
    [text] = heard(pager.data_dir)
    assert "The organization Pager test, on Tocsin, asked to send alert calls" in text
    assert "to stop all calls from Tocsin, visit http://tocsin.test/opt-out" in text


def test_a_suspended_organization_sends_no_code(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    act(pager, ActionKind.SUSPENSION, ActionScope.ORGANIZATION, pager.org_id)
    assert error_code(send_code(pager, ana), 403) == "org_suspended"
    assert heard(pager.data_dir) == []


@pytest.mark.parametrize("kind", [ActionKind.SUSPENSION, ActionKind.TERMINATION])
def test_not_even_the_shell_sends_a_code_for_a_suspended_or_terminated_organization(
    pager: Pager, kind: ActionKind
) -> None:
    """The operator's shell is not held to a suspended organization's read-only state, but a
    code is a call, and no call goes out for such an organization."""
    ana = pager.contact("Ana", verified=False)
    act(pager, kind, ActionScope.ORGANIZATION, pager.org_id)
    past = "suspended" if kind == ActionKind.SUSPENSION else "terminated"
    with pytest.raises(Forbidden) as refused, pager.runtime.database.write() as session:
        issue_for_contact(
            session,
            pager.runtime,
            org_id=pager.org_id,
            contact_id=ana,
            channel=Channel.CALL,
            requester=Requester(CLI_ACTOR),
            now=pager.clock.now(),
        )
    assert refused.value.code == f"org_{past}"


def test_a_suspended_person_sends_no_code_through_their_keys(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    act(pager, ActionKind.SUSPENSION, ActionScope.USER, pager.owner_id)
    assert error_code(send_code(pager, ana), 403) == "user_suspended"


def test_a_suspended_number_gets_no_code(pager: Pager) -> None:
    ana = pager.contact("Ana", verified=False)
    act(pager, ActionKind.SUSPENSION, ActionScope.NUMBER, pager.phone(ana))
    assert error_code(send_code(pager, ana), 403) == "number_suspended"


def test_a_do_not_call_number_gets_one_code_a_week_for_its_owner_to_come_back(
    pager: Pager,
) -> None:
    ana = pager.contact("Ana", behaviour="press:99")
    pager.fire(pager.endpoint(ana))
    pager.run()
    ok(pager.client.get(f"{pager.org}/contacts/{ana}", headers=pager.auth))
    pager.clock.advance(3600)
    # The owner's way back: one code.
    ok(send_code(pager, ana), 202)
    pager.clock.advance(3600)
    assert error_code(send_code(pager, ana), 429) == "verification_stopped_number"
    pager.clock.advance(7 * 24 * 3600)
    ok(send_code(pager, ana), 202)


def test_an_opted_out_number_gets_one_code_a_week_from_an_organization(
    client: TestClient, pager: Pager
) -> None:
    number = uk_mobile()
    ana = pager.contact("Ana", behaviour="no_answer", phone=number)
    pager.fire(pager.endpoint(ana))
    pager.run()
    pager.clock.advance(3600)
    sent = ok(client.post("/v1/public/opt-out", json={"number": number}), 202)
    code = code_sent(client, sent["verification_id"])
    confirm = {"verification_id": sent["verification_id"], "code": code}
    ok(client.post("/v1/public/opt-out/confirm", json=confirm))
    pager.clock.advance(3600)
    # The owner's way back: one code.
    ok(send_code(pager, ana), 202)
    pager.clock.advance(3600)
    assert error_code(send_code(pager, ana), 429) == "verification_stopped_number"
    pager.clock.advance(7 * 24 * 3600)
    ok(send_code(pager, ana), 202)


def test_after_a_downgrade_a_code_does_not_go_abroad(pager: Pager) -> None:
    ok(
        pager.client.patch(
            f"{pager.org}/calling-policy",
            json={"international_enabled": True, "allowed_regions": ["FR"]},
            headers=pager.user_auth,
        )
    )
    on_plan(pager, "team")
    french = pager.contact("Jean", phone="+33612345678", verified=False)
    on_plan(pager, "free")
    refused = send_code(pager, french)
    assert error_code(refused, 422) == "number_blocked"
    reasons = [reason["code"] for reason in refused.json()["error"]["details"]["reasons"]]
    assert reasons == ["international_disabled"]
    assert heard(pager.data_dir) == []


def test_codes_have_a_daily_budget_per_organization(pager: Pager) -> None:
    budget = pager.runtime.billing.catalog.get_plan("free").verification_codes_per_day
    contacts = [pager.contact(f"N{n}", verified=False) for n in range(budget + 1)]
    # Added on a larger plan; the free plan keeps them but sends only its budget of codes.
    on_plan(pager, "free")
    for contact_id in contacts[:budget]:
        ok(send_code(pager, contact_id), 202)
    over = send_code(pager, contacts[budget])
    assert error_code(over, 429) == "verification_quota"
    assert int(over.headers["Retry-After"]) > 23 * 3600
    # Counted over the last 24 hours, not a local day a time zone could reopen.
    ok(
        pager.client.patch(
            pager.org, json={"timezone": "Pacific/Kiritimati"}, headers=pager.user_auth
        )
    )
    assert error_code(send_code(pager, contacts[budget]), 429) == "verification_quota"
    pager.clock.advance(24 * 3600 + 1)
    ok(send_code(pager, contacts[budget]), 202)


def test_rate_limits_are_per_person_not_per_api_key(pager: Pager) -> None:
    with_shipped_limits(pager)
    first, second = key_auth(pager, "first"), key_auth(pager, "second")
    contacts = [pager.contact(f"N{n}", verified=False) for n in range(6)]
    for contact_id in contacts[:5]:
        ok(send_code(pager, contact_id, first), 202)
    # The same person's other key is the same person.
    assert error_code(send_code(pager, contacts[5], second), 429) == "rate_limited"


def test_rate_limits_are_per_organization_across_people(pager: Pager) -> None:
    with_shipped_limits(pager)
    admins = [seeded.member(pager.runtime, pager.org_id, role=Role.ADMIN) for _ in range(3)]
    contacts = [pager.contact(f"N{n}", verified=False) for n in range(11)]
    answers = [
        send_code(pager, contact_id, admins[n % 3].auth) for n, contact_id in enumerate(contacts)
    ]
    assert [a.status_code for a in answers[:10]] == [202] * 10
    assert error_code(answers[10], 429) == "rate_limited"


def test_a_code_waits_for_the_numbers_throttle(pager: Pager, make_pager: MakePager) -> None:
    number = uk_mobile()
    pager.fire(pager.endpoint(pager.contact("Sam", behaviour="no_answer", phone=number)))
    pager.run()
    assert pager.numbers_called() == [number]
    other = make_pager()
    theirs = other.contact("Sam", phone=number, verified=False)
    throttled = send_code(other, theirs)
    assert error_code(throttled, 429) == "number_throttled"
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    other.clock.advance(61)
    ok(send_code(other, theirs), 202)


def test_codes_to_many_numbers_are_an_anomaly(pager: Pager) -> None:
    contacts = [pager.contact(f"N{n}", verified=False) for n in range(12)]
    for contact_id in contacts:
        ok(send_code(pager, contact_id), 202)
        pager.clock.advance(61)
    with pager.runtime.database.write() as session:
        report = run_scan(session, now=pager.clock.now(), auto_suspend=False)
    found = [case for case in report.cases if case.detector == "verification_codes"]
    assert [(case.org_id, case.over_hard_threshold) for case in found] == [(pager.org_id, False)]
    assert "12 numbers" in found[0].summary


def test_code_sends_count_as_distinct_numbers_called(pager: Pager) -> None:
    on_plan(pager, "business")
    pager.runtime.billing.catalog  # noqa: B018
    contacts = [pager.contact(f"N{n}", verified=False) for n in range(25)]
    for contact_id in contacts:
        ok(send_code(pager, contact_id), 202)
        pager.clock.advance(61)
    with pager.runtime.database.write() as session:
        report = run_scan(session, now=pager.clock.now(), auto_suspend=False)
    assert pager.org_id in {c.org_id for c in report.cases if c.detector == "distinct_numbers"}


def test_the_sms_code_says_the_same(pager: Pager) -> None:
    ok(pager.client.patch(pager.org, json={"name": PHISHING}, headers=pager.user_auth))
    ana = pager.contact("Ana", verified=False)
    sent = ok(
        pager.client.post(
            f"{pager.org}/contacts/{ana}/verification", json={"channel": "sms"}, headers=pager.auth
        ),
        202,
    )
    [text] = [p.read_text() for p in (pager.data_dir / "simulator" / "texts").glob("*.json")]
    assert "Barclays" not in text
    assert "An organization on Tocsin asked to send you alert calls" in text
    assert code_sent(pager.client, sent["verification_id"])


def test_codes_wait_for_the_same_calls_as_alert_throttles() -> None:
    assert set(PLACED_STATUSES) == {status.value for status in PLACED_ATTEMPT_STATUSES}


def caller_id_code(pager: Pager, number: str) -> Any:
    added = ok(
        pager.client.post(
            f"{pager.org}/caller-ids", json={"number": number}, headers=pager.user_auth
        ),
        201,
    )
    return pager.client.post(f"{pager.org}/caller-ids/{added['id']}/code", headers=pager.user_auth)


def test_caller_id_codes_share_the_daily_budget_of_consent_codes(pager: Pager) -> None:
    """Issue 16, finding 1 (review): codes that prove a caller ID were not counted in the plan's
    budget, so a free organization had 9 codes dialled by adding 9 caller IDs."""
    budget = pager.runtime.billing.catalog.get_plan("free").verification_codes_per_day
    ana = pager.contact("Ana", verified=False)
    on_plan(pager, "free")
    for _ in range(budget):
        ok(caller_id_code(pager, uk_mobile()), 202)
    assert error_code(caller_id_code(pager, uk_mobile()), 429) == "verification_quota"
    # One budget for both kinds of code.
    assert error_code(send_code(pager, ana), 429) == "verification_quota"


def test_a_do_not_call_number_gets_no_more_caller_id_codes_than_consent_codes(
    pager: Pager,
) -> None:
    """Issue 16, finding 1 (review): a number on the do-not-call list, added as a caller ID,
    got a code every 5 minutes; consent codes reach it once a week."""
    ana = pager.contact("Ana", behaviour="press:99")
    pager.fire(pager.endpoint(ana))
    pager.run()
    pager.clock.advance(3600)
    auth = seeded.signed_in(pager.runtime, pager.owner_id)
    added = ok(
        pager.client.post(
            f"{pager.org}/caller-ids", json={"number": pager.phone(ana)}, headers=auth
        ),
        201,
    )
    code = f"{pager.org}/caller-ids/{added['id']}/code"
    ok(pager.client.post(code, headers=auth), 202)
    pager.clock.advance(300)
    refused = pager.client.post(code, headers=auth)
    assert error_code(refused, 429) == "verification_stopped_number"
    # And a consent code after the caller-ID code waits its week too.
    assert error_code(send_code(pager, ana), 429) == "verification_stopped_number"


def test_a_numbers_daily_cap_counts_caller_id_codes(pager: Pager) -> None:
    """Issue 16, finding 1 (review): the 6-codes-a-day cap per number counted consent codes
    only, so caller-ID codes could be added on top of them."""
    number = uk_mobile()
    for _ in range(DAILY_SENDS_PER_NUMBER):
        with pager.runtime.database.write() as session:
            issue(
                session,
                purpose=Purpose.CALLER_ID,
                number=number,
                channel=Channel.CALL,
                requester=Requester(STAFF),
                digest_key=pager.runtime.verification_digest_key,
                now=pager.clock.now(),
                org_id=pager.org_id,
            )
        pager.clock.advance(120)
    with pager.runtime.database.read() as session, pytest.raises(RateLimited) as refused:
        check_consent_room(session, number=number, org_id=pager.org_id, now=pager.clock.now())
    assert refused.value.code == "verification_daily_limit"
