"""Choosing the recognizer: explicit engines, the auto fallback to Whisper, explicit paths.
The model manager is a scripted fake with the real one's API; nothing is loaded."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.stt.factory import make_recognizer
from assistant.stt.vosk import VoskRecognizer
from assistant.stt.whisper import WhisperRecognizer


class FakeManager:
    def __init__(self, installed=(), ids=None, trimmed_ok=("whisper-tiny",)):
        self.installed = list(installed)  # (kind, language, path)
        self.ids = ids or {}  # id -> path
        self.trimmed_ok = trimmed_ok  # catalog entries with trimmed_decode = true
        self.asked = []

    def catalog_entry(self, model_id):
        if model_id not in self.ids:
            return None
        return SimpleNamespace(id=model_id, trimmed_decode=model_id in self.trimmed_ok)

    def find_installed(self, kind, language=None):
        self.asked.append((kind, language))
        return [SimpleNamespace(id=Path(p).name, kind=k, language=lang, path=Path(p), source="catalog")
                for k, lang, p in self.installed if k == kind and lang == language]

    def resolve(self, kind, id_or_path):
        if id_or_path in self.ids:
            return Path(self.ids[id_or_path])
        raise ModelError(f"Model '{id_or_path}' is not installed; run: voice-assistant models list")


def settings(engine="auto", language="en", **stt) -> Settings:
    s = Settings()
    s.stt.engine, s.stt.language = engine, language
    for key, value in stt.items():
        setattr(s.stt, key, value)
    return s


def test_auto_prefers_an_installed_vosk_model(tmp_path):
    manager = FakeManager(installed=[("stt-vosk", "en", tmp_path / "vosk-en")])
    said = []
    recognizer = make_recognizer(settings(), manager, notify=said.append)
    assert isinstance(recognizer, VoskRecognizer)
    assert recognizer.model_path == tmp_path / "vosk-en" and said == []
    assert manager.asked == [("stt-vosk", "en")]


def test_auto_falls_back_to_whisper_and_says_so_once(tmp_path):
    manager = FakeManager(ids={"whisper-tiny": tmp_path / "tiny"})
    said = []
    recognizer = make_recognizer(settings(language="en-US"), manager, notify=said.append)
    assert isinstance(recognizer, WhisperRecognizer)
    assert recognizer.model_path == tmp_path / "tiny"
    assert said == ["No Vosk model for 'en-US' is installed; using Whisper (its live words "
                    "lag a little behind the voice). Run: voice-assistant models download vosk-model-small-en-us-0.15"]
    assert said[0].key == "whisper-for-vosk:en"  # told once per language (told_once.py)
    assert manager.asked == [("stt-vosk", "en")]


def test_explicit_engines_and_ids(tmp_path):
    manager = FakeManager(installed=[("stt-vosk", "de", tmp_path / "de")],
                          ids={"base": tmp_path / "base", "vosk-x": tmp_path / "x"})
    whisper = make_recognizer(settings("whisper", whisper_model="base"), manager)
    assert isinstance(whisper, WhisperRecognizer) and whisper.model_path == tmp_path / "base"
    vosk = make_recognizer(settings("vosk", "de"), manager)
    assert isinstance(vosk, VoskRecognizer) and vosk.model_path == tmp_path / "de"
    chosen = make_recognizer(settings("vosk", vosk_model="vosk-x"), manager)
    assert chosen.model_path == tmp_path / "x"


def test_finals_at_their_own_length_only_where_the_catalog_measured_it(tmp_path):
    manager = FakeManager(ids={"whisper-tiny": tmp_path / "tiny", "whisper-base": tmp_path / "b"})
    tiny = make_recognizer(settings("whisper"), manager)
    base = make_recognizer(settings("whisper", whisper_model="whisper-base"), manager)
    assert tiny.trimmed and not base.trimmed
    assert tiny.live_partials and base.live_partials  # partials are trimmed either way
    off = make_recognizer(settings("whisper", whisper_trimmed=False,
                                   whisper_live_partials=False), manager)
    assert not off.trimmed and not off.live_partials
    own = make_recognizer(settings("whisper"), manager, engine="whisper", model_path=tmp_path)
    assert own.trimmed  # a folder of the user's own follows the setting


def test_an_explicit_path_is_used_directly(tmp_path):
    manager = FakeManager()
    for engine, kind in (("vosk", VoskRecognizer), ("whisper", WhisperRecognizer)):
        recognizer = make_recognizer(settings("auto"), manager, engine=engine,
                                     model_path=tmp_path / "m")
        assert isinstance(recognizer, kind) and recognizer.model_path == tmp_path / "m"
    assert manager.asked == []
    folder = tmp_path / "my-model"
    folder.mkdir()
    assert make_recognizer(settings("vosk", vosk_model=str(folder)), manager).model_path == folder


def test_vosk_without_a_model_says_what_to_run():
    with pytest.raises(ModelError) as info:
        make_recognizer(settings("vosk", "fr"), FakeManager())
    assert "models download vosk-model-small-fr-0.22" in str(info.value)


def test_unknown_whisper_id_is_a_model_error():
    with pytest.raises(ModelError, match="not installed"):
        make_recognizer(settings("whisper", whisper_model="whisper-large"), FakeManager())


def test_default_whisper_falls_back_to_the_packaged_copy(whisper_model):
    recognizer = make_recognizer(settings("whisper"), FakeManager())
    assert isinstance(recognizer, WhisperRecognizer)
    assert recognizer.model_path.is_dir()


def test_building_loads_nothing(tmp_path):
    # A path that does not exist is fine until start(): construction is cheap.
    recognizer = make_recognizer(settings("vosk"), FakeManager(), model_path=tmp_path / "none")
    with pytest.raises(ModelError):
        recognizer.start()
