"""A failed microphone stream whose close() hangs in the driver (as PortAudio's does when the
sound server died under it) must not stop the microphone from reopening, nor the app from
closing."""

import threading
import time

import numpy as np

from assistant.audio.recovery import RecoveringSource
from assistant.events import AudioFrame


class HangingThenGood:
    """The first source opened fails on its second read and then hangs in close() until
    released; every later one delivers frames."""

    opened: list = []
    release = threading.Event()

    def __init__(self):
        self.index = len(self.opened)
        self.opened.append(self)
        self.frame_ms, self.finished, self.level_dbfs = 20, False, -120.0
        self.error, self.overflows, self.device_name = None, 0, "hanging"
        self.reads = 0
        self.close_started = threading.Event()

    def start(self):
        pass

    def read(self, timeout=None):
        self.reads += 1
        if self.index == 0 and self.reads >= 2:
            raise OSError("Stream is stopped [PaErrorCode -9983]")
        time.sleep(0.02)
        return AudioFrame(samples=np.zeros(320, np.int16), t_ns=self.reads * 20_000_000)

    def close(self):
        self.close_started.set()
        if self.index == 0:
            self.release.wait(30)


def test_a_close_that_hangs_does_not_block_reopening_or_closing():
    HangingThenGood.opened.clear()
    HangingThenGood.release.clear()
    notices = []
    source = RecoveringSource(HangingThenGood, on_notice=lambda m, level: notices.append(level),
                              retry_s=0.05)
    try:
        source.start()
        assert source.read(timeout=0.5) is not None
        deadline, frames = time.monotonic() + 3.0, 0
        while time.monotonic() < deadline and frames < 5:
            frames += source.read(timeout=0.1) is not None
        assert frames == 5, "no frames after the failed stream: its hung close() blocked reopening"
        first = HangingThenGood.opened[0]
        assert first.close_started.is_set() and not HangingThenGood.release.is_set()
        assert len(HangingThenGood.opened) == 2
        assert notices == ["warning", "info"]
        started = time.monotonic()
        source.close()
        assert time.monotonic() - started < 3.0  # waited at most its bound for the closer
    finally:
        HangingThenGood.release.set()
