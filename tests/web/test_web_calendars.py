"""The External calendars page without a browser: an administrator adds a calendar (refused,
with the API's words, when not public https), refreshes it and removes it (refused while a layer
reads it); a failing calendar's error is shown; a member may look but not change."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import seeded
from tests.oncall import oncall_rows
from tests.rows import browser_for
from tests.web.browser_forms import form_token
from tocsin.core.actors import Actor
from tocsin.oncall import calendar_feeds
from tocsin.oncall.models import CalendarFeed, Schedule
from tocsin.runtime import Runtime

URL = "https://93.184.216.34/team/rota.ics"


def _post(browser: TestClient, page: str, action: str, **fields: str) -> object:
    token = form_token(browser.get(page).text)
    return browser.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)


def test_an_admin_adds_refreshes_and_removes_a_calendar(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/calendars"
    assert 'id="no-calendars"' in browser.get(page).text

    plain = _post(browser, page, page, name="Rota", url="http://93.184.216.34/rota.ics")
    assert plain.status_code == 422  # type: ignore[attr-defined]
    assert "https" in plain.text  # type: ignore[attr-defined]
    assert 'value="http://93.184.216.34/rota.ics"' in plain.text  # type: ignore[attr-defined]
    private = _post(browser, page, page, name="Rota", url="https://10.1.2.3/rota.ics")
    assert private.status_code == 422  # type: ignore[attr-defined]
    assert "not allowed" in private.text  # type: ignore[attr-defined]

    added = _post(browser, page, page, name="Team rota", url=URL)
    assert added.status_code == 303  # type: ignore[attr-defined]
    listed = browser.get(page).text
    assert "Team rota" in listed
    assert "93.184.216.34" in listed
    assert "/team/rota.ics" not in listed  # the path may be a secret of its own
    assert "not yet" in listed
    with runtime.database.read() as session:
        (feed,) = calendar_feeds.list_feeds(session, org_id=owner.org_id)
        feed_id = feed.id

    with runtime.database.write() as session:
        row = session.get(CalendarFeed, feed_id)
        assert row is not None
        row.next_fetch_at = runtime.clock.now() + calendar_feeds.REFRESH
    refreshed = _post(browser, page, f"{page}/{feed_id}/refresh")
    assert refreshed.status_code == 200  # type: ignore[attr-defined]
    assert "will be fetched within a minute" in refreshed.text  # type: ignore[attr-defined]
    with runtime.database.read() as session:
        row = session.get(CalendarFeed, feed_id)
        assert row is not None
        assert row.next_fetch_at <= runtime.clock.now()

    used = oncall_rows.schedule(
        runtime, owner.org_id, {"name": "From the rota", "calendar_id": feed_id}, name="Rota"
    )
    refused = _post(browser, page, f"{page}/{feed_id}/remove")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "calendar_in_use" in refused.text  # type: ignore[attr-defined]
    assert "&#39;Rota&#39; has a layer that reads this calendar" in refused.text  # type: ignore[attr-defined]
    assert used
    with runtime.database.write() as session:
        session.delete(session.get(Schedule, used))
    removed = _post(browser, page, f"{page}/{feed_id}/remove")
    assert removed.status_code == 303  # type: ignore[attr-defined]
    assert 'id="no-calendars"' in browser.get(page).text


def test_a_failing_calendar_shows_its_error_and_its_last_good_copy(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    with runtime.database.write() as session:
        feed = calendar_feeds.add_feed(
            session,
            org_id=owner.org_id,
            name="Team rota",
            url=URL,
            policy=runtime.provider_hosts,
            actor=Actor("user", owner.user_id),
            now=runtime.clock.now(),
        )
        feed_id = feed.id
    with runtime.database.write() as session:
        calendar_feeds.record_fetch(
            session,
            feed_id=feed_id,
            data=b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nEND:VCALENDAR\r\n",
            error=None,
            now=runtime.clock.now(),
        )
        calendar_feeds.record_fetch(
            session,
            feed_id=feed_id,
            data=None,
            error="the calendar's server answered 503",
            now=runtime.clock.now(),
        )
    member = browser_for(client, runtime, seeded.member(runtime, owner.org_id).user_id)
    page = member.get(f"/o/{owner.org_id}/calendars")
    assert page.status_code == 200
    assert 'class="alarm calendar-error" role="alert"' in page.text
    assert "Last fetch failed: the calendar&#39;s server answered 503" in page.text
    assert "never" not in page.text  # there is a last good copy
    # A member looks; adding, refreshing and removing are the administrators'.
    assert "Add a calendar" not in page.text
    assert "Refresh now" not in page.text
    for action in ("", f"/{feed_id}/refresh", f"/{feed_id}/remove"):
        answer = member.post(
            f"/o/{owner.org_id}/calendars{action}",
            data={"csrf_token": form_token(page.text), "name": "x", "url": URL},
            follow_redirects=False,
        )
        assert answer.status_code == 403, action
    with runtime.database.read() as session:
        assert len(calendar_feeds.list_feeds(session, org_id=owner.org_id)) == 1
