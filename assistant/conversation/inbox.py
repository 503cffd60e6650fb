"""The conversation thread's inbox: one lane for everything that changes the turns.

Three queues, served in order of urgency: controls (press, release, Stop, a typed question,
new settings), then reports (from the reply workers and the speaker), then audio frames. A
control never waits behind audio or tokens that are queued; at most it waits for the one
item being handled. Posting never blocks; only the frame reader is held back when frames pile
up (`max_frames`), so a file fed faster than it is heard cannot fill memory.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass

CONTROL, REPORT, FRAME = 0, 1, 2


@dataclass(frozen=True)
class EndOfInput:
    """After the last frame of the source (the end of a replayed file)."""


@dataclass(frozen=True)
class InputFailed:
    """The source failed for good (a replayed file that is damaged part-way)."""

    message: str


class Inbox:
    def __init__(self, max_frames: int = 50):
        self.max_frames = max_frames
        self._queues = (collections.deque(), collections.deque(), collections.deque())
        self._cond = threading.Condition()
        self._closed = False

    def post(self, item, kind: int = CONTROL) -> None:
        """From any thread; never blocks."""
        with self._cond:
            self._queues[kind].append(item)
            self._cond.notify_all()

    def put_frame(self, frame) -> bool:
        """From the frame reader: waits while `max_frames` frames are queued. False once the
        inbox is closed."""
        with self._cond:
            while len(self._queues[FRAME]) >= self.max_frames and not self._closed:
                self._cond.wait(0.1)
            if self._closed:
                return False
            self._queues[FRAME].append(frame)
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None, frames: bool = True):
        """The most urgent item, or None after `timeout`. `frames=False` leaves audio queued
        (a fast replay waiting for a reply to finish)."""
        with self._cond:
            while True:
                item = self._take(frames)
                if item is not None or self._closed:
                    return item
                if not self._cond.wait(timeout):
                    return None

    def take_nowait(self, frames: bool = True):
        with self._cond:
            return self._take(frames)

    def _take(self, frames: bool):
        for kind, items in enumerate(self._queues):
            if kind == FRAME and not frames:
                break
            if items:
                item = items.popleft()
                if kind == FRAME:
                    self._cond.notify_all()  # room for the reader
                return item
        return None

    def pending(self, kind: int) -> int:
        return len(self._queues[kind])

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
