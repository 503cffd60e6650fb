"""First run without a Vosk model, and a model swap while the app runs."""

from __future__ import annotations

from assistant.config import Settings, load_settings
from assistant.modelstore.manager import ModelManager
from assistant.modelstore.registry import InstalledModel
from ui import first_run
from ui.download_dialog import DownloadDialog


def test_no_vosk_model_offers_the_download_and_names_the_fallback(open_window, qtbot, tmp_path,
                                                                   monkeypatch):
    manager = ModelManager(models_dir=tmp_path / "models")
    window = open_window(model_manager=manager)
    assert first_run.offer(window, window.controller.settings, manager)
    (level, text), = window.banner.messages()
    assert level == "warning"
    assert "vosk-model-small-en-us-0.15" in text and "Whisper is used meanwhile" in text
    # the core's own notice about the fallback would only repeat the banner
    window.show_notice("No Vosk model for 'en' is installed; using Whisper.", "info")
    assert len(window.banner.messages()) == 1

    started = []
    monkeypatch.setattr(DownloadDialog, "start_download", lambda self: started.append(
        self.selected_id()))
    row = window.banner._rows[first_run.KEY]
    row.action_button.click()
    assert started == ["vosk-model-small-en-us-0.15"]
    dialog = window.findChild(DownloadDialog)
    assert dialog is not None and dialog.isVisible()

    model = InstalledModel(id="vosk-model-small-en-us-0.15", kind="stt-vosk", language="en",
                           path=tmp_path / "models" / "vosk", source="catalog")
    dialog.installed.emit(model)  # as the dialog does when the download is verified
    assert not window.banner.has(first_run.KEY)
    session = window.controller.session
    assert session.applied[-1].stt.vosk_model == "vosk-model-small-en-us-0.15"
    assert load_settings(tmp_path / "settings.toml").stt.vosk_model == model.id
    dialog.close()


def test_not_now_is_remembered(open_window, tmp_path):
    from assistant.asked import AskedOnce

    manager = ModelManager(models_dir=tmp_path / "models")
    asked = AskedOnce(tmp_path / "asked.json")
    window = open_window(model_manager=manager)
    assert first_run.offer(window, window.controller.settings, manager, asked)
    window.banner._rows[first_run.KEY].decline_button.click()
    assert not window.banner.has(first_run.KEY)
    assert asked.answered("vosk:vosk-model-small-en-us-0.15")
    again = open_window(model_manager=manager)  # the next start
    assert not first_run.offer(again, again.controller.settings, manager, asked)
    assert not again.banner.has(first_run.KEY)


def test_no_offer_when_whisper_was_chosen_or_a_model_is_set(tmp_path):
    manager = ModelManager(models_dir=tmp_path / "models")
    settings = Settings()
    settings.stt.engine = "whisper"
    assert first_run.needs_vosk(settings, manager) is None
    settings = Settings()
    settings.stt.vosk_model = "/models/my-vosk"
    assert first_run.needs_vosk(settings, manager) is None
    assert first_run.needs_vosk(Settings(), manager) == "vosk-model-small-en-us-0.15"


def test_a_model_swap_shows_loading_then_a_notice(open_window, qtbot):
    window = open_window()
    new = window.controller.settings.copy()
    new.llm.temperature = 0.5
    window.controller.apply(new)
    qtbot.waitUntil(lambda: window.state.state == "loading", timeout=2000)
    assert window.state.label.text() == "Loading models…"
    assert window.input.isEnabled()  # the old models keep answering meanwhile
    qtbot.waitUntil(lambda: ("info", "The new models are loaded.") in window.banner.messages(),
                    timeout=5000)
    assert window.state.state == "listening"


def test_settings_chosen_during_the_first_load_apply_after_it(open_window, qtbot):
    window = open_window(start=False, load_s=0.5)
    controller = window.controller
    with qtbot.waitSignal(controller.started, timeout=5000):
        controller.start()
        new = controller.settings.copy()
        new.vad.end_silence_ms = 700
        controller.apply(new)
        assert controller.session.applied == []  # two loaders must not race
    assert controller.session.applied[-1].vad.end_silence_ms == 700
