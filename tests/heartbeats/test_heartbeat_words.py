"""What a call about a heartbeat says: its title and message through the default template of
its source, and a template of the endpoint's own reading `heartbeat`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tocsin.formats.known import Source
from tocsin.heartbeats.models import DownReason, HeartbeatMonitor, MonitorState
from tocsin.heartbeats.states import Change
from tocsin.heartbeats.transitions import missed_alert
from tocsin.messages import MessageContext, render_message

NOW = datetime(2026, 3, 29, 1, 12, tzinfo=UTC)


def monitor(**fields: object) -> HeartbeatMonitor:
    values: dict[str, object] = {
        "id": "hb_1",
        "name": "backup",
        "timezone": "Europe/Berlin",
        "severity": "major",
        "last_ping_at": datetime(2026, 3, 28, 1, 31, tzinfo=UTC),
        **fields,
    }
    return HeartbeatMonitor(**values)


def down(reason: DownReason, expected_at: datetime | None, **fields: object) -> Change:
    values: dict[str, object] = {
        "state": MonitorState.DOWN,
        "down_reason": reason,
        "run_started_at": None,
        "next_due_at": expected_at,
        "alert_at": None,
        "opens": reason,
        "expected_at": expected_at,
        **fields,
    }
    return Change(**values)  # type: ignore[arg-type]


def said(parsed_title: str, message: str, payload: object, template: str | None = None) -> str:
    context = MessageContext(
        endpoint="Production",
        title=parsed_title,
        message=message,
        severity="major",
        source=Source.HEARTBEAT,
        payload=payload,
    )
    return render_message(template, context, max_characters=600).text


def test_a_missed_ping_is_said_with_its_due_time_on_the_monitors_clock() -> None:
    parsed = missed_alert(monitor(), down(DownReason.MISSED, NOW - timedelta(minutes=12)), NOW)
    assert (parsed.source, parsed.severity.value, parsed.dedup_key) == (
        Source.HEARTBEAT,
        "major",
        "heartbeat:hb_1",
    )
    assert said(parsed.title, parsed.message, parsed.payload) == (
        'Alert from Production. Heartbeat "backup" missed: expected by 03:00 CEST. '
        "The last ping came at 2026-03-28 02:31 CET."
    )


def test_a_failure_and_an_overlong_run_say_what_happened() -> None:
    failed = missed_alert(monitor(), down(DownReason.FAILED, None), NOW)
    assert failed.title == 'Heartbeat "backup" failed at 03:12 CEST'
    started = NOW - timedelta(hours=3)
    long_run = missed_alert(
        monitor(),
        down(DownReason.RUN_TOO_LONG, NOW, run_started_at=started),
        NOW,
    )
    assert long_run.title == (
        'Heartbeat "backup" ran too long: started 23:12 CET, not finished by 03:12 CEST'
    )
    assert long_run.payload["heartbeat"]["reason"] == "run_too_long"


def test_an_endpoints_template_reads_the_heartbeat() -> None:
    parsed = missed_alert(monitor(), down(DownReason.MISSED, NOW), NOW)
    template = "{{ heartbeat.name }} is {{ heartbeat.reason }} since {{ heartbeat.last_ping_at }}"
    assert said(parsed.title, parsed.message, parsed.payload, template) == (
        "backup is missed since 2026-03-28T01:31:00+00:00"
    )
