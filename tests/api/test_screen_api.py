"""`POST /v1/screen` and `tocsin screen`: the same verdicts, in input order."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests import seeded
from tests.accounts.helpers import error
from tests.factories import ok
from tocsin.cli import app
from tocsin.runtime import Runtime


def test_signed_in_user_screens_numbers_in_order(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    body = ok(
        client.post(
            "/v1/screen",
            json={"numbers": ["999", "+44 7400 123456", "+1 900 555 1234"], "region": "GB"},
            headers=tenant.auth,
        )
    )
    results = body["results"]
    assert [r["input"] for r in results] == ["999", "+44 7400 123456", "+1 900 555 1234"]
    assert [r["verdict"] for r in results] == ["block", "allow", "block"]
    assert results[0]["reasons"][0]["code"] == "emergency"
    assert results[1]["e164"] == "+447400123456"
    assert results[2]["reasons"][0]["code"] == "premium_rate"


def test_screen_needs_a_signed_in_user(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    anonymous = client.post("/v1/screen", json={"numbers": ["+447400123456"]})
    assert error(anonymous, 401) == "unauthenticated"
    with_key = client.post(
        "/v1/screen", json={"numbers": ["+447400123456"]}, headers={"X-API-Key": tenant.ingest_key}
    )
    assert error(with_key, 403) == "user_required"


def test_screen_refuses_too_many_numbers(client: TestClient, runtime: Runtime) -> None:
    tenant = seeded.tenant(runtime)
    response = client.post("/v1/screen", json={"numbers": ["1"] * 101}, headers=tenant.auth)
    assert error(response, 422) == "invalid"


def test_cli_screen_prints_one_json_object_a_line_in_input_order(tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.tsv"
    numbers.write_text("GB\t999\n\t+44 7400 123456\n\nUS\t1-900-FLOWERS\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["screen", "--json", "--file", str(numbers)])
    # Every verdict is printed; a blocked number makes the exit status 1, for scripts.
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["input"], line["region"], line["verdict"]) for line in lines] == [
        ("999", "GB", "block"),
        ("+44 7400 123456", None, "allow"),
        ("1-900-FLOWERS", "US", "block"),
    ]
    assert set(lines[0]) == {"input", "region", "e164", "verdict", "reasons"}
    assert lines[2]["reasons"][0] == {
        "code": "premium_rate",
        "message": "premium-rate number: the caller pays a high tariff",
    }


def test_cli_screen_takes_numbers_and_a_region(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["screen", "--json", "--region", "fr", "112", "06 12 34 56 78"]
    )
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["verdict"] for line in lines] == ["block", "allow"]
    assert lines[1]["e164"] == "+33612345678"


def test_cli_screen_without_numbers_is_one_line_error() -> None:
    result = CliRunner().invoke(app, ["screen"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "tocsin: error: give numbers to screen, or --file"
