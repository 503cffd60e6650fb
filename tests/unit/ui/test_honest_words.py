"""The window says only what is so: no "Listening" without a microphone, no command-line
options in its messages (the places in the window instead), the Vosk notice once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.conversation.session import NullSource
from assistant.events import Notice, StatusChanged
from ui.wording import for_window
from unit.ui.fakes import FakeSession


class MiclessSession(FakeSession):
    """As the real session runs with no microphone: on the stand-in that hears nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = NullSource()


def post(window, qtbot, event) -> None:
    window.controller.bridge.post(event)
    window.controller.bridge.flush()
    qtbot.wait(10)


def test_without_a_microphone_it_says_typing_only_not_listening(open_window, qtbot):
    window = open_window(session_factory=lambda s, on_event: MiclessSession(s, on_event))
    qtbot.waitUntil(lambda: window.state.state == "typing", timeout=2000)
    assert window.state.label.text() == "Typing only"
    assert "no microphone" in window.state.detail.text()
    assert not window.talk.isEnabled()
    assert "Settings > Audio > Microphone" in window.talk.toolTip()
    assert "No microphone" in window.transcript.text()  # not "Just talk"
    window.press()  # the Space bar: nothing to hear with
    assert "press" not in window.controller.session.calls
    window.input.setText("what time is it")
    window.send_button.click()  # typing works
    qtbot.waitUntil(lambda: window.conversation.turns[-1].reply.finished, timeout=5000)
    qtbot.waitUntil(lambda: window.state.state == "typing", timeout=2000)  # and after a reply


def test_a_microphone_that_goes_away_and_comes_back(open_window, qtbot):
    window = open_window()
    session = window.controller.session
    qtbot.waitUntil(lambda: window.state.state == "listening", timeout=2000)
    assert window.talk.isEnabled()
    session.source = SimpleNamespace(error="The microphone 'USB' stopped delivering audio.")
    post(window, qtbot, Notice(message="The microphone 'USB' stopped delivering audio. "
                               "Listening resumes by itself when it is back.", level="warning"))
    assert window.state.state == "typing" and not window.talk.isEnabled()
    session.source = SimpleNamespace(error=None)
    post(window, qtbot, Notice(message="The microphone 'USB' is back; listening again.",
                               level="info"))
    assert window.state.state == "listening" and window.talk.isEnabled()
    assert "No microphone" not in window.transcript.text()


def core_messages() -> list[str]:
    """What the core says that named command-line options or commands in the window."""
    from assistant.audio.devices import NO_MIC
    from assistant.audio.speaker import _no_device_message
    from assistant.stt import vosk, whisper
    from assistant.stt.factory import fallback_notice, vosk_hint

    return [NO_MIC.format(detail=""), NO_MIC.format(detail=" (PortAudio lists none)"),
            _no_device_message(None, OSError("no device")),
            _no_device_message("USB", OSError("busy")),
            "Cannot record from 'USB' (busy); choose another with --input-device.",
            "The microphone 'USB' stopped delivering audio (no audio for 2 s); plug it back "
            "in or choose another with --input-device.",
            fallback_notice("en"), f"No Vosk model for 'fr' is installed. {vosk_hint('fr')}"
            " or use --engine whisper.",
            f"No Vosk model here: {vosk.HINT}", f"No Whisper model here: {whisper.HINT}",
            "espeak-ng is not installed (Debian/Ubuntu: sudo apt install espeak-ng) or "
            "choose --tts-engine piper.",
            "No LLM model is set; choose a .gguf file with --llm-model.",
            "Port 8765 is taken: another program may be using it; pass another --port."]


@pytest.mark.parametrize("message", core_messages())
def test_window_messages_name_places_in_the_window_not_options(message):
    worded = for_window(message)
    assert "--" not in worded and "voice-assistant models download" not in worded, worded
    assert "Settings > " in worded


def test_a_notice_in_the_banner_is_worded_for_the_window(open_window, qtbot):
    window = open_window()
    post(window, qtbot, Notice(message="No microphone found; plug one in or choose another "
                               "with --input-device. Typed questions still work.",
                               level="warning"))
    (level, text), = window.banner.messages()
    assert text == ("No microphone found; plug one in or choose another in Settings > Audio > "
                    "Microphone. Typed questions still work.")
    post(window, qtbot, StatusChanged(state="error", detail="Cannot record from 'USB' (busy); "
                                      "choose another with --input-device."))
    assert "Settings > Audio > Microphone" in window.state.detail.text()
    assert "--" not in window.state.toolTip() + window.state.detail.text()


def test_the_vosk_notice_is_shown_once_and_remembered(open_window, qtbot, config_dir):
    from assistant.stt.factory import fallback_notice

    window = open_window()
    post(window, qtbot, Notice(message=fallback_notice("en"), level="info"))
    assert len(window.banner.messages()) == 1
    window.banner.dismiss(next(iter(window.banner._rows)))
    again = open_window()  # the next start
    post(again, qtbot, Notice(message=fallback_notice("en-US"), level="info"))
    assert again.banner.messages() == []
    assert (config_dir / "told.json").is_file()
    post(again, qtbot, Notice(message="The new models are loaded.", level="info"))
    assert len(again.banner.messages()) == 1  # other notices as ever


def test_a_language_model_to_download_names_its_page():
    worded = for_window("LLM model 'qwen' is not installed; run: voice-assistant models "
                        "download qwen")
    assert worded == ("LLM model 'qwen' is not installed; download qwen in Settings > "
                      "Language model (Download…)")
    # a model the window has no Download button for keeps its command
    assert "voice-assistant models download smart-turn" in for_window(
        "The end-of-turn model is missing; download it again with: voice-assistant models "
        "download smart-turn-v3")
