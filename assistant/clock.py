"""The one clock every stage reads.

All latency figures come from this monotonic clock, never from wall-clock time, so that tests
can drive time and a replay can put input and output on one timeline.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

NS_PER_MS = 1_000_000
NS_PER_S = 1_000_000_000


class Clock(Protocol):
    def now_ns(self) -> int: ...

    def sleep_until(self, t_ns: int) -> None: ...


class MonotonicClock:
    """The real clock: `time.perf_counter_ns` (monotonic, highest resolution)."""

    def now_ns(self) -> int:
        return time.perf_counter_ns()

    def sleep_until(self, t_ns: int) -> None:
        delay = t_ns - time.perf_counter_ns()
        if delay > 0:
            time.sleep(delay / NS_PER_S)


class ManualClock:
    """A clock that only moves when told to; `sleep_until` advances it. For tests."""

    def __init__(self, start_ns: int = 0):
        self._now = start_ns
        self._lock = threading.Lock()

    def now_ns(self) -> int:
        with self._lock:
            return self._now

    def advance(self, delta_ns: int) -> None:
        with self._lock:
            self._now += delta_ns

    def sleep_until(self, t_ns: int) -> None:
        with self._lock:
            self._now = max(self._now, t_ns)


DEFAULT_CLOCK = MonotonicClock()


def ms(ns: int) -> float:
    return ns / NS_PER_MS
