"""Plans, usage and trials from the shell."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from tests import seeded
from tests.billing.helpers import catalog
from tests.shell import fails, run
from tocsin.billing.models import PaymentTransaction
from tocsin.billing.plans import PlanCatalog
from tocsin.cli import app
from tocsin.runtime import Runtime


def test_the_shipped_catalogue_has_every_tier(cli: CliRunner) -> None:
    plans = {plan["code"]: plan for plan in run(cli, "plan", "list")}
    assert {"self_hosted", "free", "trial", "team", "business"} <= set(plans)
    assert plans["trial"]["trial_days"] == 14
    assert plans["free"]["international_calling"] is False
    # Self-hosted is generous, but its caps are on.
    assert 0 < plans["self_hosted"]["daily_calls"] < plans["self_hosted"]["monthly_calls"]
    text = cli.invoke(app, ["plan", "list"]).stdout
    assert "Self-hosted" in text
    assert "/day" in text


def test_usage_plan_and_trial_from_the_shell(cli: CliRunner, tmp_path: Path) -> None:
    plans = tmp_path / "plans.toml"
    plans.write_text(_catalogue_toml(), encoding="utf-8")
    cli_env = {"TOCSIN_PLANS_FILE": str(plans), "TOCSIN_DEFAULT_PLAN": "tiny"}
    org = cli.invoke(
        app,
        ["org", "create", "Acme", "--country", "GB", "--timezone", "Europe/Paris", "--json"],
        env=cli_env,
    )
    assert org.exit_code == 0, org.output
    slug = json.loads(org.stdout)["slug"]

    usage = cli.invoke(app, ["usage", "--org", slug, "--days", "3", "--json"], env=cli_env)
    data = json.loads(usage.stdout)
    assert (data["plan"], data["timezone"], data["calls_left"]) == ("tiny", "Europe/Paris", 100)
    assert len(data["per_day"]) == 3
    assert "calls left: 100" in cli.invoke(app, ["usage", "--org", slug], env=cli_env).stdout

    # The Tiny plan allows 3 contacts.
    for n in range(3):
        added = cli.invoke(
            app, ["contact", "add", f"C{n}", f"+4474001234{n:02d}", "--org", slug], env=cli_env
        )
        assert added.exit_code == 0, added.output
    refused = cli.invoke(app, ["contact", "add", "C9", "+447400123499", "--org", slug], env=cli_env)
    assert refused.exit_code == 1
    assert "the Tiny plan allows 3 contacts" in refused.stderr

    started = cli.invoke(app, ["billing", "trial", "--org", slug, "--json"], env=cli_env)
    assert started.exit_code == 0, started.output
    shown = json.loads(
        cli.invoke(app, ["billing", "show", "--org", slug, "--json"], env=cli_env).stdout
    )
    assert (shown["plan"], shown["trial_available"]) == ("trial", False)
    again = cli.invoke(app, ["billing", "trial", "--org", slug], env=cli_env)
    assert again.exit_code == 1
    assert "already had its free trial" in again.stderr

    moved = cli.invoke(app, ["plan", "set", "team", "--org", slug, "--json"], env=cli_env)
    assert json.loads(moved.stdout)["plan"] == "team"
    assert cli.invoke(app, ["billing", "notices", "--org", slug], env=cli_env).stdout.strip() == (
        "no notices"
    )


def _catalogue_toml() -> str:
    # The test catalogue, written out as the TOML a TOCSIN_PLANS_FILE would hold.
    parsed: PlanCatalog = catalog()
    lines = []
    for plan in parsed.values():
        lines.append(f"[plans.{plan.code}]")
        for name, value in plan.describe().items():
            if name == "code":
                continue
            rendered = json.dumps(value) if not isinstance(value, bool) else str(value).lower()
            lines.append(f"{name} = {rendered}")
    return "\n".join(lines) + "\n"


def test_plan_errors_are_one_line(cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "org", "create", "Acme")
    assert "no plan 'gold'; plans: business, free" in fails(
        cli, "plan", "set", "gold", "--org", "acme"
    )
    broken = tmp_path / "broken.toml"
    broken.write_text("[plans.x]\nname = 'X'\n", encoding="utf-8")
    result = cli.invoke(app, ["plan", "list"], env={"TOCSIN_PLANS_FILE": str(broken)})
    assert result.exit_code == 1
    assert "plans.x: missing monthly_calls" in result.stderr
    result = cli.invoke(app, ["plan", "list"], env={"TOCSIN_DEFAULT_PLAN": "gold"})
    assert result.exit_code == 1
    assert "no plan 'gold'" in result.stderr
    assert "unknown time zone" in fails(cli, "org", "create", "Zed", "--timezone", "Mars/Base")


def test_staff_record_and_answer_a_refund_request_from_the_shell(
    cli: CliRunner, runtime: Runtime
) -> None:
    """issue 16, finding 9: refund requests made to support are recorded for the chargeback
    rule, which excuses a chargeback after one went unanswered for 14 days."""
    org_id = seeded.person(runtime, org_name="Customer").org_id
    now = runtime.clock.now()
    with runtime.database.write() as session:
        session.add(
            PaymentTransaction(
                id="txn_01cli", org_id=org_id, status="completed",
                source_updated_at=now, created_at=now,
            )
        )  # fmt: skip
    asked = (now - timedelta(days=3)).isoformat()
    request = run(
        cli, "billing", "refund-request", "--org", org_id, "--transaction", "txn_01cli",
        "--requested-at", asked, "--note", "by e-mail",
    )  # fmt: skip
    assert request["transaction_id"] == "txn_01cli"
    answered = run(cli, "billing", "refund-answer", request["id"], "--answer", "refused")
    assert answered["answer"] == "refused"
    assert "already answered" in fails(
        cli, "billing", "refund-answer", request["id"], "--answer", "refunded"
    )
    assert "no payment" in fails(
        cli, "billing", "refund-request", "--org", org_id, "--transaction", "txn_01nope"
    )
