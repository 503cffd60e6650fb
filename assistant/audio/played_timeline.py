"""What the speaker played, on the clock's timeline, at the microphone's sample rate.

The speaker's tap hands every played block with its output time. They are resampled to
16 kHz and written into a ring that covers the last few seconds, so that the audio played at
any recent moment can be read back: the reference for echo cancellation, and the source of a
simulated echo in replays.
"""

from __future__ import annotations

import threading

import numpy as np
import soxr

from assistant.clock import NS_PER_S

MIC_RATE = 16000
RING_SECONDS = 16


class PlayedTimeline:
    def __init__(self, speaker_rate: int = 48000, rate: int = MIC_RATE):
        self.speaker_rate = speaker_rate
        self.rate = rate
        self._ring = np.zeros(RING_SECONDS * rate, dtype=np.float32)
        self._origin_ns: int | None = None  # time of absolute sample index 0
        self._written_until = 0  # absolute index one past the newest written sample
        self._resampler = soxr.ResampleStream(speaker_rate, rate, 1, dtype="float32")
        self._lock = threading.Lock()

    def _index(self, t_ns: int) -> int:
        return round((t_ns - self._origin_ns) * self.rate / NS_PER_S)

    def on_played(self, samples: np.ndarray, t_ns: int) -> None:
        """Speaker tap: `samples` (speaker rate, mono float) started playing at `t_ns`."""
        block = self._resampler.resample_chunk(np.asarray(samples, dtype=np.float32).ravel())
        with self._lock:
            if self._origin_ns is None:
                self._origin_ns = t_ns
            start = self._index(t_ns)
            idx = np.arange(start, start + len(block)) % len(self._ring)
            self._ring[idx] = block
            self._written_until = max(self._written_until, start + len(block))

    def read(self, t_ns: int, n: int) -> np.ndarray:
        """The `n` samples played from `t_ns` on (zeros where nothing was played)."""
        out = np.zeros(n, dtype=np.float32)
        with self._lock:
            if self._origin_ns is None:
                return out
            start = self._index(t_ns)
            idx = np.arange(start, start + n)
            valid = ((idx >= 0) & (idx < self._written_until)
                     & (idx >= self._written_until - len(self._ring)))
            out[valid] = self._ring[idx[valid] % len(self._ring)]
        return out
