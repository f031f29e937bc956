"""Bring a database's schema up to date, safely when several processes start at once."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from tocsin.db.engine import Database

# Any constant works; it only has to be the same in every Tocsin process.
_MIGRATION_LOCK_ID = 0x70C517


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", "tocsin:migrations")
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config(database)
    if database.is_postgres:
        with database.engine.connect() as lock_connection:
            lock_connection.execute(
                text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
            try:
                command.upgrade(config, revision)
            finally:
                lock_connection.execute(
                    text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID}
                )
                lock_connection.commit()
    else:
        # Alembic's own transactions on SQLite start deferred, so two processes upgrading a new
        # file at once both read, then one fails to upgrade its lock ("database is locked").
        # One BEGIN IMMEDIATE transaction around the whole upgrade makes them take turns.
        with database.write_engine.connect() as connection:
            # Batch mode rebuilds a table SQLite cannot ALTER in place (copy, DROP, rename);
            # with foreign keys on, that DROP of `organizations` would cascade to every row
            # of every organization. The pragma only takes effect outside a transaction.
            _foreign_keys(connection, enabled=False)
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(
                            f"the upgrade to {revision} left rows pointing at nothing: {broken[:5]}"
                        )
            finally:
                _foreign_keys(connection, enabled=True)


def _foreign_keys(connection: Connection, *, enabled: bool) -> None:
    """Set SQLite's foreign-key enforcement on the connection itself, outside any transaction
    (SQLAlchemy's autobegin would put a statement inside one, where the pragma is ignored)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    finally:
        cursor.close()
