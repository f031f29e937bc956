"""Alembic environment: runs against the engine Tocsin hands it, online only."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from tocsin.tables import Base

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# A connection already in a transaction is the caller's to commit (see tocsin.migrations.upgrade).
given: Connection | None = config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    engine: Engine = config.attributes["engine"]
    with engine.connect() as connection:
        run_migrations(connection)
        connection.commit()
