"""Keys through the whole engine: a single 9 is only a question, 9 then 9 stops calls."""

from __future__ import annotations

import pytest

from tests.delivery.pager import Pager
from tests.factories import ok


def do_not_call(pager: Pager) -> list[str]:
    listed = ok(pager.client.get(f"{pager.org}/do-not-call", headers=pager.auth))["items"]
    return [entry["phone_e164"] for entry in listed]


def test_a_single_9_then_silence_stops_nothing_and_the_callee_is_called_again(
    pager: Pager,
) -> None:
    alice = pager.contact("Alice", "press:9")
    alert_id = pager.fire(pager.endpoint(alice))
    pager.run()
    assert do_not_call(pager) == []
    assert pager.alert(alert_id)["status"] == "open"
    assert pager.later(minutes=2) == 1  # an answer without a key that counts: unanswered
    assert pager.numbers_called() == [pager.phone(alice)] * 2


def test_9_then_9_again_puts_the_number_on_the_do_not_call_list(pager: Pager) -> None:
    alice = pager.contact("Alice", "press:99")
    alert_id = pager.fire(pager.endpoint(alice))
    pager.run()
    assert do_not_call(pager) == [pager.phone(alice)]
    assert pager.alert(alert_id)["jobs"][0]["outcome"] == "stopped"
    # Later rounds of the escalation find the number on the list: it is never dialled again.
    for _ in range(6):
        pager.later(minutes=30)
    assert pager.numbers_called() == [pager.phone(alice)]


@pytest.mark.parametrize("keys", ["9*1", "91"])
def test_star_or_1_after_9_acknowledges_without_stopping_calls(pager: Pager, keys: str) -> None:
    alice = pager.contact("Alice", f"press:{keys}")
    alert_id = pager.fire(pager.endpoint(alice))
    pager.run()
    detail = pager.alert(alert_id)
    assert (detail["status"], detail["acknowledged_by"]) == (
        "acknowledged",
        f"simulator:{pager.phone(alice)}",
    )
    assert do_not_call(pager) == []
