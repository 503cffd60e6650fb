"""The conversation: the user's turns and the assistant's replies as they stream in.

The events come through `assistant.shown_events.ShownEvents` (ui/bridge.py feeds it): a
speculative reply's words arrive only once it is committed, after its `ReplyCommitted`, and
never if it was discarded; stale reports are already gone. So a reply is drawn from
`ReplyStarted` (not speculative) or `ReplyCommitted` on, and the view has no rule of its own
about generations.

A reply is drawn from two things the core reports: the tokens as the LLM writes them, and the
speakable chunks cut from them (`TextChunk`, with the index of the token that completed each).
Text already cut into chunks is drawn chunk by chunk, so the one being spoken
(`ChunkPlaybackStarted`) can be highlighted; the tokens after the last chunk are drawn as they
come. Updates only mark a turn dirty; the owner calls `render_dirty()` once per event batch.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from assistant.events import (
    ChunkPlaybackStarted, FinalTranscript, LlmFinished, LlmToken, PartialTranscript,
    PlaybackFinished, ReplyCommitted, ReplyStarted, SpeechStarted, TextChunk, TimerRinging,
    TurnCompleted,
)

USER_BUBBLE = "background:#3b6fd8; color:white; border-radius:12px;"
# a turn no one spoke (a timer ringing): a small line where the user's bubble would be
SYSTEM_NOTE = "background:transparent; color:#7b8594; font-size:12px;"
REPLY_BUBBLE = "background:#f1f3f7; color:#1f2933; border-radius:12px;"
SPEAKING = "background-color:#ffe9a8;"
UNSPOKEN = "color:#9aa3af; text-decoration:line-through;"


@dataclass
class Reply:
    tokens: list[str] = field(default_factory=list)
    chunks: dict[int, tuple[str, int]] = field(default_factory=dict)  # index -> (text, tokens)
    playing: int | None = None
    started: set[int] = field(default_factory=set)
    finished: bool = False
    interrupted: bool = False

    def plain(self) -> str:
        used = max((t for _, t in self.chunks.values()), default=0)
        parts = [self.chunks[i][0] for i in sorted(self.chunks)]
        return " ".join(parts + ["".join(self.tokens[used:]).strip()]).strip()

    def html(self) -> str:
        parts, used = [], 0
        for index in sorted(self.chunks):
            text, token_index = self.chunks[index]
            style = ""
            if index == self.playing:
                style = SPEAKING
            elif self.interrupted and index not in self.started:
                style = UNSPOKEN
            parts.append(f"<span style='{style}'>{html.escape(text)}</span>")
            used = max(used, token_index)
        tail = "".join(self.tokens[used:]).strip()
        if tail and not (self.finished and self.chunks):
            style = UNSPOKEN if self.interrupted else ""
            parts.append(f"<span style='{style}'>{html.escape(tail)}</span>")
        text = " ".join(parts)
        if not self.finished:
            text += " <span style='color:#3b6fd8;'>▍</span>"
        elif not text:  # "stop": nothing was said, on purpose
            return "<span style='color:#9aa3af;'>(stopped)</span>"
        return text or "<span style='color:#9aa3af;'>…</span>"


class TurnView:
    def __init__(self, turn_id: int | None, user_text: str):
        self.turn_id = turn_id
        self.user_text = user_text
        self.reply = Reply()
        self.user_label = Bubble(USER_BUBBLE)
        self.reply_label = Bubble(REPLY_BUBBLE)
        self.badge = QLabel("■ interrupted")  # U+25A0: in DejaVu Sans, unlike ⏹
        self.badge.setStyleSheet("color:#d64541; font-size:11px; padding-left:6px;")
        self.badge.hide()
        self.user_label.show_text(html.escape(user_text), user_text)
        self.has_reply = False
        self.dirty = True

    def reply_text(self) -> str:
        return self.reply_label.text()


class Bubble(QLabel):
    """A rich-text bubble that keeps its words as plain text too: the width it asks for is
    measured on them (see `ConversationView._fit_label`)."""

    def __init__(self, style: str):
        super().__init__()
        self.plain = ""
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setStyleSheet(f"QLabel {{ {style} padding:8px 12px; }}")

    def show_text(self, rich: str, plain: str) -> None:
        self.setText(rich)
        self.plain = plain


class Row(QWidget):
    """One line of the conversation: a bubble, to the right (the user) or the left."""

    def __init__(self, bubble: QWidget, right: bool):
        super().__init__()
        self.bubble = bubble
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if right:
            layout.addStretch(1)
        layout.addWidget(bubble)
        if not right:
            layout.addStretch(1)


class ConversationView(QScrollArea):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._body = QWidget()
        self._body.setObjectName("conversationBody")
        self._body.setStyleSheet("QWidget#conversationBody { background:#ffffff; }")
        self.viewport().setStyleSheet("background:#ffffff;")
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(4, 4, 12, 4)
        self._layout.setSpacing(6)
        self._empty = QLabel("Your conversation appears here.")
        self._empty.setObjectName("hint")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(self._body)
        self.turns: list[TurnView] = []
        self._rows: list[Row] = []
        self._heard: dict[int, str] = {}  # voice turns still being spoken: words so far

    # --- what happened ----------------------------------------------------------------------

    def add_user_turn(self, text: str, turn_id: int | None = None) -> TurnView:
        """A typed question is shown at once; its turn id arrives with the first reply event."""
        turn = TurnView(turn_id, text)
        self.turns.append(turn)
        self._empty.hide()
        self._add_row(turn.user_label, right=True)
        return turn

    def add_timer_turn(self, turn_id: int) -> TurnView:
        """A timer's ring: no user bubble, a note in its place, then the reply."""
        turn = TurnView(turn_id, "Timer")
        turn.user_label.setStyleSheet(f"QLabel {{ {SYSTEM_NOTE} padding:2px 4px; }}")
        self.turns.append(turn)
        self._empty.hide()
        self._add_row(turn.user_label, right=False)
        return turn

    def handle(self, event) -> None:
        if isinstance(event, TimerRinging):
            self.add_timer_turn(event.turn_id)
            return
        if isinstance(event, SpeechStarted):
            self._heard[event.turn_id] = ""
            return
        if isinstance(event, PartialTranscript):
            self._heard[event.turn_id] = event.text
            return
        if isinstance(event, FinalTranscript):
            text = event.text.strip()
            heard = self._heard.pop(event.turn_id, None)
            turn = self._find(event.turn_id)
            if turn is None and text:
                self.add_user_turn(text, event.turn_id)
            elif turn is not None and (text or heard is not None):
                self._set_user_text(turn, text or turn.user_text)
            return
        if isinstance(event, ReplyStarted) and event.speculative:
            return  # shown from its ReplyCommitted on; a discarded one is never shown
        if not isinstance(event, (ReplyStarted, ReplyCommitted, LlmToken, LlmFinished, TextChunk,
                                  ChunkPlaybackStarted, PlaybackFinished, TurnCompleted)):
            return
        turn = self._turn_for(event)
        if turn is None:
            return
        if isinstance(event, (ReplyStarted, ReplyCommitted)):
            turn.reply = Reply()  # the turn's answer from here on, whatever came before it
        reply = turn.reply
        if isinstance(event, LlmToken):
            reply.tokens.append(event.text)
        elif isinstance(event, LlmFinished):
            reply.finished = True
        elif isinstance(event, TextChunk):
            reply.chunks[event.index] = (event.text, event.token_index)
        elif isinstance(event, ChunkPlaybackStarted):
            reply.playing = event.chunk_index
            reply.started.add(event.chunk_index)
        elif isinstance(event, PlaybackFinished):
            reply.playing = None
        elif isinstance(event, TurnCompleted):
            reply.finished, reply.playing, reply.interrupted = True, None, event.interrupted
            if event.user_text and event.user_text != turn.user_text:
                self._set_user_text(turn, event.user_text)
            if not reply.tokens and event.reply_text:
                reply.tokens.append(event.reply_text)
        self._show_reply(turn)
        turn.dirty = True

    def render_dirty(self) -> None:
        changed = False
        for turn in self.turns:
            if turn.dirty and turn.has_reply:
                turn.reply_label.show_text(turn.reply.html(), turn.reply.plain() + " ▍")
                self._fit_label(turn.reply_label)
                turn.badge.setVisible(turn.reply.interrupted)
                changed = True
            turn.dirty = False
        if changed:
            self._scroll_to_end()

    def clear(self) -> None:
        self._heard.clear()
        for row in self._rows:
            row.deleteLater()
        self._rows.clear()
        self.turns.clear()
        self._empty.show()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        for row in self._rows:
            self._fit(row)

    # --- helpers ----------------------------------------------------------------------------

    def _find(self, turn_id: int) -> TurnView | None:
        return next((t for t in reversed(self.turns) if t.turn_id == turn_id), None)

    def _turn_for(self, event) -> TurnView | None:
        turn = self._find(event.turn_id)
        if turn is not None:
            return turn
        if event.turn_id in self._heard:
            # a reply started speculatively on the words heard so far, before the final
            # transcript: show them until the final one replaces them
            return self.add_user_turn(self._heard[event.turn_id] or "…", event.turn_id)
        waiting = next((t for t in reversed(self.turns) if t.turn_id is None), None)
        if waiting is not None:
            waiting.turn_id = event.turn_id
            return waiting
        if isinstance(event, TurnCompleted) and not event.user_text:
            return None
        asked = event.user_text if isinstance(event, TurnCompleted) else (
            event.text if isinstance(event, ReplyStarted) else "")
        return self.add_user_turn(asked or "…", event.turn_id)

    def _set_user_text(self, turn: TurnView, text: str) -> None:
        turn.user_text = text
        turn.user_label.show_text(html.escape(text), text)
        self._fit_label(turn.user_label)

    def _show_reply(self, turn: TurnView) -> None:
        if not turn.has_reply:
            turn.has_reply = True
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(turn.reply_label)
            column.addWidget(turn.badge)
            self._add_row(box, right=False)

    def _add_row(self, widget: QWidget, right: bool) -> None:
        row = Row(widget, right)
        self._rows.append(row)
        self._fit(row)
        self._layout.insertWidget(self._layout.count() - 1, row)
        self._scroll_to_end()

    def _fit(self, row: Row) -> None:
        # bubbles shrink to short texts and wrap long ones at about three quarters of the width
        row.bubble.setMaximumWidth(self._max_bubble())
        bubble = row.bubble
        for label in [bubble] if isinstance(bubble, Bubble) else bubble.findChildren(Bubble):
            self._fit_label(label)

    def _max_bubble(self) -> int:
        return max(240, int(self.viewport().width() * 0.78))

    def _fit_label(self, label: Bubble) -> None:
        # a word-wrapped QLabel picks a narrow width of its own; ask for the text's width
        text = label.plain
        margins = label.contentsMargins()
        # rich text lays out with a few pixels of its own beyond the padding
        padding = margins.left() + margins.right() + 12
        natural = label.fontMetrics().horizontalAdvance(text) + padding
        label.setMinimumWidth(min(natural, self._max_bubble()))

    def _scroll_to_end(self) -> None:
        # after the layout has taken the new size into account
        QTimer.singleShot(0, self, self._to_bottom)

    def _to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
