"""Timers and alarms: what is set, when each is due, and the file that keeps them over a
restart.

The board runs on the conversation's clock (`Clock.now_ns`), so a replay or a test drives it
like every other stage; a timer also knows its wall-clock time, for the window, for what is
said about alarms and for the file. The conversation thread changes the board, and in the app
so does the local API's /v1/reply (every change under the board's lock); the window sees it
through `TimersChanged` events (`snapshot()`).

Kept over a restart (the app and `listen`, not replays): the board is saved to
`timers.json` in the user's data folder after every change. On the next start a timer still
running carries on; one that fell due while the app was closed is not rung late but told
("While I was closed, ...": `lost`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from assistant.clock import NS_PER_S, Clock
from assistant.json_file import Unreadable, read_json, write_json
from assistant.skills.quantities import duration_label, say_clock

log = logging.getLogger(__name__)

MAX_TIMERS = 20
MAX_SECONDS = 24 * 3600


@dataclass(frozen=True)
class TimerView:
    """A timer as the window shows it (`due_epoch_s`: wall-clock seconds)."""

    timer_id: int
    kind: str  # "timer" or "alarm"
    name: str  # "10 minute timer", "pasta timer", "alarm for 7:30 AM"
    seconds: float  # its length (an alarm: from when it was set)
    due_epoch_s: float


@dataclass
class Timer:
    timer_id: int
    kind: str
    seconds: float
    due_ns: int
    due_epoch_s: float
    label: str = ""  # what the user called it ("pasta"), or ""

    @property
    def name(self) -> str:
        if self.kind == "alarm":
            return f"alarm for {say_clock(datetime.fromtimestamp(self.due_epoch_s))}"
        return f"{self.label or duration_label(self.seconds)} timer"

    def view(self) -> TimerView:
        return TimerView(self.timer_id, self.kind, self.name, self.seconds, self.due_epoch_s)


class TimerStore:
    """`timers.json`: the running timers with their wall-clock due times. A file that cannot
    be read is set aside as `timers.json.bak` (one warning), never a reason not to start."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> list[dict]:
        try:
            timers = read_json(self.path, "saved timers", default={"timers": []})["timers"]
            for item in timers:
                float(item["due_epoch_s"]), float(item["seconds"]), str(item["kind"])
            return timers
        except (Unreadable, KeyError, TypeError, ValueError):
            log.warning("The saved timers (%s) are set aside as .bak.", self.path)
            try:
                os.replace(self.path, self.path.with_name(self.path.name + ".bak"))
            except OSError:
                pass
            return []

    def save(self, timers: list[dict]) -> None:
        write_json(self.path, {"timers": timers}, "timers")


class TimerBoard:
    def __init__(self, clock: Clock, wall: Callable[[], float] = time.time,
                 store: TimerStore | None = None):
        self.clock = clock
        self.wall = wall
        self.store = store
        self.on_change: Callable[[], None] = lambda: None
        self._timers: dict[int, Timer] = {}
        self._next_id = 1
        self._lock = threading.Lock()
        self.lost: list[Timer] = []  # fell due while the app was closed (told once)
        if store is not None:
            self._restore(store.load())

    # --- changes ------------------------------------------------------------------------

    def add(self, kind: str, seconds: float, label: str = "") -> Timer | None:
        """A new timer (or alarm) due `seconds` from now; None when the board is full."""
        with self._lock:
            if len(self._timers) >= MAX_TIMERS:
                return None
            now_ns, now_s = self.clock.now_ns(), self.wall()
            timer = Timer(self._next_id, kind, float(seconds),
                          now_ns + int(seconds * NS_PER_S), now_s + seconds, label)
            self._next_id += 1
            self._timers[timer.timer_id] = timer
        self._changed()
        return timer

    def cancel(self, timer_ids) -> list[Timer]:
        with self._lock:
            gone = [self._timers.pop(i) for i in list(timer_ids) if i in self._timers]
        if gone:
            self._changed()
        return gone

    def pop_due(self, now_ns: int) -> list[Timer]:
        """The timers due by `now_ns`, taken off the board, soonest first."""
        with self._lock:
            due = sorted((t for t in self._timers.values() if t.due_ns <= now_ns),
                         key=lambda t: t.due_ns)
            for timer in due:
                del self._timers[timer.timer_id]
        if due:
            self._changed()
        return due

    def take_lost(self) -> list[Timer]:
        lost, self.lost = self.lost, []
        return lost

    # --- reading ------------------------------------------------------------------------

    def active(self, kind: str | None = None) -> list[Timer]:
        with self._lock:
            timers = sorted(self._timers.values(), key=lambda t: t.due_ns)
        return [t for t in timers if kind is None or t.kind == kind]

    def remaining_s(self, timer: Timer) -> float:
        return max(timer.due_ns - self.clock.now_ns(), 0) / NS_PER_S

    def snapshot(self) -> tuple[TimerView, ...]:
        return tuple(t.view() for t in self.active())

    # --- the file -----------------------------------------------------------------------

    def _changed(self) -> None:
        if self.store is not None:
            self.store.save([{"kind": t.kind, "label": t.label, "seconds": t.seconds,
                              "due_epoch_s": t.due_epoch_s} for t in self.active()])
        try:
            self.on_change()
        except Exception:
            log.exception("telling of a timer change failed")

    def _restore(self, saved: list[dict]) -> None:
        now_ns, now_s = self.clock.now_ns(), self.wall()
        for item in saved:
            due_s = float(item["due_epoch_s"])
            timer = Timer(self._next_id, str(item["kind"]), float(item["seconds"]),
                          now_ns + int((due_s - now_s) * NS_PER_S), due_s,
                          str(item.get("label", "")))
            self._next_id += 1
            if due_s <= now_s:
                self.lost.append(timer)
            else:
                self._timers[timer.timer_id] = timer
        if self.lost:
            self._changed()  # the file no longer holds them
