"""A call speaks the language chosen for it, with that language's voice: the WAV the simulator
writes is the call's opening as the language's espeak-ng voice says it, and no other voice of the
catalogue says it so (tests/delivery/voices.py tells voices apart).

The language is the contact's, else the paged member's, else the organization's; the alert text
is read as written, only Tocsin's fixed words change.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tests.delivery.pager import Pager
from tests.delivery.voices import nearest_voice, unlikeness
from tests.factories import ok
from tocsin.contacts.models import Contact
from tocsin.engine.worker import Worker
from tocsin.paging.bundles import spoken_bundle
from tocsin.paging.models import CallAttempt
from tocsin.telephony import audio
from tocsin.telephony.prompts import CATALOGUE, LANGUAGES
from tocsin.telephony.simulator import SimulatorProvider

pytestmark = pytest.mark.pager(rounds=1)

ALERT = {"title": "Disk full on db1", "severity": "critical"}


def _set(pager: Pager, path: str, language: str) -> None:
    ok(pager.client.patch(f"{pager.org}{path}", json={"language": language}, headers=pager.auth))


def _call_with_audio(pager: Pager) -> SimulatorProvider:
    """Run what is due with a simulator that writes each call's WAV."""
    provider = SimulatorProvider(
        pager.data_dir,
        clock=pager.clock,
        default_behaviour="press:1",
        behaviours=pager.behaviours,
        record_audio=True,
    )
    worker = Worker(
        pager.runtime.database,
        provider,
        clock=pager.clock,
        settings=pager.settings,
        worker_id="worker-languages",
    )
    asyncio.run(worker.run_until_idle())
    return provider


def _records(provider: SimulatorProvider) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in (provider.root / "by-key").glob("*.json")]


def _attempt_language(pager: Pager, key: str) -> str | None:
    with pager.runtime.database.read() as session:
        attempt = session.query(CallAttempt).filter_by(idempotency_key=key).one()
        return attempt.language


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_language_is_spoken_with_its_own_voice(pager: Pager, code: str) -> None:
    # The owner's token: an API key acts as an admin, who may not change the organization.
    ok(pager.client.patch(pager.org, json={"language": code}, headers=pager.user_auth))
    pager.fire(pager.endpoint(pager.contact("Desk")), ALERT)
    provider = _call_with_audio(pager)

    [record] = _records(provider)
    words = CATALOGUE[code]
    assert (record["language"], record["voice"]) == (code, words.espeak_voice)
    assert _attempt_language(pager, record["idempotency_key"]) == code
    # The alert as written, then the menu and the confirmation of the key in the language.
    base = provider.root / "calls" / record["provider_call_id"]
    transcript = base.with_suffix(".txt").read_text()
    assert f"in {code} with the voice {words.espeak_voice}" in transcript
    opening = f"{record['spoken_text']} {words.menu}"
    assert f"TOCSIN: {opening}" in transcript
    assert f"TOCSIN: {words.acknowledged}" in transcript
    assert "Disk full on db1" in record["spoken_text"]
    # The WAV is that opening in the language's voice, of all the catalogue's, and not silence.
    samples, rate = audio.read_wav(base.with_suffix(".wav"))
    assert rate == 8000
    assert audio.rms(samples) > 300
    voice, distance = nearest_voice(samples, opening)
    assert (voice, distance < 0.01) == (words.espeak_voice, True)
    if code != "en":
        # The English call would have sounded otherwise.
        english = f"{record['spoken_text']} {CATALOGUE['en'].menu}"
        assert unlikeness(samples, english, "en") > 0.02


def test_a_contacts_language_beats_the_organizations(pager: Pager) -> None:
    ok(pager.client.patch(pager.org, json={"language": "es"}, headers=pager.user_auth))
    french, plain = pager.contact("Paris desk"), pager.contact("Madrid desk")
    _set(pager, f"/contacts/{french}", "fr")
    pager.fire(pager.endpoint(french, plain, routing="all"), ALERT)
    pager.run()
    with pager.runtime.database.read() as session:
        spoken = {
            attempt.to_number: attempt.language for attempt in session.query(CallAttempt).all()
        }
    assert spoken == {pager.phone(french): "fr", pager.phone(plain): "es"}


# The same number twice in a row: no per-number throttle between the calls.
@pytest.mark.pager(throttle=())
def test_a_member_is_paged_in_their_language_unless_their_number_has_one(pager: Pager) -> None:
    ok(pager.client.patch(pager.org, json={"language": "de"}, headers=pager.user_auth))
    ana, ana_number = pager.member("Ana")
    _set(pager, f"/people/{ana}", "it")
    endpoint = pager.endpoint(rules=[{"action": {"type": "call_member", "user_id": ana}}])
    pager.fire(endpoint, ALERT)
    pager.run()
    [first] = pager.calls()
    assert _attempt_language(pager, first.key) == "it"

    # A member's own numbers are no contacts of the API's; a language on the number itself,
    # however it came there, still comes first.
    with pager.runtime.database.write() as session:
        session.execute(update(Contact).where(Contact.id == ana_number).values(language="pl"))
    pager.fire(endpoint, {"title": "CPU hot on db2", "severity": "critical"})
    pager.run()
    second = pager.calls()[-1]
    assert _attempt_language(pager, second.key) == "pl"


def test_without_any_choice_calls_speak_english(pager: Pager) -> None:
    pager.fire(pager.endpoint(pager.contact("Desk")), ALERT)
    pager.run()
    [call] = pager.calls()
    assert _attempt_language(pager, call.key) == "en"


@pytest.mark.parametrize(
    ("language", "org_voice", "expected"),
    [("es", "es-419", "es-419"), ("es", "en-us", "es"), ("en", "en-us", "en-us")],
)
def test_the_organizations_voice_speaks_only_its_own_language(
    pager: Pager, language: str, org_voice: str, expected: str
) -> None:
    ok(pager.client.patch(pager.org, json={"language": language}, headers=pager.user_auth))
    ok(
        pager.client.patch(
            f"{pager.org}/calling-policy", json={"voice": org_voice}, headers=pager.user_auth
        )
    )
    pager.fire(pager.endpoint(pager.contact("Desk")), ALERT)
    provider = _call_with_audio(pager)
    [record] = _records(provider)
    assert record["voice"] == expected
    base = Path(provider.root / "calls" / record["provider_call_id"])
    samples, _ = audio.read_wav(base.with_suffix(".wav"))
    opening = f"{record['spoken_text']} {CATALOGUE[language].menu}"
    assert unlikeness(samples, opening, expected) < 0.01


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("en", "2 open alerts. Alert one: A.", "Pressing 1 acknowledges all 2."),
        ("es", "2 alertas abiertas. Alerta uno: A.", "Al pulsar 1 se confirman las 2."),
        ("pl", "Liczba otwartych alertów: 2. Alert numer jeden: A.", "łącznie 2."),
        ("uk", "Кількість відкритих сповіщень: 2. Сповіщення номер один: A.", "разом 2."),
    ],
)
def test_a_call_carrying_several_alerts_counts_them_in_its_language(
    code: str, start: str, end: str
) -> None:
    said = spoken_bundle(["A.", "B."], code)
    assert said.startswith(start)
    assert said.endswith(end)
    assert f"{CATALOGUE[code].alert_label(1)} B." in said
