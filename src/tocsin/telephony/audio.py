"""Telephony audio: resampling, G.711 companding and 16-bit mono WAV files.

Samples are always 1-D numpy int16 arrays; raw PCM given as bytes is little-endian,
as in WAV files and RTP payloads.
"""

from __future__ import annotations

import functools
import math
import os
import wave
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]

# The band from 85% to 100% of the slower rate's Nyquist frequency is the filter's transition
# band, so the stopband starts exactly where aliasing would begin; at 8 kHz the passband edge
# is 3.4 kHz, the top of the classic telephone band.
_PASSBAND_EDGE = 0.85
_STOPBAND_EDGE = 1.0
# Just below the noise floor of 16-bit audio, so aliases are inaudible.
_STOPBAND_ATTENUATION_DB = 80.0


@dataclass(frozen=True, eq=False)
class Pcm:
    """16-bit mono PCM audio. Compared by identity: element-wise array equality is ambiguous."""

    samples: Samples
    rate: int

    def __post_init__(self) -> None:
        if self.samples.dtype != np.int16 or self.samples.ndim != 1:
            raise ValueError("Pcm samples must be a 1-D int16 array")
        if self.rate <= 0:
            raise ValueError("Pcm rate must be positive")

    @property
    def duration_seconds(self) -> float:
        return self.samples.size / self.rate


def as_samples(pcm: bytes | Samples) -> Samples:
    """Return 1-D int16 samples from an int16 array or little-endian 16-bit bytes."""
    if isinstance(pcm, bytes | bytearray | memoryview):
        raw = bytes(pcm)
        if len(raw) % 2:
            raise ValueError("16-bit PCM must have an even number of bytes")
        return np.frombuffer(raw, dtype="<i2").astype(np.int16)
    samples = np.asarray(pcm)
    if samples.dtype != np.int16:
        raise TypeError(f"expected int16 samples, got {samples.dtype}")
    if samples.ndim != 1:
        raise ValueError("expected mono (1-D) samples")
    return samples


def rms(samples: bytes | Samples) -> float:
    """Root-mean-square level in sample units (0 for silence, about 23170 for a full-scale sine)."""
    values = as_samples(samples).astype(np.float64)
    if values.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(values * values)))


