"""Where `tocsin` finds its database: the same place from any directory (TOCSIN_HOME, else the
home the config file names, else ~/.local/share/tocsin), never a new one made silently."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import TEST_SECRET
from tocsin.cli import app
from tocsin.core.config import Settings
from tocsin.core.home import config_file, find_home


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A shell with no TOCSIN_DATABASE_URL or TOCSIN_DATA_DIR, standing in an empty folder."""
    for name in ("TOCSIN_DATABASE_URL", "TOCSIN_DATA_DIR", "TOCSIN_HOME", "TOCSIN_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOCSIN_PROVIDER", "simulator")
    monkeypatch.setenv("TOCSIN_SIMULATOR_RECORD_AUDIO", "false")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return CliRunner()


def lines(text: str) -> list[str]:
    return text.strip().splitlines()


def test_a_command_without_a_database_refuses_and_makes_nothing(
    shell: CliRunner, tmp_path: Path
) -> None:
    result = shell.invoke(app, ["contact", "list", "--org", "demo"])
    assert result.exit_code == 1
    [line] = lines(result.stderr)
    default = Path(os.environ["XDG_DATA_HOME"]) / "tocsin"
    assert line.startswith(
        f"tocsin: error: no database at sqlite:///{default}/tocsin.db (home {default}, from "
        "the default); set TOCSIN_HOME"
    )
    # Nothing was made where it ran, nor at the home: no database, no secret key.
    assert list((tmp_path / "elsewhere").iterdir()) == []
    assert not default.exists()
    assert not config_file().exists()


def test_quickstart_makes_the_home_and_later_commands_find_it_from_anywhere(
    shell: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)  # a repository, say: shared, and left so
    monkeypatch.setenv("TOCSIN_HOME", str(home))
    made = shell.invoke(app, ["quickstart"])
    assert made.exit_code == 0, made.output
    assert lines(made.stderr) == [
        f"tocsin: creating database sqlite:///{home}/tocsin.db (home {home}, from TOCSIN_HOME)",
        f"tocsin: wrote {config_file()}: later commands use the home {home} from any directory",
    ]
    assert home.stat().st_mode & 0o777 == 0o755
    assert (home / "tocsin.db").is_file()
    assert (home / "tocsin-data" / "secret.key").is_file()
    assert (home / "tocsin-data" / "quickstart.env").is_file()

    # Without TOCSIN_HOME, from another directory: the config file's home.
    monkeypatch.delenv("TOCSIN_HOME")
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    listed = shell.invoke(app, ["contact", "list", "--org", "demo", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [row["phone_e164"] for row in json.loads(listed.stdout)] == ["+447400123456"]
    assert listed.stderr == ""  # --json output, and stderr, stay clean
    assert list(other.iterdir()) == []

    where = json.loads(shell.invoke(app, ["where", "--json"]).stdout)
    assert where["database_url"] == f"sqlite:///{home}/tocsin.db"
    assert (where["home"], where["home_found_by"]) == (str(home), str(config_file()))
    assert where["database_exists"] is True
    assert where["secret_key"] == str(home / "tocsin-data" / "secret.key")

    # A second quickstart elsewhere leaves the config file as it is.
    monkeypatch.setenv("TOCSIN_HOME", str(tmp_path / "second"))
    before = config_file().read_text()
    again = shell.invoke(app, ["quickstart"])
    assert again.exit_code == 0, again.output
    assert "wrote" not in again.stderr
    assert config_file().read_text() == before


def test_db_upgrade_makes_a_database_and_says_where(shell: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'made.db'}"
    result = shell.invoke(
        app, ["db", "upgrade"], env={"TOCSIN_DATABASE_URL": url, "TOCSIN_SECRET_KEY": TEST_SECRET}
    )
    assert result.exit_code == 0, result.output
    assert lines(result.stderr) == [f"tocsin: creating database {url} (TOCSIN_DATABASE_URL)"]
    assert result.stdout == f"database {url} (TOCSIN_DATABASE_URL) is up to date\n"
    again = shell.invoke(
        app, ["org", "list"], env={"TOCSIN_DATABASE_URL": url, "TOCSIN_SECRET_KEY": TEST_SECRET}
    )
    assert (again.exit_code, again.stdout, again.stderr) == (0, "no organizations\n", "")


def test_a_database_without_its_secret_key_is_refused(shell: CliRunner, tmp_path: Path) -> None:
    """A new key would be generated, and every API key made under the old one would stop
    working: the shell must be given the server's."""
    url = f"sqlite:///{tmp_path / 'made.db'}"
    made = shell.invoke(
        app, ["db", "upgrade"], env={"TOCSIN_DATABASE_URL": url, "TOCSIN_SECRET_KEY": TEST_SECRET}
    )
    assert made.exit_code == 0, made.output
    result = shell.invoke(app, ["org", "list"], env={"TOCSIN_DATABASE_URL": url})
    assert result.exit_code == 1
    [line] = lines(result.stderr)
    assert line.startswith("tocsin: error: no secret key at ")
    assert "TOCSIN_SECRET_KEY" in line


def test_a_broken_config_file_is_one_line(shell: CliRunner) -> None:
    config_file().parent.mkdir(parents=True)
    config_file().write_text('home = "relative/path"\n')
    result = shell.invoke(app, ["where"])
    assert result.exit_code == 1
    assert lines(result.stderr) == [
        f"tocsin: error: config file {config_file()}: home must be an absolute path, "
        'e.g. home = "/srv/tocsin"'
    ]
    config_file().write_text("home = \n")
    assert shell.invoke(app, ["where"]).stderr.startswith(
        f"tocsin: error: config file {config_file()}: "
    )


def test_each_setting_given_wins_over_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TOCSIN_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{tmp_path / 'home' / 'tocsin.db'}"
    assert settings.data_dir == tmp_path / "data"
    both = Settings(database_url="sqlite:///x.db", data_dir=tmp_path, _env_file=None)
    assert both.found_home is None


def test_a_relative_home_is_made_absolute_where_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_home(Path("srv")).path == tmp_path / "srv"
