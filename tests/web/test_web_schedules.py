"""The schedule pages without a browser: the timeline's rows and blocks, an override made from
the form (and refused when it makes no sense), a member who may look but not change, and a
rotation's next shifts."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests import seeded
from tests.oncall.schedule_rows import named_member, rotation, schedule
from tests.rows import browser_for
from tests.web.browser_forms import form_token
from tocsin.runtime import Runtime


def test_the_schedule_page_draws_and_overrides(client: TestClient, runtime: Runtime) -> None:
    owner = seeded.person(runtime, org_name="Web Ops")
    ana = named_member(runtime, owner.org_id, "Ana")
    ben = named_member(runtime, owner.org_id, "Ben")
    weekly = rotation(runtime, owner.org_id, ana, ben)
    sid = schedule(
        runtime,
        owner.org_id,
        {"name": "Primary", "rotation_id": weekly},
        {"name": "Office", "user_ids": [ben], "restrictions": [
            {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]},
    )  # fmt: skip
    browser = browser_for(client, runtime, owner.user_id)
    page = f"/o/{owner.org_id}/schedules/{sid}"

    listing = browser.get(f"/o/{owner.org_id}/schedules")
    assert listing.status_code == 200
    assert "Platform primary" in listing.text
    html = browser.get(page).text
    assert html.count('class="timeline-row') == 4  # Office, Primary, Overrides, On call
    assert f'data-user="{ana}"' in html
    assert "override_from=" in html

    now = runtime.clock.now()
    fields = {
        "csrf_token": form_token(html),
        "kind": "replace",
        "user_id": ben,
        "replaces_user_id": ana,
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    made = browser.post(f"{page}/overrides", data=fields, follow_redirects=False)
    assert made.status_code == 303
    assert "Ben for Ana" in browser.get(page).text

    backwards = {**fields, "ends_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    refused = browser.post(f"{page}/overrides", data=backwards)
    assert refused.status_code == 422
    assert "invalid_period" in refused.text

    member = browser_for(client, runtime, ana)
    seen = member.get(page)
    assert seen.status_code == 200
    assert "Create override" not in seen.text
    forbidden = member.post(
        f"{page}/overrides", data={**fields, "csrf_token": form_token(seen.text)}
    )
    assert forbidden.status_code == 403

    rotation_page = browser.get(f"/o/{owner.org_id}/rotations/{weekly}").text
    assert "Ana: " in rotation_page
    assert "Ben: " in rotation_page
