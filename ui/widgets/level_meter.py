"""The input level meter: polls a level (dBFS) at ~30 Hz and paints a bar.

The core keeps the latest level in a one-slot value (`Session.input_level_dbfs`); pulling it
on a timer means the audio thread never has to talk to the GUI at all.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import theme

FLOOR_DB = -60.0
POLL_MS = 33


class LevelMeter(QWidget):
    def __init__(self, level: Callable[[], float] | None = None, parent=None):
        super().__init__(parent)
        self._level_fn = level or (lambda: -120.0)
        self.level_db = -120.0
        self.peak_db = -120.0
        self.polls = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Microphone level")
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def set_source(self, level: Callable[[], float]) -> None:
        self._level_fn = level

    def sizeHint(self) -> QSize:
        return QSize(160, 10)

    def poll(self) -> None:
        self.polls += 1
        try:
            value = float(self._level_fn())
        except Exception:  # a source being swapped under us reads as silence for a frame
            value = -120.0
        # fall slowly, rise at once: easier to read than the raw 20 ms levels
        self.level_db = value if value > self.level_db else max(value, self.level_db - 3.0)
        self.peak_db = value if value > self.peak_db else self.peak_db - 0.8
        self.update()

    @staticmethod
    def fraction(db: float) -> float:
        return min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = rect.height() / 2
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#e3e8ef"))
        p.drawRoundedRect(rect, radius, radius)
        level = self.fraction(self.level_db)
        if level > 0:
            # clipping territory in red, a comfortable speaking level in green
            if self.level_db > -6:
                p.setBrush(theme.BAD)
            elif self.level_db > -18:
                p.setBrush(theme.OK)
            else:
                p.setBrush(theme.GOOD)
            p.drawRoundedRect(QRectF(rect.x(), rect.y(), max(rect.height(), rect.width() * level),
                                     rect.height()), radius, radius)
        peak = self.fraction(self.peak_db)
        if peak > 0:
            x = rect.x() + rect.width() * peak
            p.setBrush(theme.TEXT)
            p.drawRect(QRectF(min(x, rect.right() - 2), rect.y(), 2, rect.height()))
        p.end()
