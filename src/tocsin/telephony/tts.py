"""Offline text-to-speech with the espeak-ng library bundled in the espeakng-loader wheel.

espeak-ng keeps all of its state in globals (current voice, speech rate, output callback),
so every call into it happens under one process-wide lock, and the library is initialised
once, on first use.
"""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path

import espeakng_loader
import numpy as np

from tocsin.telephony.audio import Pcm, Samples, resample

MAX_SPOKEN_CHARACTERS = 1000
MIN_WORDS_PER_MINUTE = 80
MAX_WORDS_PER_MINUTE = 450

# Constants from espeak-ng's speak_lib.h.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # without it a missing data directory calls exit()
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAMETER_RATE = 1
_EE_OK = 0
# espeak-ng 1.52 copies the data path into a 160-byte buffer, and a truncated path makes it
# fall back to the wheel's build-time path, which does not exist here.
_MAX_DATA_PATH_BYTES = 159

# Less audio than this means espeak found nothing it could pronounce (".", or digits in a
# language without number rules); a silent alert call is worse than an error.
_MIN_SPEECH_SECONDS = 0.05

# Ctrl-A starts an espeak "embedded command" (speed, volume, voice changes) even outside SSML,
# so no control character may reach espeak; they become spaces so "a\nb" stays two words.
_CONTROL_CHARACTERS_TO_SPACE = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)], " ")

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class SpeechError(Exception):
    """Speech could not be produced; the message is safe to show to a user."""


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def _declare(library: ctypes.CDLL) -> None:
    library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    library.espeak_Initialize.restype = ctypes.c_int
    library.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    library.espeak_SetSynthCallback.restype = None
    library.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    library.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
    library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    library.espeak_SetVoiceByName.restype = ctypes.c_int
    library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    library.espeak_SetParameter.restype = ctypes.c_int
    library.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    library.espeak_Synth.restype = ctypes.c_int
    library.espeak_Synchronize.argtypes = []
    library.espeak_Synchronize.restype = ctypes.c_int


def _dictionary_name(voice_file: Path) -> str | None:
    """The pronunciation dictionary a voice file selects, by espeak-ng's own rule: a
    `dictionary` line, else the first `language` line's code up to its first hyphen."""
    dictionary = None
    for line in voice_file.read_text(encoding="utf-8", errors="replace").splitlines():
        words = line.split()
        if len(words) < 2:
            continue
        if words[0] == "dictionary":
            dictionary = words[1]
        elif words[0] == "language" and dictionary is None and words[1] != "variant":
            dictionary = words[1].split("-")[0]
    return dictionary


def _speakable(data_dir: Path, identifier: str) -> bool:
    # espeak-ng reports success for voices whose dictionary is missing from the wheel
    # (e.g. Faroese) and then speaks silence, so check for the dictionary ourselves.
    for folder in ("voices", "lang"):
        voice_file = data_dir / folder / identifier
        if voice_file.is_file():
            dictionary = _dictionary_name(voice_file)
            return dictionary is not None and (data_dir / f"{dictionary}_dict").is_file()
    return False


