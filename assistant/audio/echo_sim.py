"""A simulated echo path for replays: what the speaker played comes back into the microphone,
delayed and attenuated, as it would from laptop speakers (`replay --echo GAIN --echo-delay MS`).
"""

from __future__ import annotations

import numpy as np

from assistant.audio.played_timeline import PlayedTimeline
from assistant.clock import NS_PER_MS


class EchoPath:
    def __init__(self, gain: float, delay_ms: float, speaker_rate: int = 48000):
        self.gain = gain
        self.delay_ns = int(delay_ms * NS_PER_MS)
        self.played = PlayedTimeline(speaker_rate)
        self.on_played = self.played.on_played  # the speaker tap

    def mix(self, t_ns: int, n: int) -> np.ndarray | None:
        """The echo heard in the `n` microphone samples captured from `t_ns`."""
        echo = self.played.read(t_ns - self.delay_ns, n)
        return echo * self.gain if echo.any() else None
