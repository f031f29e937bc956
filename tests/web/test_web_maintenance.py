"""The Maintenance page without a browser: an administrator makes a silence for an hour and a
weekly window (refused, with the command's words, when a rule or a matcher is wrong), ends one
and deletes the other; a member looks but may not change; and an alert's page says which
window muted it, who made it, why and until when."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.pager import Pager
from tests.maintenance.window_rows import window
from tests.oncall.schedule_rows import project
from tests.rows import browser_for
from tests.web.browser_forms import form_token
from tests.web.owner_browser import signed_in_owner
from tocsin.accounts.models import Role
from tocsin.core.actors import Actor
from tocsin.heartbeats import commands as heartbeats
from tocsin.runtime import Runtime


def _post(browser: TestClient, page: str, action: str, **fields: str) -> object:
    token = form_token(browser.get(page).text)
    return browser.post(action, data={**fields, "csrf_token": token}, follow_redirects=False)


def test_an_admin_makes_ends_and_deletes_windows(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/maintenance"
    shown = browser.get(page).text
    assert 'id="no-active-windows"' in shown
    assert 'id="new-window"' in shown
    assert f'href="/o/{owner.org_id}/maintenance" aria-current="page"' in shown

    bad_rule = _post(browser, page, page, reason="Patching", **{"for": "2h"}, rrule="FREQ=HOURLY")
    assert bad_rule.status_code == 422  # type: ignore[attr-defined]
    assert "at most daily" in bad_rule.text  # type: ignore[attr-defined]
    assert 'value="Patching"' in bad_rule.text  # type: ignore[attr-defined]
    bad_match = _post(
        browser, page, page, reason="Patching", **{"for": "2h"}, matchers="instance=~(a+)+"
    )
    assert bad_match.status_code == 422  # type: ignore[attr-defined]
    assert "exponential" in bad_match.text  # type: ignore[attr-defined]
    bad_length = _post(browser, page, page, reason="Patching", **{"for": "soon"})
    assert bad_length.status_code == 422  # type: ignore[attr-defined]

    silence = _post(browser, page, page, reason="Deploy", page_after="on", **{"for": "1h"})
    assert silence.status_code == 303  # type: ignore[attr-defined]
    weekly = _post(
        browser, page, page,
        reason="Sunday patching", starts="2026-01-04T02:00", timezone="Europe/Berlin",
        rrule="FREQ=WEEKLY;BYDAY=SU", matchers='severity=critical\ninstance=~"db.*"',
        **{"for": "2h"},
    )  # fmt: skip
    assert weekly.status_code == 303  # type: ignore[attr-defined]
    listed = browser.get(page).text
    active = listed.split('id="windows-active"')[1].split("</table>")[0]
    upcoming = listed.split('id="windows-upcoming"')[1].split("</table>")[0]
    assert "Deploy" in active
    assert "Sunday patching" in upcoming
    assert "FREQ=WEEKLY;BYDAY=SU" in upcoming
    assert "Sun 04 Jan 01:00 UTC" in upcoming  # 02:00 in Berlin, shown in the org's zone
    assert "<code>severity=&#34;critical&#34;</code>" in upcoming or "severity=" in upcoming
    # The weekly window's page_after box was left unticked: its alerts stay quiet.
    assert "alerts it muted stay quiet" in upcoming

    silence_id = active.split('id="window-')[1].split('"')[0]
    weekly_id = upcoming.split('id="window-')[1].split('"')[0]
    assert _post(browser, page, f"{page}/{silence_id}/end").status_code == 303  # type: ignore[attr-defined]
    assert _post(browser, page, f"{page}/{weekly_id}/delete").status_code == 303  # type: ignore[attr-defined]
    after = browser.get(page).text
    assert 'id="no-active-windows"' in after
    assert 'id="no-upcoming-windows"' in after
    assert "ended early by" in after.split('id="windows-past"')[1]
    again = _post(browser, page, f"{page}/{silence_id}/end")
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "not in force" in again.text  # type: ignore[attr-defined]


def _monitor(runtime: Runtime, org_id: str, owner_id: str, endpoint_id: str, name: str) -> str:
    with runtime.database.write() as session:
        made = heartbeats.create_monitor(
            session,
            org_id=org_id,
            endpoint_id=endpoint_id,
            name=name,
            grace_seconds=60,
            interval_seconds=300,
            actor=Actor("user", owner_id),
            now=runtime.clock.now(),
            digest_key=runtime.heartbeat_key_digest_key,
        )
        return made.monitor.id


def test_a_window_covers_a_project_endpoint_or_monitor_chosen_by_name(
    client: TestClient, runtime: Runtime
) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    platform = project(runtime, owner.org_id, "Platform")
    billing = seeded.endpoint(runtime, owner.org_id, name="Billing API")
    nightly = _monitor(runtime, owner.org_id, owner.user_id, billing, "Nightly backup")
    stranger = seeded.person(runtime, org_name="Elsewhere")
    theirs = seeded.endpoint(runtime, stranger.org_id, name="Their API")
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/maintenance"

    form = browser.get(page).text.split('id="new-window"')[1].split("</form>")[0]
    assert f'<option value="project:{platform}">Platform</option>' in form
    assert f'<option value="endpoint:{billing}">Billing API</option>' in form
    assert f'<option value="monitor:{nightly}">Nightly backup</option>' in form
    assert "Their API" not in form
    assert "its id" not in form

    for reason, covers in (("Migration", f"project:{platform}"), ("Deploy", f"endpoint:{billing}"),
                           ("Restore", f"monitor:{nightly}")):  # fmt: skip
        made = _post(browser, page, page, reason=reason, covers=covers, **{"for": "1h"})
        assert made.status_code == 303  # type: ignore[attr-defined]
    active = browser.get(page).text.split('id="windows-active"')[1].split("</table>")[0]
    assert "project Platform" in active
    assert "endpoint Billing API" in active
    assert "monitor Nightly backup" in active
    assert [raw for raw in (platform, billing, nightly) if raw in active] == []

    # Another organization's endpoint, posted by hand, is refused; the form keeps the rest.
    refused = _post(
        browser, page, page, reason="Sneaky", covers=f"endpoint:{theirs}", **{"for": "1h"}
    )
    assert refused.status_code == 404  # type: ignore[attr-defined]
    assert "endpoint_not_found" in refused.text  # type: ignore[attr-defined]
    assert 'value="Sneaky"' in refused.text  # type: ignore[attr-defined]
    assert "Sneaky" not in browser.get(page).text.split('id="new-window"')[0]


def test_a_member_sees_windows_but_no_form(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    window_id = window(runtime, owner.org_id, reason="Deploy")
    member = seeded.member(runtime, owner.org_id, role=Role.MEMBER)
    browser = browser_for(client, runtime, member.user_id)
    page = f"/o/{owner.org_id}/maintenance"
    shown = browser.get(page).text
    assert "Deploy" in shown
    assert 'id="new-window"' not in shown
    assert f"/maintenance/{window_id}/end" not in shown
    token = form_token(browser.get(f"/o/{owner.org_id}/contacts").text)
    refused = browser.post(
        f"{page}/{window_id}/end", data={"csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_an_alerts_page_says_which_window_muted_it(
    client: TestClient, runtime: Runtime, pager: Pager
) -> None:
    browser = signed_in_owner(client, runtime, pager)
    window_id = window(runtime, pager.org_id, minutes=30, reason="Swapping disks")
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice", "no_answer")))
    shown = browser.get(f"/o/{pager.org_id}/alerts/{alert_id}").text
    banner = shown.split('id="muted-by"')[1].split("</p>")[0]
    assert f'href="/o/{pager.org_id}/maintenance#window-{window_id}"' in banner
    assert "Swapping disks, by the server&#39;s shell, until 2026-01-01 00:30:00 UTC" in banner
    assert "pages from the first step" in banner
    listed = browser.get(f"/o/{pager.org_id}").text
    row = listed.split(f'/alerts/{alert_id}"')[1].split("</tr>")[0]
    assert '<span class="badge muted"' in row
    pager.later(minutes=30)
    assert '<span class="badge muted"' not in browser.get(f"/o/{pager.org_id}").text
    after = browser.get(f"/o/{pager.org_id}/alerts/{alert_id}/live").text
    assert "Was muted by maintenance window" in after
