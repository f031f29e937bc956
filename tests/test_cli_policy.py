"""Policy documents from the shell: listing the versions, reading one, publishing a new one.

The command runs on the system clock, so effective dates are counted from the real today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from tests.shell import fails, run
from tocsin.cli import app
from tocsin.documents.versions import SHIPPED_VERSION


def days_from_today(days: int) -> str:
    moment: date = (datetime.now(UTC) + timedelta(days=days)).date()
    return moment.isoformat()


def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "aup.md"
    path.write_text("# Tocsin Acceptable Use Policy\n\nAlerting calls only.\n", "utf-8")
    return path


def test_with_nothing_published_the_shipped_versions_are_listed_in_force(cli: CliRunner) -> None:
    listed = run(cli, "policy", "list")
    assert [(entry["kind"], entry["version"], entry["standing"]) for entry in listed] == [
        ("aup", SHIPPED_VERSION, "in_force"),
        ("terms", SHIPPED_VERSION, "in_force"),
    ]
    shown = run(cli, "policy", "show", "terms")
    assert (shown["version"], shown["shipped"]) == (SHIPPED_VERSION, True)
    assert shown["body"].startswith("# Tocsin Terms of Service")
    human = cli.invoke(app, ["policy", "show", "aup", "--version", SHIPPED_VERSION])
    assert human.exit_code == 0, human.output
    assert human.stdout.startswith("# Tocsin Acceptable Use Policy")


def test_a_material_change_needs_30_days_notice_and_tells_the_owners(
    cli: CliRunner, tmp_path: Path
) -> None:
    org = run(cli, "org", "create", "Acme", "--country", "GB")
    publish = ["policy", "publish", "aup", "2027-06-01", "--title", "Tocsin Acceptable Use Policy",
               "--file", str(text_file(tmp_path)), "--material",
               "--summary", "Calls abroad need consent in the callee's language."]  # fmt: skip
    refused = fails(cli, *publish, "--effective", days_from_today(29))
    assert "30 days' notice" in refused
    effective = days_from_today(31)
    published = run(cli, *publish, "--effective", effective)
    assert published["effective_at"].startswith(effective)
    listed = run(cli, "policy", "list")
    assert [
        (entry["version"], entry["standing"]) for entry in listed if entry["kind"] == "aup"
    ] == [
        (SHIPPED_VERSION, "in_force"),
        ("2027-06-01", "upcoming"),
    ]
    assert run(cli, "policy", "show", "aup")["version"] == SHIPPED_VERSION
    notices = run(cli, "billing", "notices", "--org", org["slug"])
    assert [notice["kind"] for notice in notices] == ["policy_change"]
    assert effective in notices[0]["message"]
    assert "already published" in fails(cli, *publish, "--effective", days_from_today(60))


def test_a_non_material_change_is_in_force_at_once(cli: CliRunner, tmp_path: Path) -> None:
    published = run(
        cli, "policy", "publish", "terms", "2026-12-01a", "--title", "Tocsin Terms of Service",
        "--file", str(text_file(tmp_path)), "--summary", "Typo fixed.",
    )  # fmt: skip
    assert published["material"] is False
    shown = run(cli, "policy", "show", "terms")
    assert (shown["version"], shown["summary_of_changes"]) == ("2026-12-01a", "Typo fixed.")
    assert run(cli, "policy", "show", "terms", "--version", SHIPPED_VERSION)["shipped"] is True


def test_bad_policy_input_is_one_line(cli: CliRunner, tmp_path: Path) -> None:
    assert "unknown policy kind 'cookies'" in fails(cli, "policy", "show", "cookies")
    assert "no aup policy version '1999'" in fails(
        cli, "policy", "show", "aup", "--version", "1999"
    )
    publish = ["policy", "publish", "aup", "2027-06-01", "--title", "T"]
    assert "not an ISO 8601" in fails(
        cli, *publish, "--file", str(text_file(tmp_path)), "--effective", "next week"
    )
    assert "missing.md" in fails(cli, *publish, "--file", str(tmp_path / "missing.md"))
