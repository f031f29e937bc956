"""The README's quick start, run as a newcomer would: `tocsin quickstart`, `tocsin serve`, then
the exact shell block the README shows, taken from README.md itself."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import (
    TOCSIN,
    System,
    TocsinProcess,
    alert_transcripts,
    free_port,
    wait_for,
)

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_curl_block() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text("utf-8"), flags=re.DOTALL)
    [block] = [block for block in blocks if "curl" in block and "quickstart.env" in block]
    return block


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README example uses curl")
def test_readme_curl_example_pages_the_demo_contact(new_sqlite_system: System) -> None:
    system = new_sqlite_system
    data_dir = system.root / "tocsin-data"  # the default, relative to where make run is started
    server = system.start_serve(data_dir=data_dir)
    base_url = server.wait_serving()
    settings = {"data_dir": data_dir, "public_base_url": base_url}
    quickstart = subprocess.run(
        [str(TOCSIN), "quickstart"],
        env=system.env(**settings),
        cwd=system.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert quickstart.returncode == 0, quickstart.stderr
    assert "curl -X POST" in quickstart.stdout

    sent_at = time.monotonic()
    reply = subprocess.run(
        ["bash", "-c", "set -e\n" + _readme_curl_block()],
        cwd=system.root,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert reply.returncode == 0, reply.stderr
    assert '"outcome":"created"' in reply.stdout
    assert '"calls_queued":1' in reply.stdout

    transcript = wait_for(
        lambda: next(iter(alert_transcripts(data_dir / "simulator")), None),
        timeout=1.0 - (time.monotonic() - sent_at),
        what="a simulated call",
    )
    words = wait_for(
        lambda: text if "completed" in (text := transcript.read_text("utf-8")) else None,
        timeout=5.0,
        what="the simulated call to finish",
    )
    assert "Disk full on db1" in words
    assert "call to +447400123456" in words


PASSWORD = "correct horse battery staple"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README example uses curl")
def test_the_first_hour_on_another_port(new_sqlite_system: System) -> None:
    """Issue 20: `TOCSIN_PORT` alone moves every URL, and whoever signs up first owns the demo
    and sees the alert the README's curl sent, where they got an empty organization."""
    system = new_sqlite_system
    port = free_port()
    data_dir = system.root / "tocsin-data"
    env = system.env(data_dir=data_dir, port=port)
    base_url = f"http://127.0.0.1:{port}"
    quickstart = subprocess.run(
        [str(TOCSIN), "quickstart"], env=env, cwd=system.root, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert quickstart.returncode == 0, quickstart.stderr
    assert f"{base_url}/signup" in quickstart.stdout
    assert "becomes owner of the Demo organization" in quickstart.stdout
    # `tocsin serve` with no --port: the port comes from TOCSIN_PORT, like the URLs.
    server = TocsinProcess("serve", ["serve"], env, system.root)
    system.processes.append(server)
    server.base_url = base_url
    server.wait_serving()

    reply = subprocess.run(
        ["bash", "-c", "set -e\n" + _readme_curl_block()], cwd=system.root, capture_output=True,
        text=True, timeout=30, check=False,
    )  # fmt: skip
    assert reply.returncode == 0, reply.stderr
    alert_id = json.loads(reply.stdout)["alert_id"]
    again = subprocess.run(
        ["bash", "-c", "set -e\n" + _readme_curl_block()], cwd=system.root, capture_output=True,
        text=True, timeout=30, check=False,
    )  # fmt: skip
    repeat = json.loads(again.stdout)
    assert (repeat["alert_id"], repeat["outcome"]) == (alert_id, "deduplicated")
    assert "still open" in repeat["message"]

    with httpx.Client(base_url=base_url, timeout=10.0) as client:
        signed_up = client.post(
            "/v1/auth/signup", json={"email": "me@example.com", "password": PASSWORD}
        )
        assert signed_up.status_code == 202, signed_up.text
        verified = subprocess.run(
            [str(TOCSIN), "user", "verify-email", "me@example.com"], env=env, cwd=system.root,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stderr
        tokens = client.post(
            "/v1/auth/login", json={"email": "me@example.com", "password": PASSWORD}
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        [org] = client.get("/v1/me", headers=auth).json()["organizations"]
        assert (org["name"], org["role"]) == ("Demo", "owner")
        alerts = client.get(f"/v1/orgs/{org['id']}/alerts", headers=auth).json()["items"]
        assert [(a["id"], a["title"]) for a in alerts] == [(alert_id, "Disk full on db1")]
        [endpoint] = client.get(f"/v1/orgs/{org['id']}/endpoints", headers=auth).json()["items"]
        assert endpoint["webhook_url"].startswith(f"{base_url}/v1/hooks/")

    transcript = wait_for(
        lambda: next(iter(alert_transcripts(data_dir / "simulator")), None),
        timeout=10,
        what="the simulated call",
    )
    heard = "\n".join(
        path.read_text("utf-8") for path in (data_dir / "simulator" / "calls").glob("*.txt")
    )
    # Every URL the calls read aloud (the opt-out address of the number's verification call).
    spoken = re.findall(r"https?://\S+?(?=[.,]?\s)", heard)
    assert spoken, heard
    assert all(url.startswith(f"{base_url}/") for url in spoken), spoken
    assert "Disk full on db1" in transcript.read_text("utf-8")
