"""`tocsin --version` says the version the installed distribution carries."""

from __future__ import annotations

import re
from importlib.metadata import version

from typer.testing import CliRunner

import tocsin
from tocsin.cli import app


def test_version_flag_prints_the_package_version_and_nothing_else() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"tocsin {tocsin.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tocsin.__version__)
    # pyproject.toml reads the version from tocsin/__init__.py, so the metadata pip installed
    # says the same: there is one version.
    assert version("tocsin") == tocsin.__version__


def test_version_flag_runs_no_command() -> None:
    """Eager: it answers before any command could open a database."""
    result = CliRunner().invoke(app, ["--version", "db", "upgrade"])
    assert result.exit_code == 0
    assert "database is up to date" not in result.stdout
