"""Running slow work (loading models, downloads, test sounds) off the GUI thread.

The work runs on a plain Python thread that makes no Qt call at all: its progress and its
result go through a `ui.inbox.GuiInbox` (see there for why), whose timer calls the callbacks
on the GUI thread. Work is cancelled through a thread-safe core mechanism such as a
`threading.Event`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from PySide6.QtCore import QObject, Signal

from ui.inbox import GuiInbox

log = logging.getLogger(__name__)

POLL_MS = 10  # how often the GUI thread looks for news from a running worker

_running: set["WorkHandle"] = set()  # Python must hold the handles while their work runs


class WorkHandle(QObject):
    """Lives on the GUI thread; calls the callbacks there. `done` fires after either
    `on_done` or `on_error`, once the thread has ended."""

    done = Signal()

    def __init__(self, on_done=None, on_error=None, on_progress=None, poll_ms: int = POLL_MS):
        super().__init__()
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self._inbox = GuiInbox(self._drain, poll_ms, parent=self)  # filled by the worker thread
        self.worker_thread: threading.Thread | None = None
        self.result = None
        self.error: BaseException | None = None
        self.finished_ok = False

    def _start(self, fn: Callable, name: str) -> None:
        self.worker_thread = threading.Thread(target=self._work, args=(fn,), name=name,
                                              daemon=True)
        _running.add(self)
        self._inbox.timer.start()
        self.worker_thread.start()

    def _work(self, fn: Callable) -> None:
        """On the worker thread: no Qt calls, only posts to the inbox."""
        try:
            result = fn(lambda value: self._inbox.post(("progress", value)))
        except BaseException as exc:  # reported to the GUI; a worker must not die silently
            log.debug("worker failed", exc_info=True)
            self._inbox.post(("failed", exc))
        else:
            self._inbox.post(("finished", result))

    def _drain(self, items: list) -> None:
        """On the GUI thread (the timer): hand on what the worker has sent so far; the
        result or the failure comes last."""
        for kind, value in items:
            if kind == "progress":
                if self._on_progress is not None:
                    self._on_progress(value)
                continue
            self._end()
            try:
                self._deliver(kind, value)
            finally:  # `done` fires even if a callback raised
                self.done.emit()
            return

    def _deliver(self, kind: str, value) -> None:
        if kind == "finished":
            self.result, self.finished_ok = value, True
            if self._on_done is not None:
                self._on_done(value)
            return
        self.error = value
        if self._on_error is not None:
            self._on_error(value)
        else:
            log.error("background work failed: %s", value)

    def _end(self) -> None:
        self._inbox.timer.stop()
        if self.worker_thread is not None:
            self.worker_thread.join()  # it has sent its last item, so it ends at once
        self.worker_thread = None
        _running.discard(self)

    def is_running(self) -> bool:
        return self.worker_thread is not None

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the work to return (the callbacks run later, on the GUI thread's timer)."""
        thread = self.worker_thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()


def run_in_thread(fn: Callable[[Callable], object], *, on_done=None, on_error=None,
                  on_progress=None, name: str = "worker") -> WorkHandle:
    """Run `fn(report_progress)` on a new thread; the callbacks run on the GUI thread.
    Call it from the GUI thread."""
    handle = WorkHandle(on_done, on_error, on_progress)
    handle._start(fn, name)
    return handle


def wait_all(timeout_s: float = 10.0) -> bool:
    """Wait for every worker thread to return (at shutdown)."""
    deadline = time.monotonic() + timeout_s
    for handle in list(_running):
        if not handle.wait(max(0.0, deadline - time.monotonic())):
            return False
    return True


class Throttle:
    """Pass a value on at most every `interval_s`, and always the last one (progress bars)."""

    def __init__(self, emit: Callable, interval_s: float = 0.05):
        self._emit, self._interval = emit, interval_s
        self._last = 0.0

    def __call__(self, value, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self._last >= self._interval:
            self._last = now
            self._emit(value)
