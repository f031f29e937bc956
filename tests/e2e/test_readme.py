"""The README's quick start, run as a newcomer would: `tocsin quickstart`, `tocsin serve`, then
the exact shell block the README shows, taken from README.md itself."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import TOCSIN, System, alert_transcripts, wait_for

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_curl_block() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text("utf-8"), flags=re.DOTALL)
    [block] = [block for block in blocks if "curl" in block and "quickstart.env" in block]
    return block


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README example uses curl")
def test_readme_curl_example_pages_the_demo_contact(sqlite_system: System) -> None:
    system = sqlite_system
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
