"""The message strip at the top of the window: notices from the core, the first-run offers to
download a speech model or a stronger LLM, and errors that would otherwise have ended in a
crash dialog.

Each message is a row with an optional action button, an optional "decline" button (an
offer's "Not now") and a close button. Messages with the same key replace each other, so a
repeated notice does not pile up. The level's icon is the style's own (drawn by Qt, not a
font's symbol, so it shows whatever fonts are installed).

`BannerArea` holds the strip in the window: never taller than its cap, it scrolls when
messages pile up, so they never push the window's controls off the screen.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QStyle, QTextBrowser,
    QVBoxLayout, QWidget,
)

SP = QStyle.StandardPixmap
LOOK = {  # level -> (background, border, the style's icon)
    "info": ("#eaf1fd", "#b9cdf3", SP.SP_MessageBoxInformation),
    "warning": ("#fff6e0", "#f0d28a", SP.SP_MessageBoxWarning),
    "error": ("#fdecea", "#f1b0a9", SP.SP_MessageBoxCritical),
}
ICON_PX = 18
INFO_TIMEOUT_MS = 10_000


class WrappingText(QTextBrowser):
    """Read-only text that wraps at word boundaries, or anywhere inside a word too long for
    the width (a path or a command), and is exactly as tall as its lines. A QLabel cannot
    break a long word, so one long path would widen the whole window past the screen; and
    the text copied out is the text given, with nothing inserted to make it wrap."""

    def __init__(self, text: str, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.document().setDocumentMargin(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(120)
        self.setPlainText(text)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)

    def _fit_height(self, *_args) -> None:
        self.setFixedHeight(int(self.document().size().height()) + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.document().setTextWidth(self.viewport().width())
        self._fit_height()

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())


class BannerMessage(QFrame):
    def __init__(self, key: str, text: str, level: str, parent=None):
        super().__init__(parent)
        self.key, self.level = key, level
        background, border, icon = LOOK.get(level, LOOK["info"])
        self.setObjectName("bannerMessage")
        self.setStyleSheet(f"QFrame#bannerMessage {{ background:{background}; "
                           f"border:1px solid {border}; border-radius:8px; }}")
        self.icon = QLabel()
        self.icon.setPixmap(self.style().standardIcon(icon).pixmap(ICON_PX, ICON_PX))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.label = WrappingText(text)
        self.action_button = QPushButton()
        self.action_button.hide()
        self.decline_button = QPushButton()
        self.decline_button.setFlat(True)
        self.decline_button.hide()
        self.close_button = QPushButton("×")  # in DejaVu Sans (tests/unit/ui/test_symbols.py)
        self.close_button.setFlat(True)
        self.close_button.setStyleSheet("QPushButton { border:none; padding:2px 8px; "
                                        "font-size:16px; background:transparent; }")
        self.close_button.setToolTip("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.decline_button)
        layout.addWidget(self.close_button)

    @property
    def text(self) -> str:
        return self.label.toPlainText()


class Banner(QWidget):
    changed = Signal()  # a message came or went

    def __init__(self, parent=None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._rows: dict[str, BannerMessage] = {}
        self.hide()

    def show_message(self, text: str, level: str = "info", *, key: str | None = None,
                     action: tuple[str, Callable[[], None]] | None = None,
                     decline: tuple[str, Callable[[], None]] | None = None,
                     timeout_ms: int | None = None) -> BannerMessage:
        """Show `text`; info messages without an action fade after a while unless told.
        With `decline` ("Not now", callback), that button and the close button both dismiss
        the message and call the callback: either way the person said no."""
        key = key or f"{level}:{text}"
        self.dismiss(key)
        row = BannerMessage(key, text, level, self)
        row.close_button.clicked.connect(lambda: self.dismiss(key))
        if action is not None:
            row.action_button.setText(action[0])
            row.action_button.clicked.connect(action[1])
            row.action_button.show()
        if decline is not None:
            row.decline_button.setText(decline[0])
            row.decline_button.clicked.connect(lambda: self.dismiss(key))
            for button in (row.decline_button, row.close_button):
                button.clicked.connect(decline[1])
            row.decline_button.show()
        self._rows[key] = row
        self._layout.addWidget(row)
        self.show()
        self.changed.emit()
        if timeout_ms is None and level == "info" and action is None:
            timeout_ms = INFO_TIMEOUT_MS
        if timeout_ms:
            QTimer.singleShot(timeout_ms, row, lambda: self._expire(row))
        return row

    def _expire(self, row: BannerMessage) -> None:
        if self._rows.get(row.key) is row:
            self.dismiss(row.key)

    def dismiss(self, key: str) -> None:
        row = self._rows.pop(key, None)
        if row is not None:
            row.hide()
            row.deleteLater()
        if not self._rows:
            self.hide()
        if row is not None:
            self.changed.emit()

    def has(self, key: str) -> bool:
        return key in self._rows

    def messages(self) -> list[tuple[str, str]]:
        """(level, text) of every message shown, oldest first."""
        return [(row.level, row.text) for row in self._rows.values()]


class BannerArea(QScrollArea):
    """The banner, as tall as its messages up to `cap` pixels, then scrolling; hidden when
    there is nothing to say. The window sets the cap from its own height."""

    def __init__(self, banner: Banner, parent=None):
        super().__init__(parent)
        self.banner = banner
        self.cap = 180
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(True)
        self.setWidget(banner)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        banner.changed.connect(self.refit)
        self.refit()

    def set_cap(self, pixels: int) -> None:
        if pixels != self.cap:
            self.cap = pixels
            self.refit()

    def refit(self) -> None:
        """As tall as the messages need at the present width, at most `cap`."""
        if not self.banner.messages():
            self.hide()
            return
        layout = self.banner.layout()
        layout.activate()
        need = layout.totalMinimumSize().height()
        self.setFixedHeight(max(1, min(need, self.cap)))
        self.show()

    def eventFilter(self, watched, event) -> bool:
        # a message re-wrapped at a new width asks its layout for a new height
        if watched is self.banner and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self.refit)
        return super().eventFilter(watched, event)
