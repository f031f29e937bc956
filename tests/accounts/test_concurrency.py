"""Account invariants that must hold when two requests race (PostgreSQL; SQLite serialises).

Each test holds one transaction open on one connection while another acts on a second
connection, so the interleaving is forced rather than hoped for, and nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tocsin.accounts import service
from tocsin.accounts.models import Membership, RefreshToken, Role, User
from tocsin.accounts.tokens import REFRESH
from tocsin.core.errors import Conflict
from tocsin.core.ids import new_id
from tocsin.runtime import Runtime

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def postgres_runtime(runtime: Runtime) -> Runtime:
    if not runtime.database.is_postgres:
        pytest.skip("SQLite runs one write transaction at a time, so these races cannot happen")
    return runtime


def _user(session: Session, name: str) -> str:
    user = User(
        id=new_id("usr"),
        email=f"{name}@example.com",
        display_name=name,
        password_hash="not-used-here",
        created_at=NOW,
    )
    session.add(user)
    session.flush()
    return user.id


def _without_waiting(runtime: Runtime, action: Callable[[Session], None]) -> None:
    """Run `action` in a second transaction that fails at once instead of waiting for a lock."""
    with runtime.database.write() as other:
        other.execute(text("SET LOCAL lock_timeout = '1ms'"))
        action(other)


def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    postgres_runtime: Runtime,
) -> None:
    database = postgres_runtime.database
    with database.write() as session:
        first, second = _user(session, "first"), _user(session, "second")
        org = service.create_organization(
            session, name="Acme", owner_id=first, now=NOW, home_region="GB"
        )
        service.add_member(session, org_id=org.id, user_id=second, role=Role.OWNER, now=NOW)
    with database.write() as racing:
        service.change_role(racing, org_id=org.id, user_id=first, role=Role.ADMIN)
        # While that demotion is uncommitted, the other one must wait for it, not count owners.
        with pytest.raises(OperationalError, match="lock timeout"):
            _without_waiting(
                postgres_runtime,
                lambda other: service.change_role(
                    other, org_id=org.id, user_id=second, role=Role.ADMIN
                ),
            )
    with database.write() as session, pytest.raises(Conflict) as caught:
        service.change_role(session, org_id=org.id, user_id=second, role=Role.ADMIN)
    assert caught.value.code == "last_owner"
    with database.read() as session:
        survivor = session.get(Membership, (org.id, second))
        assert survivor is not None
        assert survivor.role == Role.OWNER


def test_removing_a_member_waits_for_a_pending_role_change(postgres_runtime: Runtime) -> None:
    database = postgres_runtime.database
    with database.write() as session:
        first, second = _user(session, "first"), _user(session, "second")
        org = service.create_organization(
            session, name="Acme", owner_id=first, now=NOW, home_region="GB"
        )
        service.add_member(session, org_id=org.id, user_id=second, role=Role.OWNER, now=NOW)
    with database.write() as racing:
        service.change_role(racing, org_id=org.id, user_id=first, role=Role.MEMBER)
        with pytest.raises(OperationalError, match="lock timeout"):
            _without_waiting(
                postgres_runtime,
                lambda other: service.remove_member(other, org_id=org.id, user_id=second),
            )
    with database.write() as session, pytest.raises(Conflict) as caught:
        service.remove_member(session, org_id=org.id, user_id=second)
    assert caught.value.code == "last_owner"


def test_refresh_token_raced_by_two_requests_counts_as_reuse(postgres_runtime: Runtime) -> None:
    runtime = postgres_runtime

    def rotate(session: Session, token: str) -> service.TokenPair:
        return service.rotate_refresh_token(
            session,
            token=token,
            codec=runtime.tokens,
            now=NOW,
            access_lifetime=runtime.access_lifetime,
            refresh_lifetime=runtime.refresh_lifetime,
        )

    with runtime.database.write() as session:
        pair = service.issue_tokens(
            session,
            user_id=_user(session, "racer"),
            codec=runtime.tokens,
            now=NOW,
            access_lifetime=runtime.access_lifetime,
            refresh_lifetime=runtime.refresh_lifetime,
        )
    token_id = runtime.tokens.decode(pair.refresh_token, expected_type=REFRESH, now=NOW).token_id
    with runtime.database.write() as late:
        # The late request has already read the token as unused when the early one commits.
        row = late.get(RefreshToken, token_id)
        assert row is not None
        assert row.used_at is None
        with runtime.database.write() as early:
            rotate(early, pair.refresh_token)
        with pytest.raises(service.RefreshTokenReused):
            rotate(late, pair.refresh_token)
