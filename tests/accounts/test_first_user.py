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


# The quickstart's demo organization waits for the server's first sign-up ------------------


def _waiting_demo(runtime: Runtime) -> str:
    """An organization made as `tocsin quickstart` makes its demo: no owner, for the first
    sign-up."""
    with runtime.database.write() as session:
        return service.create_organization(
            session,
            name="Demo",
            owner_id=None,
            now=runtime.clock.now(),
            home_region="GB",
            for_first_sign_up=True,
        ).id


def _orgs_of(runtime: Runtime, email: str) -> list[tuple[str, str]]:
    with runtime.database.read() as session:
        user = service.find_user_by_email(session, email)
        rows = session.execute(
            select(Membership.org_id, Membership.role).where(Membership.user_id == user.id)
        )
        return [(org_id, role) for org_id, role in rows]


def _members(runtime: Runtime, org_id: str) -> int:
    with runtime.database.read() as session:
        return (
            session.scalar(
                select(func.count()).select_from(Membership).where(Membership.org_id == org_id)
            )
            or 0
        )


@pytest.fixture
def open_runtime(settings: Settings, clock: ManualClock) -> Iterator[Runtime]:
    """A fresh server whose sign-up is open to anyone."""
    runtime = Runtime.from_settings(settings.model_copy(update={"allow_signup": True}), clock=clock)
    yield runtime
    runtime.database.dispose()


@pytest.mark.parametrize("signup", ["closed", "open"])
def test_the_first_sign_up_owns_the_waiting_demo_and_the_next_gets_its_own(
    signup: str, closed_runtime: Runtime, open_runtime: Runtime
) -> None:
    runtime = closed_runtime if signup == "closed" else open_runtime
    demo = _waiting_demo(runtime)
    assert _sign_up(runtime, 1) is None
    assert _orgs_of(runtime, "first1@example.com") == [(demo, "owner")]
    if signup == "open":
        assert _sign_up(runtime, 2) is None
        [(own, role)] = _orgs_of(runtime, "first2@example.com")
        assert (own != demo, role) == (True, "owner")
        assert _members(runtime, demo) == 1


def test_no_sign_up_gets_the_demo_once_the_server_has_a_user(open_runtime: Runtime) -> None:
    """Only the first account ever takes the demo: after a user the operator made, a
    sign-up on an open server gets an organization of its own."""
    runtime = open_runtime
    demo = _waiting_demo(runtime)
    with runtime.database.write() as session:
        service.create_user(
            session,
            email="operator-made@example.com",
            password=PASSWORD,
            display_name="",
            now=runtime.clock.now(),
        )
    assert _sign_up(runtime, 1) is None
    [(own, _)] = _orgs_of(runtime, "first1@example.com")
    assert own != demo
    assert _members(runtime, demo) == 0


def test_of_ten_first_sign_ups_at_once_on_an_open_server_one_owns_the_demo(
    open_runtime: Runtime,
) -> None:
    demo = _waiting_demo(open_runtime)
    start = threading.Barrier(RACERS)

    def race(index: int) -> str | None:
        start.wait()
        return _sign_up(open_runtime, index)

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, range(RACERS)))
    assert outcomes == [None] * RACERS
    owners = [
        index
        for index in range(RACERS)
        if _orgs_of(open_runtime, f"first{index}@example.com") == [(demo, "owner")]
    ]
    assert len(owners) == 1
    assert _members(open_runtime, demo) == 1
