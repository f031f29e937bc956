"""Calendars in: fetched under the host rule every outbound request of a customer's choosing
obeys (public https only, each redirect checked again), within 2 MiB and 10 seconds; the last
good copy kept when a fetch fails, the owners told once, and the next try backed off.

The fetcher is tested through the host policy's own seam (tests/telephony/
test_provider_host_policy.py): a resolver the test sets and an operator allowlist that admits
the test's server on 127.0.0.1, which the default rule refuses, as the refusal tests show."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests import seeded
from tests.telephony.rest.fakes import serve
from tocsin.audit.models import Notice
from tocsin.cli.common import CLI_ACTOR
from tocsin.core.addresses import HostAllowlist
from tocsin.engine.calendar_refresh import refresh_calendars
from tocsin.oncall import calendar_feeds
from tocsin.oncall.calendar_fetch import CalendarFetchFailed, fetch_calendar
from tocsin.oncall.models import CalendarFeed
from tocsin.runtime import Runtime
from tocsin.telephony.hosts import HostPolicy, HostRefused

ATTENDEE = "ana@example.com"


def calendar(attendee: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:one@test\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20260102T090000Z\r\nDTEND:20260102T170000Z\r\nSUMMARY:On call\r\n"
        f"ATTENDEE:mailto:{attendee}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


class Calendars:
    """A calendar server on 127.0.0.1 whose answer a test changes."""

    def __init__(self) -> None:
        self.status = 200
        self.body = calendar(ATTENDEE)
        self.requests = 0
        self.inflated = self.body

    def app(self) -> Starlette:
        async def feed(request: Request) -> Response:
            self.requests += 1
            return Response(self.body, status_code=self.status, media_type="text/calendar")

        async def big(request: Request) -> Response:
            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(40):  # 2.5 MiB, with no Content-Length to go by
                    yield b"x" * 65536

            return StreamingResponse(chunks(), media_type="text/calendar")

        async def slow(request: Request) -> Response:
            async def trickle() -> AsyncIterator[bytes]:
                for _ in range(100):
                    yield b"B"
                    await asyncio.sleep(0.05)

            return StreamingResponse(trickle(), media_type="text/calendar")

        async def to_loopback(request: Request) -> Response:
            return RedirectResponse(f"http://127.0.0.1:{request.url.port}/feed.ics")

        async def gzipped(request: Request) -> Response:
            # A small body that inflates to `self.inflated` (a bomb, when that is large).
            return Response(
                gzip.compress(self.inflated, compresslevel=9),
                media_type="text/calendar",
                headers={"Content-Encoding": "gzip"},
            )

        return Starlette(
            routes=[
                Route("/feed.ics", feed),
                Route("/gzipped.ics", gzipped),
                Route("/big.ics", big),
                Route("/slow.ics", slow),
                Route("/redirect.ics", to_loopback),
            ]
        )


@pytest.fixture
def server() -> Iterator[tuple[Calendars, str]]:
    calendars = Calendars()
    with serve(calendars.app()) as url:
        yield calendars, f"http://calendars.lan:{url.rsplit(':', 1)[1]}"


def lan_policy() -> HostPolicy:
    """The operator's allowlist admits calendars.lan (plain http too), and only it."""
    return HostPolicy(
        HostAllowlist.parse("calendars.lan"), resolver=lambda host, port: ["127.0.0.1"]
    )


def fetch(url: str, policy: HostPolicy, **limits: float) -> bytes:
    return asyncio.run(fetch_calendar(url, policy=policy, **limits))  # type: ignore[arg-type]


def failure(url: str, policy: HostPolicy, **limits: float) -> str:
    with pytest.raises(CalendarFetchFailed) as failed:
        fetch(url, policy, **limits)
    return str(failed.value)


def test_a_calendar_on_an_allowed_host_is_fetched(server: tuple[Calendars, str]) -> None:
    calendars, base = server
    assert fetch(f"{base}/feed.ics", lan_policy()) == calendars.body


@pytest.mark.parametrize(
    ("url", "answers"),
    [
        ("http://calendar.example/team.ics", ["93.184.216.34"]),  # public, but plain http
        ("https://10.0.0.7/team.ics", []),
        ("https://169.254.169.254/latest/meta-data", []),
        ("https://[::1]/team.ics", []),
        ("https://intranet.example/team.ics", ["192.168.1.20"]),
        ("https://localhost/team.ics", ["127.0.0.1"]),
    ],
)
def test_plain_http_and_private_addresses_are_refused_before_any_connection(
    url: str, answers: list[str]
) -> None:
    policy = HostPolicy(resolver=lambda host, port: answers)
    assert "not allowed" in failure(url, policy) or "https" in failure(url, policy)
    with pytest.raises(HostRefused):
        calendar_feeds.check_calendar_url(policy, url)


