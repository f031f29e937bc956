"""Schedules in a real browser against a real `tocsin serve`: the owner makes a weekly rotation
of two members and a schedule on it, looks at its two-week timeline, and overrides the shift in
progress by choosing its block on the timeline: the form opens for that period and person, and
the timeline then shows the replacement."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import chromium, new_page, screenshot
from tests.e2e.helpers import System
from tests.e2e.test_dashboard_browser import sign_up
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]


def _member(system: System, org_id: str, email: str, name: str) -> None:
    system.cli(
        "user", "create", email, "--name", name, "--org", org_id, "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )  # fmt: skip


def test_an_override_is_created_from_the_timeline(sqlite_system: System) -> None:
    system = sqlite_system
    base_url = system.start_serve(allow_signup="true", worker=False).wait_serving()
    with chromium() as browser:
        page = new_page(browser, base_url)
        org_id = sign_up(page, "lead@example.com", "Platform Ops")
        _member(system, org_id, "ben@example.com", "Ben")

        page.get_by_role("link", name="Schedules", exact=True).click()
        page.get_by_role("link", name="rotations").click()
        page.get_by_label("Name").fill("Weekly")
        page.get_by_label("Time zone").fill("Europe/London")
        # The server keeps real time. Handing over an hour before now, London time, makes the
        # shift in progress (from now to the next handoff) about a day long whenever the test
        # runs: with 09:00 it was eleven minutes at 08:49, a block too thin to click.
        handoff = datetime.now(ZoneInfo("Europe/London")) - timedelta(hours=1)
        page.locator("#rotation-handoff").fill(handoff.strftime("%H:%M"))
        # The turns are chosen by name and address, in order.
        page.get_by_label("1st", exact=True).select_option(label="lead (lead@example.com)")
        page.get_by_label("2nd", exact=True).select_option(label="Ben (ben@example.com)")
        page.get_by_role("button", name="Create rotation").click()
        expect(page).to_have_url(re.compile(rf"/o/{org_id}/rotations/rot_\w+$"))
        expect(page.locator("#rotation-shifts li").first).to_contain_text("lead")
        screenshot(page, "rotation")

        page.get_by_role("link", name="Schedules", exact=True).click()
        page.get_by_label("Name").fill("Platform primary")
        page.get_by_label("Rotation").select_option(label="Weekly")
        page.get_by_role("button", name="Create schedule").click()
        expect(page).to_have_url(re.compile(rf"/o/{org_id}/schedules/sch_\w+$"))
        # The rotation starts this minute: the hour's first minutes are a gap, then the lead's week.
        final = page.locator("g.final a.shift-block[data-user^=usr_]")
        expect(final.first).to_be_visible()
        lead = final.first.get_attribute("data-user")

        # The block of the shift in progress opens the form for that period, replacing its holder.
        final.first.click()
        expect(page).to_have_url(re.compile(r"override_from=.*#override-form$"))
        expect(page.get_by_role("heading", name="Override this period")).to_be_visible()
        expect(page.locator("#override-replaces")).to_have_value(lead or "")
        page.get_by_label("By").select_option(label="Ben")
        page.get_by_label("Note").fill("Lead is at the dentist")
        page.get_by_role("button", name="Create override").click()

        expect(page.locator("#overrides")).to_contain_text("Ben for lead")
        expect(final.first).not_to_have_attribute("data-user", lead or "")
        expect(page.locator("g.final rect").first).to_have_attribute("fill", re.compile("#"))
        screenshot(page, "schedule-override")

        page.get_by_role("button", name="Remove").click()
        expect(page.get_by_text("No overrides ahead.")).to_be_visible()
