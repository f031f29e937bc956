"""The `tocsin` command: admin commands work, and bad input gets one line and a non-zero exit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.factories import code_in_simulator
from tests.shell import run
from tocsin.audit import trail
from tocsin.cli import app
from tocsin.runtime import Runtime
from tocsin.telephony.prompts import CATALOGUE

PASSWORD = "correct horse battery staple\n"


def run_json(cli: CliRunner, *args: str, stdin: str | None = None) -> dict[str, str]:
    result = cli.invoke(app, [*args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    data: dict[str, str] = json.loads(result.stdout)
    return data


def test_admin_commands_build_a_working_endpoint(cli: CliRunner, data_dir: Path) -> None:
    org = run_json(cli, "org", "create", "Acme Ops", "--country", "gb")
    assert org["slug"] == "acme-ops"
    user = run_json(
        cli,
        "user",
        "create",
        "ops@acme.example",
        "--password-stdin",
        "--org",
        "acme-ops",
        "--role",
        "admin",
        stdin=PASSWORD,
    )
    assert user["role"] == "admin"
    contact = run_json(
        cli, "contact", "add", "Alice", "07400 123456", "--region", "GB", "--org", org["id"]
    )
    assert contact["phone_e164"] == "+447400123456"
    unverified = cli.invoke(
        app, ["endpoint", "create", "Prod", "--org", "acme-ops", "--contact", contact["id"]]
    )
    assert unverified.exit_code == 1
    assert "not verified by its owner" in unverified.stderr
    # Someone at the shell is told the shell's way, not an API route.
    assert f"tocsin contact verify {contact['id']} --org {org['id']}" in unverified.stderr
    assert "POST /v1" not in unverified.stderr
    sent = run_json(cli, "contact", "verify", contact["id"], "--org", "acme-ops")
    code = code_in_simulator(data_dir, sent["verification_id"])
    confirmed = run_json(cli, "contact", "confirm", contact["id"], code, "--org", "acme-ops")
    assert confirmed["phone_e164"] == "+447400123456"
    [listed] = run(cli, "contact", "list", "--org", "acme-ops")
    assert listed["number_state"] == "verified"
    endpoint = run_json(
        cli, "endpoint", "create", "Prod", "--org", "acme-ops", "--contact", contact["id"]
    )
    assert endpoint["webhook_url"].endswith(f"/v1/hooks/{endpoint['id']}")
    key = run_json(cli, "key", "create", "--org", "acme-ops", "--endpoint", endpoint["id"])
    assert key["key"].startswith("tk_")
    assert key["scopes"] == ["ingest"]


def test_quickstart_is_idempotent(cli: CliRunner, data_dir: Path) -> None:
    first = cli.invoke(app, ["quickstart"])
    assert first.exit_code == 0, first.output
    env = (data_dir / "quickstart.env").read_text()
    # It holds a working alert key: its owner's alone (issue 17, finding 15).
    assert (data_dir / "quickstart.env").stat().st_mode & 0o777 == 0o600
    second = cli.invoke(app, ["quickstart"])
    assert second.exit_code == 0
    assert (data_dir / "quickstart.env").read_text() == env
    assert "curl -X POST" in second.stdout


def test_quickstart_records_what_it_makes_as_the_shell(cli: CliRunner, runtime: Runtime) -> None:
    assert cli.invoke(app, ["quickstart"]).exit_code == 0
    with runtime.database.read() as session:
        events = trail.search(session, actor_id="shell", limit=50).items
        made = sorted(event.action for event in events if event.actor_type == "cli")
    assert made == [
        "api_key.created",
        "consent.recorded",
        "contact.created",
        "endpoint.created",
        "org.created",
    ]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["org", "create", "   "], None, "name must be 1 to 200 characters"),
        (["contact", "add", "Bob", "12", "--org", "nope"], None, "organization not found"),
        (["key", "create", "--org", "nope"], None, "organization not found"),
        (
            ["user", "create", "not-an-email", "--password-stdin"],
            PASSWORD,
            "email address is not valid",
        ),
        (
            ["user", "create", "a@b.example", "--password-stdin"],
            "short\n",
            "password must be at least",
        ),
        (["endpoint", "create", "X", "--org", "nope"], None, "organization not found"),
    ],
)
def test_bad_input_gets_one_line_and_exit_1(
    cli: CliRunner, args: list[str], stdin: str | None, message: str
) -> None:
    result = cli.invoke(app, args, input=stdin)
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("tocsin: error: ")
    assert message in line


def test_bad_phone_number_is_refused(cli: CliRunner) -> None:
    run_json(cli, "org", "create", "Acme")
    unparseable = cli.invoke(app, ["contact", "add", "Bob", "12345", "--org", "acme"])
    assert unparseable.exit_code == 1
    assert "this number cannot be called" in unparseable.stderr
    emergency = cli.invoke(app, ["contact", "add", "Bob", "911", "--region", "US", "--org", "acme"])
    assert emergency.exit_code == 1
    assert "emergency number" in emergency.stderr


def test_bad_setting_is_one_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_PORT", "eighty")
    result = cli.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert "TOCSIN_PORT" in line


def test_contact_on_unknown_endpoint_contact_is_refused(cli: CliRunner) -> None:
    run_json(cli, "org", "create", "Acme")
    result = cli.invoke(app, ["endpoint", "create", "X", "--org", "acme", "--contact", "ct_x"])
    assert result.exit_code == 1
    assert "contact not found" in result.stderr


def test_unreachable_database_is_one_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_DATABASE_URL", "postgresql://tocsin@127.0.0.1:1/tocsin")
    result = cli.invoke(app, ["org", "create", "Acme"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("tocsin: error: database: connection failed")


def test_call_test_places_a_screened_call_and_prints_its_events(
    cli: CliRunner, data_dir: Path
) -> None:
    result = cli.invoke(app, ["call", "test", "--to", "+44 7400 123457"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("simulator accepted the call to +447400123457")
    assert lines[1:] == ["trying", "ringing", "answered", "digits 1", "completed"]
    transcript = next((data_dir / "simulator" / "calls").glob("*.txt")).read_text()
    assert "This is a test call from Tocsin" in transcript


def test_call_test_through_an_organization_speaks_its_language(
    cli: CliRunner, data_dir: Path
) -> None:
    org = run_json(cli, "org", "create", "Acme", "--country", "GB")
    run_json(cli, "org", "update", org["id"], "--language", "it")
    result = cli.invoke(app, ["call", "test", "--to", "+44 7400 123457", "--org", org["id"]])
    assert result.exit_code == 0, result.output
    transcript = next((data_dir / "simulator" / "calls").glob("*.txt")).read_text()
    words = CATALOGUE["it"]
    assert "in it with the voice it" in transcript
    assert f"TOCSIN: {words.test_call} {words.menu}" in transcript


def test_call_test_is_audited_before_it_is_dialled(cli: CliRunner, runtime: Runtime) -> None:
    assert cli.invoke(app, ["call", "test", "--to", "+44 7400 123457"]).exit_code == 0
    with runtime.database.read() as session:
        [event] = trail.search(session, action="call.test", limit=10).items
    assert (event.actor_type, event.org_id) == ("cli", None)
    assert event.details["to"] == "+447400123457"
    assert event.details["idempotency_key"].startswith("test/")


def test_call_test_refuses_a_blocked_number_without_dialling(
    cli: CliRunner, data_dir: Path
) -> None:
    result = cli.invoke(app, ["call", "test", "--to", "112", "--region", "DE"])
    assert result.exit_code == 1
    assert "emergency number" in result.stderr
    assert not (data_dir / "simulator" / "dials.log").exists()


def prove_caller_id(cli: CliRunner, data_dir: Path, org: str, number: str) -> str:
    """Add a caller ID and prove it by the code the platform's simulator delivered."""
    caller_id = run_json(cli, "caller-id", "add", number, "--org", org, "--json")["id"]
    sent = run_json(cli, "caller-id", "send-code", caller_id, "--org", org, "--json")
    code = code_in_simulator(data_dir, sent["verification_id"])
    proven = run_json(cli, "caller-id", "confirm", caller_id, code, "--org", org, "--json")
    assert proven["proof"] == "code"
    return caller_id


