"""The policy documents as pages: readable HTML with a title and sections, for anyone, where
the links of every page used to open the API's JSON."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tocsin.cli.common import CLI_ACTOR
from tocsin.documents import commands
from tocsin.documents.versions import SHIPPED_VERSION, PolicyKind
from tocsin.runtime import Runtime


def test_the_policy_in_force_is_a_page_with_its_title_and_sections(client: TestClient) -> None:
    page = client.get("/policies/aup")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Tocsin Acceptable Use Policy</h1>" in page.text
    assert "<h2>1. Alerting calls only</h2>" in page.text
    assert "<li>Marketing, sales, fundraising" in page.text
    assert f"Version {SHIPPED_VERSION}" in page.text
    # The document's own first line is the page's heading, not a second one.
    assert page.text.count("<h1>") == 1
    terms = client.get(f"/policies/terms/{SHIPPED_VERSION}")
    assert terms.status_code == 200
    assert "<h1>" in terms.text
    assert '"body"' not in terms.text


def test_every_page_links_the_policies_as_pages(client: TestClient) -> None:
    for path in ("/opt-out", "/signup"):
        shown = client.get(path).text
        assert 'href="/policies/aup"' in shown, path
        assert "/v1/policies/" not in shown, path
    listing = client.get("/policies").text
    assert 'href="/policies/terms"' in listing


def test_an_unknown_policy_or_version_is_a_404_page(client: TestClient) -> None:
    for path in ("/policies/cookies", "/policies/aup/1999-01-01", "/policies/cookies/x"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "<h1>Not found</h1>" in answer.text


def test_an_upcoming_version_is_announced_and_shown_as_not_yet_in_force(
    client: TestClient, runtime: Runtime
) -> None:
    now = runtime.clock.now()
    with runtime.database.write() as session:
        commands.publish(
            session,
            kind=PolicyKind.AUP,
            version="2027-02-01",
            title="Tocsin Acceptable Use Policy",
            body="# Tocsin Acceptable Use Policy\n\n## 1. New rules\n\n"
            "No <script>alert(1)</script> here.",
            summary_of_changes="Section 1 is new.",
            material=True,
            effective_at=now + timedelta(days=31),
            actor=CLI_ACTOR,
            now=now,
        )
    in_force = client.get("/policies/aup").text
    assert 'href="/policies/aup/2027-02-01"' in in_force
    assert "Section 1 is new." in in_force
    upcoming = client.get("/policies/aup/2027-02-01").text
    assert "not in force yet" in upcoming
    assert "<h2>1. New rules</h2>" in upcoming
    # A document's HTML is text on the page, never markup.
    assert "<script>alert(1)</script>" not in upcoming
    assert "&lt;script&gt;" in upcoming
