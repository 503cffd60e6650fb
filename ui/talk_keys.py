"""Hold Space to talk, anywhere in the window except where Space types a character.

An application-wide event filter sees the key before the focused widget does, so holding
Space over a focused button does not also click it. Auto-repeat is ignored: a held key sends
one press and one release. Losing the window while the key is held counts as a release, or
the assistant would listen forever.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget,
)


def types_text(widget: QWidget | None) -> bool:
    if isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)):
        return not getattr(widget, "isReadOnly", lambda: False)()
    return isinstance(widget, QComboBox) and widget.isEditable()


class SpaceToTalk(QObject):
    pressed = Signal()
    released = Signal()

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.window = window
        self.held = False
        app = QApplication.instance()
        app.installEventFilter(self)

    def uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.WindowDeactivate and obj is self.window and self.held:
            self._release()
            return False
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride):
            return False
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() != Qt.Key.Key_Space or modifiers:  # Ctrl+Space and friends are not talk
            return False
        if not isinstance(obj, QWidget) or obj.window() is not self.window:
            return False
        if types_text(obj) or types_text(QApplication.focusWidget()):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            return False
        if event.isAutoRepeat():
            return True
        if kind == QEvent.Type.KeyPress and not self.held:
            self.held = True
            self.pressed.emit()
        elif kind == QEvent.Type.KeyRelease and self.held:
            self._release()
        return True

    def _release(self) -> None:
        self.held = False
        self.released.emit()
