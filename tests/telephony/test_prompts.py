"""The catalogue of a call's fixed words: every language complete, translated, and keyed alike."""

from __future__ import annotations

import re
import string
from dataclasses import fields

import pytest

from tocsin.core.errors import InvalidInput
from tocsin.telephony import tts
from tocsin.telephony.dialogue import CallScript
from tocsin.telephony.prompts import (
    CATALOGUE,
    ENGLISH,
    LANGUAGES,
    CodeWords,
    Prompts,
    check_language,
    locale_matching,
    prompts_for,
    resolve_language,
    voice_for,
)
from tocsin.telephony.script import Key, Then, replies, reply_to

SPOKEN_FIELDS = [
    f.name
    for f in fields(Prompts)
    if f.name not in ("code", "name", "native_name", "espeak_voice", "locale", "numbers", "codes")
]
OTHERS = [code for code in LANGUAGES if code != "en"]
CODE_FIELDS = [f.name for f in fields(CodeWords)]

# Words of the English prompts that would only be in a translation by mistake (none is a word
# of the other seven languages: "message", French too, is not listed).
ENGLISH_WORDS = {
    "press", "pressing", "acknowledge", "acknowledged", "acknowledges", "resolve", "resolved",
    "stop", "calls", "called", "repeat", "star", "again", "back", "thank", "you",
    "goodbye", "sorry", "key", "does", "nothing", "this", "has", "been", "dealt", "with",
    "already", "open", "alerts", "organization", "will", "not", "the", "and", "all", "one",
    "two", "three", "four", "five",
}  # fmt: skip


# The same for a verification code's words and the test call ("code", "test", "service",
# "ignore", "no", "in", "an", "as" and "to" are words of other languages of the catalogue too).
ENGLISH_CODE_WORDS = {
    "hello", "this", "alerting", "asked", "send", "alert", "calls", "number", "if", "you",
    "agreed", "that", "your", "verification", "again", "did", "not", "call", "stop", "all",
    "from", "visit", "typing", "it", "proves", "may", "be", "shown", "the", "caller", "of",
    "placed", "through", "ask", "for", "reply", "opt", "out", "organization", "on", "open",
}  # fmt: skip


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[^\W\d_]+", text)}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_catalogue_has_the_eight_languages_the_issue_names() -> None:
    assert set(LANGUAGES) >= {"en", "es", "fr", "de", "pt", "it", "pl", "uk"}
    assert all(CATALOGUE[code].code == code for code in LANGUAGES)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_has_every_prompt(code: str) -> None:
    prompts = CATALOGUE[code]
    for name in SPOKEN_FIELDS:
        assert getattr(prompts, name).strip(), f"{code}.{name} is empty"
    assert all(number.strip() for number in prompts.numbers)
    assert prompts.name
    assert prompts.native_name
    assert prompts.locale.split("-")[0] == code


@pytest.mark.parametrize("code", OTHERS)
@pytest.mark.parametrize("name", SPOKEN_FIELDS)
def test_a_translation_keeps_the_keys_and_placeholders_of_the_english(code: str, name: str) -> None:
    english, translated = getattr(ENGLISH, name), getattr(CATALOGUE[code], name)
    # The same keys, in the same order: the callee presses what they hear.
    assert re.findall(r"\d", translated) == re.findall(r"\d", english)
    assert _placeholders(translated) == _placeholders(english)
    assert translated != english


@pytest.mark.parametrize("code", OTHERS)
def test_a_translation_has_no_english_left_in_it(code: str) -> None:
    prompts = CATALOGUE[code]
    texts = [getattr(prompts, name) for name in SPOKEN_FIELDS] + list(prompts.numbers)
    leftovers = {word for text in texts for word in _words(text)} & ENGLISH_WORDS
    assert leftovers == set()


