"""The API's documentation in a real browser against a real `tocsin serve`, with every request
that leaves the server refused: Swagger UI at /docs lists the operations and offers Authorize,
and ReDoc at /redoc renders them, from files the package ships."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.browser import chromium, new_page
from tests.e2e.helpers import System

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]


REDOC_TIMEOUT_MS = 60_000


def offline(page: Page, base_url: str) -> list[str]:
    """Refuse every request to anywhere but the server; the list fills with what was tried."""
    server = urlsplit(base_url).netloc
    tried: list[str] = []

    def route(request_route: Route) -> None:
        url = request_route.request.url
        if urlsplit(url).netloc == server or url.startswith("data:"):
            request_route.continue_()
        else:
            tried.append(url)
            request_route.abort()

    page.route("**/*", route)
    return tried


def test_swagger_ui_and_redoc_work_without_the_internet(sqlite_system: System) -> None:
    base_url = sqlite_system.start_serve(worker=False).wait_serving()
    with chromium() as browser:
        page = new_page(browser, base_url)
        elsewhere = offline(page, base_url)

        page.goto("/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Tocsin")
        expect(page.get_by_role("button", name="Authorize")).to_be_visible()
        # The webhook's four methods, first in the description; the schemes Authorize offers.
        expect(page.locator(".opblock", has_text="/v1/hooks/{endpoint_id}")).to_have_count(4)
        page.get_by_role("button", name="Authorize").click()
        dialog = page.locator(".dialog-ux")
        for scheme in ("Bearer", "AlertKey"):
            expect(dialog.get_by_text(scheme).first).to_be_visible()
        dialog.get_by_role("button", name="Close").first.click()

        page.goto("/redoc")
        # ReDoc lays out all of the description before it shows any of it: seconds, on a
        # busy machine.
        expect(page.get_by_role("heading", name="Tocsin").first).to_be_visible(
            timeout=REDOC_TIMEOUT_MS
        )
        expect(page.get_by_text("Send an alert").first).to_be_attached()
        # ReDoc names the security schemes in its own section.
        expect(page.get_by_text("AlertKey").first).to_be_attached()

        # Nothing was asked of anywhere else: the pages' policy stops what their bundles would
        # fetch (ReDoc's logo from its maker's CDN) before it leaves the browser.
        assert elsewhere == []
