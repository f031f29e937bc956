"""What titles say about their incident: recovery markers, and the name that stays the same from
an incident's first page to its recovery."""

from __future__ import annotations

import pytest

from tocsin.formats.titles import incident_name, marked_as_recovery


@pytest.mark.parametrize(
    ("title", "recovery"),
    [
        ("RESOLVED: Disk full", True),
        ("[Resolved] Disk full", True),
        ("(RECOVERED) Disk full", True),
        ("Recovery - Disk full", True),
        ("OK: Disk full", True),
        ("[UP] shop.example.com", True),
        ("Shop is back up", True),
        ("Shop is back online.", True),
        ("Replication has recovered", True),
        ("Incident 42 has been resolved", True),
        ("Disk full", False),
        ("[FIRING:2] Disk full", False),
        ("PROBLEM: Disk full", False),
        ("Error rate is up", False),
        ("Host name could not be resolved", False),
        ("Up-to-date check failed", False),
        ("OK", False),
        ("Recovery of db1 failed", False),
    ],
)
def test_recovery_markers(title: str, recovery: bool) -> None:
    assert marked_as_recovery(title) is recovery


@pytest.mark.parametrize(
    "title",
    [
        "Disk full on db1",
        "disk  full on DB1",
        "RESOLVED: Disk full on db1",
        "[FIRING:1] Disk full on db1",
        "[Alerting] ALERT: Disk full on db1",
        "Problem - Disk full on db1",
        "Disk full on db1 is down",
        "Disk full on db1 is back up",
    ],
)
def test_state_markers_do_not_change_the_incident(title: str) -> None:
    assert incident_name(title) == "disk full on db1"


def test_a_title_that_is_only_a_marker_keeps_its_words() -> None:
    assert incident_name("[FIRING]") == "[firing]"
    assert incident_name("Alert: Alert") == "alert"
