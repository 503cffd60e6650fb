"""The window driving a real Session with the real engines (the default models): push-to-talk
over a replayed recording, and the typed-question path when there is no audio device."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from assistant.config import Settings

pytestmark = pytest.mark.slow


def real_session_factory(make_source, make_speaker=None):
    from assistant.audio.speaker import RecordingSpeaker
    from assistant.conversation.session import Session

    make_speaker = make_speaker or (lambda s: RecordingSpeaker(realtime=True))
    return lambda s, on_event: Session(s, on_event=on_event, make_source=make_source,
                                       make_speaker=make_speaker)


def test_holding_the_button_over_speech_makes_a_turn(open_window, qtbot, real_models, speech,
                                                     wav):
    from assistant.audio.sources import WavSource

    rate = 16000
    said = speech("What is the capital of France?")
    path = wav(np.zeros(rate // 2, np.int16), said, np.zeros(rate * 3, np.int16))
    release_at_s = 0.5 + len(said) / rate + 0.6  # let go after speaking, before the file ends
    settings = Settings()
    settings.conversation.mode = "ptt"
    settings.stt.engine = "whisper"  # the English model the defaults install
    settings.llm.max_tokens = 40
    window = open_window(settings, session_factory=real_session_factory(
        lambda s: WavSource(path, realtime=True)))
    session = window.controller.session
    assert window.controller.ready
    qtbot.mousePress(window.talk, Qt.MouseButton.LeftButton)  # the file is playing already
    release_ns = session.source.t0_ns + int(release_at_s * 1e9)
    qtbot.waitUntil(lambda: session.clock.now_ns() >= release_ns, timeout=20_000)
    assert not session.source.finished
    qtbot.mouseRelease(window.talk, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.conversation.turns)
                    and window.conversation.turns[-1].reply.finished, timeout=60_000)
    turn = window.conversation.turns[-1]
    assert "capital" in turn.user_label.text().lower()
    assert turn.reply.tokens and turn.reply_label.text()
    qtbot.waitUntil(lambda: window.latency.v2v_label.text() != "–", timeout=60_000)
    assert window.latency.v2v_label.text().endswith(" ms")
    assert window.latency.stage_labels["stt_final"].text().endswith(" ms")


def test_without_audio_devices_the_text_box_still_answers(open_window, qtbot, real_models):
    from assistant.audio.sources import MicSource
    from assistant.audio.speaker import Speaker

    settings = Settings()
    settings.stt.engine = "whisper"
    settings.llm.max_tokens = 30
    window = open_window(settings, session_factory=real_session_factory(
        lambda s: MicSource("no-such-microphone-here"),
        lambda s: Speaker("no-such-speaker-here")))
    assert window.controller.ready
    qtbot.waitUntil(lambda: any(level == "warning" for level, _ in window.banner.messages()),
                    timeout=5000)
    warnings = " ".join(text for level, text in window.banner.messages() if level == "warning")
    assert "Typed questions still work" in warnings
    assert "--" not in warnings and "Settings > Audio > Microphone" in warnings
    qtbot.waitUntil(lambda: window.state.state == "typing", timeout=5000)  # not "Listening"
    assert window.input.isEnabled() and not window.talk.isEnabled()
    qtbot.keyClicks(window.input, "Say hello.")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation.turns[-1].reply.finished, timeout=60_000)
    assert window.conversation.turns[-1].user_label.text() == "Say hello."
    assert window.conversation.turns[-1].reply.tokens


def test_a_typed_timer_counts_down_rings_and_is_kept_over_a_restart(open_window, qtbot,
                                                                      real_models, tmp_path):
    from assistant.audio.speaker import RecordingSpeaker
    from assistant.conversation.session import NullSource, Session

    timers_file = tmp_path / "timers.json"

    def factory(s, on_event):
        return Session(s, on_event=on_event, make_source=lambda _s: NullSource(),
                       make_speaker=lambda _s: RecordingSpeaker(realtime=True),
                       timers_file=timers_file)

    settings = Settings()
    settings.stt.engine = "whisper"
    window = open_window(settings, session_factory=factory)
    qtbot.keyClicks(window.input, "Set a timer for three seconds.")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.timers.isVisible() and bool(window.timers.rows), timeout=20_000)
    [(name, left, _cancel)] = window.timers.rows.values()
    assert name.text() == "3 second timer" and left.text() in ("0:03", "0:02", "0:01")
    qtbot.waitUntil(lambda: any(t.reply.plain() == "Your 3 second timer is done."
                                for t in window.conversation.turns), timeout=20_000)
    ring = window.conversation.turns[-1]
    assert "Timer" in ring.user_label.text()
    assert window.timers.rows == {} and window.timers.isVisible()  # "done" for a moment
    qtbot.keyClicks(window.input, "Set a pasta timer for one hour.")
    qtbot.keyClick(window.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.timers.rows) == 1, timeout=20_000)
    window.controller.shutdown()
    again = open_window(settings, session_factory=factory)  # a restart
    qtbot.waitUntil(lambda: len(again.timers.rows) == 1, timeout=20_000)
    [(name, left, _cancel)] = again.timers.rows.values()
    assert name.text() == "Pasta timer" and left.text().startswith(("1:00:", "59:"))
