"""People and things by name on every page of an organization: an owner who pages members,
contacts, schedules and projects, with a rotation, an override, a heartbeat monitor, a
maintenance window and a webhook, reads no raw id of any of them in the dashboard's text, the
alert's timeline included (ids stay in links, form values and the addresses to copy)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests import seeded
from tests.delivery.pager import Pager
from tests.maintenance.window_rows import window
from tests.oncall.schedule_rows import attach_endpoint, override, project, rotation, schedule
from tests.web.owner_browser import signed_in_owner
from tocsin.core.actors import Actor
from tocsin.heartbeats import commands as heartbeats
from tocsin.outgoing import commands as outgoing
from tocsin.outgoing.urls import VettedUrl
from tocsin.paging.names import names_in_organization

# The ids of the things people name: members, contacts, schedules, rotations, endpoints,
# projects, escalation policies and heartbeat monitors.
_RAW_ID = re.compile(r"\b(?:usr|ct|sch|rot|ep|prj|esp|hb)_[0-9a-z]{20,}\b")
_HIDDEN = re.compile(r"<(script|style|textarea)\b.*?</\1>|<[^>]+>", re.S)
# Addresses to copy (an endpoint's or a monitor's URL) carry ids, as they must.
_URL = re.compile(r"https?://\S+")


def _visible(page: str) -> str:
    """What a reader sees: the page without its tags and their attributes, and without the
    addresses it gives to copy."""
    return _URL.sub(" ", html.unescape(_HIDDEN.sub(" ", page)))


def _monitor(pager: Pager, endpoint_id: str) -> str:
    with pager.runtime.database.write() as session:
        made = heartbeats.create_monitor(
            session,
            org_id=pager.org_id,
            endpoint_id=endpoint_id,
            name="Nightly backup",
            grace_seconds=60,
            interval_seconds=300,
            actor=Actor("user", pager.owner_id),
            now=pager.runtime.clock.now(),
            digest_key=pager.runtime.heartbeat_key_digest_key,
        )
        return made.monitor.id


def _webhook(pager: Pager, endpoint_id: str) -> str:
    with pager.runtime.database.write() as session:
        made = outgoing.create_subscription(
            session,
            org_id=pager.org_id,
            name="Relay",
            url=VettedUrl("https://93.184.216.34/hook"),
            events=["created"],
            endpoint_id=endpoint_id,
            project_id=None,
            box=pager.runtime.webhook_box,
            actor=Actor("user", pager.owner_id),
            now=pager.runtime.clock.now(),
        )
        return made.subscription.id


def test_no_page_shows_a_raw_id_of_a_person_or_thing(client: TestClient, pager: Pager) -> None:
    runtime, org_id = pager.runtime, pager.org_id
    ana, _ = pager.member("Ana")
    ben, _ = pager.member("Ben", "no_answer")
    desk = pager.contact("Service desk")
    weekly = rotation(runtime, org_id, ana, ben, name="Weekly")
    primary = schedule(runtime, org_id, {"name": "Primary", "rotation_id": weekly})
    override(runtime, org_id, primary, "replace", ben, replaces=ana)
    platform = project(runtime, org_id, "Platform", ana, ben)
    endpoint = pager.escalating_endpoint(
        {"type": "call", "schedule_ids": [primary], "user_ids": [ben], "contact_ids": [desk]},
        {"type": "wait", "minutes": 1},
        {"type": "call", "project_ids": [platform]},
    )
    attach_endpoint(runtime, endpoint, platform)
    monitor = _monitor(pager, endpoint)
    window(runtime, org_id, minutes=5, reason="Disk swap", scope="project", target_id=platform)
    webhook = _webhook(pager, endpoint)
    alert_id = pager.fire(endpoint)
    pager.later(minutes=10)
    browser = signed_in_owner(client, runtime, pager)

    base = f"/o/{org_id}"
    pages = [
        base, f"{base}/alerts/{alert_id}", f"{base}/contacts", f"{base}/contacts/{desk}",
        f"{base}/endpoints", f"{base}/endpoints/{endpoint}", f"{base}/escalations",
        f"{base}/heartbeats", f"{base}/heartbeats/{monitor}", f"{base}/maintenance",
        f"{base}/me", f"{base}/me/shifts", f"{base}/members", f"{base}/notices",
        f"{base}/people", f"{base}/projects", f"{base}/projects/{platform}",
        f"{base}/rotations", f"{base}/rotations/{weekly}", f"{base}/schedules",
        f"{base}/schedules/{primary}", f"{base}/settings", f"{base}/usage",
        f"{base}/webhooks", f"{base}/webhooks/{webhook}", f"{base}/calendars",
    ]  # fmt: skip
    shown = {}
    for page in pages:
        answer = browser.get(page)
        assert answer.status_code == 200, page
        found = sorted(set(_RAW_ID.findall(_visible(answer.text))))
        if found:
            shown[page] = found
    assert shown == {}
    # The timeline's details name what its events name.
    alert_page = browser.get(f"{base}/alerts/{alert_id}").text
    timeline = _visible(alert_page.split('id="timeline"')[1].split("</table>")[0])
    assert "endpoint: Production" in timeline
    assert '"escalation": "On call"' in timeline


def test_timeline_names_are_only_the_organizations_own(pager: Pager) -> None:
    ours = seeded.endpoint(pager.runtime, pager.org_id, name="Ours")
    stranger = seeded.person(pager.runtime, org_name="Elsewhere")
    theirs = seeded.endpoint(pager.runtime, stranger.org_id, name="Theirs")
    with pager.runtime.database.read() as session:
        names = names_in_organization(
            session, org_id=pager.org_id, ids={ours, theirs, "mw_" + "0" * 26, "plain"}
        )
    assert names == {ours: "Ours"}
