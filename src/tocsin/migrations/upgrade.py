"""Bring a database's schema up to date, safely when several processes start at once."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

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
        with database.write_engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
