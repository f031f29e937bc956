"""A reset link works once even when two requests use it at once (PostgreSQL; SQLite runs one
write transaction at a time). The interleaving is forced, not hoped for: the late request has
read the link as unused when the early one commits."""

from __future__ import annotations

import pytest

from tests import seeded
from tests.factories import PASSWORD
from tocsin.accounts import password_resets
from tocsin.accounts.models import User
from tocsin.accounts.passwords import verify_password
from tocsin.audit.log import SYSTEM
from tocsin.core.errors import Conflict
from tocsin.db.session import Session
from tocsin.runtime import Runtime


def test_a_link_raced_by_two_requests_sets_one_password(runtime: Runtime) -> None:
    if not runtime.database.is_postgres:
        pytest.skip("SQLite runs one write transaction at a time, so this race cannot happen")
    ana = seeded.person(runtime, email="ana@example.com")
    now = runtime.clock.now()
    with runtime.database.write() as session:
        link, _ = password_resets.link_for_operator(
            session, runtime, email=ana.email, actor=SYSTEM, now=now
        )
    token = link.split("token=", 1)[1]

    def complete(session: Session, password: str) -> None:
        password_resets.complete(
            session,
            runtime,
            token=token,
            new_password=password,
            ip_address=None,
            now=now,
        )

    with runtime.database.write() as late:
        assert password_resets.check(late, runtime, token=token, now=now).used_at is None
        with runtime.database.write() as early:
            complete(early, "the early passphrase")
        with pytest.raises(Conflict) as lost:
            complete(late, "the late passphrase")
    assert lost.value.code == "reset_token_used"
    with runtime.database.read() as session:
        user = session.get(User, ana.user_id)
        assert user is not None
        assert verify_password(user.password_hash, "the early passphrase")
        assert not verify_password(user.password_hash, PASSWORD)
