"""What the speaker played, on the clock's timeline, read back at the microphone's sample rate.

The speaker's tap hands every played block with its output time, on the audio thread: the tap
only copies it into a preallocated ring (`BlockRing`: no lock, no allocation, no resampling).
Whoever reads the timeline (the conversation thread for the echo canceller, the reader thread
for a simulated echo) first places the blocks played since its last read on a timeline at the
speaker's rate that covers the last few seconds, each at its own time, then resamples the
stretch it asks for (with a few milliseconds either side, so the filter has what it needs) to
16 kHz. So the audio played at any recent moment can be read back: the reference for echo
cancellation, and the source of a simulated echo in replays. The tap runs before its block is
played, so a block is there for the frame that hears its echo; and since each read resamples
its own stretch, the reference has no resampler's latency and lines up with the clock.
"""

from __future__ import annotations

import threading

import numpy as np

from assistant.audio.block_ring import BlockRing
from assistant.clock import NS_PER_S

MIC_RATE = 16000
RING_SECONDS = 16
PAD_S = 0.005  # read either side of a stretch, so the resampling filter sees its neighbours


class PlayedTimeline:
    def __init__(self, speaker_rate: int = 48000, rate: int = MIC_RATE):
        self.speaker_rate = speaker_rate
        self.rate = rate
        # blocks as the tap gave them: as long as the timeline, since a fast replay plays a
        # whole reply before the reader takes its next frame
        self._played = BlockRing(RING_SECONDS * speaker_rate)
        self._ring = np.zeros(RING_SECONDS * speaker_rate, dtype=np.float32)  # by time
        self._origin_ns: int | None = None  # time of absolute sample index 0
        self._written_until = 0  # absolute index one past the newest written sample
        self._lock = threading.Lock()  # between readers only; the tap never takes it

    def on_played(self, samples: np.ndarray, t_ns: int) -> None:
        """Speaker tap, on the audio thread: `samples` (speaker rate, mono float) started
        playing at `t_ns`. Only copied here; placed and resampled by the next `read`."""
        self._played.push(samples, t_ns)

    def _index(self, t_ns: int) -> int:
        return round((t_ns - self._origin_ns) * self.speaker_rate / NS_PER_S)

    def _take_played(self) -> None:
        """Put the blocks played since the last read on the timeline (the reader's thread)."""
        while (block := self._played.pop()) is not None:
            t_ns, samples = block
            if samples is None:  # written over before anyone read it: too old to matter
                continue
            if self._origin_ns is None:
                self._origin_ns = t_ns
            start = self._index(t_ns)
            self._ring[np.arange(start, start + len(samples)) % len(self._ring)] = samples
            self._written_until = max(self._written_until, start + len(samples))

    def _span(self, start: int, n: int) -> np.ndarray:
        """Samples [start, start + n) of the speaker-rate timeline, zeros where none played."""
        idx = np.arange(start, start + n)
        valid = ((idx >= 0) & (idx < self._written_until)
                 & (idx >= self._written_until - len(self._ring)))
        out = np.zeros(n, dtype=np.float32)
        out[valid] = self._ring[idx[valid] % len(self._ring)]
        return out

    def read(self, t_ns: int, n: int) -> np.ndarray:
        """The `n` samples (at `rate`) played from `t_ns` on (zeros where nothing was)."""
        with self._lock:
            self._take_played()
            if self._origin_ns is None or n <= 0:
                return np.zeros(max(n, 0), dtype=np.float32)
            start = self._index(t_ns)
            if self.speaker_rate == self.rate:
                return self._span(start, n)
            pad = round(PAD_S * self.speaker_rate)
            span = self._span(start - pad, pad + -(-n * self.speaker_rate // self.rate) + pad)
        if not span.any():
            return np.zeros(n, dtype=np.float32)
        import soxr

        out = soxr.resample(span, self.speaker_rate, self.rate)
        skip = round(pad * self.rate / self.speaker_rate)
        out = np.asarray(out[skip:skip + n], dtype=np.float32)
        if len(out) < n:
            out = np.concatenate([out, np.zeros(n - len(out), dtype=np.float32)])
        return out
