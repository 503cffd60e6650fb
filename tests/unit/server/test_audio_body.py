"""The REST audio body, bounded: a recording's length comes from its header before anything
is decoded; over the limit it is 413; the rest is decoded a block at a time to 16 kHz mono."""

from __future__ import annotations

import io
import resource

import numpy as np
import pytest
import soundfile

from assistant.server.audio_body import BadAudio, decode_audio


def encoded(samples: np.ndarray, rate: int, fmt: str = "WAV") -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format=fmt, subtype="PCM_16")
    return out.getvalue()


def silent_flac(seconds: int, rate: int = 8000) -> bytes:
    """A long FLAC of silence written block by block: small on disk, huge decoded."""
    out = io.BytesIO()
    with soundfile.SoundFile(out, "w", rate, 1, format="FLAC", subtype="PCM_16") as sound:
        block = np.zeros(rate * 60, np.int16)
        for _ in range(seconds // 60):
            sound.write(block)
    return out.getvalue()


def test_any_rate_and_channel_count_becomes_16_khz_mono():
    t = np.arange(44100) / 44100
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1)
    samples = decode_audio(encoded(stereo, 44100), limit_s=600)
    assert samples.dtype == np.int16 and abs(len(samples) - 16000) <= 16
    assert 0.4 * 32767 < np.abs(samples).max() <= 0.51 * 32767


def test_hours_of_silence_in_a_small_flac_are_refused_before_decoding():
    body = silent_flac(3 * 3600)
    assert len(body) < 2_000_000  # a few hundred kilobytes for three hours
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BadAudio) as refused:
        decode_audio(body, limit_s=600)
    assert refused.value.status == 413
    assert "3 h" in refused.value.message or "180 min" in refused.value.message
    assert "10 min" in refused.value.message
    grew_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grew_kb < 100_000, grew_kb  # nothing near the 10 GB it takes decoded whole


def test_a_recording_under_the_limit_is_decoded_whole():
    samples = decode_audio(silent_flac(120), limit_s=600)
    assert len(samples) == 120 * 16000


def test_bad_bodies_get_one_sentence():
    for body, status in ((b"", 400), (b"RIFF0000WAVEjunk", 415), (b"\x00" * 1000, 415)):
        with pytest.raises(BadAudio) as bad:
            decode_audio(body, limit_s=600)
        assert bad.value.status == status
        assert bad.value.message.endswith(".") and "\n" not in bad.value.message
