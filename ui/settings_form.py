"""Fields of the settings dialog: each one knows its setting key, how to read its widget and
where to show the error the core's validation gives for it (`ConfigError` names the key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget,
)

from ui.wording import for_window


@dataclass
class Field:
    key: str  # "section.name", as `assistant.config.set_value` takes it
    widget: QWidget
    read: Callable[[], Any]
    error: QLabel

    def show_error(self, message: str) -> None:
        message = for_window(message)
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.widget.setProperty("invalid", bool(message))
        self.widget.style().unpolish(self.widget)
        self.widget.style().polish(self.widget)


class Form(QFormLayout):
    """A form whose rows register their fields with the dialog."""

    def __init__(self, fields: dict[str, Field], parent: QWidget | None = None):
        super().__init__(parent)
        self.fields = fields
        self.setSpacing(8)
        self.setHorizontalSpacing(14)
        self.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)

    def add(self, key: str, label: str, widget: QWidget, read: Callable[[], Any] | None = None,
            hint: str = "", extra: QWidget | None = None) -> Field:
        error = QLabel()
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.hide()
        box = QWidget()
        # the box takes the whole row, so hints and errors wrap at its width, not the field's
        box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        if extra is None:
            column.addWidget(widget, 0, Qt.AlignmentFlag.AlignLeft)
        else:
            column.addWidget(extra)
        column.addWidget(error)
        if hint:
            note = QLabel(hint)
            note.setObjectName("hint")
            note.setWordWrap(True)
            column.addWidget(note)
        field = Field(key, widget, read or reader(widget), error)
        self.fields[key] = field
        self.addRow(label, box)
        return field


def reader(widget: QWidget) -> Callable[[], Any]:
    """The raw value of a widget; the core's validation converts and checks it."""
    if isinstance(widget, QCheckBox):
        return widget.isChecked
    if isinstance(widget, QComboBox):
        def read_combo():
            index = widget.currentIndex()
            data = widget.itemData(index) if index >= 0 else None
            if widget.isEditable() and widget.currentText() != widget.itemText(index):
                return widget.currentText().strip()  # typed in, not picked
            return data if data is not None else widget.currentText().strip()
        return read_combo
    if isinstance(widget, QLineEdit):
        return lambda: widget.text().strip()
    if hasattr(widget, "toPlainText"):
        return widget.toPlainText
    raise TypeError(f"no reader for {type(widget).__name__}")


def line(value: Any, width: int | None = 110) -> QLineEdit:
    edit = QLineEdit(str(value))
    if width:
        edit.setMaximumWidth(width)
    return edit


def combo(items: list[tuple[str, Any]], current: Any, editable: bool = False) -> QComboBox:
    box = QComboBox()
    box.setEditable(editable)
    for text, data in items:
        box.addItem(text, data)
    index = box.findData(current)
    if index < 0 and current not in (None, ""):
        box.addItem(str(current), current)  # a value set by hand or on the command line
        index = box.count() - 1
    box.setCurrentIndex(max(0, index))
    return box


def checkbox(text: str, checked: bool) -> QCheckBox:
    box = QCheckBox(text)
    box.setChecked(checked)
    return box
