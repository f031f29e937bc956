"""Migration 0019_passwords gives a server that has users its first sign-up: the oldest user's,
so an upgraded closed server does not open to whoever signs up next."""

from __future__ import annotations

from sqlalchemy import text

from tests.db.test_quota_period_migration import fresh_database  # noqa: F401 (a fixture)
from tocsin.db.engine import Database
from tocsin.migrations.upgrade import upgrade

BEFORE = "0018_signin"


def test_the_oldest_user_of_an_upgraded_server_holds_the_first_place(
    fresh_database: Database,  # noqa: F811
) -> None:
    upgrade(fresh_database, BEFORE)
    with fresh_database.engine.begin() as connection:
        for user_id, created in (("usr_b", "2026-02-01"), ("usr_a", "2026-01-01")):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, display_name, password_hash, created_at) "
                    "VALUES (:id, :email, 'x', 'x', :created)"
                ),
                {
                    "id": user_id,
                    "email": f"{user_id}@example.com",
                    "created": f"{created} 00:00:00",
                },
            )
    upgrade(fresh_database)
    with fresh_database.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, user_id FROM first_sign_up")).all()
    assert [tuple(row) for row in rows] == [(1, "usr_a")]
