"""The main window: talk, read, type, and see what each turn cost.

Core events arrive in batches from the bridge (`ui/bridge.py`) and are routed to the widgets
here; nothing in this file blocks: the session's slow calls run on worker threads, the ones
made here (`press`, `release`, `interrupt`, `submit_text`, and applying settings through the
controller) only enqueue work in the core. While new settings are applied the state says so
("Loading models…", "Restarting audio…") and the window goes on working.

The window fits a laptop's screen: it opens inside the screen's available area
(ui/screen_fit.py), the banner scrolls past a quarter of the window's height, the side
column (timers, latency) scrolls, and below `FOLD_WIDTH` it folds away (the timers move above
the conversation), so the talk button, the text field, Send and Stop stay on the screen.
Without a microphone it says "Typing only", never "Listening", and the talk button is off;
what the core says is worded for the window (ui/wording.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QPushButton, QScrollArea, QVBoxLayout,
    QWidget,
)

from assistant import told_once
from assistant.events import (
    FinalTranscript, Notice, PartialTranscript, SpeechEnded, SpeechStarted, StatusChanged,
    TimersChanged, TurnCompleted, TurnHeld,
)
from ui import first_run, screen_fit, window_memory
from ui.banner import Banner, BannerArea
from ui.talk_keys import SpaceToTalk
from ui.widgets.conversation import ConversationView
from ui.widgets.latency import LatencyPanel
from ui.widgets.level_meter import LevelMeter
from ui.widgets.state_indicator import StateIndicator
from ui.widgets.timers import TimersPanel
from ui.widgets.transcript import TranscriptView
from ui.wording import MIC, for_window

log = logging.getLogger(__name__)

# states the session reports while it applies new settings that the indicator has no words for
BUSY_WORDS = {"restarting": "Restarting audio…"}
WANTED_SIZE = QSize(1100, 720)  # on a larger screen; a smaller one gets what it has room for
SIDE_WIDTH = 336  # the timers and latency column, its scroll bar included
FOLD_WIDTH = 900  # narrower than this, the side column folds away
BANNER_SHARE = 0.25  # of the window's height, at most, before the banner scrolls
TALK_TIP = "Hold while you speak (or hold the Space bar); let go when done"
NO_MIC_TIP = f"No microphone: plug one in, or choose one in {MIC}"
NO_MIC_HINT = f"No microphone: type your question below, or plug one in ({MIC})."


def microphone_missing(session) -> bool:
    """Whether the session hears nothing: it runs on the stand-in for a missing microphone
    (typed questions only), or its microphone went away and is being waited for. A session
    that does not say (a replay's file, a test's fake) hears."""
    source = getattr(session, "source", None)
    if source is None:
        return False
    from assistant.conversation.session import NullSource

    return isinstance(source, NullSource) or bool(getattr(source, "error", None))


def app_icon() -> QIcon:
    path = Path(__file__).resolve().parent.parent / "packaging" / "voice-assistant.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def card(*widgets: QWidget, spacing: int = 8) -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(12, 10, 12, 10)
    layout.setSpacing(spacing)
    for widget in widgets:
        layout.addWidget(widget)
    return frame


class MainWindow(QMainWindow):
    def __init__(self, controller, model_manager=None, remember_place: bool = True):
        """`remember_place`: open where the person left it, and keep where they leave it (not
        for a replay, whose screenshot is the same on every machine)."""
        super().__init__()
        self.controller = controller
        self.model_manager = model_manager
        self.remember_place = remember_place
        self.setWindowTitle("Voice Assistant")
        self._core_state = ("loading", "")  # the state the session last reported
        self._mic_missing = False
        self._build()
        screen_fit.place(self, WANTED_SIZE)
        if remember_place:
            window_memory.restore(self)  # where the person left it, fitted to this screen
        self._fit_panels()  # before the first layout, so a narrow screen never sees the column
        controller.bridge.delivered.connect(self.on_events)
        controller.started.connect(self._on_started)
        self.space = SpaceToTalk(self)
        self.space.pressed.connect(self.press)
        self.space.released.connect(self.release)
        self._sync_mode()

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        title = QLabel("Voice Assistant")
        title.setStyleSheet("font-size:17px; font-weight:700;")
        logo = QLabel()
        icon = app_icon()
        if not icon.isNull():
            logo.setPixmap(icon.pixmap(28, 28))
            self.setWindowIcon(icon)
        self.state = StateIndicator()
        self.open_mic = QPushButton("Open mic")
        self.open_mic.setCheckable(True)
        self.open_mic.setToolTip("Listen all the time and answer when you stop talking "
                                 "(off: only while the talk button or Space is held)")
        self.open_mic.toggled.connect(self.set_open_mic)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Forget the conversation so far")
        self.clear_button.clicked.connect(self.clear_conversation)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.open_settings)
        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(logo)
        header.addWidget(title)
        header.addSpacing(12)
        header.addWidget(self.state, 1)
        for button in (self.open_mic, self.clear_button, self.settings_button):
            header.addWidget(button)

        self.banner = Banner()
        self.banner_area = BannerArea(self.banner)
        self.conversation = ConversationView()
        self.transcript = TranscriptView()
        self.level = LevelMeter(lambda: self.controller.session.input_level_dbfs)
        self.level.setFixedHeight(8)

        self.talk = QPushButton("Hold to talk")
        self.talk.setObjectName("talk")
        self.talk.setToolTip(TALK_TIP)
        self.talk.pressed.connect(self.press)
        self.talk.released.connect(self.release)
        self.talk.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("stop")
        self.stop_button.setToolTip("Stop the reply now (Esc)")
        self.stop_button.clicked.connect(self.interrupt)
        self.input = QLineEdit()
        self.input.setPlaceholderText("Type a question and press Enter")
        self.input.returnPressed.connect(self.send_text)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self.send_text)

        you = QLabel("YOU ARE SAYING")
        you.setObjectName("cardTitle")
        mic = QLabel("Mic")
        mic.setObjectName("hint")
        meter_row = QWidget()
        meter_layout = QHBoxLayout(meter_row)
        meter_layout.setContentsMargins(0, 0, 0, 0)
        meter_layout.addWidget(mic)
        meter_layout.addWidget(self.level, 1)
        live = card(you, self.transcript, meter_row, spacing=6)
        for widget in (self.talk, self.input, self.send_button, self.stop_button):
            widget.setFixedHeight(42)  # one even row, however each style pads its widgets
        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(self.talk)
        controls.addWidget(self.input, 1)
        controls.addWidget(self.send_button)
        controls.addWidget(self.stop_button)

        left = self._left = QVBoxLayout()
        left.setSpacing(10)
        chat = card(self.conversation)
        chat.setObjectName("chatCard")
        left.addWidget(chat, 1)
        left.addWidget(live)
        left.addLayout(controls)
        self.latency = LatencyPanel()
        latency_card = QFrame()
        latency_card.setObjectName("card")
        QVBoxLayout(latency_card).addWidget(self.latency)
        latency_card.layout().setContentsMargins(0, 0, 0, 0)
        self.timers = TimersPanel()
        self.timers.cancel_requested.connect(self.cancel_timer)
        column = QWidget()
        column.setObjectName("sideColumn")
        column.setStyleSheet("QWidget#sideColumn { background: transparent; }")
        right = self._right = QVBoxLayout(column)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(10)
        right.addWidget(self.timers)
        right.addWidget(latency_card, 1)
        self.side = QScrollArea()  # scrolls on a short screen instead of growing the window
        self.side.setWidget(column)
        self.side.setWidgetResizable(True)
        self.side.setFrameShape(QFrame.Shape.NoFrame)
        self.side.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.side.setFixedWidth(SIDE_WIDTH)
        body = QHBoxLayout()
        body.setSpacing(12)
        body.addLayout(left, 1)
        body.addWidget(self.side)

        root = QWidget()
        layout = QVBoxLayout(root)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.banner_area)
        layout.addLayout(body, 1)
        self.setCentralWidget(root)

        stop = QAction("Stop", self)
        stop.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        stop.triggered.connect(self.interrupt)
        self.addAction(stop)

    # --- what the person does ---------------------------------------------------------------

    def press(self) -> None:
        if not self.talk.isEnabled():  # no microphone: nothing to hear with
            return
        self.talk.setProperty("held", True)
        self._restyle(self.talk)
        self.controller.session.press()

    def release(self) -> None:
        self.talk.setProperty("held", False)
        self._restyle(self.talk)
        self.controller.session.release()

    def interrupt(self) -> None:
        self.controller.session.interrupt()

    def cancel_timer(self, timer_id: int) -> None:
        self.controller.session.cancel_timer(timer_id)

    def send_text(self) -> None:
        text = self.input.text().strip()
        if not text:
            return
        self.input.clear()
        self.conversation.add_user_turn(text)
        self.controller.session.submit_text(text)

    def clear_conversation(self) -> None:
        self.controller.session.clear_conversation()
        self.conversation.clear()
        self.transcript.clear()

    def set_open_mic(self, on: bool) -> None:
        mode = "open-mic" if on else "ptt"
        if self.controller.settings.conversation.mode == mode:
            return
        new = self.controller.settings.copy()
        new.conversation.mode = mode
        try:
            self.controller.apply(new)
        except Exception as exc:  # a settings file that cannot be written
            self.banner.show_message(f"Could not switch the mode: {exc}", "error")
        self._sync_mode()

    def _sync_mode(self) -> None:
        on = self.controller.settings.conversation.mode == "open-mic"
        self.open_mic.blockSignals(True)
        self.open_mic.setChecked(on)
        self.open_mic.blockSignals(False)
        self.open_mic.setText("Open mic: on" if on else "Open mic: off")
        hint = ("Just talk; I answer when you pause. Hold Space to keep talking through pauses."
                if on else "Hold the button or the Space bar and speak, or type below.")
        self.transcript.set_placeholder(NO_MIC_HINT if self._mic_missing else hint)

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.controller.settings, parent=self,
                                level=lambda: self.controller.session.input_level_dbfs,
                                model_manager=self.model_manager,
                                apply=self.controller.apply)
        if dialog.exec():
            self._sync_mode()

    # --- what the core says -----------------------------------------------------------------

    def on_events(self, events: list) -> None:
        for event in events:
            try:
                self._route(event)
            except Exception:  # one bad event must not take the rest of the batch with it
                log.exception("showing %s failed", type(event).__name__)
        self.conversation.render_dirty()

    def _route(self, event) -> None:
        if isinstance(event, StatusChanged):
            self._core_state = (event.state, event.detail)
            self._show_state()
        elif isinstance(event, Notice):
            self.show_notice(event.message, event.level)
            self._show_state()  # a microphone that went away, or came back, says so
        elif isinstance(event, SpeechStarted):
            self.transcript.clear()
            self.transcript.hearing()
        elif isinstance(event, PartialTranscript):
            self.transcript.show_partial(event.text, event.stable_text)
        elif isinstance(event, TurnHeld):
            self.transcript.pausing()
        elif isinstance(event, SpeechEnded):
            pass
        elif isinstance(event, FinalTranscript):
            self.transcript.clear()
        elif isinstance(event, TurnCompleted):
            if event.metrics.get("source") != "timer":  # a ring has no latency to show
                self.latency.add_turn(event.metrics)
        elif isinstance(event, TimersChanged):
            self.timers.set_timers(event.timers)
        self.conversation.handle(event)

    def _show_state(self) -> None:
        """The session's state, unless it says "listening" with no microphone to listen on."""
        state, detail = self._core_state
        missing = microphone_missing(self.controller.session)
        if state == "listening" and missing:
            state, detail = "typing", "no microphone"
        self.state.set_state(state, for_window(detail))
        if state in BUSY_WORDS:
            self.state.label.setText(BUSY_WORDS[state])
        self.talk.setEnabled(not missing)
        self.talk.setToolTip(NO_MIC_TIP if missing else TALK_TIP)
        if missing != self._mic_missing:
            self._mic_missing = missing
            self._sync_mode()  # the hint under "You are saying"

    def show_notice(self, message: str, level: str = "info") -> None:
        if not told_once.first_time(message):  # the Vosk notice, after the first time
            return
        if first_run.duplicates_offer(self, message):
            return
        self.banner.show_message(for_window(message), level)

    def _on_started(self, ok: bool) -> None:
        if not ok and self.state.state != "error":
            self.state.set_state("error", "the conversation could not start")

    def show_startup_failure(self, message: str) -> None:
        """The conversation cannot start at all (an unusable --replay file): say why."""
        message = for_window(message)
        self.banner.show_message(message, "error")
        self.state.set_state("error", message)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_panels()

    def _fit_panels(self) -> None:
        """Narrower than `FOLD_WIDTH`, the side column folds away and the timers (which have
        a Cancel button, and are hidden when none is set) move above the conversation."""
        wide = self.width() >= FOLD_WIDTH
        home = self._right if wide else self._left
        if home.indexOf(self.timers) < 0:
            (self._left if wide else self._right).removeWidget(self.timers)
            home.insertWidget(0, self.timers)
            self.timers.refresh()  # shown again if it has timers
        self.side.setVisible(wide)
        self.banner_area.set_cap(max(60, int(self.height() * BANNER_SHARE)))

    def _restyle(self, widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def closeEvent(self, event) -> None:
        if self.remember_place:
            window_memory.save(self)
        self.space.uninstall()
        self.level.timer.stop()
        self.timers.tick.stop()
        super().closeEvent(event)