@functools.lru_cache(maxsize=4)
def _polyphase_filter(up: int, down: int) -> tuple[npt.NDArray[np.float64], int]:
    """Kaiser-windowed sinc low-pass for rational resampling, split into its `up` phases.

    Returns a (taps_per_phase, up) table, where column p holds the taps used for outputs that
    fall on phase p of the upsampled stream, and the filter's delay in upsampled samples.
    """
    nyquist = 0.5 / max(up, down)  # of the slower rate, in cycles per upsampled sample
    transition = (_STOPBAND_EDGE - _PASSBAND_EDGE) * nyquist
    # Kaiser's estimates of the length and shape needed for the attenuation.
    half_length = math.ceil((_STOPBAND_ATTENUATION_DB - 7.95) / (14.36 * transition) / 2)
    beta = 0.1102 * (_STOPBAND_ATTENUATION_DB - 8.7)
    cutoff = (_PASSBAND_EDGE + _STOPBAND_EDGE) / 2 * nyquist
    n = np.arange(-half_length, half_length + 1, dtype=np.float64)
    taps = np.sinc(2 * cutoff * n) * np.kaiser(n.size, beta)
    # Zero-stuffing divides the level by `up`; scaling the unity-gain filter by `up` restores it.
    taps *= up / taps.sum()
    per_phase = -(-taps.size // up)
    flat = np.zeros(per_phase * up, dtype=np.float64)
    flat[: taps.size] = taps
    table = flat.reshape(per_phase, up)
    table.flags.writeable = False
    return table, half_length


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """Resample by the rational factor to_rate/from_rate with an anti-aliasing low-pass.

    Equivalent to zero-stuffing by `up`, low-pass filtering and keeping every `down`-th
    sample, but only the kept samples are computed (polyphase). Output is delay-compensated,
    so it stays time-aligned with the input, and has ceil(len * to_rate / from_rate) samples.
    """
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError("sample rates must be positive")
    source = as_samples(samples)
    if from_rate == to_rate or source.size == 0:
        return source.copy()
    common = math.gcd(from_rate, to_rate)
    up, down = to_rate // common, from_rate // common
    table, delay = _polyphase_filter(up, down)
    per_phase = table.shape[0]

    output_count = -(-source.size * up // down)
    padded = np.zeros(source.size + 2 * per_phase, dtype=np.float64)
    padded[per_phase : per_phase + source.size] = source
    # windows[i] @ reversed_taps[:, p] is phase p's filter output whose newest input sample is
    # padded[i + per_phase - 1], that is source[i - 1].
    windows = np.lib.stride_tricks.sliding_window_view(padded, per_phase)
    reversed_taps = table[::-1]
    result = np.empty(output_count, dtype=np.float64)
    # Outputs j, j + up, j + 2 * up, ... share a filter phase and step `down` inputs apart,
    # so each of the `up` interleaved streams is one matrix-vector product.
    for first in range(min(up, output_count)):
        position = first * down + delay
        start = position // up + 1
        stream = result[first::up]
        stream[:] = windows[start::down][: stream.size] @ reversed_taps[:, position % up]
    return np.clip(np.rint(result), -32768, 32767).astype(np.int16)


# Bit lengths of 0..2047, the largest magnitude either G.711 law looks up.
_BIT_LENGTH = np.array([value.bit_length() for value in range(2048)], dtype=np.int32)


def _magnitude_and_sign(
    pcm: bytes | Samples,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    values = as_samples(pcm).astype(np.int32)
    # G.191's reference code takes the one's complement of negatives, so -1 codes like 0.
    return np.where(values < 0, ~values, values), values >= 0


def pcm_to_ulaw(pcm: bytes | Samples) -> bytes:
    """Encode 16-bit linear PCM to G.711 mu-law, bit-exact with the ITU-T G.191 reference."""
    magnitude, positive = _magnitude_and_sign(pcm)
    biased = np.minimum((magnitude >> 2) + 33, 0x1FFF)
    segment = _BIT_LENGTH[biased >> 6] + 1
    high = 8 - segment
    low = 15 - ((biased >> segment) & 0xF)
    code: npt.NDArray[np.int32] = (high << 4) | low | np.where(positive, 0x80, 0)
    return code.astype(np.uint8).tobytes()


def pcm_to_alaw(pcm: bytes | Samples) -> bytes:
    """Encode 16-bit linear PCM to G.711 A-law, bit-exact with the ITU-T G.191 reference."""
    magnitude, positive = _magnitude_and_sign(pcm)
    level = magnitude >> 4
    exponent = np.maximum(_BIT_LENGTH[level] - 4, 0)
    mantissa = np.where(exponent == 0, level, (level >> np.maximum(exponent - 1, 0)) - 16)
    code: npt.NDArray[np.int32] = ((exponent << 4) + mantissa) | np.where(positive, 0x80, 0)
    return (code ^ 0x55).astype(np.uint8).tobytes()


def _ulaw_decode_table() -> Samples:
    code = np.arange(256, dtype=np.int32)
    sign = np.where(code < 0x80, -1, 1)
    inverted = ~code & 0xFF
    exponent = (inverted >> 4) & 0x7
    step = 4 << (exponent + 1)
    magnitude: npt.NDArray[np.int32] = (
        (0x80 << exponent) + step * (inverted & 0xF) + step // 2 - 4 * 33
    )
    return (sign * magnitude).astype(np.int16)


def _alaw_decode_table() -> Samples:
    code = np.arange(256, dtype=np.int32)
    level = (code ^ 0x55) & 0x7F
    exponent = level >> 4
    mantissa = (level & 0xF) + np.where(exponent > 0, 16, 0)
    magnitude: npt.NDArray[np.int32] = ((mantissa << 4) + 8) << np.maximum(exponent - 1, 0)
    return np.where(code > 127, magnitude, -magnitude).astype(np.int16)


_ULAW_TO_PCM = _ulaw_decode_table()
_ALAW_TO_PCM = _alaw_decode_table()


def ulaw_to_pcm(data: bytes) -> Samples:
    """Decode G.711 mu-law bytes to 16-bit linear PCM."""
    return _ULAW_TO_PCM[np.frombuffer(data, dtype=np.uint8)]


def alaw_to_pcm(data: bytes) -> Samples:
    """Decode G.711 A-law bytes to 16-bit linear PCM."""
    return _ALAW_TO_PCM[np.frombuffer(data, dtype=np.uint8)]


def write_wav(path: str | os.PathLike[str] | BinaryIO, samples: bytes | Samples, rate: int) -> None:
    """Write 16-bit mono PCM to a WAV file, named or already open."""
    if rate <= 0:
        raise ValueError("sample rate must be positive")
    frames = as_samples(samples).astype("<i2").tobytes()
    target = os.fspath(path) if isinstance(path, str | os.PathLike) else path
    with wave.open(target, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)


def read_wav(path: str | os.PathLike[str]) -> tuple[Samples, int]:
    """Read a 16-bit mono PCM WAV file; returns (samples, rate)."""
    with wave.open(os.fspath(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(
                f"expected 16-bit mono WAV, got {wav.getnchannels()} channel(s) "
                f"of {8 * wav.getsampwidth()}-bit samples"
            )
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    return as_samples(frames), rate
