"""The timers and alarms that are set, each with a live countdown and a Cancel button.

Filled from the core's `TimersChanged` events (soonest first); the countdowns are read off the
wall clock four times a second, so nothing is asked of the core while they run. A timer that
has just rung stays a few seconds as "Done". Hidden when nothing is set.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

DONE_SHOWN_S = 5.0


def countdown(seconds: float) -> str:
    """"4:05", "1:02:03"; never below zero."""
    seconds = max(int(seconds + 0.999), 0)  # 0.2 s left still shows 0:01
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TimersPanel(QFrame):
    cancel_requested = Signal(int)  # a timer id

    def __init__(self, parent=None, wall=time.time):
        super().__init__(parent)
        self.setObjectName("card")
        self.wall = wall
        self.timers: tuple = ()  # TimerViews, soonest first
        self._done: dict[int, tuple[str, float]] = {}  # rung: id -> (name, shown until)
        self.rows: dict[int, tuple[QLabel, QLabel, QPushButton]] = {}
        title = QLabel("TIMERS")
        title.setObjectName("cardTitle")
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(title)
        layout.addWidget(self._grid_host)
        self.tick = QTimer(self)
        self.tick.setInterval(250)
        self.tick.timeout.connect(self.refresh)
        self.hide()

    def set_timers(self, timers: tuple) -> None:
        now = self.wall()
        new_ids = {t.timer_id for t in timers}
        for old in self.timers:
            if old.timer_id not in new_ids and old.due_epoch_s <= now + 1.5:
                self._done[old.timer_id] = (old.name, now + DONE_SHOWN_S)  # it rang
        self.timers = tuple(timers)
        self._rebuild()

    def _rebuild(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.rows.clear()
        row = 0
        for timer in self.timers:
            name = QLabel(timer.name[0].upper() + timer.name[1:])
            left = QLabel()
            left.setObjectName("timerLeft")
            left.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            left.setStyleSheet("font-size:15px; font-weight:600; font-family:monospace;")
            cancel = QPushButton("Cancel")
            cancel.setToolTip(f"Cancel the {timer.name}")
            cancel.clicked.connect(lambda _=False, i=timer.timer_id: self.cancel_requested.emit(i))
            for column, widget in enumerate((name, left, cancel)):
                self._grid.addWidget(widget, row, column)
            self.rows[timer.timer_id] = (name, left, cancel)
            row += 1
        for timer_id, (name, _until) in self._done.items():
            done = QLabel(f"{name[0].upper()}{name[1:]}: done")
            done.setObjectName("hint")
            self._grid.addWidget(done, row, 0, 1, 3)
            row += 1
        self.refresh()

    def refresh(self) -> None:
        now = self.wall()
        expired = [i for i, (_n, until) in self._done.items() if until <= now]
        if expired:
            for timer_id in expired:
                del self._done[timer_id]
            self._rebuild()
            return
        for timer in self.timers:
            _name, left, _cancel = self.rows[timer.timer_id]
            text = countdown(timer.due_epoch_s - now)
            if timer.kind == "alarm":
                at = datetime.fromtimestamp(timer.due_epoch_s)
                text = f"in {text}"
                left.setToolTip(f"Rings at {at:%H:%M}")
            left.setText(text)
        visible = bool(self.timers or self._done)
        self.setVisible(visible)
        if visible and not self.tick.isActive():
            self.tick.start()
        elif not visible:
            self.tick.stop()
