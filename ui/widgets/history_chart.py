"""A small bar chart of the last turns' voice-to-voice times, coloured by threshold."""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ui import theme

GUIDES_MS = (500, 1000)  # the thresholds the colours use


class HistoryChart(QWidget):
    def __init__(self, capacity: int = 50, parent=None):
        super().__init__(parent)
        self.capacity = capacity
        self.values: deque[float | None] = deque(maxlen=capacity)
        self.setMinimumHeight(90)
        self.setMaximumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(280, 150)

    def add(self, v2v_ms: float | None) -> None:
        self.values.append(v2v_ms)
        self.update()

    def clear(self) -> None:
        self.values.clear()
        self.update()

    def _scale_max(self) -> float:
        known = [v for v in self.values if v is not None]
        return max([1200.0, *known]) * 1.1

    def _slot(self) -> float:
        return self.width() / self.capacity

    def event(self, event) -> bool:
        if event.type() == event.Type.ToolTip:
            index = int(event.pos().x() // self._slot()) - (self.capacity - len(self.values))
            if 0 <= index < len(self.values):
                age = len(self.values) - 1 - index
                when = "last turn" if age == 0 else f"{age} turn{'s' if age > 1 else ''} before"
                QToolTip.showText(event.globalPos(),
                                  f"{theme.format_ms(self.values[index])} ({when})", self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), QColor("#ffffff"))
        top = self._scale_max()
        pen = QPen(QColor("#c9d1dc"))
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setFont(self.font())
        last_label_y = None
        for guide in reversed(GUIDES_MS):
            y = h - 1 - (h - 4) * guide / top
            p.setPen(pen)
            p.drawLine(QPointF(0, y), QPointF(w, y))
            if last_label_y is None or y - last_label_y >= 14:  # slow turns squeeze the guides
                p.setPen(theme.MUTED)
                p.drawText(QRectF(2, y - 14, 60, 13), Qt.AlignmentFlag.AlignLeft, f"{guide} ms")
                last_label_y = y
        slot = self._slot()
        first = self.capacity - len(self.values)  # newest on the right
        p.setPen(Qt.PenStyle.NoPen)
        for i, value in enumerate(self.values):
            x = (first + i) * slot
            if value is None:
                p.setBrush(theme.MUTED)
                p.drawRect(QRectF(x + 1, h - 3, max(1.0, slot - 2), 2))
                continue
            bar = max(2.0, (h - 4) * min(value, top) / top)
            p.setBrush(theme.latency_colour(value))
            p.drawRoundedRect(QRectF(x + 1, h - 1 - bar, max(1.0, slot - 2), bar), 1.5, 1.5)
        if not self.values:
            p.setPen(theme.MUTED)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no turns yet")
        p.end()
