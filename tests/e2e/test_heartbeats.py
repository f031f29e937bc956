"""Heartbeats for real: a server and its worker, pinged with curl as a cron line would (the key
in the URL), then by the script docs/heartbeats.md shows, taken from the page itself: a failed
run pages a (simulated) phone, the next good run resolves the alert."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.docs import block
from tests.e2e.helpers import System, alert_transcripts, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("curl") is None, reason="the guide pings with curl"),
]


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "-sS", "-m", "10", *args], capture_output=True, text=True, timeout=30, check=False
    )


def _run_guides_script(root: Path, url: str, key: str, backup: str) -> None:
    """docs/heartbeats.md's script, with this heartbeat's URL and key, and `backup` as the job."""
    script = (
        block("heartbeats.md", "heartbeat-job")
        .replace("https://tocsin.example.com/v1/heartbeats/hb_01jexample00000000000000000", url)
        .replace("hbk_yourkey", key)
        .replace("/usr/local/bin/backup", backup)
        .replace("/tmp/backup.log", str(root / "backup.log"))
    )
    done = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def _spoken(system: System, words: str) -> str | None:
    for transcript in alert_transcripts(system.simulator):
        text = transcript.read_text("utf-8")
        if words in text:
            return text
    return None


def test_a_job_pinging_with_curl_pages_when_it_fails_and_resolves_when_it_runs(
    system: System,
) -> None:
    server = system.start_serve(heartbeat_check_seconds=1)
    org = system.cli("org", "create", "Acme", "--country", "GB")
    contact = system.cli("contact", "add", "On call", "+447400123456", "--org", org["slug"])
    read_key = system.cli("key", "create", "--org", org["slug"], "--scope", "read")
    system.verify_contact(org["slug"], contact["id"])
    endpoint = system.cli(
        "endpoint", "create", "Production", "--org", org["slug"], "--contact", contact["id"]
    )
    heartbeat = system.cli(
        "heartbeat", "create", "backup", "--org", org["slug"], "--endpoint", endpoint["id"],
        "--cron", "30 2 * * *", "--timezone", "Europe/Berlin", "--grace", "15m",
    )  # fmt: skip
    base_url = server.wait_serving()
    url = f"{base_url}/v1/heartbeats/{heartbeat['id']}"

    # A cron line's curl: the key in the URL, a plain GET.
    pinged = _curl("-f", f"{url}?key={heartbeat['key']}")
    assert pinged.returncode == 0, pinged.stderr
    assert '"state":"up"' in pinged.stdout
    wrong = _curl("-f", f"{url}?key=hbk_{'x' * 40}")
    assert wrong.returncode == 22  # curl -f: an HTTP error, here 404

    _run_guides_script(system.root, url, heartbeat["key"], "sh -c 'echo 12 files; exit 1'")
    words = wait_for(
        lambda: _spoken(system, 'Heartbeat "backup" failed at'),
        timeout=10.0,
        what="the failed run's alert is called",
    )
    assert "call to +447400123456" in words

    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {read_key['key']}"}
    ) as api:
        shown: dict[str, Any] = api.get(f"/v1/orgs/{org['id']}/heartbeats/{heartbeat['id']}").json()
        assert (shown["state"], shown["down_reason"]) == ("down", "failed")
        alert_id = shown["alert_id"]

        _run_guides_script(system.root, url, heartbeat["key"], "sh -c 'echo 12 files'")
        shown = api.get(f"/v1/orgs/{org['id']}/heartbeats/{heartbeat['id']}").json()
        assert (shown["state"], shown["alert_id"]) == ("up", None)
        assert api.get(f"/v1/orgs/{org['id']}/alerts/{alert_id}").json()["status"] == "resolved"
        pings = api.get(f"/v1/orgs/{org['id']}/heartbeats/{heartbeat['id']}/pings").json()
    assert [(p["kind"], p["method"], p["body"]) for p in pings["items"]] == [
        ("success", "POST", "12 files\n"),
        ("start", "GET", ""),
        ("fail", "POST", "12 files\n"),
        ("start", "GET", ""),
        ("success", "GET", ""),
    ]
    assert pings["items"][-1]["user_agent"].startswith("curl/")
