"""A verification code and a test call speak the language chosen for the number, as an alert
call does: the number's own, else (a member's own number) the member's, else the organization's,
with the voice an alert call in that language has. The code is read back from the simulator
(`simulator.code_heard`) whatever the language, and typing it in verifies the number.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tests import rows, seeded
from tests.conftest import settings_for
from tests.delivery.pager import Pager, uk_mobile
from tests.delivery.voices import unlikeness
from tests.factories import ok
from tocsin.audit.log import SYSTEM
from tocsin.contacts.models import Contact
from tocsin.core.config import Settings
from tocsin.messages import sms
from tocsin.numbers.verification import spoken_code
from tocsin.organizations.provider_tests import prepare_account_test
from tocsin.providers.test_calls import prepare_test_call
from tocsin.telephony import audio
from tocsin.telephony.prompts import CATALOGUE, LANGUAGES
from tocsin.telephony.simulator import code_heard, words_for

OPT_OUT_URL = "http://tocsin.test/opt-out"
ORG_NAME = "Pager test"


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    """The simulator writes each call's WAV here: what is heard is what is checked."""
    return settings_for(database_url, data_dir, simulator_record_audio=True)


def _language(pager: Pager, path: str, language: str) -> None:
    # The owner's token: only people may change the organization and its members.
    ok(
        pager.client.patch(
            f"{pager.org}{path}", json={"language": language}, headers=pager.user_auth
        )
    )


def _record(pager: Pager, key: str) -> dict[str, Any]:
    """The simulator's record of the call or text with this idempotency key."""
    root = pager.data_dir / "simulator"
    for path in (root / "by-key").glob("*.json"):
        document: dict[str, Any] = json.loads(path.read_text("utf-8"))
        if document["idempotency_key"] == key:
            return document
    raise AssertionError(f"no call with the key {key}")


def _heard(pager: Pager, record: dict[str, Any]) -> tuple[str, Any]:
    """The call's transcript and the samples of its WAV."""
    base = pager.data_dir / "simulator" / "calls" / record["provider_call_id"]
    samples, rate = audio.read_wav(base.with_suffix(".wav"))
    assert rate == 8000
    assert audio.rms(samples) > 300
    return base.with_suffix(".txt").read_text("utf-8"), samples


def _said_in(samples: Any, text: str, code: str) -> None:
    """`samples` are `text` in `code`'s voice, and not in English's when it is another."""
    voice = CATALOGUE[code].espeak_voice
    assert unlikeness(samples, text, voice) < 0.01
    if code != "en":
        assert unlikeness(samples, text, "en") > 0.02


def _send_code(pager: Pager, contact_id: str, channel: str = "call") -> str:
    sent = ok(
        pager.client.post(
            f"{pager.org}/contacts/{contact_id}/verification",
            json={"channel": channel},
            headers=pager.auth,
        ),
        202,
    )
    verification_id: str = sent["verification_id"]
    return verification_id


def _type_back(pager: Pager, contact_id: str, verification_id: str) -> None:
    code = code_heard(pager.data_dir, verification_id)
    assert code is not None
    ok(
        pager.client.post(
            f"{pager.org}/contacts/{contact_id}/verification/confirm",
            json={"code": code, "verification_id": verification_id},
            headers=pager.auth,
        )
    )
    number = ok(pager.client.get(f"{pager.org}/contacts/{contact_id}", headers=pager.auth))
    assert number["number_state"] == "verified"


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_contacts_code_is_said_in_its_language_and_voice_and_read_back(
    pager: Pager, code: str
) -> None:
    desk = pager.contact("Desk", verified=False)
    _language(pager, f"/contacts/{desk}", code)
    verification_id = _send_code(pager, desk)

    record = _record(pager, f"verify/{verification_id}")
    words = CATALOGUE[code]
    assert (record["language"], record["voice"]) == (code, words.espeak_voice)
    assert record["offers_menu"] is False
    typed = code_heard(pager.data_dir, verification_id)
    assert typed is not None
    who = words.codes.organization.format(name=ORG_NAME)
    said = words.codes.consent_call.format(who=who, digits=spoken_code(typed), url=OPT_OUT_URL)
    assert record["spoken_text"] == said
    transcript, samples = _heard(pager, record)
    assert f"in {code} with the voice {words.espeak_voice}" in transcript
    assert f"TOCSIN: {said}\n" in transcript
    _said_in(samples, said, code)
    _type_back(pager, desk, verification_id)


