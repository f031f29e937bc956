"""People and on-call in a real browser against a real `tocsin serve`: a member sets up their
profile (numbers verified with the codes the simulated phone received, and the rules "call
mobile at 0, SMS at 0, call desk at 3"); a member on a rotation sees their next shift, makes
their iCal link, which a calendar application fetches, and revokes it; and the external
calendars page shows why a calendar could not be fetched."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.browser import chromium, new_page, screenshot
from tests.e2e.helpers import System
from tests.e2e.test_dashboard_browser import sign_up
from tests.factories import PASSWORD
from tocsin.numbers.models import NumberVerification
from tocsin.telephony.simulator import code_heard

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]


def _member(system: System, org_id: str, email: str, name: str) -> str:
    made = system.cli(
        "user", "create", email, "--name", name, "--org", org_id, "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    user_id: str = made["id"]
    return user_id


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/o/org_\w+$"))


def _no_sideways_scroll(page: Page) -> None:
    size = page.viewport_size
    assert size is not None
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= size["width"], f"the page is {width} px wide on a {size['width']} px phone"


def _code_for(system: System, phone: str) -> str:
    verification = system.read(
        lambda s: s.scalar(
            select(NumberVerification.id)
            .where(NumberVerification.phone_e164 == phone)
            .order_by(NumberVerification.created_at.desc())
            .limit(1)
        )
    )
    assert verification is not None
    code = code_heard(system.data_dir, verification)
    assert code is not None
    return code


def test_a_member_verifies_numbers_and_orders_their_rules(sqlite_system: System) -> None:
    system = sqlite_system
    base_url = system.start_serve(allow_signup="true", worker=False).wait_serving()
    numbers = (
        ("mobile", "+447400620001", "voice"),
        ("mobile texts", "+447400620002", "sms"),
        ("desk", "+447400620003", "voice"),
    )
    with chromium() as browser:
        page = new_page(browser, base_url)
        sign_up(page, "ana@example.com", "Platform Ops")
        page.get_by_role("link", name="My profile").click()
        for name, phone, method in numbers:
            page.get_by_label("Name").fill(name)
            page.get_by_label("Number", exact=True).fill(phone)
            page.get_by_label("Method").select_option(method)
            page.get_by_role("button", name="Add number").click()
            expect(page.locator("#my-numbers")).to_contain_text(phone)
        for name, phone, _ in numbers:
            page.get_by_role("button", name=f"Send code to {name}", exact=True).click()
            page.get_by_label(f"Code sent to {name}", exact=True).fill(_code_for(system, phone))
            page.get_by_role("button", name=f"Verify {name}", exact=True).click()
            expect(page.locator("#my-numbers tr", has_text=phone)).to_contain_text("verified")
        expect(page.locator("#my-numbers")).not_to_contain_text("unverified")

        for index, (way, delay) in enumerate(
            (("call mobile", "0"), ("text mobile texts", "0"), ("call desk", "3"))
        ):
            page.get_by_label(f"Rule {index + 1}", exact=True).select_option(label=way)
            page.locator(f"#delay-{index}").fill(delay)
        # The save answers with a redirect back here; reloading before it lands raced the
        # navigation ("Not attached to an active page" in CI).
        with page.expect_navigation():
            page.get_by_role("button", name="Save rules").click()
        page.reload()
        chosen = [page.locator(f"#way-{index} option:checked").inner_text() for index in range(4)]
        assert chosen == ["call mobile", "text mobile texts", "call desk", "—"]
        assert [page.locator(f"#delay-{index}").input_value() for index in range(3)] == [
            "0", "0", "3"
        ]  # fmt: skip
        screenshot(page, "my-profile")
        small = new_page(browser, base_url, phone=True)
        _sign_in(small, "ana@example.com")
        small.get_by_role("link", name="My profile").click()
        _no_sideways_scroll(small)


def test_a_member_sees_their_next_shift_and_subscribes_to_it(sqlite_system: System) -> None:
    system = sqlite_system
    base_url = system.start_serve(allow_signup="true", worker=False).wait_serving()
    with chromium() as browser:
        lead = new_page(browser, base_url)
        org_id = sign_up(lead, "lead@example.com", "Platform Ops")
        ben = _member(system, org_id, "ben@example.com", "Ben")
        cy = _member(system, org_id, "cy@example.com", "Cy")
        # The server keeps real time: Ben's turn began an hour ago and hands over at that same
        # London time tomorrow, so he is on call now whatever the time of day (a fixed 09:00
        # handoff made Cy the one on call when the test ran just after nine).
        began = datetime.now(UTC) - timedelta(hours=1)
        handoff = began.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
        rotation = system.cli(
            "rotation", "create", "Daily", "--org", org_id, "--participants", f"{ben},{cy}",
            "--unit", "days", "--timezone", "Europe/London", "--handoff", handoff,
            "--start", began.isoformat(timespec="minutes"),
        )  # fmt: skip
        system.cli(
            "schedule", "create", "Platform primary", "--org", org_id,
            "--timezone", "Europe/London", "--layer", f"Primary=rotation:{rotation['id']}",
        )  # fmt: skip

        page = new_page(browser, base_url)
        _sign_in(page, "ben@example.com")
        page.get_by_role("link", name="My shifts").click()
        rows = page.locator("#my-shifts tbody tr")
        expect(rows.first).to_contain_text("Platform primary")
        expect(rows.first).to_contain_text("on call now")
        shown = [
            (row.get_attribute("data-starts") or "", row.get_attribute("data-ends") or "")
            for row in rows.all()
        ]
        screenshot(page, "my-shifts")

        page.get_by_role("button", name="Create calendar link").click()
        url = page.locator("#feed-url").inner_text().strip()
        # The address is on the operator's public base URL; here the server is on a free port.
        path = urlsplit(url).path
        assert path.startswith("/v1/calendars/cal"), url
        assert path.endswith(".ics"), url
        expect(page.get_by_role("button", name="Copy address")).to_be_visible()
        screenshot(page, "my-shifts-link")

        feed = httpx.get(base_url + path)
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/calendar")
        events = {
            (
                event.decoded("DTSTART").astimezone(UTC),
                event.decoded("DTEND").astimezone(UTC),
            )
            for event in icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
        }
        page_shifts = [
            (datetime.fromisoformat(s).astimezone(UTC), datetime.fromisoformat(e).astimezone(UTC))
            for s, e in shown
        ]
        # The shift in progress may be shown from now; every later one is in the feed as is.
        assert page_shifts[0][1] in {ends for _, ends in events}
        assert set(page_shifts[1:]) <= events, (page_shifts, sorted(events))
        assert len(page_shifts) > 1

        # Shown once: the page again (not a reload, which would post the form again) has none.
        page.goto(f"/o/{org_id}/me/shifts")
        expect(page.locator("#feed-url")).to_have_count(0)
        expect(page.locator("#calendar-links")).to_contain_text("live")
        page.get_by_role("button", name=re.compile("^Revoke link")).click()
        expect(page.locator("#calendar-links")).to_contain_text("revoked")
        assert httpx.get(base_url + path).status_code == 404

        phone = new_page(browser, base_url, phone=True)
        _sign_in(phone, "ben@example.com")
        phone.goto(f"/o/{org_id}/me/shifts")
        phone.get_by_role("button", name="Create calendar link").click()
        expect(phone.locator("#feed-url")).to_be_visible()
        _no_sideways_scroll(phone)
        screenshot(phone, "my-shifts-phone")


class _Unavailable(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def _failing_calendar_server() -> Iterator[str]:
    """A calendar host on this machine that answers every request with 503."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/team/rota.ics"
    finally:
        server.shutdown()
        server.server_close()


