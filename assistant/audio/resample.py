"""Audio to the speaker's rate, where it is produced (the synthesizer's thread, a command's):
the output callback only copies samples that are already at the device's rate.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from assistant.events import AudioChunk


def to_rate(samples, rate: int, target: int) -> np.ndarray:
    """`samples` (mono, any float or int dtype) at `rate` as float32 mono at `target`, in one
    piece (soxr); the array itself when it already is."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    if len(samples) == 0 or rate == target:
        return samples
    import soxr

    return soxr.resample(samples, rate, target).astype(np.float32, copy=False)


def chunk_at_rate(chunk: AudioChunk, target: int | None) -> AudioChunk:
    """`chunk` with its samples at `target` (float32 mono); the chunk itself when they already
    are, or when `target` is unknown (None)."""
    if target is None or (chunk.sample_rate == target
                          and isinstance(chunk.samples, np.ndarray)
                          and chunk.samples.dtype == np.float32 and chunk.samples.ndim == 1):
        return chunk
    return dataclasses.replace(chunk, samples=to_rate(chunk.samples, chunk.sample_rate, target),
                               sample_rate=target)
