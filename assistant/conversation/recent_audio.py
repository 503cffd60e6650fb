"""The open utterance's latest audio, kept for the end-of-turn model: it hears the last
`KEPT_S` seconds of a turn, pre-roll included."""

from __future__ import annotations

import collections

import numpy as np

from assistant.events import AudioFrame

KEPT_S = 8.0


class RecentAudio:
    def __init__(self, kept_s: float = KEPT_S):
        self.kept_s = kept_s
        self._frames: collections.deque[np.ndarray] = collections.deque()
        self._samples = 0

    def keep(self, frame: AudioFrame) -> None:
        self._frames.append(frame.samples)
        self._samples += len(frame.samples)
        limit = int(self.kept_s * frame.sample_rate)
        while self._samples - len(self._frames[0]) >= limit:
            self._samples -= len(self._frames.popleft())

    def clear(self) -> None:
        self._frames.clear()
        self._samples = 0

    def samples(self) -> np.ndarray:
        """All that is kept, oldest first (int16)."""
        if not self._frames:
            return np.zeros(0, np.int16)
        return np.concatenate(self._frames)
