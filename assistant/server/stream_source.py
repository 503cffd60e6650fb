"""A client's audio as the microphone: 16 kHz mono int16 little-endian bytes in, 20 ms frames
out on the conversation's clock, one per 20 ms, like a sound card's.

Frame k is due when its last sample would have been captured (the stream's start + (k+1)
frames). Audio sent ahead of time waits for its frame's time, so a client that sends a
recording at full speed is heard as if spoken. Audio that has not come `LATE_MS` after its
time is taken as silence, as a sound card's underrun is: a client that sends only speech, or
whose network stalls, still gets its turns ended. `end()` (the client's `{"type": "end"}`):
what was sent is delivered, then the source is finished, as a file is at its end.
"""

from __future__ import annotations

import threading

import numpy as np

from assistant.audio.devices import SAMPLE_RATE, dbfs
from assistant.clock import DEFAULT_CLOCK, NS_PER_S, Clock
from assistant.events import AudioFrame

LATE_MS = 60  # a frame this late is silence
MAX_AHEAD_S = 60.0  # audio sent ahead of its time, at most (the client is then held back)


class StreamSource:
    t0_ns: int | None = None  # a live input: the conversation's timeline starts at start()

    def __init__(self, clock: Clock = DEFAULT_CLOCK, frame_ms: int = 20):
        self.clock = clock
        self.frame_ms = frame_ms
        self._n = SAMPLE_RATE * frame_ms // 1000
        self._frame_ns = frame_ms * NS_PER_S // 1000
        self._buf = bytearray()
        self._odd = b""  # half a sample left over from the last message
        self._cond = threading.Condition()
        self._t_next: int | None = None  # the time of the next frame's first sample
        self._ended = self._closed = False
        self._level = -120.0
        self.received_bytes = 0
        self.silent_frames = 0  # frames that came too late and were taken as silence

    def start(self) -> None:
        with self._cond:
            if self._t_next is None:
                self._t_next = self.clock.now_ns()

    @property
    def ahead_s(self) -> float:
        """Audio received and not yet due, in seconds."""
        return len(self._buf) / 2 / SAMPLE_RATE

    def feed(self, data: bytes) -> None:
        """Bytes from the client (any length; an odd byte waits for its other half)."""
        data = self._odd + bytes(data)
        cut = len(data) - len(data) % 2
        self._odd = data[cut:]
        with self._cond:
            if self._ended or self._closed:
                return
            self._buf += data[:cut]
            self.received_bytes += cut
            self._cond.notify_all()

    def wait_for_room(self, timeout: float) -> bool:
        """False while more than MAX_AHEAD_S is waiting (the client is sending too fast)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.ahead_s < MAX_AHEAD_S or self._closed,
                                       timeout)

    def end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    @property
    def finished(self) -> bool:
        return self._closed or (self._ended and len(self._buf) < 2)

    @property
    def level_dbfs(self) -> float:
        return self._level

    def read(self, timeout: float | None = None) -> AudioFrame | None:
        need = self._n * 2
        with self._cond:
            if self._t_next is None:
                raise RuntimeError("StreamSource.start() was not called")
            due = self._t_next + self._frame_ns
            give_up = due + LATE_MS * 1_000_000
            limit = None if timeout is None else self.clock.now_ns() + int(timeout * NS_PER_S)
            while not self._closed:
                now = self.clock.now_ns()
                if len(self._buf) >= need or (self._ended and self._buf):
                    if now >= due:
                        break
                    wake = due
                elif self._ended:
                    return None
                elif now >= give_up:
                    break
                else:
                    wake = give_up
                if limit is not None and now >= limit:
                    return None
                self._cond.wait(max(min(wake, limit or wake) - now, 0) / NS_PER_S)
            if self._closed:
                return None
            chunk = bytes(self._buf[:need])
            del self._buf[:need]
            self._cond.notify_all()
            t_ns = self._t_next
            self._t_next += self._frame_ns
        samples = np.frombuffer(chunk, dtype="<i2").astype(np.int16)
        if len(samples) < self._n:
            if not len(samples):
                self.silent_frames += 1
            samples = np.concatenate([samples, np.zeros(self._n - len(samples), np.int16)])
        self._level = dbfs(samples)
        return AudioFrame(samples=samples, t_ns=t_ns)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
