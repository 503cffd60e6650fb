"""How anything gets from another thread into the GUI thread in this app.

Other threads call `post(item)`, which only appends to a thread-safe deque and makes no Qt
call at all. A timer on the GUI thread takes what has arrived and hands it, in order, to
`handle(items)`. Emitting a Qt signal from another thread instead takes one of Qt's
connection locks and then needs the GIL, while the GUI thread may hold the GIL and want that
same lock: a deadlock that keeps the GIL, so no Python thread runs again (seen as a hang of
the whole app, and of a CI run). The core's events (`ui.bridge`), background work
(`ui.workers`) and exceptions on other threads (`ui.app.ErrorReporter`) all come in this way.
"""

from __future__ import annotations

import collections
from typing import Callable

from PySide6.QtCore import QObject, QTimer


class GuiInbox(QObject):
    """`post()` from any thread; `handle(items)` runs on the GUI thread while `timer` runs
    (its owner starts and stops it)."""

    def __init__(self, handle: Callable[[list], None], interval_ms: int,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._items: collections.deque = collections.deque()
        self._handle = handle
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.flush)

    def post(self, item) -> None:
        """Thread-safe, and no Qt call."""
        self._items.append(item)

    def flush(self) -> None:
        """On the GUI thread: hand on what has arrived now."""
        items = []
        while self._items:
            items.append(self._items.popleft())
        if items:
            self._handle(items)
