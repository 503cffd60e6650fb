"""The settings dialog: devices, listening, speech model, language model, voice.

Values are checked by the core (`assistant.config.set_value` raises `ConfigError` naming the
key), and the message is shown under the field it is about; nothing is saved until every
field is valid. OK saves to the file the app loaded its settings from and applies the new
settings to the running session without a restart (a new model loads in the background).
Nothing here waits on a device or an engine on the GUI thread: the device and voice lists,
the test sounds and the voice preview come from worker threads.

Each page scrolls, so a long one (Listening) keeps every hint whole on a short screen, and the
dialog opens inside the screen's available area.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import shiboken6
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QFrame, QLabel, QScrollArea, QTabWidget, QVBoxLayout,
    QWidget,
)

from assistant.config import ConfigError, Settings, set_value
from assistant.errors import UserError
from ui import audio_check, screen_fit, settings_pages
from ui.settings_form import Field
from ui.wording import for_window
from ui.workers import run_in_thread

log = logging.getLogger(__name__)

WANTED_SIZE = QSize(760, 640)

# fields whose value must also name a model that exists, checked only when changed
MODEL_FIELDS = {"llm.model": "llm-gguf", "stt.vosk_model": "stt-vosk",
                "stt.whisper_model": "stt-whisper"}


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent=None, *, level: Callable[[], float] | None = None,
                 model_manager=None, apply: Callable[[Settings], None] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings.copy()
        self.level = level or (lambda: -120.0)
        self._manager = model_manager
        self._apply = apply
        self.fields: dict[str, Field] = {}
        self.result_settings: Settings | None = None
        self._jobs: list = []
        self._espeak_voices: list[str] | None = None  # listed on a worker thread
        self._closed = False

        self.tabs = QTabWidget()
        self.tabs.addTab(scrolling(settings_pages.audio_page(self)), "Audio")
        self.tabs.addTab(scrolling(settings_pages.conversation_page(self)), "Listening")
        self.tabs.addTab(scrolling(settings_pages.speech_page(self)), "Speech recognition")
        self.tabs.addTab(scrolling(settings_pages.llm_page(self)), "Language model")
        self.tabs.addTab(scrolling(settings_pages.voice_page(self)), "Voice")
        for field in self.fields.values():
            if hasattr(field.widget, "editingFinished"):
                field.widget.editingFinished.connect(lambda f=field: self.check_field(f))
        self.general_error = QLabel()
        self.general_error.setObjectName("fieldError")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        screen_fit.place(self, WANTED_SIZE)
        self.list_devices()

    @property
    def manager(self):
        if self._manager is None:
            from assistant.modelstore.manager import ModelManager

            self._manager = ModelManager()
        return self._manager

    # --- checking and saving -----------------------------------------------------------------

    def check_field(self, field: Field, into: Settings | None = None) -> str:
        """Validate one field (into a scratch copy unless given); show and return its error."""
        target = into or self.settings.copy()
        message = ""
        value = field.read()
        try:
            set_value(target, field.key, value)
            kind = MODEL_FIELDS.get(field.key)
            if kind and value and value != _get(self.settings, field.key):
                self.manager.resolve(kind, value)
        except UserError as exc:  # ConfigError or ModelError: one sentence for the person
            message = str(exc)
        field.show_error(message)
        return message

    def collect(self) -> tuple[Settings, dict[str, str]]:
        """The settings the fields describe, and the errors by key."""
        new = self.settings.copy()
        errors = {}
        for key, field in self.fields.items():
            message = self.check_field(field, into=new)
            if message:
                errors[key] = message
        return new, errors

    def accept(self) -> None:
        new, errors = self.collect()
        if errors:
            first = next(iter(errors))
            self._show_tab_of(first)
            self.general_error.setText("Some values need fixing; nothing was saved.")
            self.general_error.show()
            return
        try:
            if self._apply is not None:
                self._apply(new)
        except (ConfigError, OSError) as exc:
            self.general_error.setText(for_window(f"The settings could not be saved: {exc}"))
            self.general_error.show()
            return
        self.result_settings = new
        super().accept()

    def _show_tab_of(self, key: str) -> None:
        widget = self.fields[key].widget
        for index in range(self.tabs.count()):
            if self.tabs.widget(index).isAncestorOf(widget):
                self.tabs.setCurrentIndex(index)
                return

    # --- models -----------------------------------------------------------------------------

    def model_items(self, kind: str, none_label: str | None = None) -> list[tuple[str, str]]:
        items = [(none_label, "")] if none_label else []
        try:
            for model in self.manager.find_installed(kind):
                items.append((f"{model.id}  (installed)", model.id))
        except Exception:
            log.warning("could not list installed models", exc_info=True)
        return items

    def _refill(self, combo, kind: str, none_label: str | None = None, select: str = "") -> None:
        self._refill_items(combo, self.model_items(kind, none_label), select)

    def _refill_items(self, combo, items: list[tuple[str, str]], select: str = "") -> None:
        """New items for a combo, keeping what it shows (or `select`), even if not among them."""
        current = select or self.fields_value(combo)
        combo.clear()
        for text, data in items:
            combo.addItem(text, data)
        index = combo.findData(current)
        if index < 0 and current:
            combo.addItem(current, current)
            index = combo.count() - 1
        combo.setCurrentIndex(max(0, index))

    def fields_value(self, combo) -> str:
        field = next(f for f in self.fields.values() if f.widget is combo)
        return field.read() or ""

    def open_downloads(self, kind: str) -> None:
        from ui.download_dialog import DownloadDialog

        dialog = DownloadDialog(self.manager, kind=kind, parent=self)
        dialog.installed.connect(lambda model: self._installed(model))
        dialog.exec()

    def _installed(self, model) -> None:
        combos = {"stt-vosk": (self.vosk_combo, "Automatic for the language"),
                  "stt-whisper": (self.whisper_combo, None), "llm-gguf": (self.llm_combo, None)}
        if model.kind in combos:
            combo, none_label = combos[model.kind]
            self._refill(combo, model.kind, none_label, select=model.id)
        if model.kind == "llm-gguf":
            self.llm_speeds.refresh()  # now installed: it can be measured

    def add_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a Vosk model folder")
        if folder:
            self.add_model(folder)

    def add_model(self, path: str) -> None:
        field = self.fields["stt.vosk_model"]
        try:
            model = self.manager.add(path)
        except UserError as exc:
            field.show_error(str(exc))
            return
        if model.kind != "stt-vosk":
            field.show_error(f"{path} holds a {model.kind} model, not a Vosk one.")
            return
        field.show_error("")
        self._refill(self.vosk_combo, "stt-vosk", "Automatic for the language", select=model.id)

    def choose_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a language model", str(Path.home()),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.llm_combo.setEditText(path)
            self.check_field(self.fields["llm.model"])

    # --- devices and voices ------------------------------------------------------------------

    def list_devices(self) -> None:
        """Ask PortAudio for the devices (it may probe every host API first, for seconds) and
        espeak-ng for its voices on a worker thread; the lists are filled in when they come."""
        def work(report):
            return (audio_check.input_devices(), audio_check.output_devices(),
                    audio_check.espeak_voices())

        self._jobs.append(run_in_thread(work, on_done=self._listed, name="list-devices"))

    def _listed(self, found) -> None:
        """On the GUI thread: the devices and voices, into their lists, unless the dialog was
        closed or deleted before they came."""
        if self._closed or not shiboken6.isValid(self):
            return
        inputs, outputs, self._espeak_voices = found
        for combo, names in ((self.input_combo, inputs), (self.output_combo, outputs)):
            self._refill_items(combo, [settings_pages.DEFAULT_DEVICE] + [(n, n) for n in names])
        engine = self.fields["tts.engine"].read()
        if engine != "piper":
            self.fill_voices(engine)

    # --- sounds -----------------------------------------------------------------------------

    def fill_voices(self, engine: str) -> None:
        current = self.voice_combo.currentText() if self.voice_combo.count() else ""
        self.voice_combo.clear()
        self.voice_combo.addItem("Default", "")
        if engine == "piper":
            names = [m.id for m in self._safe(lambda: self.manager.find_installed("tts-piper"))]
            names = names or ["piper-joe-medium"]
        else:  # until the worker thread has listed them: the default and what was chosen
            names = self._espeak_voices or []
        for name in names:
            self.voice_combo.addItem(name, name)
        index = self.voice_combo.findData(current if current != "Default" else "")
        if index < 0 and current and current != "Default":
            self.voice_combo.setEditText(current)
        else:
            self.voice_combo.setCurrentIndex(max(0, index))

    def play_test_sound(self) -> None:
        device = self.fields["audio.output_device"].read()
        self._run(lambda report: audio_check.play_tone(device), self.tone_button,
                  self.tone_status, "Playing a test tone…")

    def preview_voice(self) -> None:
        new, errors = self.collect()
        if any(key.startswith("tts.") for key in errors):
            self.preview_status.setText("Fix the voice settings first.")
            return
        device = new.audio.output_device
        self._run(lambda report: audio_check.preview_voice(new.tts, device),
                  self.preview_button, self.preview_status, "Synthesizing…")

    def _run(self, work, button, status: QLabel, busy_text: str) -> None:
        button.setEnabled(False)
        status.setStyleSheet("")
        status.setText(busy_text)

        def done(message):
            if not shiboken6.isValid(button):  # the dialog went before the sound ended
                return
            button.setEnabled(True)
            status.setText(message)

        def failed(exc):
            if not shiboken6.isValid(button):
                return
            button.setEnabled(True)
            status.setStyleSheet("color:#c0392b;")
            status.setText(for_window(str(exc)) if isinstance(exc, UserError) else f"Failed: {exc}")

        self._jobs.append(run_in_thread(work, on_done=done, on_error=failed, name="sound-check"))

    @staticmethod
    def _safe(fn):
        try:
            return fn()
        except Exception:
            return []

    def done(self, result: int) -> None:
        self._closed = True
        self.meter.timer.stop()
        super().done(result)


def scrolling(page: QWidget) -> QScrollArea:
    """A settings page in a scroll area: on a short screen it scrolls instead of squeezing its
    rows (which cuts their wrapped hints)."""
    area = QScrollArea()
    area.setWidget(page)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    page.setObjectName("settingsPage")
    page.setStyleSheet("QWidget#settingsPage { background: transparent; }")
    return area


def _get(settings: Settings, key: str):
    section, _, name = key.partition(".")
    return getattr(getattr(settings, section), name)