def test_without_a_language_of_its_own_a_code_speaks_the_organizations(pager: Pager) -> None:
    ok(pager.client.patch(pager.org, json={"language": "fr"}, headers=pager.user_auth))
    desk = pager.contact("Desk", verified=False)
    verification_id = _send_code(pager, desk)
    record = _record(pager, f"verify/{verification_id}")
    assert (record["language"], record["voice"]) == ("fr", "fr")
    assert record["spoken_text"].startswith("Bonjour, ici Tocsin")
    assert "L'organisation Pager test, sur Tocsin, a demandé" in record["spoken_text"]
    _type_back(pager, desk, verification_id)


def test_a_code_keeps_the_organizations_voice_when_it_speaks_the_language(pager: Pager) -> None:
    ok(pager.client.patch(pager.org, json={"language": "pt"}, headers=pager.user_auth))
    policy = f"{pager.org}/calling-policy"
    ok(pager.client.patch(policy, json={"voice": "pt-br"}, headers=pager.user_auth))
    portuguese, spanish = (
        pager.contact("Lisboa", verified=False),
        pager.contact("Madrid", verified=False),
    )
    _language(pager, f"/contacts/{spanish}", "es")
    voices = {
        contact: _record(pager, f"verify/{_send_code(pager, contact)}")["voice"]
        for contact in (portuguese, spanish)
    }
    # Brazilian Portuguese does not read Spanish: the Spanish code is in Spanish's own voice.
    assert voices == {portuguese: "pt-br", spanish: "es"}


def _unverified_member_number(pager: Pager) -> tuple[str, str, dict[str, str]]:
    """A member with a number of their own not verified yet: (user id, number id, their
    token's headers)."""
    member = seeded.member(pager.runtime, pager.org_id)
    number = seeded.contact(
        pager.runtime, pager.org_id, phone=uk_mobile(), name="Own", verified=False
    )
    with pager.runtime.database.write() as session:
        session.execute(update(Contact).where(Contact.id == number).values(user_id=member.user_id))
    return member.user_id, number, member.auth


def test_a_members_code_speaks_the_members_language_else_the_organizations(
    pager: Pager,
) -> None:
    ok(pager.client.patch(pager.org, json={"language": "de"}, headers=pager.user_auth))
    ana, ana_number, ana_auth = _unverified_member_number(pager)
    bo, bo_number, bo_auth = _unverified_member_number(pager)
    _language(pager, f"/people/{ana}", "it")

    spoken = {}
    for user, number, auth in ((ana, ana_number, ana_auth), (bo, bo_number, bo_auth)):
        methods = f"{pager.org}/people/{user}/methods/{number}"
        sent = ok(pager.client.post(f"{methods}/verify", headers=auth), 202)
        record = _record(pager, f"verify/{sent['verification_id']}")
        spoken[user] = (record["language"], record["voice"], record["spoken_text"])
        typed = code_heard(pager.data_dir, sent["verification_id"])
        assert typed is not None
        confirmed = {"code": typed, "verification_id": sent["verification_id"]}
        ok(pager.client.post(f"{methods}/verify/confirm", json=confirmed, headers=auth))
    assert spoken[ana][:2] == ("it", "it")
    assert spoken[ana][2].startswith("Buongiorno, qui Tocsin")
    assert spoken[bo][:2] == ("de", "de")
    assert spoken[bo][2].startswith("Guten Tag, hier ist Tocsin")


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_code_by_text_is_written_in_the_numbers_language_and_read_back(
    pager: Pager, code: str
) -> None:
    desk = pager.contact("Desk", verified=False)
    _language(pager, f"/contacts/{desk}", code)
    verification_id = _send_code(pager, desk, channel="sms")

    body = words_for(pager.data_dir, f"verify/{verification_id}")
    assert body is not None
    typed = code_heard(pager.data_dir, verification_id)
    assert typed is not None
    codes = CATALOGUE[code].codes
    who = codes.organization_briefly.format(name=ORG_NAME)
    text = codes.consent_text.format(code=typed, who=who)
    assert body == f"{text} {codes.opt_out_line}"
    # Whatever the language, a STOP in reply is the keyword.
    assert sms.keyword_of("STOP") == "STOP"
    _type_back(pager, desk, verification_id)


