"""Pages never go quiet by default (issue 14, finding 2).

Before: an endpoint without an escalation policy called its contact twice, 120 s apart, and
then its escalation was exhausted; the alert stayed open, every later notification answered
`deduplicated` and called nobody, and the dashboard showed a grey "step 2 of 1 ... exhausted".
Now the built-in plan keeps calling, with waits that double, for a configurable number of
rounds; running out is loud (owners told, shown on the list and the alert), and a new
notification of the open alert starts paging again.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.delivery.pager import Pager
from tests.web.owner_browser import signed_in_owner
from tocsin.audit.models import Notice
from tocsin.runtime import Runtime

pytestmark = [
    # Throttles are tested elsewhere; here they would only move the times about.
    pytest.mark.pager(throttle=()),
]


def notices(runtime: Runtime, org_id: str, kind: str) -> list[Notice]:
    with runtime.database.read() as session:
        return list(
            session.scalars(select(Notice).where(Notice.org_id == org_id, Notice.kind == kind))
        )


def test_two_unanswered_calls_no_longer_end_the_page(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    alert_id = pager.fire(pager.endpoint(alice))
    pager.run()
    pager.later(minutes=2)  # the unanswered retry
    assert pager.numbers_called() == [pager.phone(alice)] * 2
    escalation = pager.alert(alert_id)["escalation"]
    assert escalation["status"] == "active"
    assert "escalation.exhausted" not in pager.actions(alert_id)
    # Five minutes on, the second round; ten minutes after that round, the third.
    assert pager.later(minutes=4, seconds=59) == 0
    assert pager.later(seconds=1) == 1
    pager.later(minutes=2)
    assert pager.later(minutes=9, seconds=59) == 0
    assert pager.later(seconds=1) == 1
    assert len(pager.numbers_called()) == 5


@pytest.mark.pager(unanswered_retries=0)
def test_the_primary_is_called_first_then_everyone(pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    bob = pager.contact("Bob", "press:1")
    alert_id = pager.fire(pager.endpoint(alice, bob))
    pager.run()
    # Alice's step is over once her call goes unanswered: the next calls both at once.
    first, *then = pager.numbers_called()
    assert first == pager.phone(alice)
    assert sorted(then) == sorted([pager.phone(alice), pager.phone(bob)])
    detail = pager.alert(alert_id)
    assert (detail["status"], detail["acknowledged_by"]) == (
        "acknowledged",
        f"simulator:{pager.phone(bob)}",
    )


def run_out(pager: Pager, minutes: int = 240) -> None:
    for _ in range(minutes):
        pager.later(minutes=1)


@pytest.mark.pager(rounds=3)
def test_running_out_of_rounds_is_loud_and_a_new_notification_pages_again(
    client: TestClient, runtime: Runtime, pager: Pager
) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    alert_id = pager.fire(endpoint)
    run_out(pager)
    # 3 rounds of a call and its retry.
    assert len(pager.numbers_called()) == 6
    detail = pager.alert(alert_id)
    assert (detail["status"], detail["escalation"]["status"]) == ("open", "exhausted")
    # Still "step 3 of 3", not "step 4 of 3".
    assert (detail["escalation"]["step"], detail["escalation"]["steps"]) == (3, 3)
    [told] = notices(runtime, pager.org_id, "escalation_exhausted")
    assert 'Nobody answered the alert "Disk full on db1"' in told.message
    assert told.details["rounds"] == 3

    repeat = client.post(
        f"/v1/hooks/{endpoint}",
        json={"title": "Disk full on db1", "severity": "critical"},
        headers={"X-Alert-Key": pager.ingest_key},
    )
    assert repeat.status_code == 202
    assert (repeat.json()["outcome"], repeat.json()["calls_queued"]) == ("restarted", 1)
    assert repeat.json()["alert_id"] == alert_id
    pager.run()
    assert len(pager.numbers_called()) == 7
    assert pager.alert(alert_id)["escalation"]["status"] == "active"
    assert "escalation.restarted" in pager.actions(alert_id)

    run_out(pager)
    assert len(pager.numbers_called()) == 12
    # The second time it runs out, the owners are told again.
    assert len(notices(runtime, pager.org_id, "escalation_exhausted")) == 2


@pytest.mark.pager(rounds=1)
def test_a_repeat_of_an_acknowledged_alert_pages_nobody(client: TestClient, pager: Pager) -> None:
    alice = pager.contact("Alice", "no_answer")
    endpoint = pager.endpoint(alice)
    alert_id = pager.fire(endpoint)
    run_out(pager, 10)
    assert pager.alert(alert_id)["escalation"]["status"] == "exhausted"
    ok = client.post(f"{pager.org}/alerts/{alert_id}/acknowledge", headers=pager.auth)
    assert ok.status_code == 200, ok.text
    repeat = client.post(
        f"/v1/hooks/{endpoint}",
        json={"title": "Disk full on db1"},
        headers={"X-Alert-Key": pager.ingest_key},
    )
    assert (repeat.json()["outcome"], repeat.json()["calls_queued"]) == ("deduplicated", 0)
    assert pager.later(minutes=30) == 0


@pytest.mark.pager(rounds=1)
def test_an_exhausted_open_alert_stands_out_on_the_list_and_its_page(
    client: TestClient, runtime: Runtime, pager: Pager
) -> None:
    alice = pager.contact("Alice", "no_answer")
    alert_id = pager.fire(pager.endpoint(alice))
    run_out(pager, 10)
    browser = signed_in_owner(client, runtime, pager)
    listing = browser.get(f"/o/{pager.org_id}")
    assert '<span class="badge exhausted">nobody answered</span>' in listing.text
    page = browser.get(f"/o/{pager.org_id}/alerts/{alert_id}")
    assert 'id="escalation-exhausted"' in page.text
    assert "Nobody answered: every step of the escalation ran" in page.text
    assert "step 2 of 1" not in page.text
