import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tocsin.telephony.audio import (
    Pcm,
    alaw_to_pcm,
    pcm_to_alaw,
    pcm_to_ulaw,
    read_wav,
    resample,
    rms,
    ulaw_to_pcm,
    write_wav,
)

EVERY_SAMPLE = np.arange(-32768, 32768, dtype=np.int16)


def tone(
    frequency: float, rate: int, seconds: float = 1.0, amplitude: float = 10000.0
) -> npt.NDArray[np.int16]:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def middle(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """Drop the filter's start-up and tail transients from an abruptly started tone."""
    margin = samples.size // 10
    return samples[margin:-margin]


def peak_frequency(samples: npt.NDArray[np.int16], rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


# Scalar ports of the ITU-T G.191 reference encoders (g711.c), to check the vectorised ones.
def reference_ulaw(value: int) -> int:
    magnitude = ((~value) >> 2) + 33 if value < 0 else (value >> 2) + 33
    magnitude = min(magnitude, 0x1FFF)
    segment, rest = 1, magnitude >> 6
    while rest:
        segment += 1
        rest >>= 1
    code = ((8 - segment) << 4) | (15 - ((magnitude >> segment) & 0xF))
    return code | 0x80 if value >= 0 else code


def reference_alaw(value: int) -> int:
    level = (~value) >> 4 if value < 0 else value >> 4
    if level > 15:
        exponent = 1
        while level > 31:
            level >>= 1
            exponent += 1
        level = level - 16 + (exponent << 4)
    if value >= 0:
        level |= 0x80
    return level ^ 0x55


def test_ulaw_known_code_points() -> None:
    assert pcm_to_ulaw(np.array([0, 32767, -32768, -1], dtype=np.int16)) == bytes(
        [0xFF, 0x80, 0x00, 0x7F]
    )
    assert ulaw_to_pcm(bytes([0xFF, 0x7F, 0x80, 0x00])).tolist() == [0, 0, 32124, -32124]


def test_alaw_known_code_points() -> None:
    assert pcm_to_alaw(np.array([0, 32767, -32768, -1], dtype=np.int16)) == bytes(
        [0xD5, 0xAA, 0x2A, 0x55]
    )
    assert alaw_to_pcm(bytes([0xD5, 0x55, 0xAA, 0x2A])).tolist() == [8, -8, 32256, -32256]


def test_ulaw_matches_g191_reference_for_every_sample() -> None:
    expected = bytes(reference_ulaw(int(value)) for value in EVERY_SAMPLE)
    assert pcm_to_ulaw(EVERY_SAMPLE) == expected


def test_alaw_matches_g191_reference_for_every_sample() -> None:
    expected = bytes(reference_alaw(int(value)) for value in EVERY_SAMPLE)
    assert pcm_to_alaw(EVERY_SAMPLE) == expected


def test_ulaw_round_trip_is_within_half_a_quantisation_step() -> None:
    decoded = ulaw_to_pcm(pcm_to_ulaw(EVERY_SAMPLE)).astype(np.int64)
    original = EVERY_SAMPLE.astype(np.int64)
    in_range = np.abs(original) <= 32124
    # A mu-law segment starting at magnitude m has steps of about (m + 132) / 16.
    error = np.abs(decoded - original)[in_range]
    assert np.all(error <= (np.abs(original[in_range]) + 132) / 32)
    assert np.all(np.abs(decoded[~in_range]) == 32124)


def test_alaw_round_trip_is_within_half_a_quantisation_step() -> None:
    decoded = alaw_to_pcm(pcm_to_alaw(EVERY_SAMPLE)).astype(np.int64)
    original = EVERY_SAMPLE.astype(np.int64)
    # A-law steps are 16 below magnitude 512 and m / 16 in a segment starting at m above it.
    bound = np.maximum(8, np.abs(original) / 32)
    assert np.all(np.abs(decoded - original) <= bound)


def test_companding_accepts_little_endian_bytes() -> None:
    raw = np.array([0, 1000, -1000, 32767], dtype="<i2").tobytes()
    samples = np.array([0, 1000, -1000, 32767], dtype=np.int16)
    assert pcm_to_ulaw(raw) == pcm_to_ulaw(samples)
    assert pcm_to_alaw(raw) == pcm_to_alaw(samples)


def test_companding_rejects_malformed_input() -> None:
    with pytest.raises(ValueError, match="even number"):
        pcm_to_ulaw(b"\x00\x00\x00")
    with pytest.raises(TypeError, match="int16"):
        pcm_to_alaw(np.zeros(4, dtype=np.float64))


def test_decoded_tone_survives_companding() -> None:
    original = tone(1000, 8000)
    for decoded in (ulaw_to_pcm(pcm_to_ulaw(original)), alaw_to_pcm(pcm_to_alaw(original))):
        assert decoded.size == original.size
        assert peak_frequency(decoded, 8000) == pytest.approx(1000, abs=2)
        assert rms(decoded) == pytest.approx(rms(original), rel=0.02)


def test_resample_keeps_a_1khz_tone_at_1khz() -> None:
    original = tone(1000, 22050)
    resampled = resample(original, 22050, 8000)
    assert resampled.dtype == np.int16
    assert resampled.size == 8000
    assert peak_frequency(resampled, 8000) == pytest.approx(1000, abs=2)
    assert rms(middle(resampled)) == pytest.approx(rms(middle(original)), rel=0.01)


@pytest.mark.parametrize("frequency", [4100, 6000, 10000])
def test_resample_removes_tones_above_the_new_nyquist_frequency(frequency: int) -> None:
    # Plain decimation would fold 6 kHz down to an audible 2 kHz at full strength.
    original = tone(frequency, 22050)
    resampled = resample(original, 22050, 8000)
    assert rms(middle(resampled)) < rms(original) * 10 ** (-60 / 20)


def test_resample_passes_the_telephone_band() -> None:
    for frequency in (300, 2000, 3400):
        original = tone(frequency, 22050)
        resampled = resample(original, 22050, 8000)
        assert rms(middle(resampled)) == pytest.approx(rms(middle(original)), rel=0.01)


def test_resample_up_then_down_is_time_aligned() -> None:
    original = tone(440, 8000)
    round_trip = resample(resample(original, 8000, 22050), 22050, 8000)
    assert round_trip.size == original.size
    error = np.abs(middle(round_trip).astype(np.int64) - middle(original))
    assert error.max() <= 4


def test_resample_preserves_a_constant_level() -> None:
    resampled = resample(np.full(4000, 1234, dtype=np.int16), 8000, 22050)
    assert np.all(middle(resampled) == 1234)


@pytest.mark.parametrize(("from_rate", "to_rate"), [(22050, 8000), (8000, 16000), (48000, 8000)])
@pytest.mark.parametrize("length", [0, 1, 7, 441, 1000])
def test_resample_output_length(from_rate: int, to_rate: int, length: int) -> None:
    resampled = resample(np.ones(length, dtype=np.int16), from_rate, to_rate)
    assert resampled.size == -(-length * to_rate // from_rate)


def test_resample_same_rate_returns_a_copy() -> None:
    original = tone(1000, 8000)
    same = resample(original, 8000, 8000)
    assert np.array_equal(same, original)
    assert same is not original


def test_resample_clips_instead_of_wrapping() -> None:
    # A full-scale square wave overshoots (Gibbs) after low-pass filtering.
    square = np.where(tone(500, 22050) >= 0, 32767, -32768).astype(np.int16)
    resampled = resample(square, 22050, 8000)
    assert resampled.max() == 32767
    assert resampled.min() == -32768
    assert peak_frequency(resampled, 8000) == pytest.approx(500, abs=2)


def test_resample_rejects_non_positive_rates() -> None:
    with pytest.raises(ValueError, match="positive"):
        resample(np.zeros(10, dtype=np.int16), 0, 8000)


def test_rms() -> None:
    assert rms(np.zeros(100, dtype=np.int16)) == 0.0
    assert rms(np.array([], dtype=np.int16)) == 0.0
    assert rms(np.array([3, -3, 3, -3], dtype=np.int16)) == 3.0
    assert rms(tone(1000, 8000)) == pytest.approx(10000 / np.sqrt(2), rel=1e-3)


def test_wav_round_trip(tmp_path: Path) -> None:
    original = tone(1000, 8000)
    path = tmp_path / "alert.wav"
    write_wav(path, original, 8000)
    samples, rate = read_wav(path)
    assert rate == 8000
    assert samples.dtype == np.int16
    assert np.array_equal(samples, original)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)


def test_read_wav_rejects_stereo(tmp_path: Path) -> None:
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00" * 400)
    with pytest.raises(ValueError, match="16-bit mono"):
        read_wav(path)


def test_pcm_duration_and_validation() -> None:
    assert Pcm(np.zeros(12000, dtype=np.int16), 8000).duration_seconds == 1.5
    with pytest.raises(ValueError, match="int16"):
        Pcm(np.zeros(10, dtype=np.float32), 8000)
    with pytest.raises(ValueError, match="positive"):
        Pcm(np.zeros(10, dtype=np.int16), 0)
