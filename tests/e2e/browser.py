"""A real browser for dashboard tests: Debian's chromium driven by Playwright, and screenshots
of what it saw in `artifacts/screenshots/` (linked from the README)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Wait at most this long for a page to show what a step expects (it polls; nothing sleeps).
STEP_TIMEOUT_MS = 10_000


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # Root in a container has no user namespaces for chromium's sandbox.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, base_url: str, *, phone: bool = False) -> Page:
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(base_url=base_url, viewport=size)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context.new_page()


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows, after checking that everything on it can be named by a screen
    reader (every page the story passes through is checked this way)."""
    problems = accessibility_problems(page)
    assert not problems, f"{name}: {problems}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Form controls a person cannot name, images without text, and pages without a main heading;
# run in the page, so it sees what the browser built.
_UNNAMED = """() => {
  const problems = [];
  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button");
  for (const el of controls) {
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim());
    if (!named) problems.push(el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll("img, svg[role=img]")) {
    if (!(el.getAttribute("alt") || el.getAttribute("aria-label"))) {
      problems.push(el.outerHTML.slice(0, 120));
    }
  }
  if (!document.documentElement.lang) problems.push("<html> has no lang");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one <h1>");
  return problems;
}"""


def accessibility_problems(page: Page) -> list[str]:
    problems: list[str] = page.evaluate(_UNNAMED)
    return problems