class _Engine:
    """The initialised espeak-ng library. Only use it while holding `_lock`."""

    def __init__(self) -> None:
        data_dir = Path(espeakng_loader.get_data_path())
        if not (data_dir / "phontab").is_file():
            raise SpeechError("The speech engine's data files are missing.")
        data_path = str(data_dir).encode()
        if len(data_path) > _MAX_DATA_PATH_BYTES:
            raise SpeechError(
                f"The speech engine is installed under a path longer than "
                f"{_MAX_DATA_PATH_BYTES} bytes, which espeak-ng cannot use."
            )
        try:
            self._library = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as error:
            raise SpeechError("The speech engine could not be loaded.") from error
        _declare(self._library)
        # This also switches the whole process's LC_CTYPE to C.UTF-8, which espeak-ng needs
        # for non-ASCII text, so it is deliberately not restored.
        self.sample_rate = self._library.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, _INITIALIZE_DONT_EXIT
        )
        if self.sample_rate <= 0:
            raise SpeechError("The speech engine could not be initialised.")
        self._chunks: list[bytes] = []
        # Held on the instance: the C library keeps only a raw pointer to the callback.
        self._callback = _SynthCallback(self._collect)
        self._library.espeak_SetSynthCallback(self._callback)
        self.voices = self._list_voices(data_dir)
        if not self.voices:
            raise SpeechError("The speech engine has no usable voices.")

    def _collect(
        self, samples: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None
    ) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * ctypes.sizeof(ctypes.c_short)))
        return 0  # 0 = keep synthesising

    def _list_voices(self, data_dir: Path) -> frozenset[str]:
        entries = self._library.espeak_ListVoices(None)
        names = set()
        index = 0
        while entries[index]:
            identifier = entries[index].contents.identifier.decode()
            if _speakable(data_dir, identifier):
                # espeak_SetVoiceByName matches the voice file's name, case-insensitively.
                names.add(identifier.rsplit("/", 1)[-1].lower())
            index += 1
        return frozenset(names)

    def speak(self, text: str, voice: str, words_per_minute: int) -> Samples:
        if self._library.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
            raise SpeechError(f"The voice {voice!r} could not be loaded.")
        if self._library.espeak_SetParameter(_PARAMETER_RATE, words_per_minute, 0) != _EE_OK:
            raise SpeechError("The speech rate could not be set.")
        encoded = text.encode()
        self._chunks = []
        status = self._library.espeak_Synth(
            encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        if status == _EE_OK:
            status = self._library.espeak_Synchronize()
        audio = b"".join(self._chunks)
        self._chunks = []
        if status != _EE_OK:
            raise SpeechError("The speech engine failed to synthesise the text.")
        return np.frombuffer(audio, dtype=np.int16).copy()


_lock = threading.Lock()
_engine: _Engine | None = None


def _get_engine() -> _Engine:
    """Return the engine, initialising it on first use; call with `_lock` held."""
    global _engine
    if _engine is None:
        _engine = _Engine()
    return _engine


def speakable_text(text: str) -> str:
    """Return the text as it would be spoken: control characters removed, whitespace
    collapsed, and cut at a word boundary to at most MAX_SPOKEN_CHARACTERS characters."""
    without_controls = text.translate(_CONTROL_CHARACTERS_TO_SPACE)
    # Lone surrogates cannot be encoded as UTF-8 for espeak; dropping them loses nothing.
    encodable = without_controls.encode("utf-8", errors="ignore").decode("utf-8")
    collapsed = " ".join(encodable.split())
    if len(collapsed) <= MAX_SPOKEN_CHARACTERS:
        return collapsed
    head = collapsed[: MAX_SPOKEN_CHARACTERS + 1]
    boundary = head.rfind(" ")
    return head[:boundary] if boundary > 0 else head[:MAX_SPOKEN_CHARACTERS]


def available_voices() -> list[str]:
    """Names accepted by `synthesize(voice=...)`, sorted; e.g. "en", "en-us", "fr"."""
    with _lock:
        return sorted(_get_engine().voices)


def synthesize(
    text: str, *, voice: str = "en", words_per_minute: int = 160, sample_rate: int = 8000
) -> Pcm:
    """Speak `text` with an espeak-ng voice; returns 16-bit mono PCM at `sample_rate`.

    The text is plain data: never SSML, never phoneme input. Raises SpeechError if there is
    nothing to say, the voice or rate is not supported, or the engine fails.
    """
    if sample_rate <= 0:
        raise ValueError("sample_rate must be positive")
    if not MIN_WORDS_PER_MINUTE <= words_per_minute <= MAX_WORDS_PER_MINUTE:
        raise SpeechError(
            f"The speech rate must be between {MIN_WORDS_PER_MINUTE} and "
            f"{MAX_WORDS_PER_MINUTE} words per minute."
        )
    spoken = speakable_text(text)
    if not spoken:
        raise SpeechError("There is no text to speak.")
    voice_name = voice.strip().lower()
    with _lock:
        engine = _get_engine()
        if voice_name not in engine.voices:
            raise SpeechError(f"The voice {voice!r} is not available.")
        native = engine.speak(spoken, voice_name, words_per_minute)
        native_rate = engine.sample_rate
    if native.size < _MIN_SPEECH_SECONDS * native_rate:
        raise SpeechError("The speech engine produced no audio for this text.")
    return Pcm(resample(native, native_rate, sample_rate), sample_rate)
