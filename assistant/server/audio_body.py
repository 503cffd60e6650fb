"""A REST body of audio (WAV or FLAC, any rate and channel count) as 16 kHz mono int16."""

from __future__ import annotations

import io

import numpy as np

from assistant.audio.devices import SAMPLE_RATE


class BadAudio(Exception):
    """The body is not audio the server reads: `status` 400 or 415, `message` one sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def decode_audio(body: bytes) -> np.ndarray:
    import soundfile
    import soxr

    if not body:
        raise BadAudio(400, "The body is empty; send a WAV or FLAC file.")
    try:
        samples, rate = soundfile.read(io.BytesIO(body), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError, ValueError, TypeError) as exc:
        raise BadAudio(415, f"The body is not audio the server reads ({_reason(exc)}); "
                            "send a WAV or FLAC file.") from None
    if samples.shape[0] == 0:
        raise BadAudio(400, "The audio holds no samples; send a longer recording.")
    mono = samples.mean(axis=1)
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE)
    return (np.clip(mono, -1.0, 1.0) * 32767).astype(np.int16)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text.split(": ", 1)[-1] if text else type(exc).__name__
