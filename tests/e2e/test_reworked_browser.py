"""The pages reworked for issue 20, in a real browser on a desktop and on a 390 px phone: the
alert list with its severity column and status filter, an alert whose Acknowledge shows
without scrolling, a contact's edit form, the escalation editor, the providers page and the
acceptable-use policy as a page. Each is saved as a screenshot; on the phone none scrolls
sideways."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import chromium, new_page, screenshot
from tests.e2e.helpers import System
from tests.e2e.test_dashboard_browser import PHONE, add_verified_contact, sign_up

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]


def _no_sideways_scroll(page: Page) -> None:
    size = page.viewport_size
    assert size is not None
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= size["width"], f"{page.url} is {width} px wide on a {size['width']} px phone"


def _on_phone_too(phone: Page, path: str, name: str) -> None:
    phone.goto(path)
    _no_sideways_scroll(phone)
    screenshot(phone, name)


def test_the_reworked_pages_on_a_desktop_and_on_a_phone(sqlite_system: System) -> None:
    system = sqlite_system
    base_url = system.start_serve(allow_signup="true", simulator_outcome="answer").wait_serving()
    with chromium() as browser:
        page = new_page(browser, base_url)
        org_id = sign_up(page, "ops@example.com", "Example Ops")
        add_verified_contact(page, system.data_dir, "On call", PHONE)
        page.get_by_role("heading", name="Change or delete").scroll_into_view_if_needed()
        expect(page.get_by_role("button", name="Delete contact On call")).to_be_visible()
        screenshot(page, "contact-edit")

        page.get_by_role("link", name="Endpoints", exact=True).click()
        page.get_by_label("Name").fill("Production")
        page.get_by_label("On call").check()
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.locator("#webhook-url")).to_contain_text("/v1/hooks/ep_")
        page.get_by_role("button", name="Send test alert").click()
        expect(page).to_have_url(re.compile(rf"/o/{org_id}/alerts/al_\w+$"))
        alert_path = page.url.removeprefix(base_url)
        expect(page.locator("#calls").get_by_text("On call")).to_be_visible()
        expect(page.locator("#alert-facts")).to_contain_text("Severity")
        screenshot(page, "alert-desktop")

        page.get_by_role("link", name="Escalations", exact=True).click()
        page.get_by_label("Name").fill("Payments chain")
        page.locator("#who-0").select_option(label=f"On call ({PHONE})")
        page.locator("#wait-0").fill("5")
        page.get_by_label("Then start again").fill("2")
        page.get_by_role("button", name="Create policy").click()
        expect(page.locator("#escalation-steps")).to_contain_text(
            f"Page On call ({PHONE}), then wait 5 min."
        )
        escalation_path = page.url.removeprefix(base_url)
        screenshot(page, "escalation-desktop")

        page.get_by_role("link", name="Providers", exact=True).click()
        page.get_by_label("Kind").select_option("simulator")
        page.get_by_label("Name").fill("Our simulator")
        page.get_by_label("Settings").fill("outcome=press:1")
        page.get_by_role("button", name="Add provider").click()
        expect(page.locator("#providers")).to_contain_text("Our simulator")
        screenshot(page, "providers-desktop")

        page.get_by_role("link", name="Alerts", exact=True).click()
        page.get_by_role("link", name="Open", exact=True).click()
        expect(page).to_have_url(re.compile(r"\?status=open$"))
        expect(page.locator("#alerts")).to_contain_text("Test alert from the dashboard")
        expect(page.locator("#alerts th", has_text="Severity")).to_be_visible()
        screenshot(page, "alerts-desktop")
        page.get_by_role("link", name="Resolved", exact=True).click()
        expect(page.locator("#alerts-none")).to_have_text("No resolved alerts.")

        page.get_by_role("link", name="Acceptable use").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Tocsin Acceptable Use Policy")
        expect(page.get_by_role("heading", name="1. Alerting calls only")).to_be_visible()
        screenshot(page, "policy-desktop")

        phone = new_page(browser, base_url, phone=True)
        phone.context.add_cookies(page.context.cookies())
        phone.goto(alert_path)
        # The page's first screen holds the state and the button, under the header.
        expect(phone.get_by_role("button", name="Acknowledge")).to_be_in_viewport()
        _no_sideways_scroll(phone)
        screenshot(phone, "alert-phone")
        _on_phone_too(phone, f"/o/{org_id}?status=open", "alerts-phone")
        _on_phone_too(phone, escalation_path, "escalation-phone")
        _on_phone_too(phone, f"/o/{org_id}/providers", "providers-phone")
        _on_phone_too(phone, "/policies/aup", "policy-phone")
        phone.goto(alert_path)
        phone.get_by_role("button", name="Acknowledge").click()
        expect(phone.locator("#alert-status")).to_have_text("acknowledged")
