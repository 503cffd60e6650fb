"""Audio devices that can be pulled out: fake `sounddevice` modules and stream factories whose
streams are driven by threads at real-time pace. "Unplugging" stops the running stream the way
PortAudio does (or just stops its callbacks, as a hung driver would: `hung = True`) and makes
every open fail until the device is "plugged" back in."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np


class FakePortAudioError(Exception):
    pass


def wait_for(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


class Notices:
    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def __call__(self, message: str, level: str) -> None:
        assert "\n" not in message
        self.items.append((level, message))

    @property
    def levels(self) -> list[str]:
        return [level for level, _ in self.items]


class FakeStream:
    """What both kinds of fake stream share: PortAudio's started, stopped and closed states."""

    def __init__(self, kwargs: dict):
        self.kwargs, self.callback = kwargs, kwargs["callback"]
        self.active = False
        self.closed = False

    def start(self):
        self.active = True

    def stop(self):
        self.active = False

    def close(self):
        self.closed = True


class PluggableDevice:
    """A device that can be pulled out, with a thread that plays its driver every 20 ms:
    `_tick(stream)` runs the newest live stream's callback once."""

    def __init__(self):
        self.plugged = True
        self.hung = False  # callbacks stop but the stream still says it is active
        self.streams: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drive, daemon=True)
        self._thread.start()

    def unplug(self):
        self.plugged = False
        for stream in self.streams:
            stream.active = False  # PortAudio stops a stream whose device went away

    def plug(self):
        self.plugged = True

    def _drive(self):
        while not self._stop.wait(0.02):
            live = [s for s in self.streams if s.active and not s.closed]
            if live and not self.hung:
                self._tick(live[-1])

    def _tick(self, stream) -> None:
        raise NotImplementedError

    def close(self):
        self._stop.set()
        self._thread.join(1)


# --- a microphone that can be pulled out -----------------------------------------------------------


class FakeInputStream(FakeStream):
    def __init__(self, sd, **kwargs):
        super().__init__(kwargs)
        self.sd = sd

    def start(self):
        if self.sd.fail_start:
            raise FakePortAudioError("Error starting stream: Device unavailable [PaErrorCode -9985]")
        super().start()


class PluggableMic(PluggableDevice):
    """A fake `sounddevice` with one USB microphone."""

    PortAudioError = FakePortAudioError

    def __init__(self):
        self.fail_start = False
        self.default = SimpleNamespace(device=[0, 0])
        self.value = 0
        super().__init__()

    def query_devices(self):
        if not self.plugged:
            return []
        return [{"name": "USB Headset Mic", "max_input_channels": 1, "default_samplerate": 16000.0}]

    def check_input_settings(self, **kwargs):
        pass

    def InputStream(self, **kwargs):  # noqa: N802 (sounddevice's name)
        if not self.plugged:
            raise FakePortAudioError("Invalid device [PaErrorCode -9996]")
        self.streams.append(FakeInputStream(self, **kwargs))
        return self.streams[-1]

    def _tick(self, stream) -> None:
        self.value = (self.value + 1) % 30000
        block = np.full((320, 1), self.value, np.int16)
        stream.callback(block, 320, None, SimpleNamespace(input_overflow=False))


# --- a speaker that can be pulled out --------------------------------------------------------------


class FakeOutputStream(FakeStream):
    def __init__(self, board, **kwargs):
        super().__init__(kwargs)
        self.board = board
        self.blocksize, self.channels = kwargs["blocksize"], kwargs["channels"]
        self.played: list[np.ndarray] = []


class PluggableSpeaker(PluggableDevice):
    """A stream factory for `Speaker` whose device plays at real time."""

    def __call__(self, **kwargs):
        if not self.plugged:
            raise FakePortAudioError("Error opening OutputStream: Device unavailable")
        self.streams.append(FakeOutputStream(self, **kwargs))
        return self.streams[-1]

    def _tick(self, stream) -> None:
        out = np.full((stream.blocksize, stream.channels), np.nan, np.float32)
        stream.callback(out, stream.blocksize, None, None)
        stream.played.append(out[:, 0].copy())
