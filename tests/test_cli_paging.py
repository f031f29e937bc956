"""Paging from the shell: policies, rules, templates, preview, alerts, do-not-call, the auditor."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from tests.factories import ok
from tests.shell import add_verified_contact, fails, run
from tocsin.cli import app
from tocsin.core.clock import ManualClock
from tocsin.engine.settings import WorkerSettings
from tocsin.engine.worker import Worker
from tocsin.paging.models import CallJob
from tocsin.runtime import Runtime
from tocsin.telephony.simulator import SimulatorProvider


def test_an_escalating_endpoint_set_up_from_the_shell_pages_and_shows_its_timeline(
    cli: CliRunner,
    client: TestClient,
    runtime: Runtime,
    clock: ManualClock,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")["slug"]
    alice = add_verified_contact(cli, data_dir, "Alice", "07400 123456", "--org", org)
    bob = add_verified_contact(cli, data_dir, "Bob", "07400 123457", "--org", org)
    policy = run(
        cli, "escalation", "create", "Day shift", "--org", org,
        "--step", f"call:{alice['id']}", "--step", "wait:5", "--step", f"call:{bob['id']}",
    )  # fmt: skip
    assert [step["type"] for step in policy["steps"]] == ["call", "wait", "call"]
    quiet_first = run(
        cli, "escalation", "create", "Text first", "--org", org,
        "--step", f"notify:{alice['id']}", "--step", "wait:5", "--step", f"call:{alice['id']}",
    )  # fmt: skip
    assert quiet_first["steps"][0] == {
        "type": "call", "notify_only": True, "contact_ids": [alice["id"]]
    }  # fmt: skip
    assert "notify_only" not in quiet_first["steps"][2]
    assert run(cli, "escalation", "list", "--org", org)[0]["id"] == policy["id"]
    endpoint = run(cli, "endpoint", "create", "Prod", "--org", org, "--contact", alice["id"])
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps([{"action": {"type": "call_escalation", "escalation_id": policy["id"]}}])
    )
    template = tmp_path / "say.j2"
    template.write_text("{{ title }}. Press 1 if you are on it.")
    configured = run(
        cli, "endpoint", "configure", endpoint["id"], "--org", org,
        "--rules", str(rules), "--template", str(template),
    )  # fmt: skip
    assert configured["template"] == "{{ title }}. Press 1 if you are on it."

    sample = tmp_path / "alert.json"
    sample.write_text(json.dumps({"title": "Disk full on db1"}))
    preview = run(cli, "endpoint", "preview", endpoint["id"], "--org", org, "--file", str(sample))
    assert preview["first_calls"] == ["+447400123456"]
    assert preview["spoken_text"] == "Disk full on db1. Press 1 if you are on it."

    key = run(cli, "key", "create", "--org", org, "--endpoint", endpoint["id"])["key"]
    alert = ok(
        client.post(
            f"/v1/hooks/{endpoint['id']}", json={"title": "Disk full on db1"},
            headers={"X-Alert-Key": key},
        ),
        202,
    )["alert_id"]  # fmt: skip
    simulator = SimulatorProvider(
        data_dir, clock=clock, default_behaviour="no_answer", record_audio=False
    )
    worker = Worker(runtime.database, simulator, clock=clock, settings=WorkerSettings())
    asyncio.run(worker.run_until_idle())

    listed = run(cli, "alert", "list", "--org", org)
    assert [(item["id"], item["status"]) for item in listed] == [(alert, "open")]
    shown = cli.invoke(app, ["alert", "show", alert, "--org", org])
    assert shown.exit_code == 0, shown.output
    assert "escalation active: step 1 of 3" in shown.stdout
    assert "call +447400123456: pending, 1 attempt(s)" in shown.stdout
    # The simulator placed it: the shell says so, as the API and the dashboard do.
    assert "1 of 1 call(s) SIMULATED: nobody was called" in shown.stdout
    for action in ("alert.received", "call.attempt_created", "call.ended", "call.retry_scheduled"):
        assert action in shown.stdout

    acked = run(cli, "alert", "ack", alert, "--org", org)
    assert acked["status"] == "acknowledged"
    detail = run(cli, "alert", "show", alert, "--org", org)
    assert detail["escalation"]["status"] == "acknowledged"
    assert detail["timeline"][-1]["actor_type"] == "cli"
    assert fails(cli, "alert", "ack", alert, "--org", org) == (
        "tocsin: error: alert is acknowledged, not open"
    )
    assert run(cli, "alert", "resolve", alert, "--org", org)["status"] == "resolved"


def test_numbers_are_stopped_from_the_shell(cli: CliRunner) -> None:
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")["slug"]
    stopped = run(cli, "number", "stop", "07400 123456", "--org", org)
    assert (stopped["phone_e164"], stopped["calls_cancelled"]) == ("+447400123456", 0)
    assert [entry["phone_e164"] for entry in run(cli, "number", "list", "--org", org)] == [
        "+447400123456"
    ]
    assert fails(cli, "number", "stop", "not a number", "--org", org) == (
        "tocsin: error: this is not a phone number"
    )


def test_bad_paging_input_gets_one_line_and_a_non_zero_exit(cli: CliRunner, tmp_path: Path) -> None:
    org = run(cli, "org", "create", "Acme Ops")["slug"]
    assert "--step must be" in fails(
        cli, "escalation", "create", "X", "--org", org, "--step", "ring"
    )
    assert "--step must be" in fails(
        cli, "escalation", "create", "X", "--org", org, "--step", "notify:"
    )
    assert "contact not found" in fails(
        cli, "escalation", "create", "X", "--org", org, "--step", "call:ct_nobody"
    )
    endpoint = run(cli, "endpoint", "create", "Prod", "--org", org)
    broken = tmp_path / "rules.json"
    broken.write_text("[{")
    assert "is not JSON" in fails(
        cli, "endpoint", "configure", endpoint["id"], "--org", org, "--rules", str(broken)
    )
    broken.write_text('{"action": {"type": "call_all"}}')
    assert "must hold a JSON list" in fails(
        cli, "endpoint", "configure", endpoint["id"], "--org", org, "--rules", str(broken)
    )
    template = tmp_path / "say.j2"
    template.write_text("{% for %}")
    assert "template does not work" in fails(
        cli, "endpoint", "configure", endpoint["id"], "--org", org, "--template", str(template)
    )


def test_engine_audit_exits_non_zero_while_something_is_stuck(
    cli: CliRunner, client: TestClient, runtime: Runtime, clock: ManualClock, data_dir: Path
) -> None:
    assert run(cli, "engine", "audit") == []
    org = run(cli, "org", "create", "Acme Ops", "--country", "GB")["slug"]
    contact = add_verified_contact(cli, data_dir, "Alice", "07400 123456", "--org", org)
    endpoint = run(cli, "endpoint", "create", "Prod", "--org", org, "--contact", contact["id"])
    key = run(cli, "key", "create", "--org", org, "--endpoint", endpoint["id"])["key"]
    ok(client.post(f"/v1/hooks/{endpoint['id']}", json={"title": "x"},
                   headers={"X-Alert-Key": key}), 202)  # fmt: skip
    # The CLI reads the real clock, which is ahead of the test's: the call looks overdue,
    # and settling the job without a wake-up leaves a stalled step.
    with runtime.database.write() as session:
        session.execute(update(CallJob).values(status="done"))
    result = cli.invoke(app, ["engine", "audit"])
    assert result.exit_code == 1
    assert "stalled: alert" in result.stdout
    assert result.stderr.strip() == "tocsin: error: 1 stuck escalation(s) or call(s)"
