"""The settings dialog: values saved to the settings file and applied to the session;
invalid values shown next to their field and never saved."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.audio.speaker import RecordingSpeaker
from assistant.config import Settings, load_settings
from assistant.errors import AudioDeviceError
from assistant.modelstore.manager import ModelManager
from ui.settings_dialog import SettingsDialog


@pytest.fixture
def manager(tmp_path):
    return ModelManager(models_dir=tmp_path / "models")


def set_combo(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_changed_values_are_saved_and_applied(open_window, qtbot, manager, tmp_path):
    window = open_window()
    dialog = SettingsDialog(window.controller.settings, parent=window, model_manager=manager,
                            apply=window.controller.apply)
    f = dialog.fields
    set_combo(f["conversation.mode"].widget, "ptt")
    set_combo(f["vad.aggressiveness"].widget, 3)
    f["vad.end_silence_ms"].widget.setText("650")
    f["conversation.barge_in_min_speech_ms"].widget.setText("300")
    f["conversation.half_duplex"].widget.setChecked(True)
    f["conversation.local_skills"].widget.setChecked(False)
    f["api.enabled"].widget.setChecked(True)
    f["api.port"].widget.setText("9000")
    set_combo(f["stt.engine"].widget, "whisper")
    f["llm.context_size"].widget.setText("4096")
    f["llm.threads"].widget.setText("2")
    f["llm.temperature"].widget.setText("0.3")
    f["llm.system_prompt"].widget.setPlainText("Be brief.")
    f["tts.rate"].widget.setText("200")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted

    saved = load_settings(tmp_path / "settings.toml")
    expected = Settings()
    expected.conversation.mode = "ptt"
    expected.vad.aggressiveness = 3
    expected.vad.end_silence_ms = 650
    expected.conversation.barge_in_min_speech_ms = 300
    expected.conversation.half_duplex = True
    expected.conversation.local_skills = False
    expected.api.enabled = True
    expected.api.port = 9000
    expected.stt.engine = "whisper"
    expected.llm.context_size = 4096
    expected.llm.threads = 2
    expected.llm.temperature = 0.3
    expected.llm.system_prompt = "Be brief."
    expected.tts.rate = 200
    assert saved == expected
    assert window.controller.session.applied[-1] == expected  # applied without a restart
    assert window.controller.settings == expected
    window.close()


def test_untouched_dialog_saves_the_same_settings(qtbot, manager, tmp_path):
    from assistant.config import save_settings

    path = tmp_path / "same.toml"
    original = Settings()
    original.audio.input_device = "USB mic"  # not among the devices: kept as typed
    dialog = SettingsDialog(original, model_manager=manager,
                            apply=lambda new: save_settings(new, path))
    qtbot.addWidget(dialog)
    dialog.accept()
    assert load_settings(path) == original


@pytest.mark.parametrize("key, value, message", [
    ("vad.end_silence_ms", "50", "vad.end_silence_ms must be between 100 and 3000"),
    ("llm.temperature", "warm", "llm.temperature must be a number"),
    ("llm.context_size", "12.5", "llm.context_size must be a whole number"),
    ("llm.model", "/no/such/model.gguf", "does not exist"),
    ("api.port", "80000", "api.port must be between 1 and 65535"),
])
def test_invalid_value_is_shown_and_nothing_is_saved(qtbot, manager, tmp_path, key, value,
                                                     message):
    saved = []
    dialog = SettingsDialog(Settings(), model_manager=manager, apply=saved.append)
    qtbot.addWidget(dialog)
    dialog.show()
    widget = dialog.fields[key].widget
    if hasattr(widget, "setEditText"):
        widget.setEditText(value)
    else:
        widget.setText(value)
    dialog.accept()
    assert saved == []
    assert dialog.isVisible() and dialog.result() != dialog.DialogCode.Accepted
    error = dialog.fields[key].error
    assert message in error.text() and error.isVisible()
    assert dialog.tabs.currentWidget().isAncestorOf(widget)  # the page with the problem
    assert "nothing was saved" in dialog.general_error.text()


def test_editing_finished_checks_the_field_at_once(qtbot, manager):
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    field = dialog.fields["tts.rate"]
    field.widget.setText("1000")
    field.widget.editingFinished.emit()
    assert "tts.rate must be between 80 and 450" in field.error.text()
    field.widget.setText("180")
    field.widget.editingFinished.emit()
    assert field.error.text() == ""


def test_a_folder_that_is_no_model_is_refused_inline(qtbot, manager, tmp_path):
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    (tmp_path / "not-a-model").mkdir()
    dialog.add_model(str(tmp_path / "not-a-model"))
    assert dialog.fields["stt.vosk_model"].error.text()
    assert manager.installed() == []


class NoSpeaker:
    def __init__(self, *args, **kwargs):
        pass

    def start(self):
        raise AudioDeviceError("No speaker found; plug one in or choose another.")


class TapeSpeaker(RecordingSpeaker):
    played: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(realtime=False)

    def close(self):
        TapeSpeaker.played.append(self.played_blocks())


def test_test_sound_without_a_device_says_so_inline(qtbot, manager, monkeypatch):
    monkeypatch.setattr("assistant.audio.speaker.Speaker", NoSpeaker)
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    dialog.tone_button.click()
    qtbot.waitUntil(lambda: dialog.tone_button.isEnabled(), timeout=5000)
    assert "No speaker found" in dialog.tone_status.text()


def test_test_sound_plays_a_tone(qtbot, manager, monkeypatch):
    monkeypatch.setattr("assistant.audio.speaker.Speaker", TapeSpeaker)
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    dialog.tone_button.click()
    qtbot.waitUntil(lambda: dialog.tone_button.isEnabled(), timeout=5000)
    assert dialog.tone_status.text() == "Played a 0.6 s tone."
    blocks = TapeSpeaker.played[-1]
    assert np.abs(np.concatenate([b for _, b in blocks])).max() > 0.2


def test_voice_preview_speaks_with_the_chosen_voice(qtbot, manager, monkeypatch):
    import shutil

    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    monkeypatch.setattr("assistant.audio.speaker.Speaker", TapeSpeaker)
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    dialog.fields["tts.rate"].widget.setText("220")
    dialog.preview_button.click()
    qtbot.waitUntil(lambda: dialog.preview_button.isEnabled(), timeout=30000)
    assert dialog.preview_status.text().startswith("Played "), dialog.preview_status.text()


def test_device_lists_come_from_a_worker_thread_and_keep_the_choice(qtbot, manager,
                                                                     monkeypatch):
    import threading

    asked_on, answer = [], threading.Event()

    def slow_inputs():  # PortAudio probing its host APIs, until the test lets it answer
        asked_on.append(threading.current_thread())
        answer.wait(10)
        return ["Desk Mic", "USB Headset Mic"]

    monkeypatch.setattr("ui.audio_check.input_devices", slow_inputs)
    monkeypatch.setattr("ui.audio_check.output_devices", lambda: ["Speakers"])
    settings = Settings()
    settings.audio.input_device = "USB Headset Mic"
    dialog = SettingsDialog(settings, model_manager=manager)  # opens while PortAudio is asked
    qtbot.addWidget(dialog)
    field = dialog.fields["audio.input_device"]
    assert dialog.input_combo.count() == 2  # the default and the setting, until the list
    assert field.read() == "USB Headset Mic"
    answer.set()
    qtbot.waitUntil(lambda: dialog.input_combo.count() == 3, timeout=3000)
    assert asked_on and asked_on[0] is not threading.main_thread()
    assert [dialog.input_combo.itemData(i) for i in range(3)] == ["", "Desk Mic",
                                                                  "USB Headset Mic"]
    assert field.read() == "USB Headset Mic"
    assert dialog.output_combo.findData("Speakers") >= 0
    assert dialog.fields["audio.output_device"].read() == ""
