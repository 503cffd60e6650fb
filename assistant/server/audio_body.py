"""A REST body of audio (WAV or FLAC, any rate and channel count) as 16 kHz mono int16,
bounded: its length is read from the header before anything is decoded, a recording over the
limit is refused with 413, and the rest is decoded a block at a time (a FLAC of hours of
silence is a few hundred kilobytes, and decoded whole it would take gigabytes).

`decode_audio` reads files and resamples: call it off the event loop.
"""

from __future__ import annotations

import io

import numpy as np

from assistant.audio.devices import SAMPLE_RATE

BLOCK_S = 10  # decoded and resampled this much at a time


class BadAudio(Exception):
    """The body is not audio the server reads: `status` 400, 413 or 415, `message` one
    sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _too_long(seconds: float, limit_s: float) -> BadAudio:
    return BadAudio(413, f"The recording is {_minutes(seconds)} long and the limit is "
                         f"{_minutes(limit_s)}; send a shorter one, or raise "
                         "api.max_audio_minutes in the settings.")


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def decode_audio(body: bytes, limit_s: float) -> np.ndarray:
    import soundfile
    import soxr

    if not body:
        raise BadAudio(400, "The body is empty; send a WAV or FLAC file.")
    try:
        sound = soundfile.SoundFile(io.BytesIO(body))
    except (RuntimeError, soundfile.LibsndfileError, ValueError, TypeError) as exc:
        raise BadAudio(415, f"The body is not audio the server reads ({_reason(exc)}); "
                            "send a WAV or FLAC file.") from None
    with sound:
        rate = sound.samplerate
        if sound.frames > 0 and sound.frames / rate > limit_s:  # from the header
            raise _too_long(sound.frames / rate, limit_s)
        resampler = None if rate == SAMPLE_RATE else soxr.ResampleStream(
            rate, SAMPLE_RATE, 1, dtype="float32")
        pieces, seconds = [], 0.0
        try:
            for block in sound.blocks(blocksize=rate * BLOCK_S, dtype="float32",
                                      always_2d=True):
                seconds += len(block) / rate
                if seconds > limit_s:  # a header that did not say, or said too little
                    raise _too_long(seconds, limit_s)
                mono = block.mean(axis=1)
                if resampler is not None:
                    mono = resampler.resample_chunk(mono)
                pieces.append(_int16(mono))
            if resampler is not None:
                pieces.append(_int16(resampler.resample_chunk(np.zeros(0, np.float32),
                                                              last=True)))
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            raise BadAudio(415, f"The audio is damaged ({_reason(exc)}); send the file "
                                "again, or a WAV.") from None
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.int16)
    if len(samples) == 0:
        raise BadAudio(400, "The audio holds no samples; send a longer recording.")
    return samples


def _int16(mono: np.ndarray) -> np.ndarray:
    return (np.clip(mono, -1.0, 1.0) * 32767).astype(np.int16)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text.split(": ", 1)[-1] if text else type(exc).__name__