def add_busy_line(cli: CliRunner, *extra: str) -> dict[str, str]:
    return run_json(
        cli,
        "provider",
        "add",
        "--org",
        "acme",
        "--kind",
        "simulator",
        "--name",
        "Busy line",
        "--setting",
        "outcome=busy",
        "--setting",
        "record_audio=false",
        "--credential",
        "token=t0ken",
        *extra,
    )


def test_call_test_uses_the_organizations_providers_and_policy(
    cli: CliRunner, data_dir: Path
) -> None:
    run_json(cli, "org", "create", "Acme", "--country", "GB")
    caller_id = prove_caller_id(cli, data_dir, "acme", "+447400000001")
    added = add_busy_line(cli, "--caller-id", "+447400000001")
    assert (added["kind"], added["caller_id_id"], added["warnings"]) == (
        "simulator",
        caller_id,
        [],
    )
    busy = cli.invoke(app, ["call", "test", "--to", "07400 123457", "--org", "acme", "--json"])
    assert busy.exit_code == 0, busy.output
    assert '"event": "busy"' in busy.stdout
    abroad = cli.invoke(app, ["call", "test", "--to", "+33 6 12 34 56 78", "--org", "acme"])
    assert abroad.exit_code == 1
    assert "international calling is off" in abroad.stderr


