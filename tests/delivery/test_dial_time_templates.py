"""A template that goes off at dial time is stopped by the cage, before the transaction that
plans the call, and the call still goes out (issue 17, finding 1).

Before: a template saved harmless (its bomb behind an `if`) rendered in the worker's own
process when an alert with the right payload came, for as long as the bomb liked, inside the
write transaction that holds every other writer of a SQLite database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.delivery.pager import Pager
from tests.messages.bombs import behind_an_if, deep_comparison
from tocsin.audit.models import Notice
from tocsin.runtime import Runtime

pytestmark = [pytest.mark.pager(throttle=(), rounds=1)]


def test_a_bomb_at_dial_time_is_stopped_ahead_and_the_call_says_the_default_words(
    pager: Pager, runtime: Runtime
) -> None:
    alice = pager.contact("Alice", "press:1")
    endpoint = pager.endpoint(alice, template=behind_an_if(deep_comparison()))
    alert_id = pager.fire(endpoint, {"title": "Disk full on db1", "boom": True})
    assert pager.run() == 1
    detail = pager.alert(alert_id)
    [call] = detail["calls"]
    assert call["spoken_text"] == "Alert from Production. Severity critical. Disk full on db1."
    assert detail["status"] == "acknowledged"
    [failed] = [e for e in detail["timeline"] if e["action"] == "template.failed"]
    # Stopped while rendered ahead, outside the transaction; inside it, found resting at once.
    assert failed["details"]["problem"] == (
        "the template was stopped: it took longer than 1 s; it is not tried again until 5 "
        "minutes have passed"
    )
    with runtime.database.read() as session:
        [told] = session.scalars(select(Notice).where(Notice.kind == "template_failed")).all()
    assert told.message.startswith(
        "Calls about alerts on Production used the default words: its template failed (the "
        "template was stopped: it took longer than 1 s"
    )
    assert told.details == {
        "endpoint_id": endpoint,
        "alert_id": alert_id,
        "problem": failed["details"]["problem"],
    }


def test_an_ordinary_template_is_said_at_dial_time(pager: Pager) -> None:
    alice = pager.contact("Alice", "press:1")
    endpoint = pager.endpoint(alice, template="{{ title }} on {{ endpoint }}, said")
    alert_id = pager.fire(endpoint, {"title": "Disk full on db1"})
    assert pager.run() == 1
    [call] = pager.alert(alert_id)["calls"]
    assert call["spoken_text"] == "Disk full on db1 on Production, said"
    assert "template.failed" not in pager.actions(alert_id)
