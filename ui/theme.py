"""Colours, fonts and the style sheet, so every widget agrees on what green means."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication

GOOD = QColor("#2e9e5b")
OK = QColor("#d99a1e")
BAD = QColor("#d64541")
MUTED = QColor("#8a94a3")
TEXT = QColor("#1f2933")
ACCENT = QColor("#3b6fd8")
PANEL = QColor("#f4f6f9")
BORDER = QColor("#dde2ea")

# one colour per latency stage; neighbours differ in hue so a stacked bar reads at a glance
STAGE_COLOURS = {
    "endpointing": QColor("#8aa4c8"),
    "stt_final": QColor("#5b8def"),
    "llm_first_token": QColor("#9b6ddb"),
    "first_chunk": QColor("#d873b5"),
    "tts_first_audio": QColor("#f0a35e"),
    "playback_start": QColor("#4fb3a9"),
}
STAGE_LABELS = {
    "endpointing": "End of turn",
    "stt_final": "Transcript",
    "llm_first_token": "First token",
    "first_chunk": "First phrase",
    "tts_first_audio": "First audio",
    "playback_start": "Playback",
}

STATE_LOOK = {  # state -> (label, colour)
    "loading": ("Loading models…", MUTED),
    "listening": ("Listening", GOOD),
    "typing": ("Typing only", MUTED),  # "listening" with no microphone to listen on
    "hearing": ("Hearing you", ACCENT),
    "thinking": ("Thinking…", OK),
    "speaking": ("Speaking", QColor("#9b6ddb")),
    "interrupted": ("Interrupted", BAD),
    "error": ("Error", BAD),
}


def latency_colour(ms: float | None) -> QColor:
    """Green under half a second (feels like a conversation), amber under a second, else red."""
    if ms is None:
        return MUTED
    if ms < 500:
        return GOOD
    if ms < 1000:
        return OK
    return BAD


def format_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


STYLE_SHEET = """
QMainWindow, QDialog { background: #ffffff; }
QWidget { color: #1f2933; }
QFrame#card { background: #f4f6f9; border: 1px solid #dde2ea; border-radius: 10px; }
QFrame#chatCard { background: #ffffff; border: 1px solid #dde2ea; border-radius: 10px; }
QLabel#cardTitle { color: #5c6776; font-weight: 600; letter-spacing: 0.5px; }
QLabel#hint { color: #7b8594; }
QLabel#fieldError { color: #c0392b; }
QPushButton {
    background: #ffffff; border: 1px solid #c9d1dc; border-radius: 7px; padding: 6px 14px;
}
QPushButton:hover { background: #eef2f8; }
QPushButton:pressed, QPushButton:checked { background: #dfe7f5; border-color: #3b6fd8; }
QPushButton:disabled { color: #a0a8b4; }
QPushButton#talk {
    background: #3b6fd8; color: white; border: none; border-radius: 10px;
    font-size: 15px; font-weight: 600; padding: 12px 22px;
}
QPushButton#talk:hover { background: #3363c4; }
QPushButton#talk:pressed, QPushButton#talk[held="true"] { background: #244a99; }
QPushButton#talk:disabled { background: #c9d1dc; color: #f4f6f9; }
QPushButton#stop { color: #c0392b; }
QLineEdit, QPlainTextEdit {
    border: 1px solid #c9d1dc; border-radius: 6px; padding: 5px 7px; background: #ffffff;
}
QLineEdit:focus, QPlainTextEdit:focus { border-color: #3b6fd8; }
QLineEdit[invalid="true"] { border-color: #d64541; background: #fff6f5; }
QScrollArea { border: none; background: transparent; }
QProgressBar { border: 1px solid #c9d1dc; border-radius: 6px; text-align: center; height: 18px; }
QProgressBar::chunk { background: #3b6fd8; border-radius: 5px; }
QTabWidget::pane { border: 1px solid #dde2ea; border-radius: 8px; top: -1px; }
QTabBar::tab { padding: 7px 16px; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")  # the same look on every desktop, and under Xvfb
    font = QFont(app.font())
    font.setPointSizeF(10.0)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
