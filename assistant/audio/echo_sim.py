"""A simulated echo path for replays: what the speaker played comes back into the microphone,
delayed and attenuated, as it would from laptop speakers (`replay --echo GAIN --echo-delay MS`).

The speaker's tap hands every played block with its output time; they are kept, resampled to
the microphone rate, in a ring covering the last few seconds on the clock's timeline. The
WAV source asks for the echo of each frame it captures (`mix`).
"""

from __future__ import annotations

import threading

import numpy as np
import soxr

from assistant.clock import NS_PER_MS, NS_PER_S

MIC_RATE = 16000
RING_SECONDS = 16


class EchoPath:
    def __init__(self, gain: float, delay_ms: float, speaker_rate: int = 48000,
                 mic_rate: int = MIC_RATE):
        self.gain = gain
        self.delay_ns = int(delay_ms * NS_PER_MS)
        self.speaker_rate = speaker_rate
        self.mic_rate = mic_rate
        self._ring = np.zeros(RING_SECONDS * mic_rate, dtype=np.float32)
        self._origin_ns: int | None = None  # time of ring sample index 0
        self._written_until = 0  # absolute index one past the newest written sample
        self._resampler = soxr.ResampleStream(speaker_rate, mic_rate, 1, dtype="float32")
        self._lock = threading.Lock()

    def _index(self, t_ns: int) -> int:
        return round((t_ns - self._origin_ns) * self.mic_rate / NS_PER_S)

    def on_played(self, samples: np.ndarray, t_ns: int) -> None:
        """Speaker tap: `samples` (speaker rate) started playing at `t_ns`."""
        block = self._resampler.resample_chunk(np.asarray(samples, dtype=np.float32))
        with self._lock:
            if self._origin_ns is None:
                self._origin_ns = t_ns
            start = self._index(t_ns)
            idx = np.arange(start, start + len(block)) % len(self._ring)
            self._ring[idx] = block
            self._written_until = max(self._written_until, start + len(block))

    def mix(self, t_ns: int, n: int) -> np.ndarray | None:
        """The echo heard in the `n` microphone samples captured from `t_ns`."""
        with self._lock:
            if self._origin_ns is None:
                return None
            start = self._index(t_ns - self.delay_ns)
            end = start + n
            if end <= 0 or start >= self._written_until:
                return None
            idx = np.arange(start, end)
            valid = (idx >= 0) & (idx < self._written_until) & (idx > self._written_until - len(self._ring))
            out = np.zeros(n, dtype=np.float32)
            out[valid] = self._ring[idx[valid] % len(self._ring)]
        return out * self.gain
