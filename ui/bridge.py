"""The one door from the core's threads into the GUI thread.

Core threads call `post(event)` (a `ui.inbox.GuiInbox`: a deque append, no Qt call). A timer
on the GUI thread hands the events on in batches at most ~30 times a second: a reply
streaming a hundred tokens a second, or a recognizer re-guessing every frame, costs one
redraw per batch, not one per event.

Before they are handed on, the events go through `assistant.shown_events.ShownEvents`, the
rule every consumer of the loop shares: a speculative reply's words come out only once it is
committed, never if it is discarded, and stale reports not at all. So no widget of the window
judges restarts or generations for itself.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

from assistant.events import PartialTranscript
from assistant.shown_events import ShownEvents
from ui.inbox import GuiInbox

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

    delivered = Signal(object)  # a batch of events, on the GUI thread

    def __init__(self, parent: QObject | None = None, interval_ms: int = BATCH_INTERVAL_MS):
        super().__init__(parent)
        self._inbox = GuiInbox(self._deliver, interval_ms, parent=self)  # filled by core threads
        self._inbox.timer.start()
        self.closed = False
        self.shown = ShownEvents()  # fed on the GUI thread only, in the order events came
        self.counts = {"posted": 0, "batches": 0}

    def post(self, event) -> None:
        """Thread-safe; the core's `on_event`. After `close()` events are dropped, so core
        threads still winding down cannot reach a window that is gone."""
        if not self.closed:
            self._inbox.post(event)

    def close(self) -> None:
        self.closed = True
        self._inbox.timer.stop()

    @Slot()
    def flush(self) -> None:
        """Hand on what has arrived now (the timer does it; tests call it to skip the wait)."""
        if not self.closed:
            self._inbox.flush()

    def _deliver(self, events: list) -> None:
        self.counts["posted"] += len(events)
        batch = coalesce([shown for event in events for shown in self.shown.feed(event)])
        if batch:
            self.counts["batches"] += 1
            self.delivered.emit(batch)
