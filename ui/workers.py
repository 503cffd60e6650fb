"""Running slow work (loading models, downloads, test sounds) off the GUI thread.

The boring Qt way: a worker QObject moved to its own QThread; its signals reach the GUI
thread through queued connections to a handle that lives there; the thread quits when the
work returns and both objects are deleted with `deleteLater`. Work is cancelled through a
thread-safe core mechanism (a `threading.Event`), never through a queued slot, because the
worker's thread is busy inside the call and would only see the slot afterwards.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

_running: set["WorkHandle"] = set()  # Python must hold the objects while their thread runs


class _Worker(QObject):
    finished = Signal(object)
    failed = Signal(object)
    progress = Signal(object)

    def __init__(self, fn: Callable):
        super().__init__()
        self._fn = fn

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self.progress.emit)
        except BaseException as exc:  # reported to the GUI; a worker must not die silently
            log.debug("worker failed", exc_info=True)
            self.failed.emit(exc)
        else:
            self.finished.emit(result)


class WorkHandle(QObject):
    """Lives on the GUI thread; calls the callbacks there. `done` fires after either."""

    done = Signal()

    def __init__(self, on_done=None, on_error=None, on_progress=None):
        super().__init__()
        self._on_done, self._on_error, self._on_progress = on_done, on_error, on_progress
        self.thread: QThread | None = None
        self.result = None
        self.error: BaseException | None = None
        self.finished_ok = False

    @Slot(object)
    def _finished(self, result) -> None:
        self.result, self.finished_ok = result, True
        if self._on_done is not None:
            self._on_done(result)

    @Slot(object)
    def _failed(self, exc) -> None:
        self.error = exc
        if self._on_error is not None:
            self._on_error(exc)
        else:
            log.error("background work failed: %s", exc)

    @Slot(object)
    def _progress(self, value) -> None:
        if self._on_progress is not None:
            self._on_progress(value)

    @Slot()
    def _thread_finished(self) -> None:
        # `finished` is emitted from the thread just before it exits: wait for the exit before
        # letting go of the Python wrappers, whose release would destroy a running QThread
        self.wait()
        _running.discard(self)
        self.thread = self._worker = None
        self.done.emit()

    def is_running(self) -> bool:
        return self.thread is not None

    def wait(self, timeout_s: float | None = None) -> bool:
        thread = self.thread
        if thread is None:
            return True
        try:
            return thread.wait() if timeout_s is None else thread.wait(int(timeout_s * 1000))
        except RuntimeError:  # already finished and deleted
            return True


def run_in_thread(fn: Callable[[Callable], object], *, on_done=None, on_error=None,
                  on_progress=None, name: str = "worker") -> WorkHandle:
    """Run `fn(report_progress)` on a new QThread; callbacks run on the GUI thread."""
    handle = WorkHandle(on_done, on_error, on_progress)
    thread = QThread()
    thread.setObjectName(name)
    worker = _Worker(fn)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(handle._finished)
    worker.failed.connect(handle._failed)
    worker.progress.connect(handle._progress)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    thread.finished.connect(handle._thread_finished)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    handle.thread, handle._worker = thread, worker
    _running.add(handle)
    thread.start()
    return handle


def wait_all(timeout_s: float = 10.0) -> bool:
    """Wait for every worker thread (at shutdown: a QThread destroyed while running aborts)."""
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
