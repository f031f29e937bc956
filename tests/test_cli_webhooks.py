"""Outgoing webhooks from the shell: made (secret printed once), listed, shown, changed,
tested, logged, rotated and deleted; refused in one line for a private address, an unknown
event or a webhook that does not exist."""

from __future__ import annotations

from typer.testing import CliRunner

from tests import seeded
from tests.shell import fails, run
from tocsin.cli.database import open_runtime

URL = "https://93.184.216.34/tocsin"


def test_a_webhook_from_the_shell(cli: CliRunner) -> None:
    owner = seeded.person(open_runtime(), org_name="Acme Ops")
    org = ["--org", owner.org_id]
    made = run(
        cli, "webhook", "create", "Relay", URL, "--event", "created", "--event", "resolved", *org
    )
    assert made["secret"].startswith("whsec_")
    assert made["events"] == ["created", "resolved"]
    listed = run(cli, "webhook", "list", *org)
    assert [row["id"] for row in listed] == [made["id"]]
    assert "secret" not in listed[0]
    assert run(cli, "webhook", "show", made["id"], *org)["url"] == URL

    changed = run(cli, "webhook", "update", made["id"], "--name", "Status page", "--disable", *org)
    assert (changed["name"], changed["enabled"]) == ("Status page", False)
    assert "disabled" in fails(cli, "webhook", "test", made["id"], *org)
    assert run(cli, "webhook", "update", made["id"], "--enable", *org)["enabled"] is True

    queued = run(cli, "webhook", "test", made["id"], *org)
    assert (queued["event_type"], queued["status"]) == ("webhook.test", "pending")
    log = run(cli, "webhook", "deliveries", made["id"], *org)
    assert [row["id"] for row in log] == [queued["id"]]
    assert "still being tried" in fails(cli, "webhook", "redeliver", made["id"], queued["id"], *org)

    rotated = run(cli, "webhook", "rotate-secret", made["id"], *org)
    assert rotated["secret"] != made["secret"]
    run(cli, "webhook", "delete", made["id"], *org)
    assert run(cli, "webhook", "list", *org) == []


def test_bad_input_is_one_line(cli: CliRunner) -> None:
    owner = seeded.person(open_runtime(), org_name="Acme Ops")
    org = ["--org", owner.org_id]
    assert "not allowed" in fails(
        cli, "webhook", "create", "Relay", "https://169.254.169.254/x", "--event", "created", *org
    )
    assert "https" in fails(
        cli, "webhook", "create", "Relay", "http://93.184.216.34/x", "--event", "created", *org
    )
    assert "paged" in fails(cli, "webhook", "create", "Relay", URL, "--event", "paged", *org)
    assert "no webhook" in fails(cli, "webhook", "show", "whk_nowhere", *org)
