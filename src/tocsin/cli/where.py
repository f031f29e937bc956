"""`tocsin where`: which database and data directory every command uses, and why."""

from __future__ import annotations

from typing import Any

from tocsin.cli.common import JsonOption, emit_item, friendly_errors
from tocsin.cli.database import database_named
from tocsin.cli.root import app
from tocsin.core.config import Settings
from tocsin.core.home import config_file
from tocsin.db.engine import database_file, shown_url


@app.command("where")
@friendly_errors
def where(as_json: bool = JsonOption) -> None:
    """Say which database and data directory commands use, and how they were found
    (TOCSIN_HOME, else the config file's home, else ~/.local/share/tocsin)."""
    settings = Settings()
    home = settings.found_home
    file = database_file(settings.database_url)
    data: dict[str, Any] = {
        "database_url": shown_url(settings.database_url),
        "database": database_named(settings),
        # Only an SQLite file can be looked for without connecting.
        "database_exists": file.exists() if file is not None else None,
        "data_dir": str(settings.data_dir),
        "home": str(home.path) if home is not None else None,
        "home_found_by": home.found_by if home is not None else None,
        "config_file": str(config_file()),
        "secret_key": "TOCSIN_SECRET_KEY"
        if settings.secret_key is not None
        else str(settings.data_dir / "secret.key"),
    }
    emit_item(
        as_json, data, ["database", "database_exists", "data_dir", "config_file", "secret_key"]
    )
