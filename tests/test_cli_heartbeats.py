"""Heartbeat monitors from the shell: make one, ping it as its job would, pause, resume,
rotate its key, show its pings, delete it, and the one-line refusals."""

from __future__ import annotations

from typer.testing import CliRunner

from tests import seeded
from tests.shell import fails, run
from tocsin.heartbeats.keys import key_matches
from tocsin.heartbeats.models import HeartbeatMonitor
from tocsin.runtime import Runtime


def test_a_heartbeat_from_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Shell Ops").org_id
    contact = seeded.contact(runtime, org, phone="+447400123456")
    endpoint = seeded.endpoint(runtime, org, contact)
    made = run(
        cli, "heartbeat", "create", "nightly backup", "--org", org, "--endpoint", endpoint,
        "--cron", "30 2 * * *", "--timezone", "Europe/Berlin", "--grace", "15m",
        "--max-runtime", "2h",
    )  # fmt: skip
    assert (made["cron"], made["grace_seconds"], made["max_runtime_seconds"]) == (
        "30 2 * * *",
        900,
        7200,
    )
    assert made["ping_url"].endswith(f"/v1/heartbeats/{made['id']}")
    with runtime.database.read() as session:
        row = session.get(HeartbeatMonitor, made["id"])
        assert row is not None
        assert key_matches(runtime.heartbeat_key_digest_key, row.key_digest, made["key"])
    hid = made["id"]
    assert [row["id"] for row in run(cli, "heartbeat", "list", "--org", org)] == [hid]

    started = run(cli, "heartbeat", "ping", hid, "--org", org, "--kind", "start")
    assert started["state"] == "running"
    done = run(cli, "heartbeat", "ping", hid, "--org", org)
    assert (done["state"], done["alert_id"]) == ("up", None)
    shown = run(cli, "heartbeat", "show", hid, "--org", org)
    assert [(p["kind"], p["method"]) for p in shown["pings"]] == [
        ("success", "shell"),
        ("start", "shell"),
    ]

    assert run(cli, "heartbeat", "pause", hid, "--org", org)["status"] == "paused"
    assert run(cli, "heartbeat", "resume", hid, "--org", org)["paused"] is False
    updated = run(
        cli, "heartbeat", "update", hid, "--org", org, "--interval", "1h", "--no-max-runtime"
    )
    assert (updated["interval_seconds"], updated["cron"], updated["max_runtime_seconds"]) == (
        3600,
        None,
        None,
    )
    rotated = run(cli, "heartbeat", "rotate-key", hid, "--org", org)
    assert rotated["key"] != made["key"]
    failed = run(cli, "heartbeat", "ping", hid, "--org", org, "--kind", "fail")
    assert (failed["state"], failed["alert_id"] is not None) == ("down", True)
    run(cli, "heartbeat", "delete", hid, "--org", org)
    assert run(cli, "heartbeat", "list", "--org", org) == []


def test_the_shell_refuses_in_one_line(cli: CliRunner, runtime: Runtime) -> None:
    org = seeded.person(runtime, org_name="Shell Ops").org_id
    endpoint = seeded.endpoint(runtime, org)
    base = ("heartbeat", "create", "x", "--org", org, "--endpoint", endpoint)
    assert "is not a duration" in fails(cli, *base, "--interval", "five minutes")
    assert "either interval_seconds or a cron" in fails(cli, *base)
    assert "does not parse" in fails(cli, *base, "--cron", "61 * * * *")
    assert "unknown time zone" in fails(cli, *base, "--cron", "@daily", "--timezone", "Moon/Base")
    assert "heartbeat not found" in fails(cli, "heartbeat", "show", "hb_nowhere", "--org", org)
    assert "endpoint not found" in fails(
        cli,
        "heartbeat",
        "create",
        "x",
        "--org",
        org,
        "--endpoint",
        "ep_nowhere",
        "--interval",
        "5m",
    )
