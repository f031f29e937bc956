"""The verifiers docs/webhooks-out.md gives its readers accept what Tocsin sends and refuse
what it did not: the Python one run here, the Node one in Node (when the machine has it).
A reader copies them; they must work."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tocsin.outgoing import signing
from tocsin.outgoing.body import wire

DOC = Path(__file__).parents[2] / "docs" / "webhooks-out.md"
BODY = {
    "type": "alert.created",
    "timestamp": "2026-01-01T00:00:00Z",
    "data": {"alert": {"id": "al_1", "title": "Disk full ✓"}},
}


def _block(language: str, after: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(after)
    found = re.search(rf"```{language}\n(.*?)```", text[start:], re.DOTALL)
    assert found is not None, f"no {language} block after {after!r}"
    return found.group(1)


def _delivery(secrets: list[str], stamp: int | None = None) -> tuple[dict[str, str], bytes]:
    body = wire(BODY, org_id="org_1", base_url="https://tocsin.example.com")
    headers = signing.headers(
        secrets, message_id="evt_1", timestamp=stamp or int(time.time()), body=body
    )
    return headers, body


def _python_verify() -> Any:
    namespace: dict[str, Any] = {}
    exec(_block("python", "Python:\n"), namespace)  # noqa: S102 (the documentation's own code)
    return namespace["verify"]


def test_the_python_verifier_accepts_tocsins_delivery_and_refuses_others() -> None:
    verify = _python_verify()
    secret, old, stranger = signing.new_secret(), signing.new_secret(), signing.new_secret()
    headers, body = _delivery([secret, old])
    assert verify(secret, headers, body)
    assert verify(old, headers, body)  # during a rotation, either secret
    assert not verify(stranger, headers, body)
    assert not verify(secret, headers, body + b" ")
    assert not verify(secret, {**headers, "webhook-id": "evt_2"}, body)
    stale, stale_body = _delivery([secret], stamp=int(time.time()) - 600)
    assert not verify(secret, stale, stale_body)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_node_verifier_accepts_tocsins_delivery_and_refuses_others(tmp_path: Path) -> None:
    script = tmp_path / "verify.js"
    script.write_text(_block("javascript", "Node:\n"), encoding="utf-8")
    secret, stranger = signing.new_secret(), signing.new_secret()
    headers, body = _delivery([secret])
    cases = [
        (secret, body.decode(), True),
        (stranger, body.decode(), False),
        (secret, body.decode() + " ", False),
    ]
    runner = (
        f"const {{ verify }} = require({json.dumps(str(script))});\n"
        f"const cases = {json.dumps(cases)};\n"
        f"const headers = {json.dumps(headers)};\n"
        "console.log(JSON.stringify(cases.map(([s, b]) => verify(s, headers, Buffer.from(b)))));\n"
    )
    done = subprocess.run(
        ["node", "-e", runner], capture_output=True, text=True, timeout=30, check=True
    )
    assert json.loads(done.stdout) == [expected for _, _, expected in cases]
