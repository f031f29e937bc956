"""The alert pages as a browser uses them: the live list, an alert with its calls (and what they
said, as audio), its timeline, and acknowledging or resolving it by the page's buttons."""

from __future__ import annotations

import re
import wave
from io import BytesIO

import pytest
from fastapi.testclient import TestClient

from tests.delivery.pager import Pager
from tests.delivery.test_paging_people import _rules
from tests.web.browser_forms import form_token, owner_home, submit
from tests.web.owner_browser import signed_in_owner
from tocsin.runtime import Runtime


@pytest.fixture
def browser(client: TestClient, runtime: Runtime, pager: Pager) -> TestClient:
    return signed_in_owner(client, runtime, pager)


def page_of(pager: Pager, alert_id: str) -> str:
    return f"/o/{pager.org_id}/alerts/{alert_id}"


def timeline_actions(html: str) -> list[str]:
    table = html.split('id="timeline"')[1].split("</table>")[0]
    return re.findall(
        r'<tr>\s*<td class="title">[^<]*</td>\s*<td data-label="Action">([^<]+)</td>', table
    )


def test_home_lists_alerts_with_their_status_and_refreshes_the_list(
    pager: Pager, browser: TestClient
) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice")))
    home = browser.get(f"/o/{pager.org_id}")
    assert home.status_code == 200
    assert f'<a href="/o/{pager.org_id}/alerts/{alert_id}">Disk full on db1</a>' in home.text
    assert '<span class="badge open">open</span>' in home.text
    assert "Production" in home.text
    assert f'hx-get="/o/{pager.org_id}/alerts/live" hx-trigger="every 2s"' in home.text

    pager.run()
    live = browser.get(f"/o/{pager.org_id}/alerts/live", headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert live.text.lstrip().startswith('<div id="alerts-live"')
    assert "<html" not in live.text
    assert '<span class="badge acknowledged">acknowledged</span>' in live.text
    assert '<td data-label="Calls">1</td>' in live.text  # one call so far


def test_alert_page_shows_each_call_with_the_keys_pressed_and_its_audio(
    pager: Pager, browser: TestClient
) -> None:
    alice = pager.contact("Alice", "press:1")
    alert_id = pager.fire(pager.endpoint(alice))
    pager.run()
    call = pager.alert(alert_id)["calls"][0]
    page = browser.get(page_of(pager, alert_id))
    assert page.status_code == 200
    calls = page.text.split('id="calls"')[1].split("</table>")[0]
    assert pager.phone(alice) in calls
    assert call["status"] in calls
    assert "<code>1</code>" in calls
    assert f'<audio controls preload="none" id="audio-{call["id"]}"' in calls
    assert f'src="/o/{pager.org_id}/calls/{call["id"]}/audio"' in calls
    assert '<span class="badge acknowledged" id="alert-status">acknowledged</span>' in page.text
    # Settled: the page no longer polls, and there is nothing left to acknowledge.
    assert "every 2s" not in page.text
    assert ">Acknowledge</button>" not in page.text
    assert ">Resolve</button>" in page.text


def test_call_audio_is_a_wav_of_what_the_call_said_and_only_for_its_organization(
    client: TestClient, runtime: Runtime, pager: Pager, browser: TestClient
) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice")))
    pager.run()
    attempt_id = pager.alert(alert_id)["calls"][0]["id"]
    heard = browser.get(f"/o/{pager.org_id}/calls/{attempt_id}/audio")
    assert heard.status_code == 200
    assert heard.headers["content-type"] == "audio/wav"
    assert heard.headers["cache-control"] == "private, max-age=3600"
    assert heard.content[:4] == b"RIFF"
    assert heard.content[8:12] == b"WAVE"
    with wave.open(BytesIO(heard.content)) as wav:
        # The alert and the key menu take seconds to say.
        assert wav.getnframes() / wav.getframerate() > 2

    stranger = TestClient(client.app)
    theirs = owner_home(stranger, runtime, "eve@example.com", "Eve Ops")
    assert stranger.get(f"{theirs}/calls/{attempt_id}/audio").status_code == 404
    assert stranger.get(f"/o/{pager.org_id}/calls/{attempt_id}/audio").status_code == 404
    assert browser.get(f"/o/{pager.org_id}/calls/call_missing/audio").status_code == 404


def test_acknowledge_on_the_page_cancels_the_queued_calls(
    pager: Pager, browser: TestClient
) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice")))
    page = browser.get(page_of(pager, alert_id))
    assert '<span class="badge open" id="alert-status">open</span>' in page.text
    assert f'hx-get="{page_of(pager, alert_id)}/live" hx-trigger="every 2s"' in page.text
    assert pager.alert(alert_id)["jobs"][0]["status"] == "pending"

    answer = submit(
        browser, page_of(pager, alert_id), f"{page_of(pager, alert_id)}/acknowledge", {}
    )
    assert (answer.status_code, answer.headers["location"]) == (303, page_of(pager, alert_id))
    shown = browser.get(page_of(pager, alert_id))
    assert '<span class="badge acknowledged" id="alert-status">acknowledged</span>' in shown.text
    detail = pager.alert(alert_id)
    assert detail["status"] == "acknowledged"
    assert detail["acknowledged_by"].startswith("user:")
    assert detail["jobs"][0]["status"] == "cancelled"
    assert detail["timeline"][-1]["details"] == {"calls_cancelled": 1}
    assert "calls_cancelled: 1" in shown.text
    assert pager.run() == 0
    assert pager.calls() == []


def test_acknowledging_with_htmx_returns_the_refreshed_part_of_the_page(
    pager: Pager, browser: TestClient
) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice")))
    token = form_token(browser.get(page_of(pager, alert_id)).text)
    fragment = browser.post(
        f"{page_of(pager, alert_id)}/acknowledge",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="alert-live">')
    assert "<html" not in fragment.text
    assert ">acknowledged</span>" in fragment.text


def test_acknowledging_twice_says_why_it_cannot(pager: Pager, browser: TestClient) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice")))
    page = browser.get(page_of(pager, alert_id))
    action = f"{page_of(pager, alert_id)}/acknowledge"
    token = form_token(page.text)
    assert browser.post(action, data={"csrf_token": token}).status_code == 200
    again = browser.post(action, data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 409
    assert "alert_not_open" in again.text
    assert browser.post(action, data={}).status_code == 403
    # htmx swaps in only a 200, so its answer carries the reason with one.
    with_htmx = browser.post(action, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert with_htmx.status_code == 200
    assert "alert_not_open" in with_htmx.text


def test_resolve_on_the_page_ends_the_alert(pager: Pager, browser: TestClient) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice")))
    answer = submit(browser, page_of(pager, alert_id), f"{page_of(pager, alert_id)}/resolve", {})
    assert answer.status_code == 303
    shown = browser.get(page_of(pager, alert_id))
    assert '<span class="badge resolved" id="alert-status">resolved</span>' in shown.text
    assert ">Acknowledge</button>" not in shown.text
    assert ">Resolve</button>" not in shown.text
    assert pager.alert(alert_id)["jobs"][0]["status"] == "cancelled"
    assert "resolved" in browser.get(f"/o/{pager.org_id}").text


def test_the_timeline_lists_every_event_oldest_first(pager: Pager, browser: TestClient) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice", "press:1")))
    pager.run()
    submit(browser, page_of(pager, alert_id), f"{page_of(pager, alert_id)}/resolve", {})
    shown = timeline_actions(browser.get(page_of(pager, alert_id)).text)
    assert shown == pager.actions(alert_id)
    assert shown[0] == "alert.received"
    assert "call.attempt_created" in shown
    assert shown[-1] == "alert.resolved"
    assert shown.index("call.attempt_created") < shown.index("alert.acknowledged")


def test_another_organizations_alert_is_not_found(
    client: TestClient, runtime: Runtime, pager: Pager, browser: TestClient
) -> None:
    alert_id = pager.fire(pager.endpoint(pager.contact("Alice")))
    stranger = TestClient(client.app)
    theirs = owner_home(stranger, runtime, "eve@example.com", "Eve Ops")
    assert stranger.get(page_of(pager, alert_id)).status_code == 404
    assert stranger.get(f"{theirs}/alerts/{alert_id}").status_code == 404
    assert stranger.get(f"/o/{pager.org_id}/alerts/live").status_code == 404
    token = form_token(stranger.get(theirs).text)
    refused = stranger.post(f"{page_of(pager, alert_id)}/acknowledge", data={"csrf_token": token})
    assert refused.status_code == 404
    assert pager.alert(alert_id)["status"] == "open"


@pytest.mark.pager(rounds=1, unanswered_retries=0)
def test_alert_page_says_how_each_member_was_told(pager: Pager, browser: TestClient) -> None:
    ana, mobile = pager.member("Ana", "no_answer")
    _, texts = pager.member("Ana's texts", user_id=ana, channel="sms")
    _rules(pager, ana, ("voice", mobile, 0), ("sms", texts, 0), ("email", None, 0))
    alert_id = pager.fire(
        pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    )
    pager.run()
    by_channel = {call["channel"]: call for call in pager.alert(alert_id)["calls"]}
    assert set(by_channel) == {"voice", "sms", "email"}

    page = browser.get(page_of(pager, alert_id))
    calls = page.text.split('id="calls"')[1].split("</table>")[0]
    rows = {
        channel: calls.split(f'<tr class="channel-{channel}">')[1].split("</tr>")[0]
        for channel in by_channel
    }
    assert '<td class="title">call</td>' in rows["voice"]
    assert "<audio" in rows["voice"]
    assert '<td class="title">text</td>' in rows["sms"]
    assert pager.phone(texts) in rows["sms"]
    assert "<audio" not in rows["sms"]
    assert "Reply STOP to opt out." in rows["sms"]
    assert '<td class="title">e-mail</td>' in rows["email"]
    # The member by name, never by id.
    assert '<td data-label="Who">Ana</td>' in rows["email"]
    assert ana not in calls
    jobs = page.text.split('id="jobs"')[1].split("</table>")[0]
    assert {"call", "text", "e-mail"} <= set(
        re.findall(r'<td class="title">(call|text|e-mail)</td>', jobs)
    )