def test_the_calendars_page_shows_why_a_calendar_failed(sqlite_system: System) -> None:
    system = sqlite_system
    # The operator lets calendars come from this machine (plain http is allowed only so).
    local = {"provider_host_allowlist": "127.0.0.1"}
    base_url = system.start_serve(allow_signup="true", worker=False, **local).wait_serving()
    with _failing_calendar_server() as calendar_url, chromium() as browser:
        page = new_page(browser, base_url)
        org_id = sign_up(page, "lead@example.com", "Platform Ops")
        page.get_by_role("link", name="Calendars", exact=True).click()
        page.get_by_label("Name").fill("Team rota")
        page.get_by_label("Address").fill("https://10.1.2.3/rota.ics")
        page.get_by_role("button", name="Add calendar").click()
        expect(page.locator("#form-error")).to_contain_text("not allowed")

        page.get_by_label("Address").fill(calendar_url)
        page.get_by_role("button", name="Add calendar").click()
        expect(page.locator("#calendars")).to_contain_text("127.0.0.1")
        expect(page.locator("#calendars")).to_contain_text("not yet")
        page.get_by_role("button", name="Refresh Team rota now").click()
        expect(page.locator("p.notice")).to_contain_text("will be fetched within a minute")

        calendar_id = page.locator("#calendars tbody tr").first.get_attribute("id") or ""
        fetched = system.cli(
            "calendar", "refresh", calendar_id.removeprefix("calendar-"), "--org", org_id, **local
        )
        assert "503" in fetched["last_error"]

        page.goto(f"/o/{org_id}/calendars")
        error = page.locator(".calendar-error")
        expect(error).to_contain_text("Last fetch failed: the calendar's server answered 503")
        expect(page.locator("#calendars")).to_contain_text("never")
        screenshot(page, "calendars-failing")
