"""An LRU cache of synthesized audio in front of any TTS engine.

Replies repeat ("Sure.", "I'm not sure.", the apology line), and a cached phrase plays at once.
Entries are keyed by (text, engine, voice, rate) and bounded both by count and by total bytes.
Only complete syntheses are stored: one cut short by `cancel()` would replay truncated.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterator

import numpy as np

from assistant.tts.base import TtsEngine, WrappingTts


class CachedTts(WrappingTts):
    """Wraps `engine`; everything but `synthesize` is passed straight through."""

    def __init__(self, engine: TtsEngine, max_entries: int = 256, max_bytes: int = 64 << 20):
        super().__init__(engine.voice, engine.rate)
        self.engine = engine
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple, tuple[np.ndarray, ...]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def start(self) -> None:
        self.engine.start()
        self.voice, self.rate = self.engine.voice, self.engine.rate

    def render_piece(self, text: str) -> Iterator[np.ndarray]:
        yield from self.engine.render_piece(text)

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        key = (text, *self.engine.cache_key)
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self.hits += 1
        if cached is not None:
            yield from cached
            return
        self.misses += 1
        token = self._cancel_token()
        pieces: list[np.ndarray] = []
        complete = False
        try:
            for piece in self.engine.synthesize(text):
                piece = np.asarray(piece, dtype=np.float32)
                piece.flags.writeable = False  # shared with the cache: nobody may change it
                pieces.append(piece)
                yield piece
            complete = not self._cancelled(token)
        finally:
            if complete and pieces:
                self._store(key, tuple(pieces))

    def _store(self, key: tuple, pieces: tuple[np.ndarray, ...]) -> None:
        size = sum(p.nbytes for p in pieces)
        if self.max_entries <= 0 or size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= sum(p.nbytes for p in old)
            self._entries[key] = pieces
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= sum(p.nbytes for p in evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def cancel(self) -> None:
        super().cancel()
        self.engine.cancel()

    def close(self) -> None:
        self.engine.close()

    def voices(self) -> list[str]:
        return self.engine.voices()