def _latin_left(text: str) -> bool:
    """Whether `text` has Latin letters besides its placeholders, Tocsin's name and the
    keyword STOP (which carriers read in English whatever the language)."""
    return bool(re.search(r"[A-Za-z]", re.sub(r"\{\w+\}|Tocsin|STOP", "", text)))


def test_ukrainian_is_written_in_cyrillic() -> None:
    prompts = CATALOGUE["uk"]
    for name in SPOKEN_FIELDS:
        assert not _latin_left(getattr(prompts, name)), name
    for name in CODE_FIELDS:
        assert not _latin_left(getattr(prompts.codes, name)), name


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_names_the_star_key_in_its_own_words(code: str) -> None:
    star = {
        "en": "star",
        "es": "asterisco",
        "fr": "étoile",
        "de": "sterntaste",
        "pt": "asterisco",
        "it": "asterisco",
        "pl": "gwiazdkę",
        "uk": "зірочку",
    }[code]
    prompts = CATALOGUE[code]
    assert star in _words(prompts.menu)
    assert star in _words(prompts.stop_question)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_has_an_espeak_voice_that_exists(code: str) -> None:
    assert CATALOGUE[code].espeak_voice in tts.available_voices()


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_bundle_words_fill_in_their_numbers(code: str) -> None:
    prompts = CATALOGUE[code]
    assert "3" in prompts.open_alerts.format(count=3)
    assert "3" in prompts.acknowledges_all.format(count=3)
    assert prompts.numbers[1] in prompts.alert_label(1)
    assert "7" in prompts.alert_label(6)


@pytest.mark.parametrize(
    "keys", ["1", "2", "9", "99", "*", "5", "9*", "95", "91", "92", "9*99", "959", "5*1"]
)
@pytest.mark.parametrize("code", OTHERS)
def test_a_key_does_the_same_in_every_language(keys: str, code: str) -> None:
    english, translated = list(replies(keys)), list(replies(keys, code))
    assert [(r.effect, r.then) for r in translated] == [(r.effect, r.then) for r in english]


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_dialogue_speaks_the_calls_language(code: str) -> None:
    words = CATALOGUE[code]
    assert reply_to("1", code).says == words.acknowledged
    assert reply_to("2", code).says == words.resolved
    assert reply_to("9", code).says == words.stop_question
    assert reply_to("99", code).says == words.stopped
    assert reply_to("5", code).says == words.unknown_key
    # The alert is read as written; the menu after it is the call's.
    assert reply_to("*", code).text("Disk full on db1.") == f"Disk full on db1. {words.menu}"
    assert reply_to("5", code).then is Then.PROMPT
    assert reply_to("1", code).effect is Key.ACKNOWLEDGE


def test_a_rest_call_says_goodbye_and_closed_in_its_language() -> None:
    spanish = CallScript("Disco lleno.", keys="", offers_menu=True, language="es")
    assert spanish.first_turn().text == f"Disco lleno. {CATALOGUE['es'].menu}"
    assert spanish.first_turn().language == "es"
    assert spanish.next_turn("1", 0).text == CATALOGUE["es"].acknowledged
    assert spanish.next_turn("", 3).text == CATALOGUE["es"].goodbye
    closed = CallScript("Disco lleno.", keys="", offers_menu=True, closed=True, language="pl")
    assert closed.first_turn().text == CATALOGUE["pl"].closed_elsewhere


@pytest.mark.parametrize(
    ("given", "expected"), [("es", "es"), ("uk", "uk"), ("pt", "pt"), ("en", "en")]
)
def test_a_known_language_code_is_accepted(given: str, expected: str) -> None:
    assert check_language(given) == expected


