"""Alembic environment: runs against the engine Tocsin hands it, online only."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from tocsin.db.models import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
