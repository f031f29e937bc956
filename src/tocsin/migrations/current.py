"""Whether a database's schema is already at this Tocsin's newest revision, found without
importing Alembic, so that a server restarting on an up-to-date database does not load Alembic
and every revision module (about 10 MiB that stay resident, and a third of a second) to learn
that there is nothing to do."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from sqlalchemy import inspect, text

from tocsin.db.engine import Database

VERSIONS = Path(__file__).resolve().parent / "versions"


def _declared(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """(revision, down revisions) that one version file assigns at module level; None for a
    file that declares no revision (Alembic skips it too)."""
    values: dict[str, object] = {}
    targets: list[ast.expr]
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        elif isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                values[target.id] = ast.literal_eval(value)
    if "revision" not in values:
        return None
    down = values.get("down_revision")
    if isinstance(down, str):
        return str(values["revision"]), (down,)
    # None for the first revision, a tuple for a merge of two heads.
    downs = tuple(str(item) for item in down) if isinstance(down, tuple | list) else ()
    return str(values["revision"]), downs


@functools.cache
def head_revision() -> str | None:
    """The one revision no other revision builds on, or None when the files declare several
    heads (Alembic then decides)."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        declared = _declared(path)
        if declared is None:
            continue
        revision, downs = declared
        revisions.add(revision)
        built_on.update(downs)
    heads = revisions - built_on
    return next(iter(heads)) if len(heads) == 1 else None


def is_current(database: Database) -> bool:
    """The database records exactly the head revision. A new database, one at an older
    revision and one at a revision this Tocsin does not know are all not current."""
    head = head_revision()
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        recorded = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return head is not None and [row[0] for row in recorded] == [head]


def upgrade_unless_current(database: Database) -> None:
    """Bring the schema to head (tocsin.migrations.upgrade), unless it is there already."""
    if is_current(database):
        return
    # The one deferred import here, for the reason the module says: Alembic is loaded only
    # when there is an upgrade to make.
    from tocsin.migrations.upgrade import upgrade

    upgrade(database)
