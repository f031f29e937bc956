"""My shifts and the calendar links without a browser: a member's next shifts on the
organization's clock, their iCal link shown once, fetched and revoked, a schedule's Subscribe,
who is on call on a project's page, and the gap banner on a schedule's."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests import seeded
from tests.oncall import oncall_rows
from tests.oncall.schedule_rows import named_member, project, rotation, schedule
from tests.rows import browser_for
from tests.web.browser_forms import form_token
from tocsin.accounts.models import Organization
from tocsin.oncall import gaps, who
from tocsin.runtime import Runtime

_FEED = re.compile(r'<code id="feed-url" class="secret">([^<]+)</code>')


def _post(browser: TestClient, page: str, action: str) -> object:
    token = form_token(browser.get(page).text)
    return browser.post(action, data={"csrf_token": token}, follow_redirects=False)


def _in_zone(runtime: Runtime, org_id: str, zone: str) -> None:
    with runtime.database.write() as session:
        session.execute(update(Organization).where(Organization.id == org_id).values(timezone=zone))


def test_my_shifts_lists_my_next_shifts_on_the_organization_clock(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    _in_zone(runtime, owner.org_id, "America/New_York")
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    schedule(runtime, owner.org_id, {"name": "Primary", "rotation_id": rotation(
        runtime, owner.org_id, ana, ben, unit="days")}, name="Platform primary")  # fmt: skip
    with runtime.database.read() as session:
        mine = who.member_shifts(
            session, org_id=owner.org_id, user_id=ana, window=None, now=runtime.clock.now()
        ).items
    assert mine, "Ana has shifts in the next two months"
    page = browser_for(client, runtime, ana).get(f"/o/{owner.org_id}/me/shifts")
    assert page.status_code == 200
    assert "Platform primary" in page.text
    first = mine[0][1].starts_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{first:%a %d %b %H:%M %Z}" in page.text
    assert first.tzname() in {"EST", "EDT"}
    assert page.text.count("<tr data-starts=") == min(len(mine), 20)
    alone = browser_for(client, runtime, owner.user_id).get(f"/o/{owner.org_id}/me/shifts")
    assert 'id="no-shifts"' in alone.text


def test_my_calendar_link_is_shown_once_serves_my_shifts_and_revokes(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    oncall_rows.schedule(runtime, owner.org_id, oncall_rows.working_hours(ana), name="Desk")
    browser = browser_for(client, runtime, ana)
    page = f"/o/{owner.org_id}/me/shifts"

    made = _post(browser, page, f"/o/{owner.org_id}/me/calendar-links")
    assert made.status_code == 200  # type: ignore[attr-defined]
    found = _FEED.search(made.text)  # type: ignore[attr-defined]
    assert found is not None
    url = found.group(1)
    assert url.endswith(".ics")
    again = browser.get(page).text
    assert url not in again
    assert url.rsplit("/", 1)[1].removesuffix(".ics") not in again
    assert again.count("Revoke</button>") == 1

    feed = client.get(url.removeprefix(runtime.settings.public_base_url.rstrip("/")))
    assert feed.status_code == 200
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert events
    assert all("Desk" in str(event["SUMMARY"]) for event in events)

    token_id = re.search(r"/calendar-links/(calt_\w+)/revoke", again)
    assert token_id is not None
    # Another member can neither see nor revoke Ana's link.
    ben = named_member(runtime, owner.org_id, "Ben")
    other = browser_for(client, runtime, ben)
    assert token_id.group(1) not in other.get(page).text
    refused = _post(other, page, f"/o/{owner.org_id}/calendar-links/{token_id.group(1)}/revoke")
    assert refused.status_code == 404  # type: ignore[attr-defined]
    assert client.get(url.removeprefix(runtime.settings.public_base_url.rstrip("/"))).is_success

    # Nor can another organization, through its own pages.
    elsewhere = seeded.person(runtime, org_name="Elsewhere")
    stranger = browser_for(client, runtime, elsewhere.user_id)
    theirs = f"/o/{elsewhere.org_id}/me/shifts"
    crossed = _post(
        stranger, theirs, f"/o/{elsewhere.org_id}/calendar-links/{token_id.group(1)}/revoke"
    )
    assert crossed.status_code == 404  # type: ignore[attr-defined]
    assert client.get(url.removeprefix(runtime.settings.public_base_url.rstrip("/"))).is_success

    revoked = _post(browser, page, f"/o/{owner.org_id}/calendar-links/{token_id.group(1)}/revoke")
    assert revoked.status_code == 303  # type: ignore[attr-defined]
    assert revoked.headers["location"] == page  # type: ignore[attr-defined]
    assert "revoked" in browser.get(page).text
    assert (
        client.get(url.removeprefix(runtime.settings.public_base_url.rstrip("/"))).status_code
        == 404
    )


def test_a_member_subscribes_to_a_schedule_from_its_page(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    sid = oncall_rows.schedule(runtime, owner.org_id, oncall_rows.always(ana))
    browser = browser_for(client, runtime, ana)
    page = f"/o/{owner.org_id}/schedules/{sid}"
    made = _post(browser, page, f"{page}/subscribe")
    assert made.status_code == 200  # type: ignore[attr-defined]
    found = _FEED.search(made.text)  # type: ignore[attr-defined]
    assert found is not None
    path = found.group(1).removeprefix(runtime.settings.public_base_url.rstrip("/"))
    assert client.get(path).status_code == 200
    shown = browser.get(page).text
    assert found.group(1) not in shown
    token_id = re.search(r"/calendar-links/(calt_\w+)/revoke", shown)
    assert token_id is not None
    revoked = _post(browser, page, f"/o/{owner.org_id}/calendar-links/{token_id.group(1)}/revoke")
    assert revoked.headers["location"] == page  # type: ignore[attr-defined]
    assert client.get(path).status_code == 404
    missing = _post(browser, page, f"/o/{owner.org_id}/schedules/sch_of_nobody/subscribe")
    assert missing.status_code == 404  # type: ignore[attr-defined]


def test_a_project_page_says_who_is_on_call_in_each_of_its_schedules(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    pid = project(runtime, owner.org_id)
    covered = schedule(runtime, owner.org_id, oncall_rows.always(ana), name="Platform primary",
                       project_id=pid)  # fmt: skip
    empty = schedule(runtime, owner.org_id, name="Platform secondary", project_id=pid)
    member = browser_for(client, runtime, seeded.member(runtime, owner.org_id).user_id)
    html = member.get(f"/o/{owner.org_id}/projects/{pid}").text
    on_call = html.split('<ul id="on-call">', 1)[1].split("</ul>", 1)[0]
    assert f'href="/o/{owner.org_id}/schedules/{covered}">Platform primary</a>:' in on_call
    assert "Ana" in on_call.split("Platform secondary")[0]
    assert f'href="/o/{owner.org_id}/schedules/{empty}">Platform secondary</a>:' in on_call
    assert "nobody" in on_call.split("Platform secondary")[1]
    # And who is on call next, the project's schedules together: Ana's shift, in its schedule.
    next_shifts = html.split('<table id="next-shifts">', 1)[1].split("</table>", 1)[0]
    assert "<td>Ana</td>" in next_shifts
    assert f'href="/o/{owner.org_id}/schedules/{covered}">Platform primary</a>' in next_shifts


def test_a_schedule_with_a_gap_says_so_in_local_time(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    _in_zone(runtime, owner.org_id, "Asia/Kolkata")
    ana = named_member(runtime, owner.org_id, "Ana")
    days = oncall_rows.schedule(runtime, owner.org_id, oncall_rows.working_hours(ana))
    always = oncall_rows.schedule(runtime, owner.org_id, oncall_rows.always(ana), name="Always")
    now = runtime.clock.now()
    with runtime.database.write() as session:
        starts = gaps.check_gap(session, org_id=owner.org_id, schedule_id=days, now=now)
        assert gaps.check_gap(session, org_id=owner.org_id, schedule_id=always, now=now) is None
    assert starts is not None
    browser = browser_for(client, runtime, owner.user_id)
    html = browser.get(f"/o/{owner.org_id}/schedules/{days}").text
    local = starts.astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"Nobody is on call from {local:%a %d %b %H:%M} IST" in html
    assert 'id="gap-banner"' not in browser.get(f"/o/{owner.org_id}/schedules/{always}").text
    assert starts - now < timedelta(days=14)


def test_another_organization_s_pages_are_not_found(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    stranger = browser_for(client, runtime, seeded.person(runtime, org_name="Elsewhere").user_id)
    for page in ("me/shifts", "calendars"):
        assert stranger.get(f"/o/{owner.org_id}/{page}").status_code == 404
