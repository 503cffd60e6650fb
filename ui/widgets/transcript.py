"""The live transcript of what the user is saying right now.

Words the recognizer has settled on (`stable_text`) are drawn solid; the words after them,
which may still change with the next frame, are drawn lighter and in italics, so the person
sees both that they are heard and which words are still being worked out.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

STABLE_STYLE = "color:#1f2933;"
CHANGING_STYLE = "color:#8a94a3; font-style:italic;"
WAITING_STYLE = "color:#5b7bb0; font-size:90%;"
WAITING = "… take your time, I am listening"


def split_partial(text: str, stable_text: str) -> tuple[str, str]:
    """(settled part, changing part). The stable text is normally a prefix of the text; when
    the recognizer revised it anyway, everything counts as changing."""
    text, stable = text.strip(), stable_text.strip()
    if stable and text.startswith(stable):
        return stable, text[len(stable):].strip()
    return "", text


class TranscriptView(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(44)
        self.stable = ""
        self.changing = ""
        self.waiting = False  # the user paused, and the end-of-turn model says: not done
        self.placeholder = ""
        self.set_placeholder("Hold the button or the Space bar and speak, or type below.")

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        if not self.stable and not self.changing:
            self._render()

    def show_partial(self, text: str, stable_text: str = "") -> None:
        self.stable, self.changing = split_partial(text, stable_text)
        self.waiting = False  # words again: they are talking
        self._render()

    def pausing(self) -> None:
        """The user paused mid-sentence; the assistant waits for the rest (it says so, so a
        person who is thinking knows they are not being cut off)."""
        self.waiting = True
        self._render()

    def hearing(self) -> None:
        """Speech started but no words yet (Whisper's first come about half a second in)."""
        if not self.stable and not self.changing:
            self.setText(f"<span style='{CHANGING_STYLE}'>listening…</span>")

    def clear(self) -> None:
        self.stable = self.changing = ""
        self.waiting = False
        self._render()

    def plain_text(self) -> str:
        return " ".join(part for part in (self.stable, self.changing) if part)

    def _render(self) -> None:
        if not self.stable and not self.changing and not self.waiting:
            self.setText(f"<span style='color:#9aa3af;'>{html.escape(self.placeholder)}</span>")
            return
        parts = []
        if self.stable:
            parts.append(f"<span style='{STABLE_STYLE}'>{html.escape(self.stable)}</span>")
        if self.changing:
            parts.append(f"<span style='{CHANGING_STYLE}'>{html.escape(self.changing)}</span>")
        if self.waiting:
            parts.append(f"<span style='{WAITING_STYLE}'>{WAITING}</span>")
        self.setText(" ".join(parts))
