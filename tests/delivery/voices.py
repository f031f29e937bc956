"""Which espeak-ng voice said a WAV the simulator wrote.

espeak-ng does not repeat itself to the sample (the same text and voice differ by a few samples
from one synthesis to the next), so a WAV is matched to a voice by its length and its average
spectrum (`unlikeness`): the same voice is within 0.003 of its own, another voice of the
catalogue 0.03 or more away.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tocsin.telephony import tts
from tocsin.telephony.prompts import CATALOGUE, LANGUAGES


def _spectrum(samples: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    frame = 256
    frames = len(samples) // frame
    windows = samples[: frames * frame].astype(float).reshape(frames, frame) * np.hanning(frame)
    level = np.log(np.abs(np.fft.rfft(windows, axis=1)).mean(axis=0) + 1e-3)
    level -= level.mean()
    normalised: np.ndarray[Any, Any] = level / np.linalg.norm(level)
    return normalised


def unlikeness(heard: np.ndarray[Any, Any], text: str, voice: str) -> float:
    """How far `heard` is from `text` said by `voice`: 0 for the same audio."""
    said = tts.synthesize(text, voice=voice).samples
    length = abs(len(heard) - len(said)) / len(said)
    return length + 1 - float(_spectrum(heard) @ _spectrum(said))


def nearest_voice(heard: np.ndarray[Any, Any], text: str) -> tuple[str, float]:
    """The catalogue's voice that says `text` most like `heard`, and how unlike."""
    voices = [CATALOGUE[code].espeak_voice for code in LANGUAGES]
    return min(((voice, unlikeness(heard, text, voice)) for voice in voices), key=lambda x: x[1])
