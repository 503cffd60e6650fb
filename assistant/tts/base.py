"""The interface every TTS engine has, so the pipeline can swap espeak-ng for piper.

Stage shape: a cheap constructor, `start()` loads the voice, `synthesize(text)` yields float32
mono PCM pieces at `sample_rate` as they are ready, `cancel()` stops the synthesis in progress
(thread-safe; the iterator ends before its next piece), `close()` frees the engine.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Iterator

import numpy as np


class TtsEngine(ABC):
    name: str = "tts"

    def __init__(self, voice: str = "", rate: int = 175):
        self.voice = voice
        self.rate = rate
        self.sample_rate = 22050
        self._cancel_count = 0
        self._cancel_lock = threading.Lock()

    @property
    def cache_key(self) -> tuple:
        """What makes two syntheses of the same text sound different."""
        return (self.name, self.voice, self.rate)

    def start(self) -> None:
        """Load the voice; slow, so call it once from a worker thread."""

    @abstractmethod
    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield float32 mono PCM at `sample_rate`, piece by piece, as soon as each is ready."""

    def cancel(self) -> None:
        """Stop every synthesis running now; later calls to `synthesize` work as usual."""
        with self._cancel_lock:
            self._cancel_count += 1

    def close(self) -> None:
        """Release the engine."""

    def voices(self) -> list[str]:
        """Names this engine accepts as `voice`."""
        return []

    # --- helpers for subclasses -----------------------------------------------------------

    def _cancel_token(self) -> int:
        with self._cancel_lock:
            return self._cancel_count

    def _cancelled(self, token: int) -> bool:
        return self._cancel_count != token


def to_float32(samples: np.ndarray) -> np.ndarray:
    """int16 or float PCM -> float32 in [-1, 1], mono."""
    samples = np.asarray(samples)
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    return samples.astype(np.float32, copy=False)
