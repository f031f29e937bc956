"""Issue 17, finding 2: an empty or one-character TOCSIN_SECRET_KEY was accepted, and with ""
a token forged with HMAC("", "tocsin/jwt") was accepted for the victim's organization. A key
the operator sets must be long and varied; one generated into the data directory is."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from tocsin.cli import app
from tocsin.core.config import Settings

WEAK = ["", "x", "short-key", "a" * 64, "ab" * 32, "0123456789" * 3]


@pytest.mark.parametrize("key", WEAK)
def test_a_short_or_repetitive_secret_key_is_refused(key: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=key, data_dir=tmp_path, _env_file=None)  # type: ignore[arg-type]
    assert "secret_key" in str(refused.value)


def test_a_long_random_key_and_a_generated_one_are_fine(tmp_path: Path) -> None:
    strong = secrets.token_urlsafe(32)
    assert Settings(secret_key=strong, _env_file=None).resolved_secret_key() == strong.encode()  # type: ignore[arg-type]
    generated = Settings(data_dir=tmp_path, _env_file=None).resolved_secret_key()
    assert len(generated) >= 32


def test_the_shell_says_so_in_one_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_SECRET_KEY", "x")
    result = cli.invoke(app, ["org", "create", "Acme"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("tocsin: error: bad setting TOCSIN_SECRET_KEY")
