"""Where a window opens: inside the screen's available area (the desktop's panels left out),
at the size it wants if there is room, smaller if not, centred.

The window manager's frame is not known before the window is first shown, so a title bar's
height is allowed for; a screen without a window manager (Xvfb) just gets a little margin.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect, QSize
from PySide6.QtGui import QGuiApplication

FRAME_GUESS = QMargins(2, 38, 2, 2)  # a title bar and thin borders, until the real ones are known


def fit(available: QRect, wanted: QSize, frame: QMargins = FRAME_GUESS) -> QRect:
    """The client area's rectangle: `wanted`, shrunk so that it and its frame lie inside
    `available`, centred there."""
    room_w = available.width() - frame.left() - frame.right()
    room_h = available.height() - frame.top() - frame.bottom()
    width, height = min(wanted.width(), room_w), min(wanted.height(), room_h)
    x = available.x() + frame.left() + (room_w - width) // 2
    y = available.y() + frame.top() + (room_h - height) // 2
    return QRect(x, y, width, height)


def place(window, wanted: QSize) -> None:
    """Size and place `window` (not yet shown) on its screen, or the primary one."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(wanted)
        return
    window.setGeometry(fit(screen.availableGeometry(), wanted))
