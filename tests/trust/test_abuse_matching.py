"""Issue 16, finding 10: abuse reports without a caller ID are accepted and matched by the
reporter's number and the time, and verification codes (which are calls and texts too) are
matched as well as alert calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.pager import CALLER_ID, MakePager, Pager, uk_mobile
from tests.factories import ok
from tocsin.contacts.verify import issue_for_contact
from tocsin.core.actors import Actor
from tocsin.numbers.models import NumberVerification
from tocsin.numbers.verification import Channel, Requester
from tocsin.trust import abuse
from tocsin.trust.models import TrustCase

REPORTER = Actor("public", "198.51.100.7", "198.51.100.7")


def _file(pager: Pager, report: abuse.Report) -> TrustCase:
    with pager.runtime.database.write() as session:
        return abuse.file_report(
            session, report=report, actor=REPORTER, user_agent=None, now=pager.clock.now()
        )


def _report(pager: Pager, *, caller_id: str | None, called_number: str | None) -> abuse.Report:
    now = pager.clock.now()
    return abuse.Report(
        caller_id=caller_id,
        seen_at=now,
        reported_time=now.isoformat(),
        timezone=None,
        description="a robot called me",
        reporter_contact=None,
        called_number=called_number,
    )


@pytest.mark.parametrize("shown", ["Unknown", "", "  ", "Private number", "Withheld", "anonymous"])
def test_a_report_without_a_caller_id_is_accepted_over_http(
    client: TestClient, pager: Pager, staff: dict[str, str], shown: str
) -> None:
    """Phones show "Unknown" or nothing for a withheld number; the form refused both."""
    victim = uk_mobile()
    pager.fire(pager.endpoint(pager.contact("Victim", phone=victim)))
    pager.run()
    received = ok(
        client.post(
            "/v1/public/abuse-reports",
            json={
                "caller_id": shown,
                "seen_at": pager.clock.now().isoformat(),
                "description": "no caller id shown",
                "your_number": victim,
            },
        ),
        201,
    )
    case = ok(client.get(f"/v1/admin/cases/{received['reference']}", headers=staff))
    assert case["org_id"] == pager.org_id
    assert case["details"]["caller_id"] is None
    assert case["details"]["reported_caller_id"] == shown
    assert [m["to_number"] for m in case["details"]["matches"]] == [victim]


def test_the_caller_id_may_be_left_out_of_the_request(
    client: TestClient, pager: Pager, staff: dict[str, str]
) -> None:
    received = ok(
        client.post(
            "/v1/public/abuse-reports",
            json={"seen_at": pager.clock.now().isoformat(), "description": "who was it"},
        ),
        201,
    )
    case = ok(client.get(f"/v1/admin/cases/{received['reference']}", headers=staff))
    assert (case["org_id"], case["details"]["matches"]) == (None, [])


def test_without_a_caller_id_only_calls_to_the_reporters_number_match(pager: Pager) -> None:
    victim, someone = uk_mobile(), uk_mobile()
    pager.fire(pager.endpoint(pager.contact("Victim", phone=victim)))
    pager.fire(pager.endpoint(pager.contact("Someone", phone=someone)))
    pager.run()
    case = _file(pager, _report(pager, caller_id=None, called_number=victim))
    assert case.org_id == pager.org_id
    assert [m["to_number"] for m in case.details["matches"]] == [victim]
    # Nothing to match by: no caller ID and no number says nothing about who called.
    blind = _file(pager, _report(pager, caller_id=None, called_number=None))
    assert (blind.org_id, blind.details["matches"]) == (None, [])


def test_a_report_outside_the_window_matches_nothing(pager: Pager) -> None:
    victim = uk_mobile()
    pager.fire(pager.endpoint(pager.contact("Victim", phone=victim)))
    pager.run()
    pager.clock.advance(abuse.MATCH_WINDOW.total_seconds() + 60)
    case = _file(pager, _report(pager, caller_id=None, called_number=victim))
    assert case.details["matches"] == []


def _sent_code(pager: Pager, phone: str) -> str:
    """A consent code sent by a call to `phone`, as the API sends one."""
    contact_id = pager.contact("Unverified", phone=phone, verified=False)
    with pager.runtime.database.write() as session:
        pending = issue_for_contact(
            session,
            pager.runtime,
            org_id=pager.org_id,
            contact_id=contact_id,
            channel=Channel.CALL,
            requester=Requester(Actor("user", "someone")),
            now=pager.clock.now(),
        )
        row = session.get(NumberVerification, pending.issued.verification.id)
        assert row is not None
        row.provider_ref = "sim-call-1"
        return row.id


def test_verification_codes_are_matched_by_the_reporters_number(pager: Pager) -> None:
    """A code is a call to someone who may never have agreed to be called: a report about it
    must find the organization that asked for it."""
    victim = uk_mobile()
    verification_id = _sent_code(pager, victim)
    pager.clock.advance(5 * 60)
    for caller_id in (None, CALLER_ID):
        case = _file(pager, _report(pager, caller_id=caller_id, called_number=victim))
        assert case.org_id == pager.org_id
        [code] = case.details["verification_matches"]
        assert code["verification_id"] == verification_id
        assert (code["org_id"], code["to_number"], code["channel"]) == (
            pager.org_id,
            victim,
            "call",
        )
        assert code["seconds_from_report"] == -300


def test_codes_never_sent_are_not_matched(pager: Pager) -> None:
    victim = uk_mobile()
    seeded.contact(pager.runtime, pager.org_id, phone=victim)  # issued and typed, never sent
    case = _file(pager, _report(pager, caller_id=None, called_number=victim))
    assert case.details["verification_matches"] == []
    assert case.org_id is None


def test_the_closest_of_calls_and_codes_names_the_organization(
    pager: Pager, make_pager: MakePager
) -> None:
    victim = uk_mobile()
    pager.fire(pager.endpoint(pager.contact("Victim", phone=victim)))
    pager.run()
    pager.clock.advance(10 * 60)  # the pagers share one clock
    other = make_pager()
    _sent_code(other, victim)
    case = _file(other, _report(other, caller_id=None, called_number=victim))
    assert case.org_id == other.org_id
    assert case.details["matched_orgs"] == [other.org_id, pager.org_id]
    assert timedelta(minutes=10) == timedelta(
        seconds=-case.details["matches"][0]["seconds_from_report"]
    )
