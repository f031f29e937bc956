"""The dashboard in a real browser against a real `tocsin serve`: an operator signs up, adds and
verifies a number, creates an endpoint, sends a test alert, watches the call appear and
acknowledges it; an administrator suspends the organization and its webhooks get 403.

The simulated callee answers and presses nothing, so the alert stays open for the button.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import chromium, new_page, screenshot
from tests.e2e.helpers import System
from tests.factories import PASSWORD
from tocsin.telephony.simulator import code_heard

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]

PHONE = "+447400123456"


def sign_up(page: Page, email: str, organization: str) -> str:
    page.goto("/signup")
    # From the keyboard, the first stop skips the header.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    screenshot(page, "sign-up")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organization").fill(organization)
    page.get_by_label("Home country").fill("GB")
    page.get_by_role("button", name="Sign up").click()
    # The answer is the same for an address that has an account, so it signs nobody in: the
    # page offers the sign-in form, the address filled in.
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(email)
    screenshot(page, "sign-up-answered")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/o/org_\w+$"))
    org_id = page.url.rsplit("/", 1)[1]
    return org_id


def change_password(page: Page, new_password: str) -> None:
    page.goto("/account")
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password (at least 10 characters)").fill(new_password)
    page.get_by_label("New password again").fill(new_password)
    screenshot(page, "password-change")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="Your password was changed")).to_be_visible()


def add_verified_contact(page: Page, data_dir: Path, name: str, phone: str) -> None:
    page.get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Phone number").fill(phone)
    expect(page.locator("#screen-result")).to_contain_text("Can be called")
    page.get_by_role("button", name="Add contact").click()
    expect(page.locator(".badge").first).to_have_text("unverified")
    page.get_by_role("button", name="Send code by call").click()
    expect(page.get_by_text("Code sent")).to_be_visible()
    verification_id = page.locator("input[name=verification_id]").input_value()
    code = code_heard(data_dir, verification_id)
    assert code is not None
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".badge").first).to_have_text("verified")


def test_an_operator_pages_themselves_and_an_admin_suspends_the_organization(
    sqlite_system: System,
) -> None:
    system = sqlite_system
    server = system.start_serve(allow_signup="true", simulator_outcome="answer")
    base_url = server.wait_serving()
    with chromium() as browser:
        page = new_page(browser, base_url)
        org_id = sign_up(page, "ops@example.com", "Example Ops")
        add_verified_contact(page, system.data_dir, "On call", PHONE)
        screenshot(page, "contact-verified")

        page.get_by_role("link", name="Endpoints", exact=True).click()
        page.get_by_label("Name").fill("Production")
        page.get_by_label("On call").check()
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.locator("#webhook-url")).to_contain_text("/v1/hooks/ep_")
        page.get_by_role("button", name="Create key").click()
        key = page.locator("#new-key").inner_text().strip()
        webhook_url = page.locator("#webhook-url").inner_text().strip()
        screenshot(page, "endpoint")

        page.get_by_role("button", name="Send test alert").click()
        expect(page).to_have_url(re.compile(rf"/o/{org_id}/alerts/al_\w+$"))
        # The worker dials; the page's live part shows the call once it is made.
        live = page.locator("#alert-live")
        # The number shows in the calls, and soon in the jobs and the timeline too: look at the
        # calls alone.
        expect(live.locator("#calls").get_by_text(PHONE)).to_be_visible()
        expect(live.locator("audio")).to_have_count(1)
        screenshot(page, "alert-calling")
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.locator(".badge").first).to_have_text("acknowledged")
        expect(page.get_by_text("alert.acknowledged")).to_be_visible()
        screenshot(page, "alert-acknowledged")

        page.get_by_role("link", name="Alerts", exact=True).click()
        expect(page.get_by_text("Test alert from the dashboard")).to_be_visible()
        screenshot(page, "alerts")
        page.get_by_role("link", name="Usage", exact=True).click()
        expect(page.locator("svg.chart")).to_be_visible()
        screenshot(page, "usage")
        phone_page = new_page(browser, base_url, phone=True)
        phone_page.context.add_cookies(page.context.cookies())
        phone_page.goto(f"/o/{org_id}")
        screenshot(phone_page, "alerts-on-a-phone")
        # Every other sign-in ends with a new password; this browser's carries on.
        change_password(page, "a new and longer passphrase")
        page.goto(f"/o/{org_id}")

        staff = httpx.post(
            f"{base_url}/v1/auth/signup",
            json={"email": "staff@tocsin.example", "password": PASSWORD},
        )
        assert staff.status_code == 202, staff.text
        system.cli("admin", "grant", "staff@tocsin.example")
        admin = new_page(browser, base_url)
        admin.goto("/login")
        admin.get_by_label("Email").fill("staff@tocsin.example")
        admin.get_by_label("Password").fill(PASSWORD)
        admin.get_by_role("button", name="Sign in").click()
        admin.goto("/admin")
        screenshot(admin, "admin-cases")
        admin.goto("/admin/orgs")
        admin.get_by_label("Find organization").fill("Example Ops")
        admin.get_by_role("button", name="Search").click()
        admin.get_by_role("link", name="Example Ops").click()
        admin.get_by_label("Reason").fill("robocalling complaints")
        admin.get_by_role("button", name="Suspend organization").click()
        expect(admin.get_by_role("cell", name="robocalling complaints")).to_be_visible()
        screenshot(admin, "admin-organization-suspended")
        # The owner is told, on the organization's notices.
        page.get_by_role("link", name="Notices", exact=True).click()
        expect(page.get_by_role("cell", name=re.compile("robocalling complaints"))).to_be_visible()
        screenshot(page, "notices")

    # The page prints TOCSIN_PUBLIC_BASE_URL; the server under test is on its own port.
    hook = base_url + "/v1/hooks/" + webhook_url.rsplit("/v1/hooks/", 1)[1]
    refused = httpx.post(hook, headers={"X-Alert-Key": key}, json={"title": "After"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "org_suspended"
