"""The notices page shows what the owners were told, and marks it read."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.browser_forms import form_token, owner_home
from tocsin.audit.log import SYSTEM
from tocsin.audit.models import Notice
from tocsin.restrictions.kinds import ActionKind, ActionScope
from tocsin.runtime import Runtime
from tocsin.trust.enforcement import take_action


def test_an_enforcement_warning_shows_as_an_unread_notice_until_marked_read(
    client: TestClient, runtime: Runtime
) -> None:
    home = owner_home(client, runtime, "ana@example.com")
    org_id = home.rsplit("/", 1)[1]
    assert "Nothing yet." in client.get(f"{home}/notices").text
    with runtime.database.write() as session:
        take_action(
            session,
            kind=ActionKind.WARNING,
            scope=ActionScope.ORGANIZATION,
            target=org_id,
            reason="keep your consent records",
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
    page = client.get(f"{home}/notices")
    assert "keep your consent records" in page.text
    assert "enforcement_warning" in page.text
    assert ">unread<" in page.text
    marked = client.post(
        f"{home}/notices/read",
        data={"csrf_token": form_token(page.text)},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    again = client.get(f"{home}/notices")
    assert ">unread<" not in again.text
    assert "Mark all read" not in again.text
    assert "keep your consent records" in again.text
    with runtime.database.read() as session:
        [notice] = session.scalars(select(Notice).where(Notice.org_id == org_id)).all()
        assert notice.read_at is not None


def test_without_smtp_the_notices_page_says_email_is_off(
    client: TestClient, runtime: Runtime
) -> None:
    """issue 16, finding 11: with no TOCSIN_SMTP_URL nothing is mailed, and the dashboard says
    so rather than pretending (or logging an error at every notice)."""
    assert runtime.settings.smtp_url is None
    assert runtime.worker_settings().mail is None
    home = owner_home(client, runtime, "ana@example.com")
    org_id = home.rsplit("/", 1)[1]
    with runtime.database.write() as session:
        take_action(
            session,
            kind=ActionKind.WARNING,
            scope=ActionScope.ORGANIZATION,
            target=org_id,
            reason="keep your consent records",
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
    page = client.get(f"{home}/notices")
    assert "E-mail is off on this server" in page.text
    assert "not e-mailed" in page.text
