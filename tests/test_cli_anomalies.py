"""The anomaly scan from the shell: the same cases the workers file, on demand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from tests.shell import run
from tests.trust.anomaly_traffic import Traffic, numbers
from tocsin.cli import app
from tocsin.core.clock import utcnow
from tocsin.db.engine import Database


@pytest.fixture
def traffic(database_url: str) -> Iterator[Traffic]:
    # The command reads the system clock, so the calls are made just before it runs.
    database = Database(database_url)
    yield Traffic(database, utcnow)
    database.dispose()


def test_an_operator_scans_and_scanning_again_files_nothing_new(
    cli: CliRunner, traffic: Traffic
) -> None:
    shop = traffic.org("Shop")
    traffic.calls(shop, numbers(20), "Your table is ready")

    report = run(cli, "trust", "scan")

    assert report["ran"] is True
    assert (report["findings"], report["new_cases"], report["suspensions"]) == (1, 1, 0)
    [case] = report["cases"]
    assert (case["detector"], case["org_id"], case["created"]) == ("broadcast", shop, True)

    again = run(cli, "trust", "scan")
    assert again["new_cases"] == 0
    assert [filed["case_id"] for filed in again["cases"]] == [case["case_id"]]
    text = cli.invoke(app, ["trust", "scan"]).stdout
    assert f"{case['case_id']}  updated  {shop}  broadcast: the same message" in text
    assert "1 findings, 0 new cases, 0 suspensions" in text


def test_past_a_hard_threshold_the_scan_suspends_unless_told_not_to(
    cli: CliRunner, traffic: Traffic
) -> None:
    dialer = traffic.org("Dialer")
    traffic.calls(dialer, numbers(120), "Vote on Tuesday")

    held = run(cli, "trust", "scan", "--no-suspend")
    assert held["suspensions"] == 0
    off = cli.invoke(app, ["trust", "scan"], env={"TOCSIN_ANOMALY_AUTO_SUSPEND": "false"})
    assert "0 suspensions" in off.stdout
    assert run(cli, "enforcement", "list", "--org", dialer) == []

    suspended = run(cli, "trust", "scan")

    assert suspended["suspensions"] == 1
    [action] = run(cli, "enforcement", "list", "--org", dialer)
    assert action["kind"] == "suspension"
    assert "broadcast" in action["reason"]
    [filed] = [case for case in suspended["cases"] if case["suspension_id"]]
    assert filed["suspension_id"] == action["id"]
    assert run(cli, "trust", "scan")["suspensions"] == 0