@pytest.mark.parametrize("given", ["xx", "", "english", "es-ES", "ES", " es", "ru"])
def test_an_unknown_language_code_is_refused_with_the_list(given: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_language(given)
    assert refused.value.code == "unknown_language"
    assert refused.value.status_code == 422
    assert refused.value.details is not None
    assert refused.value.details["languages"] == list(LANGUAGES)


@pytest.mark.parametrize(
    ("contact", "member", "org", "expected"),
    [
        ("de", "fr", "es", "de"),  # the contact's first
        (None, "fr", "es", "fr"),  # else the member's
        (None, None, "es", "es"),  # else the organization's
        ("", None, "it", "it"),  # an empty override is no override
        ("xx", "pl", "es", "pl"),  # a code no longer known is skipped
        (None, None, None, "en"),
    ],
)
def test_the_call_language_is_the_most_specific_one_set(
    contact: str | None, member: str | None, org: str | None, expected: str
) -> None:
    assert resolve_language([contact, member, org]) == expected


@pytest.mark.parametrize(
    ("language", "preferred", "expected"),
    [
        ("en", "en-us", "en-us"),  # the organization's voice speaks its own language
        ("pt", "pt-br", "pt-br"),
        ("es", "en-us", "es"),  # not Spanish: the language's own voice speaks
        ("uk", None, "uk"),
        ("de", "", "de"),
        ("en", "fr", "en"),
    ],
)
def test_the_voice_is_the_organizations_only_when_it_speaks_the_language(
    language: str, preferred: str | None, expected: str
) -> None:
    assert voice_for(language, preferred) == expected


@pytest.mark.parametrize(
    ("language", "configured", "expected"),
    [("en", "en-GB", "en-GB"), ("pt", "pt-BR", "pt-BR"), ("es", "en-US", "es-ES")],
)
def test_a_providers_configured_locale_holds_for_its_own_language(
    language: str, configured: str, expected: str
) -> None:
    assert locale_matching(language, configured) == expected


def test_an_unknown_language_reads_english() -> None:
    assert prompts_for("xx") is ENGLISH
    assert prompts_for(None) is ENGLISH


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_language_has_every_word_of_a_code_and_a_test_call(code: str) -> None:
    words = CATALOGUE[code].codes
    for name in CODE_FIELDS:
        assert getattr(words, name).strip(), f"{code}.codes.{name} is empty"
    assert CATALOGUE[code].test_call.strip()
    # The keyword is the one carriers and `messages.sms.keyword_of` know, in every language.
    assert re.search(r"\bSTOP\b", words.opt_out_line)


@pytest.mark.parametrize("code", OTHERS)
@pytest.mark.parametrize("name", CODE_FIELDS)
def test_a_codes_translation_keeps_the_placeholders_and_numbers_of_the_english(
    code: str, name: str
) -> None:
    english, translated = getattr(ENGLISH.codes, name), getattr(CATALOGUE[code].codes, name)
    # The code is said where {digits} is, twice in a call, and lives 15 minutes in every text.
    assert sorted(re.findall(r"\{\w+\}", translated)) == sorted(re.findall(r"\{\w+\}", english))
    assert re.findall(r"\d+", translated) == re.findall(r"\d+", english)
    assert translated != english


@pytest.mark.parametrize("code", OTHERS)
def test_a_codes_translation_has_no_english_left_in_it(code: str) -> None:
    words = CATALOGUE[code].codes
    texts = [getattr(words, name) for name in CODE_FIELDS] + [CATALOGUE[code].test_call]
    said = {word for text in texts for word in _words(re.sub(r"\{\w+\}|STOP", "", text))}
    assert said & ENGLISH_CODE_WORDS == set()


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_code_names_the_organization_as_a_sentence_of_its_language_can_say_it(
    code: str,
) -> None:
    """`{who}` is a named organization or any organization, in the same sentences: each opens
    a sentence with a capital letter and neither is the other."""
    words = CATALOGUE[code].codes
    for who in (words.organization, words.organization_briefly, words.any_organization):
        said = who.format(name="Acme")
        assert said[0].isupper(), who
    assert "{name}" in words.organization
    assert "{name}" in words.organization_briefly
    assert "{name}" not in words.any_organization
    for sentence in (words.consent_call, words.consent_text):
        assert re.search(r"(^|[.?!] )\{who\}", sentence), sentence
