"""The one door from the core's threads into the GUI thread.

Core threads call `post(event)`; it only emits a signal, which Qt queues to the GUI thread
(Qt.QueuedConnection), so no widget is ever touched off the GUI thread. On the GUI side
events are collected and handed on in batches at most ~30 times a second: a reply streaming
a hundred tokens a second, or a recognizer re-guessing every frame, costs one redraw per
batch, not one per event.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from assistant.events import PartialTranscript

log = logging.getLogger(__name__)

BATCH_INTERVAL_MS = 33


def coalesce(events: list) -> list:
    """Drop partial transcripts that a later one in the batch replaces (each partial is the
    recognizer's whole current guess, so only the newest matters). Tokens are kept: the
    conversation view appends them all and redraws once."""
    out = []
    for event in events:
        if (isinstance(event, PartialTranscript) and out
                and isinstance(out[-1], PartialTranscript) and out[-1].turn_id == event.turn_id):
            out[-1] = event
        else:
            out.append(event)
    return out


class EventBridge(QObject):
    """`post` from any thread; connect to `delivered(list_of_events)` on the GUI thread."""

    arrived = Signal(object)  # one core event, emitted on a core thread
    delivered = Signal(object)  # a batch of events, on the GUI thread

    def __init__(self, parent: QObject | None = None, interval_ms: int = BATCH_INTERVAL_MS):
        super().__init__(parent)
        self._pending: list = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self.arrived.connect(self._collect, Qt.ConnectionType.QueuedConnection)
        self.closed = False
        self.counts = {"posted": 0, "batches": 0}

    def post(self, event) -> None:
        """Thread-safe; the core's `on_event`. After `close()` events are dropped, so core
        threads still winding down cannot reach a window that is gone."""
        if self.closed:
            return
        try:
            self.arrived.emit(event)
        except RuntimeError:  # the Qt object was deleted under a late core thread
            self.closed = True

    def close(self) -> None:
        self.closed = True
        self._timer.stop()

    @Slot(object)
    def _collect(self, event) -> None:
        if self.closed:
            return
        self.counts["posted"] += 1
        self._pending.append(event)
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def flush(self) -> None:
        """Hand on what has arrived now (tests call it to skip the wait)."""
        batch, self._pending = coalesce(self._pending), []
        if batch:
            self.counts["batches"] += 1
            self.delivered.emit(batch)
