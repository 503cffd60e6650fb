"""What the assistant is doing, as a coloured dot and a word."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ui import theme

SHOWN_DETAIL = ("error", "typing")


class _Dot(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.colour = theme.MUTED
        self.setFixedSize(QSize(14, 14))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        halo = QColor(self.colour)
        halo.setAlpha(60)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(halo)
        p.drawEllipse(QRectF(0, 0, 14, 14))
        p.setBrush(self.colour)
        p.drawEllipse(QRectF(3, 3, 8, 8))
        p.end()


class ElidedLabel(QLabel):
    """One line that ends in "…" when it does not fit, instead of widening the window (the
    whole text is in the tooltip)."""

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(min(super().sizeHint().width(), 240), super().sizeHint().height())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setPen(self.palette().color(self.foregroundRole()))
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             self.contentsRect().width())
        p.drawText(self.contentsRect(), int(Qt.AlignmentFlag.AlignVCenter), text)
        p.end()


class StateIndicator(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.state = ""
        self.dot = _Dot(self)
        self.label = QLabel(self)
        font = QFont(self.label.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setWeight(QFont.Weight.DemiBold)
        self.label.setFont(font)
        self.detail = ElidedLabel(self)
        self.detail.setObjectName("hint")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        layout.addWidget(self.detail, 1)
        self.set_state("loading")

    def set_state(self, state: str, detail: str = "") -> None:
        text, colour = theme.STATE_LOOK.get(state, (state.capitalize(), theme.MUTED))
        self.state = state
        self.label.setText(text)
        self.dot.colour = colour
        self.dot.update()
        # the core's detail is for logs ("loading models"); only errors, and why it is typing
        # only, need it on screen
        self.detail.setText(detail if state in SHOWN_DETAIL else "")
        self.setToolTip(detail or text)