def test_a_redirect_to_a_host_not_allowed_is_not_followed(server: tuple[Calendars, str]) -> None:
    calendars, base = server
    message = failure(f"{base}/redirect.ics", lan_policy())
    assert "could not fetch" in message
    assert calendars.requests == 0


def test_a_calendar_over_2_mib_is_refused(server: tuple[Calendars, str]) -> None:
    _, base = server
    assert "larger than 2048 KiB" in failure(f"{base}/big.ics", lan_policy())


def test_a_gzipped_calendar_is_read(server: tuple[Calendars, str]) -> None:
    calendars, base = server
    assert fetch(f"{base}/gzipped.ics", lan_policy()) == calendars.body


def test_a_gzip_bomb_is_refused_without_inflating_it(server: tuple[Calendars, str]) -> None:
    """60 KiB on the wire that inflate to 64 MiB: the limit holds for the inflated bytes, and
    no more than about the limit is ever inflated in memory."""
    calendars, base = server
    calendars.inflated = b"A" * (64 * 1024 * 1024)
    tracemalloc.start()
    try:
        message = failure(f"{base}/gzipped.ics", lan_policy())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than 2048 KiB" in message
    assert peak < 16 * 1024 * 1024, f"{peak / 2**20:.0f} MiB held at once"


def test_a_fetch_is_cut_off_at_its_time_limit_however_it_trickles(
    server: tuple[Calendars, str],
) -> None:
    _, base = server
    assert "within 0.5 seconds" in failure(f"{base}/slow.ics", lan_policy(), seconds=0.5)


def test_an_error_status_is_a_failure(server: tuple[Calendars, str]) -> None:
    calendars, base = server
    calendars.status = 503
    assert "answered 503" in failure(f"{base}/feed.ics", lan_policy())


def test_the_last_good_copy_is_kept_when_fetches_fail_and_the_owners_are_told_once(
    runtime: Runtime, server: tuple[Calendars, str]
) -> None:
    calendars, base = server
    owner = seeded.person(runtime, org_name="Calendars")
    ana = seeded.member(runtime, owner.org_id, email=ATTENDEE)
    policy = lan_policy()
    with runtime.database.write() as session:
        feed_id = calendar_feeds.add_feed(
            session,
            org_id=owner.org_id,
            name="Team rota",
            url=f"{base}/feed.ics",
            policy=policy,
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        ).id

    def refresh() -> CalendarFeed:
        asyncio.run(refresh_calendars(runtime.database, policy=policy, now=runtime.clock.now()))
        with runtime.database.read() as session:
            feed = session.get(CalendarFeed, feed_id)
            assert feed is not None
            session.expunge(feed)
            return feed

    good = refresh()
    assert [event["user_id"] for event in good.events] == [ana.user_id]
    assert good.last_error is None
    assert good.next_fetch_at == runtime.clock.now() + timedelta(minutes=15)

    calendars.status = 500
    waits = []
    for _ in range(3):
        runtime.clock.advance(24 * 3600)  # due whatever the backoff
        failed = refresh()
        waits.append(failed.next_fetch_at - runtime.clock.now())
        assert failed.events == good.events
        assert failed.last_good_at == good.last_good_at
        assert "answered 500" in (failed.last_error or "")
    assert waits == [timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1)]
    with runtime.database.read() as session:
        notices = session.scalars(select(Notice).where(Notice.kind == "calendar_failing")).all()
        assert len(notices) == 1
        assert "Team rota" in notices[0].message

    calendars.status = 200
    runtime.clock.advance(24 * 3600)
    healed = refresh()
    assert (healed.last_error, healed.failures) == (None, 0)


def test_a_feed_that_is_not_a_calendar_keeps_the_last_good_copy(
    runtime: Runtime, server: tuple[Calendars, str]
) -> None:
    calendars, base = server
    owner = seeded.person(runtime, org_name="Calendars")
    seeded.member(runtime, owner.org_id, email=ATTENDEE)
    with runtime.database.write() as session:
        feed = calendar_feeds.add_feed(
            session,
            org_id=owner.org_id,
            name="Team rota",
            url=f"{base}/feed.ics",
            policy=lan_policy(),
            actor=CLI_ACTOR,
            now=runtime.clock.now(),
        )
        calendar_feeds.record_fetch(
            session, feed_id=feed.id, data=calendars.body, error=None, now=runtime.clock.now()
        )
        calendar_feeds.record_fetch(
            session,
            feed_id=feed.id,
            data=b"<html>login</html>",
            error=None,
            now=runtime.clock.now(),
        )
        assert len(feed.events) == 1
        assert (feed.last_error or "").startswith("not a calendar")
