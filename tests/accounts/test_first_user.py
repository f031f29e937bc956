"""The first user of a server may sign up while sign-up is closed, and only one may be first.

Issue 17, finding 12: ten "first user" sign-ups at once on a fresh PostgreSQL all succeeded
(one did on SQLite, which runs one write transaction at a time). These race real threads, each
in a transaction of its own, against the test's database on both backends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD
from tocsin.accounts import service
from tocsin.accounts.models import Membership, User
from tocsin.core.clock import ManualClock
from tocsin.core.config import Settings
from tocsin.core.errors import TocsinError
from tocsin.organizations import registration
from tocsin.runtime import Runtime

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

RACERS = 10


@pytest.fixture
def closed_runtime(settings: Settings, clock: ManualClock) -> Iterator[Runtime]:
    """A fresh server whose sign-up is closed (the default outside tests)."""
    runtime = Runtime.from_settings(
        settings.model_copy(update={"allow_signup": False}), clock=clock
    )
    yield runtime
    runtime.database.dispose()


def _sign_up(runtime: Runtime, index: int) -> str | None:
    """One sign-up in its own transaction; the error code when refused."""
    try:
        with runtime.database.write() as session:
            registration.register(
                session,
                runtime,
                email=f"first{index}@example.com",
                password=PASSWORD,
                display_name="",
                organization_name=f"Racer {index}",
                country=None,
                invite_code=None,
                ip_address=None,
                user_agent=None,
                now=runtime.clock.now(),
            )
    except TocsinError as refused:
        return refused.code
    return None


def test_of_ten_first_sign_ups_at_once_exactly_one_wins(closed_runtime: Runtime) -> None:
    """Issue 17, finding 12."""
    start = threading.Barrier(RACERS)

    def race(index: int) -> str | None:
        start.wait()
        return _sign_up(closed_runtime, index)

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, range(RACERS)))
    assert outcomes.count(None) == 1, outcomes
    assert sorted(code for code in outcomes if code) == ["signup_closed"] * (RACERS - 1)
    with closed_runtime.database.read() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
        assert session.scalar(select(func.count()).select_from(Membership)) == 1


def test_the_first_place_is_taken_once_even_after_the_first_user_is_gone(
    closed_runtime: Runtime,
) -> None:
    assert _sign_up(closed_runtime, 1) is None
    with closed_runtime.database.write() as session:
        session.execute(User.__table__.delete())
    assert _sign_up(closed_runtime, 2) == "signup_closed"


def test_a_user_the_operator_made_first_closes_the_first_place(closed_runtime: Runtime) -> None:
    with closed_runtime.database.write() as session:
        service.create_user(
            session,
            email="operator-made@example.com",
            password=PASSWORD,
            display_name="",
            now=closed_runtime.clock.now(),
        )
    assert _sign_up(closed_runtime, 1) == "signup_closed"


def test_a_refused_first_sign_up_leaves_the_place_free(closed_runtime: Runtime) -> None:
    with pytest.raises(TocsinError), closed_runtime.database.write() as session:
        registration.register(
            session,
            closed_runtime,
            email="first@example.com",
            password="short",
            display_name="",
            organization_name=None,
            country=None,
            invite_code=None,
            ip_address=None,
            user_agent=None,
            now=closed_runtime.clock.now(),
        )
    assert _sign_up(closed_runtime, 1) is None
