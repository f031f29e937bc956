"""What pings, pauses, edits and time do to a monitor: the pure decisions, table-tested."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tocsin.heartbeats.models import DownReason, MonitorState, PingKind
from tocsin.heartbeats.schedule import Plan
from tocsin.heartbeats.states import Snapshot, after_ping, overdue, paused, replanned, resumed

T0 = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
FIVE_MINUTES = Plan(interval=5 * MINUTE, cron=None, timezone="UTC", grace=MINUTE)
NEW = Snapshot(plan=FIVE_MINUTES, state=MonitorState.NEW, paused=False)


def up_at(at: datetime, snapshot: Snapshot = NEW) -> Snapshot:
    """The monitor after a good ping at `at`."""
    change = after_ping(snapshot, PingKind.SUCCESS, at)
    return replace(
        snapshot,
        state=change.state,
        down_reason=change.down_reason,
        last_ping_at=at,
        run_started_at=change.run_started_at,
        next_due_at=change.next_due_at,
        alert_at=change.alert_at,
    )


def test_a_new_monitor_expects_nothing_and_never_goes_down() -> None:
    assert overdue(NEW, T0 + timedelta(days=365)) is None


def test_a_good_ping_arms_the_monitor_for_one_interval_plus_grace() -> None:
    change = after_ping(NEW, PingKind.SUCCESS, T0)
    assert (change.state, change.next_due_at, change.alert_at) == (
        MonitorState.UP,
        T0 + 5 * MINUTE,
        T0 + 6 * MINUTE,
    )
    assert change.closes
    assert change.opens is None


def test_the_monitor_goes_down_once_when_its_grace_has_passed() -> None:
    up = up_at(T0)
    assert overdue(up, T0 + 6 * MINUTE - timedelta(seconds=1)) is None
    down = overdue(up, T0 + 6 * MINUTE)
    assert down is not None
    assert (down.state, down.opens, down.expected_at, down.alert_at) == (
        MonitorState.DOWN,
        DownReason.MISSED,
        T0 + 5 * MINUTE,
        None,
    )
    # However often the worker looks again, it is down already: nothing more opens.
    after = replace(up, state=down.state, alert_at=down.alert_at, down_reason=down.down_reason)
    assert overdue(after, T0 + timedelta(hours=5)) is None


def test_a_paused_monitor_never_goes_down_and_a_ping_does_not_arm_it() -> None:
    up = replace(up_at(T0), paused=True)
    assert overdue(up, T0 + timedelta(days=2)) is None
    assert after_ping(up, PingKind.SUCCESS, T0).alert_at is None
    assert after_ping(up, PingKind.FAIL, T0).opens is None


def test_pausing_disarms_and_keeps_the_state() -> None:
    change = paused(up_at(T0))
    assert (change.state, change.alert_at, change.next_due_at) == (
        MonitorState.UP,
        None,
        T0 + 5 * MINUTE,
    )


def test_a_start_with_a_max_runtime_gives_the_run_that_long() -> None:
    plan = replace(FIVE_MINUTES, max_runtime=30 * MINUTE)
    up = up_at(T0, replace(NEW, plan=plan))
    started = after_ping(up, PingKind.START, T0 + 4 * MINUTE)
    assert (started.state, started.run_started_at, started.alert_at) == (
        MonitorState.RUNNING,
        T0 + 4 * MINUTE,
        T0 + 34 * MINUTE,
    )
    # The success is still due when it was.
    assert started.next_due_at == T0 + 5 * MINUTE
    running = replace(
        up,
        state=started.state,
        run_started_at=started.run_started_at,
        alert_at=started.alert_at,
    )
    assert overdue(running, T0 + 33 * MINUTE) is None
    down = overdue(running, T0 + 34 * MINUTE)
    assert down is not None
    assert (down.opens, down.expected_at) == (DownReason.RUN_TOO_LONG, T0 + 34 * MINUTE)


def test_a_start_without_a_max_runtime_must_end_by_the_due_time_and_grace() -> None:
    up = up_at(T0)
    started = after_ping(up, PingKind.START, T0 + 4 * MINUTE)
    assert started.alert_at == T0 + 6 * MINUTE
    running = replace(up, state=started.state, run_started_at=started.run_started_at)
    down = overdue(replace(running, alert_at=started.alert_at), T0 + 6 * MINUTE)
    assert down is not None
    assert (down.opens, down.expected_at) == (DownReason.RUN_TOO_LONG, T0 + 5 * MINUTE)


def test_a_start_on_a_new_monitor_expects_a_success_one_period_later() -> None:
    started = after_ping(NEW, PingKind.START, T0)
    assert (started.next_due_at, started.alert_at) == (T0 + 5 * MINUTE, T0 + 6 * MINUTE)


def test_a_failure_takes_the_monitor_down_at_once() -> None:
    up = up_at(T0)
    failed = after_ping(up, PingKind.FAIL, T0 + 2 * MINUTE)
    assert (failed.state, failed.opens, failed.alert_at, failed.closes) == (
        MonitorState.DOWN,
        DownReason.FAILED,
        None,
        False,
    )
    assert failed.expected_at == T0 + 5 * MINUTE


def test_resuming_arms_a_whole_period_from_now_except_where_nothing_is_owed() -> None:
    now = T0 + timedelta(hours=3)
    up = replace(up_at(T0), paused=True, alert_at=None)
    assert resumed(up, now).alert_at == now + 6 * MINUTE
    # A new monitor still waits for its first ping.
    assert resumed(replace(NEW, paused=True), now).alert_at is None
    down = replace(up, state=MonitorState.DOWN, down_reason=DownReason.MISSED)
    # Down with its alert still open: told already.
    assert resumed(replace(down, alert_open=True), now).alert_at is None
    # Down while paused, nobody told: armed again, so a job still silent is told.
    rearmed = resumed(down, now)
    assert (rearmed.state, rearmed.alert_at) == (MonitorState.DOWN, now + 6 * MINUTE)
    assert overdue(replace(down, paused=False, alert_at=rearmed.alert_at), now + 6 * MINUTE)


def test_an_edited_plan_moves_the_deadline_from_the_last_good_ping() -> None:
    up = up_at(T0)
    longer = replace(FIVE_MINUTES, interval=60 * MINUTE, grace=10 * MINUTE)
    change = replanned(replace(up, plan=longer), T0 + 30 * MINUTE)
    assert (change.next_due_at, change.alert_at) == (T0 + 60 * MINUTE, T0 + 70 * MINUTE)
    # An edit that makes the monitor overdue leaves it for the worker to take down.
    shorter = replace(FIVE_MINUTES, interval=MINUTE, grace=timedelta(0))
    assert replanned(replace(up, plan=shorter), T0 + 30 * MINUTE).alert_at == T0 + MINUTE
    # A new monitor stays unarmed.
    assert replanned(replace(NEW, plan=longer), T0).alert_at is None
