"""The interface every TTS engine has, so the pipeline can swap espeak-ng for piper.

Stage shape: a cheap constructor, `start()` loads the voice, `synthesize(text)` yields float32
mono PCM pieces at `sample_rate` as they are ready, `cancel()` stops the synthesis in progress
(thread-safe; the iterator ends before its next piece), `close()` frees the engine.

Every engine treats text the same way (`synthesize`): odd text is sanitized first (lone
surrogates and control characters would crash the encoding, a NUL makes piper refuse it),
text with nothing to say is skipped, and long text is rendered a sentence at a time
(`split_for_synthesis`, at most MAX_PIECE_CHARS), so audio starts soon and each render has a
bounded time. An engine only says how to render one piece (`render_piece`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Iterator

import numpy as np

from assistant.tts.chunker import split_for_synthesis
from assistant.tts.text_cleanup import is_speakable, sanitize

MAX_PIECE_CHARS = 300  # one render at most this long (~20 s of speech)


class TtsEngine(ABC):
    name: str = "tts"
    # the most words a reply's first chunk should hold so that this voice starts speaking soon
    # (`conversation.wiring.make_chunker`): a voice whose cost grows with each word wants fewer
    first_chunk_max_words: int = 4

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

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        """Yield float32 mono PCM at `sample_rate`, piece by piece, as soon as each is ready;
        nothing more once `cancel()` was called."""
        text = " ".join(sanitize(text).split())
        if not is_speakable(text):
            return
        token = self._cancel_token()
        for piece in split_for_synthesis(text, MAX_PIECE_CHARS):
            if self._cancelled(token):
                return
            for samples in self.render_piece(piece):
                if self._cancelled(token):
                    return
                if len(samples):
                    yield samples

    @abstractmethod
    def render_piece(self, text: str) -> Iterator[np.ndarray]:
        """The speech of one clean, speakable piece of text, as float32 at `sample_rate`."""

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


class WrappingTts(TtsEngine):
    """An engine around another (`self.engine`): the wrapped one is the one truth about
    name, voice, rate and sample rate (the default voice knows which engine it is only once
    started)."""

    engine: TtsEngine

    name = property(lambda self: self.engine.name)
    first_chunk_max_words = property(lambda self: self.engine.first_chunk_max_words)

    @property
    def sample_rate(self) -> int:  # type: ignore[override]
        return self.engine.sample_rate

    @sample_rate.setter
    def sample_rate(self, value: int) -> None:
        pass

    @property
    def cache_key(self) -> tuple:
        return self.engine.cache_key
