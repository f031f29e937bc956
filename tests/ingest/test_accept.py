"""What an event does to its incident, through accept_alert: which alert it pages, repeats,
acknowledges or resolves, and which it must leave alone."""

from __future__ import annotations

from tests.ingest.rows import paging_endpoint
from tocsin.intake.accept import Outcome
from tocsin.runtime import Runtime


def test_a_priority_of_normal_pages_and_resolves_nothing(runtime: Runtime) -> None:
    """Datadog sends `"priority": "normal"` with every event; it once read as a recovery, so the
    monitor never paged and an open alert with the same title was resolved."""
    paging = paging_endpoint(runtime)
    open_alert = paging.send({"title": "Disk full on db1", "severity": "critical"})
    datadog = {"title": "Disk full on db1", "text": "/var at 97%", "priority": "normal",
               "alert_type": "error"}  # fmt: skip
    repeated = paging.send(datadog)
    assert (repeated.alert_id, repeated.outcome) == (open_alert.alert_id, Outcome.DEDUPLICATED)
    assert paging.alert(open_alert.alert_id).status == "open"
    elsewhere = paging_endpoint(runtime, name="Datadog only")
    paged = elsewhere.send({**datadog, "title": "CPU high on web-1"})
    assert (paged.outcome, paged.calls_queued) == (Outcome.CREATED, 1)


def test_the_same_check_on_two_hosts_is_two_alerts_and_each_recovery_ends_its_own(
    runtime: Runtime,
) -> None:
    paging = paging_endpoint(runtime)
    on_a = paging.send({"title": "Disk full", "host": "db1"})
    on_b = paging.send({"title": "Disk full", "host": "db2"})
    assert (on_b.outcome, on_b.calls_queued) == (Outcome.CREATED, 1)
    assert on_b.alert_id != on_a.alert_id
    recovered = paging.send({"title": "Disk full", "host": "db1", "status": "resolved"})
    assert (recovered.alert_id, recovered.outcome) == (on_a.alert_id, Outcome.RESOLVED)
    assert paging.alert(on_b.alert_id).status == "open"
    assert paging.job_statuses(on_b.alert_id) == ["pending"]


def test_a_recovery_titled_with_a_marker_resolves_its_incident(runtime: Runtime) -> None:
    paging = paging_endpoint(runtime)
    fired = paging.send({"title": "Disk full on db1", "message": "/var at 97%"})
    recovered = paging.send({"title": "RECOVERED: Disk full on db1", "status": "ok"})
    assert (recovered.alert_id, recovered.outcome, recovered.calls_cancelled) == (
        fired.alert_id,
        Outcome.RESOLVED,
        1,
    )
    # Text from a script says it in the title alone.
    again = paging.send(b"Backup failed on db1\nexit 2", content_type="text/plain")
    over = paging.send(b"[Resolved] Backup failed on db1", content_type="text/plain")
    assert (over.alert_id, over.outcome) == (again.alert_id, Outcome.RESOLVED)


def test_an_acknowledgement_of_nothing_open_pages_nobody_and_blocks_no_page(
    runtime: Runtime,
) -> None:
    paging = paging_endpoint(runtime)
    acknowledged = paging.send({"title": "Disk full", "dedup_key": "disk", "status": "acked"})
    assert (acknowledged.outcome, acknowledged.calls_queued) == (Outcome.ACKNOWLEDGED, 0)
    assert paging.alert(acknowledged.alert_id).status == "acknowledged"
    assert paging.job_statuses(acknowledged.alert_id) == []
    fired = paging.send({"title": "Disk full", "dedup_key": "disk"})
    assert (fired.outcome, fired.calls_queued) == (Outcome.CREATED, 1)


def test_acknowledging_twice_only_repeats(runtime: Runtime) -> None:
    paging = paging_endpoint(runtime)
    fired = paging.send({"title": "Disk full", "dedup_key": "disk"})
    paging.send({"dedup_key": "disk", "status": "acknowledged"})
    again = paging.send({"dedup_key": "disk", "status": "acknowledged"})
    assert (again.alert_id, again.outcome) == (fired.alert_id, Outcome.DEDUPLICATED)
    assert paging.audit_actions().count("alert.acknowledged") == 1