def test_a_caller_ids_code_speaks_the_organizations_language(pager: Pager) -> None:
    ok(pager.client.patch(pager.org, json={"language": "uk"}, headers=pager.user_auth))
    caller_ids = f"{pager.org}/caller-ids"
    added = ok(
        pager.client.post(caller_ids, json={"number": uk_mobile()}, headers=pager.user_auth), 201
    )
    sent = ok(pager.client.post(f"{caller_ids}/{added['id']}/code", headers=pager.user_auth), 202)
    record = _record(pager, f"verify/{sent['verification_id']}")
    typed = code_heard(pager.data_dir, sent["verification_id"])
    assert typed is not None
    said = CATALOGUE["uk"].codes.caller_id_call.format(digits=spoken_code(typed))
    assert (record["language"], record["voice"], record["spoken_text"]) == ("uk", "uk", said)
    proven = ok(
        pager.client.post(
            f"{caller_ids}/{added['id']}/confirm",
            json={"code": typed},
            headers=pager.user_auth,
        )
    )
    assert proven["proof"] == "code"


def _test_call_through_an_account(pager: Pager, contact_id: str) -> dict[str, Any]:
    """A test call to the contact through a simulator account of the organization, as the
    dashboard places it; the simulator's record of it."""
    account = rows.provider_account(pager.runtime, pager.org_id, "simulator")
    runtime = pager.runtime
    with runtime.database.write() as session:
        prepared = prepare_account_test(
            session,
            org_id=pager.org_id,
            account_id=account,
            contact_id=contact_id,
            providers=runtime.provider_directory(),
            settings=runtime.settings,
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
    [choice] = prepared.choices
    asyncio.run(choice.provider.dial(prepared.request_through(choice)))
    return _record(pager, prepared.request.idempotency_key)


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_test_call_speaks_the_contacts_language_with_its_voice(pager: Pager, code: str) -> None:
    desk = pager.contact("Desk")
    _language(pager, f"/contacts/{desk}", code)
    record = _test_call_through_an_account(pager, desk)

    words = CATALOGUE[code]
    assert (record["language"], record["voice"]) == (code, words.espeak_voice)
    assert record["spoken_text"] == words.test_call
    transcript, samples = _heard(pager, record)
    opening = f"{words.test_call} {words.menu}"
    assert f"TOCSIN: {opening}\n" in transcript
    # The simulator's callee presses 1, answered in the language; no alert is touched.
    assert f"TOCSIN: {words.acknowledged}" in transcript
    _said_in(samples, opening, code)


def test_a_test_call_to_a_contact_without_a_language_speaks_the_organizations(
    pager: Pager,
) -> None:
    ok(pager.client.patch(pager.org, json={"language": "es"}, headers=pager.user_auth))
    record = _test_call_through_an_account(pager, pager.contact("Desk"))
    assert (record["language"], record["voice"]) == ("es", "es")
    assert (
        record["spoken_text"]
        == "Esta es una llamada de prueba de Tocsin. No hay ninguna alerta abierta."
    )


def test_a_test_call_without_an_organization_speaks_english(pager: Pager) -> None:
    runtime = pager.runtime
    with runtime.database.write() as session:
        prepared = prepare_test_call(
            session,
            org_id=None,
            to=uk_mobile(),
            region=None,
            providers=runtime.provider_directory(),
            settings=runtime.settings,
            actor=SYSTEM,
            now=runtime.clock.now(),
        )
    assert (prepared.request.language, prepared.request.voice) == ("en", "en")
    assert prepared.request.spoken_text == "This is a test call from Tocsin. No alert is open."
