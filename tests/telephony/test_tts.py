import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tocsin.telephony.audio import Pcm, rms
from tocsin.telephony.tts import (
    MAX_SPOKEN_CHARACTERS,
    SpeechError,
    available_voices,
    speakable_text,
    synthesize,
)

SHORT_ALERT = "Disk full on db one"
LONG_ALERT = (
    "Disk full on db one. The primary database has stopped accepting writes, "
    "and replication to the standby is paused."
)
# espeak's default volume puts speech at an RMS of a few thousand.
SPEECH_RMS = 500.0


def assert_is_speech(pcm: Pcm, rate: int = 8000) -> None:
    assert pcm.rate == rate
    assert pcm.samples.dtype == np.int16
    assert pcm.samples.ndim == 1
    assert rms(pcm.samples) > SPEECH_RMS


def test_short_alert_is_one_to_five_seconds_of_speech() -> None:
    pcm = synthesize(SHORT_ALERT)
    assert_is_speech(pcm)
    assert 1.0 <= pcm.duration_seconds <= 5.0


def test_longer_text_gives_longer_audio() -> None:
    assert synthesize(LONG_ALERT).duration_seconds > 2 * synthesize(SHORT_ALERT).duration_seconds


def test_sample_rate_changes_rate_not_duration() -> None:
    narrowband = synthesize(SHORT_ALERT)
    wideband = synthesize(SHORT_ALERT, sample_rate=16000)
    assert_is_speech(wideband, rate=16000)
    assert wideband.duration_seconds == pytest.approx(narrowband.duration_seconds, abs=0.05)


def test_faster_speech_is_shorter() -> None:
    slow = synthesize(LONG_ALERT, words_per_minute=120)
    fast = synthesize(LONG_ALERT, words_per_minute=300)
    assert fast.duration_seconds < 0.6 * slow.duration_seconds


def test_rate_out_of_range_raises() -> None:
    with pytest.raises(SpeechError, match="words per minute"):
        synthesize(SHORT_ALERT, words_per_minute=10)
    with pytest.raises(SpeechError, match="words per minute"):
        synthesize(SHORT_ALERT, words_per_minute=1000)


@pytest.mark.parametrize("voice", ["klingon", "", "../../../../etc/passwd", "en+f3", "default"])
def test_unknown_voice_raises(voice: str) -> None:
    with pytest.raises(SpeechError, match="not available"):
        synthesize(SHORT_ALERT, voice=voice)


@pytest.mark.parametrize("text", ["", "   ", "\n\t\r", "\x00\x01\x1b"])
def test_nothing_to_say_raises(text: str) -> None:
    with pytest.raises(SpeechError, match="no text"):
        synthesize(text)


def test_available_voices() -> None:
    voices = available_voices()
    assert voices == sorted(voices)
    assert {"en", "en-us", "en-gb-x-rp", "fr", "de", "es"} <= set(voices)
    # The wheel ships voice files for these but not their dictionaries: they would be silent.
    assert not {"fo", "kaa", "xex"} & set(voices)


def test_every_available_voice_speaks() -> None:
    # Some languages (Cherokee, Chuvash, Sindarin) have no rules for digits, but all read Latin.
    for voice in available_voices():
        assert_is_speech(synthesize("hello 1 2 3", voice=voice))


def test_voice_names_are_case_insensitive() -> None:
    assert_is_speech(synthesize(SHORT_ALERT, voice=" EN-US "))


def test_control_characters_are_stripped() -> None:
    # Ctrl-A followed by e.g. "20S" would otherwise be an espeak speed command.
    assert speakable_text("disk\x01 20S full\non\tdb\x00one\x7f\x9b") == "disk 20S full on db one"
    assert speakable_text("lone \ud800surrogate") == "lone surrogate"


def test_markup_is_spoken_not_obeyed() -> None:
    # As SSML this would pause for 20 seconds; as text it is a few words.
    pcm = synthesize('Disk full <break time="20s"/> on db one')
    assert_is_speech(pcm)
    assert pcm.duration_seconds < 10


def test_text_within_the_limit_is_unchanged() -> None:
    text = "a" * MAX_SPOKEN_CHARACTERS
    assert speakable_text(text) == text


def test_over_long_text_is_truncated_at_a_word_boundary() -> None:
    text = "disk full on database server number one " * 100
    spoken = speakable_text(text)
    assert len(spoken) <= MAX_SPOKEN_CHARACTERS
    assert len(spoken) > MAX_SPOKEN_CHARACTERS - 20
    assert text.startswith(spoken)
    assert text[len(spoken)] == " "


def test_over_long_text_without_spaces_is_cut_at_the_limit() -> None:
    assert speakable_text("x" * 5000) == "x" * MAX_SPOKEN_CHARACTERS


def test_synthesis_of_over_long_text_is_bounded() -> None:
    text = "disk full on database server number one " * 100
    truncated = synthesize(text)
    assert_is_speech(truncated)
    assert truncated.duration_seconds == pytest.approx(
        synthesize(speakable_text(text)).duration_seconds, abs=0.5
    )


def test_concurrent_synthesis_gives_each_caller_its_own_audio() -> None:
    texts = [SHORT_ALERT, LONG_ALERT, "Checkout latency above two seconds", "Backup failed"]
    expected = [synthesize(text).duration_seconds for text in texts]
    start = threading.Barrier(len(texts))

    def speak(text: str) -> Pcm:
        start.wait()
        return synthesize(text)

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        results = list(pool.map(speak, texts))
    for pcm, duration in zip(results, expected, strict=True):
        assert_is_speech(pcm)
        # Interleaved output from another call would change the length by whole words.
        assert pcm.duration_seconds == pytest.approx(duration, abs=0.05)