def test_a_test_call_through_an_account_without_a_caller_id_fails_clearly(
    cli: CliRunner,
) -> None:
    """issue 16, finding 1: an own account without a proven caller ID places no test call
    (it would have presented the platform's number)."""
    run_json(cli, "org", "create", "Acme", "--country", "GB")
    added = add_busy_line(cli)
    assert "has no caller ID chosen" in added["warnings"][0]
    refused = cli.invoke(app, ["call", "test", "--to", "07400 123457", "--org", "acme"])
    assert refused.exit_code == 1
    assert "no proven caller ID" in refused.stderr


def test_provider_add_refuses_bad_pairs_and_settings(cli: CliRunner) -> None:
    run_json(cli, "org", "create", "Acme", "--country", "GB")
    no_equals = cli.invoke(
        app,
        [
            "provider",
            "add",
            "--org",
            "acme",
            "--kind",
            "simulator",
            "--name",
            "x",
            "--setting",
            "outcome",
        ],
    )
    assert no_equals.exit_code == 1
    assert "--setting must be KEY=VALUE" in no_equals.stderr
    bad = cli.invoke(
        app,
        [
            "provider",
            "add",
            "--org",
            "acme",
            "--kind",
            "simulator",
            "--name",
            "x",
            "--setting",
            "outcome=dance",
        ],
    )
    assert bad.exit_code == 1
    assert "unknown simulator behaviour" in bad.stderr


def test_commands_close_their_connections_when_they_return(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command opened a connection pool and left it open until garbage collection: a
    process running many commands (this test runner) used up PostgreSQL's client slots
    ("too many clients already")."""
    opened: list[Runtime] = []
    build = Runtime.from_settings

    def keep(*args: Any, **kwargs: Any) -> Runtime:
        runtime = build(*args, **kwargs)
        opened.append(runtime)
        return runtime

    monkeypatch.setattr(Runtime, "from_settings", keep)
    for n in range(3):
        made = cli.invoke(app, ["org", "create", f"Org {n}", "--json"])
        assert made.exit_code == 0, made.output
    failed = cli.invoke(app, ["org", "create", "", "--json"])
    assert failed.exit_code != 0
    assert len(opened) == 4
    assert [runtime.database.engine.pool.checkedin() for runtime in opened] == [0, 0, 0, 0]


URL = re.compile(r"https?://[^\s']+")


@pytest.mark.parametrize("how", ["--port", "TOCSIN_PORT"])
def test_quickstart_prints_reads_and_writes_the_port_it_is_given(
    how: str, cli: CliRunner, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20: with TOCSIN_PORT alone every URL still said 8080, even the one read aloud."""
    if how == "TOCSIN_PORT":
        monkeypatch.setenv("TOCSIN_PORT", "18511")
    result = cli.invoke(app, ["quickstart", *(["--port", "18511"] if how == "--port" else [])])
    assert result.exit_code == 0, result.output
    printed = URL.findall(result.stdout)
    written = URL.findall((data_dir / "quickstart.env").read_text())
    # The demo number's verification call read the opt-out address aloud.
    [heard] = [path.read_text() for path in (data_dir / "simulator" / "calls").glob("*.txt")]
    spoken = URL.findall(heard)
    assert (len(printed), len(written), len(spoken)) == (2, 1, 1)
    assert all(url.startswith("http://127.0.0.1:18511/") for url in printed + written + spoken)


def test_a_public_base_url_wins_over_the_port(
    cli: CliRunner, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_PORT", "18511")
    monkeypatch.setenv("TOCSIN_PUBLIC_BASE_URL", "https://tocsin.example.com")
    result = cli.invoke(app, ["quickstart", "--port", "18512"])
    assert result.exit_code == 0, result.output
    assert {url.split("/v1/")[0].split("/signup")[0] for url in URL.findall(result.stdout)} == {
        "https://tocsin.example.com"
    }
