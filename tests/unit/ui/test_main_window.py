"""The main window against a scripted session: talking, typing, stopping, notices."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from assistant.config import Settings, load_settings
from assistant.events import Notice, PartialTranscript


def reply_text(window) -> str:
    return window.conversation.turns[-1].reply_label.text()


def test_hold_to_talk_button_makes_a_turn(open_window, qtbot):
    window = open_window()
    session = window.controller.session
    qtbot.mousePress(window.talk, Qt.MouseButton.LeftButton)
    assert session.calls[-1] == "press"
    qtbot.mouseRelease(window.talk, Qt.MouseButton.LeftButton)
    assert session.calls[-1] == "release"
    qtbot.waitUntil(lambda: bool(window.conversation.turns)
                    and window.conversation.turns[-1].reply.finished, timeout=5000)
    turn = window.conversation.turns[-1]
    assert turn.user_label.text() == "what is the capital"
    assert "Paris" in reply_text(window)
    assert window.state.state == "listening"


def key(kind, repeat=False, text=" "):
    return QKeyEvent(kind, Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier, text, repeat)


def test_space_holds_to_talk_and_ignores_auto_repeat(open_window, qtbot):
    window = open_window()
    session = window.controller.session
    window.activateWindow()
    window.conversation.setFocus()
    target = QApplication.focusWidget() or window
    QApplication.sendEvent(target, key(QEvent.Type.KeyPress))
    for _ in range(5):  # a held key repeats
        QApplication.sendEvent(target, key(QEvent.Type.KeyRelease, repeat=True))
        QApplication.sendEvent(target, key(QEvent.Type.KeyPress, repeat=True))
    assert session.calls.count("press") == 1 and "release" not in session.calls
    QApplication.sendEvent(target, key(QEvent.Type.KeyRelease))
    assert session.calls.count("press") == 1 and session.calls.count("release") == 1


def test_space_types_in_the_text_box(open_window, qtbot):
    window = open_window()
    window.activateWindow()
    window.input.setFocus()
    qtbot.keyClicks(window.input, "hi there")
    qtbot.keyClick(window.input, Qt.Key.Key_Space)
    assert window.input.text() == "hi there "
    assert "press" not in window.controller.session.calls


def test_enter_sends_a_typed_question(open_window, qtbot):
    window = open_window()
    qtbot.keyClicks(window.input, "Where is Paris?")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    assert window.input.text() == ""
    assert window.controller.session.calls[-1] == "text:Where is Paris?"
    assert window.conversation.turns[-1].user_label.text() == "Where is Paris?"
    qtbot.waitUntil(lambda: window.conversation.turns[-1].reply.finished, timeout=5000)
    assert "France is Paris" in reply_text(window)
    assert len(window.conversation.turns) == 1  # the reply joined the typed turn
    assert window.latency.v2v_label.text() == "420 ms"


def test_partials_show_settled_and_changing_words(open_window, qtbot):
    window = open_window()
    bridge = window.controller.bridge
    bridge.post(PartialTranscript(turn_id=3, text="what is the", stable_text="what is"))
    qtbot.waitUntil(lambda: window.transcript.plain_text() == "what is the", timeout=2000)
    assert window.transcript.stable == "what is" and window.transcript.changing == "the"
    html = window.transcript.text()
    assert "italic" in html.split("the</span>")[0].rsplit("<span", 1)[1]


def test_stop_interrupts_and_marks_the_reply(open_window, qtbot):
    window = open_window(token_s=0.05, spoken_s=0.2)
    window.controller.session.submit_text("tell me")
    qtbot.waitUntil(lambda: bool(window.conversation.turns)
                    and bool(window.conversation.turns[-1].reply.tokens), timeout=5000)
    qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    assert "interrupt" in window.controller.session.calls
    qtbot.waitUntil(lambda: window.conversation.turns[-1].reply.interrupted, timeout=5000)
    assert window.conversation.turns[-1].badge.isVisible()
    assert "line-through" in reply_text(window)


def test_chunk_being_spoken_is_highlighted(open_window, qtbot):
    window = open_window(spoken_s=0.5)
    window.controller.session.submit_text("capital?")
    qtbot.waitUntil(lambda: bool(window.conversation.turns)
                    and window.conversation.turns[-1].reply.playing == 0, timeout=5000)
    window.controller.bridge.flush()
    window.conversation.render_dirty()
    assert "background-color:#ffe9a8;'>The capital of France is Paris." in reply_text(window)


def test_clear_conversation(open_window, qtbot):
    window = open_window()
    window.controller.session.submit_text("hello")
    qtbot.waitUntil(lambda: bool(window.conversation.turns), timeout=5000)
    qtbot.mouseClick(window.clear_button, Qt.MouseButton.LeftButton)
    assert window.conversation.turns == []
    assert window.controller.session.calls[-1] == "clear"


def test_open_mic_toggle_switches_the_mode_and_saves_it(open_window, qtbot, tmp_path):
    settings = Settings()
    settings.conversation.mode = "ptt"
    window = open_window(settings)
    assert not window.open_mic.isChecked()
    qtbot.mouseClick(window.open_mic, Qt.MouseButton.LeftButton)
    session = window.controller.session
    assert session.applied[-1].conversation.mode == "open-mic"
    assert load_settings(tmp_path / "settings.toml").conversation.mode == "open-mic"
    qtbot.mouseClick(window.open_mic, Qt.MouseButton.LeftButton)
    assert session.applied[-1].conversation.mode == "ptt"


def test_banner_shows_notices(open_window, qtbot):
    window = open_window()
    window.controller.bridge.post(Notice(message="No microphone found.", level="warning"))
    window.controller.bridge.post(Notice(message="The model broke.", level="error"))
    qtbot.waitUntil(lambda: len(window.banner.messages()) == 2, timeout=2000)
    assert window.banner.isVisible()
    assert window.banner.messages() == [("warning", "No microphone found."),
                                        ("error", "The model broke.")]


@pytest.mark.qt_no_exception_capture
def test_unexpected_exception_goes_to_the_banner_not_a_crash(open_window, qtbot):
    from ui.app import ErrorReporter

    window = open_window()
    reporter = ErrorReporter()
    reporter.reported.connect(lambda message: window.show_notice(message, "error"))
    reporter.install()
    try:
        def broken_slot():
            raise ValueError("boom")

        QTimer.singleShot(0, broken_slot)
        threading.Thread(target=lambda: 1 / 0).start()  # a core thread failing
        qtbot.waitUntil(lambda: len(window.banner.messages()) == 2, timeout=3000)
    finally:
        reporter.uninstall()
    texts = " ".join(text for level, text in window.banner.messages() if level == "error")
    assert "ValueError: boom" in texts and "ZeroDivisionError" in texts
    assert window.isVisible()


def test_a_speculative_reply_before_the_final_transcript_joins_its_turn(open_window, qtbot):
    from assistant.events import (
        FinalTranscript, LlmToken, SpeechStarted, StatusChanged, TurnCompleted,
    )

    window = open_window()
    bridge = window.controller.bridge
    for event in (SpeechStarted(turn_id=7, t_onset_ns=1),
                  PartialTranscript(turn_id=7, text="what is the capital", stable_text="what"),
                  StatusChanged(turn_id=7, generation=3, state="thinking"),
                  LlmToken(turn_id=7, generation=3, text="Paris", index=0)):
        bridge.post(event)
    qtbot.waitUntil(lambda: len(window.conversation.turns) == 1, timeout=2000)
    assert window.conversation.turns[0].user_label.text() == "what is the capital"
    bridge.post(FinalTranscript(turn_id=7, generation=3, text="what is the capital of France"))
    bridge.post(TurnCompleted(turn_id=7, generation=3, user_text="what is the capital of France",
                              reply_text="Paris", interrupted=False, metrics={}))
    qtbot.waitUntil(lambda: window.conversation.turns[0].reply.finished, timeout=2000)
    assert len(window.conversation.turns) == 1
    assert window.conversation.turns[0].user_label.text() == "what is the capital of France"
    assert "Paris" in reply_text(window)


def test_a_thinking_pause_shows_that_it_waits(open_window, qtbot):
    from assistant.events import PartialTranscript, SpeechStarted, TurnHeld
    from ui.widgets.transcript import WAITING

    window = open_window()
    window.on_events([SpeechStarted(turn_id=1, t_onset_ns=1),
                      PartialTranscript(turn_id=1, text="what is the capital of"),
                      TurnHeld(turn_id=1, probability=0.12)])
    assert WAITING in window.transcript.text() and "capital" in window.transcript.text()
    window.on_events([PartialTranscript(turn_id=1, text="what is the capital of France")])
    assert WAITING not in window.transcript.text()
