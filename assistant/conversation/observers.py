"""Who listens to the conversation: the window, the headless command's printout, a replay's
record of its turns, the conversation log. They observe the events the loop publishes and keep
whatever they need; the loop itself keeps nothing for the whole session.

`Observers` delivers every published event to each subscriber, in order, on a thread of its
own: a slow subscriber (the log's fsync, a busy window) never holds up the conversation.
"""

from __future__ import annotations

import logging
import queue
import threading
from array import array
from typing import Callable

from assistant.clock import ms
from assistant.events import BargeIn, Event, ListenerLag, Notice, TurnCompleted
from assistant.memory import release_free_memory

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]


class Observers:
    def __init__(self, *subscribers: Subscriber):
        self.subscribers: list[Subscriber] = [s for s in subscribers if s is not None]
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def publish(self, event: Event) -> None:
        """From any thread; never blocks."""
        self._queue.put(event)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="observers", daemon=True)
            self._thread.start()

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until everything published so far was delivered (False: not in `timeout`)."""
        if self._thread is None:
            return True
        delivered = threading.Event()
        self._queue.put(delivered)
        return delivered.wait(timeout)

    def stop(self, timeout: float = 3.0) -> None:
        """Deliver everything published so far, then end."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            if isinstance(event, threading.Event):  # a flush: all before it is delivered
                event.set()
                continue
            for subscriber in self.subscribers:
                try:
                    subscriber(event)
                except Exception:
                    log.exception("an observer failed on %s", type(event).__name__)


class TurnRecorder:
    """A replay's (or a bench's) record: every finished turn, every barge-in, the listener's
    lag per frame. Kept for one input, handed to the report at its end."""

    def __init__(self):
        self.turns: list[dict] = []
        self.barge_ins: list[BargeIn] = []
        self.lag_ms = array("f")
        self.notices: list[str] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, TurnCompleted):
            self.turns.append(dict(event.metrics))
        elif isinstance(event, BargeIn):
            self.barge_ins.append(event)
        elif isinstance(event, ListenerLag):
            self.lag_ms.extend(event.lag_ms)
        elif isinstance(event, Notice):
            self.notices.append(event.message)

    def barge_in_records(self, t0_ns: int) -> list[dict]:
        """Onset and silence on the input's timeline, and the latencies between them."""
        return [{"t_onset_ms": round(ms(b.t_onset_ns - t0_ns), 1),
                 "t_silent_ms": round(ms(b.t_silent_ns - t0_ns), 1),
                 "latency_ms": round(ms(b.t_silent_ns - b.t_onset_ns), 1),
                 "detect_to_silent_ms": round(ms(b.t_silent_ns - b.t_detected_ns), 1)}
                for b in self.barge_ins]


class LogWriter:
    """Appends every finished turn to the conversation log; says once if it cannot."""

    def __init__(self, conversation_log, notify: Callable[[str, str], None]):
        self.log = conversation_log
        self.notify = notify
        self._failed = False

    def __call__(self, event: Event) -> None:
        if not isinstance(event, TurnCompleted):
            return
        try:
            self.log.append(event.metrics)
            self._failed = False
        except OSError as exc:
            if not self._failed:
                self.notify(f"Could not write the conversation log: {exc}.", "warning")
            self._failed = True


def trim_memory_after_turns(event: Event) -> None:
    """A long session stays flat: freed memory goes back to the system after each turn (see
    assistant/memory.py)."""
    if isinstance(event, TurnCompleted):
        release_free_memory()
