"""A new installation, story-style: start the server, add a contact, send an alert, get a call."""

from __future__ import annotations

import time
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from tests.e2e.helpers import System, wait_for
from tocsin.migrations.upgrade import alembic_config
from tocsin.telephony.audio import read_wav, rms

pytestmark = pytest.mark.e2e

# espeak's default volume puts speech at an RMS of a few thousand; silence is 0.
SPEECH_RMS = 500.0


def _spoken_call_about(system: System, title: str) -> tuple[str, float] | None:
    """(transcript, RMS of its WAV) of the simulated call that spoke `title`, once both files are
    completely written."""
    for transcript in system.transcripts():
        words = transcript.read_text("utf-8")
        if title not in words:
            continue
        try:
            samples, _rate = read_wav(transcript.with_suffix(".wav"))
        except (FileNotFoundError, EOFError, wave.Error):
            return None  # not written yet, or half written
        return (words, rms(samples)) if samples.size else None
    return None


def test_curl_alert_places_a_simulated_call_within_a_second(sqlite_system: System) -> None:
    system = sqlite_system
    server = system.start_serve()
    org = system.cli("org", "create", "Acme", "--country", "GB")
    contact = system.cli("contact", "add", "On call", "+447400123456", "--org", org["slug"])
    ingest_key = system.cli("key", "create", "--org", org["slug"])
    read_key = system.cli("key", "create", "--org", org["slug"], "--scope", "read")
    system.verify_contact(org["slug"], contact["id"])
    endpoint = system.cli(
        "endpoint", "create", "Production", "--org", org["slug"], "--contact", contact["id"]
    )
    with httpx.Client(base_url=server.wait_serving()) as api:
        sent_at = time.monotonic()
        response = api.post(
            f"/v1/hooks/{endpoint['id']}",
            headers={"X-Alert-Key": ingest_key["key"]},
            json={"title": "Disk full on db1", "severity": "critical"},
        )
        assert response.status_code == 202, response.text
        alert_id = response.json()["alert_id"]

        words, loudness = wait_for(
            lambda: _spoken_call_about(system, "Disk full on db1"),
            timeout=1.0 - (time.monotonic() - sent_at),
            what="the simulator has a transcript and a WAV of the call",
        )
        assert "call to +447400123456" in words
        assert "CALLEE pressed 1" in words
        assert loudness > SPEECH_RMS

        def call_over() -> dict[str, Any] | None:
            detail = api.get(
                f"/v1/orgs/{org['id']}/alerts/{alert_id}",
                headers={"Authorization": f"Bearer {read_key['key']}"},
            )
            assert detail.status_code == 200, detail.text
            body: dict[str, Any] = detail.json()
            # The keypress acknowledges at once; the call ends a moment later, on hang-up.
            ended = body["calls"] and all(call["ended_at"] for call in body["calls"])
            return body if ended else None

        alert = wait_for(call_over, timeout=5.0, what="the API shows the call over")
    assert (alert["status"], alert["acknowledged_by"]) == (
        "acknowledged",
        "simulator:+447400123456",
    )
    [call] = alert["calls"]
    assert (call["status"], call["digits"], call["to_number"]) == (
        "answered",
        "1",
        "+447400123456",
    )


def test_serve_upgrades_the_schema_itself(new_sqlite_system: System) -> None:
    system = new_sqlite_system
    database_path = Path(system.database_url.removeprefix("sqlite:///"))
    assert not database_path.exists()

    # As `docker compose up` would: the server and a worker start at the same moment, and both
    # upgrade the new file; they must take turns, not fail with "database is locked".
    server = system.start_serve(worker=False)
    worker = system.worker("worker")
    base_url = server.wait_serving()
    worker.wait_started()

    health = httpx.get(f"{base_url}/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    head = ScriptDirectory.from_config(alembic_config(system.database)).get_current_head()
    versions = system.read(
        lambda s: list(s.scalars(text("SELECT version_num FROM alembic_version")))
    )
    assert versions == [head]
