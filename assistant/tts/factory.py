"""Build the configured TTS engine: Piper's joe by default, espeak-ng when chosen or as the
fallback, with a cache in front.

The default voice falls back to espeak-ng, with one line through `notify`, when it cannot be
used here: the voice is not installed, piper-tts is missing, or (measured at its first start,
`preferred.PreferredVoice`) this computer is too slow for it. A Piper voice the person named
is used as named: missing, it is an error that says what to download.

Nothing is loaded here; call `start()` on the result (from a worker thread in the UI).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Callable

from assistant.config import TtsSettings
from assistant.errors import ModelError
from assistant.tts.base import TtsEngine

log = logging.getLogger(__name__)

DEFAULT_PIPER_VOICE = "piper-joe-medium"


# Repeated phrases are short ("Sorry, ...", greetings): 8 MB holds a few minutes of them.
CACHE_MAX_BYTES = 8 << 20


def make_tts(settings: TtsSettings, model_manager=None,
             notify: Callable[[str], None] | None = None) -> TtsEngine:
    """The engine `settings.engine` names, wrapped in a `CachedTts` unless the cache is off.

    A piper voice is `settings.voice`: an .onnx path, or a model id resolved through
    `model_manager` (default: `assistant.modelstore.manager.ModelManager()`); "" means the
    default voice, piper-joe-medium, which gives way to espeak-ng (said through `notify`,
    default: the log) when it is missing or too slow here. A voice that was named (joe too)
    is used as named; not installed, it raises `ModelError`.
    """
    notify = notify or (lambda message: log.warning("%s", message))
    if settings.engine == "piper":
        engine = _piper(settings, model_manager, notify)
    else:
        engine = _espeak(settings)
    if settings.cache_entries <= 0:
        return engine
    from assistant.tts.cache import CachedTts

    return CachedTts(engine, max_entries=settings.cache_entries, max_bytes=CACHE_MAX_BYTES)


def _espeak(settings: TtsSettings) -> TtsEngine:
    from assistant.tts.espeak import EspeakEngine

    # a Piper voice's name means nothing to espeak-ng: its default voice speaks instead
    voice = "" if settings.engine == "piper" else settings.voice
    return EspeakEngine(voice=voice, rate=settings.rate)


def _piper(settings: TtsSettings, model_manager, notify: Callable[[str], None]) -> TtsEngine:
    from assistant.tts.piper import PiperEngine

    if settings.voice:  # named, even if it is joe: used as named
        return PiperEngine(resolve_piper_voice(settings.voice, model_manager),
                           rate=settings.rate)
    if importlib.util.find_spec("piper") is None:
        notify("The Piper voice needs piper-tts, which is not installed, so the espeak-ng "
               "voice speaks; reinstall the app (pip install -e .) to get it.")
        return _espeak(settings)
    try:
        path = resolve_piper_voice(DEFAULT_PIPER_VOICE, model_manager)
    except ModelError:
        notify(f"The Piper voice is not installed, so the espeak-ng voice speaks; run "
               f"`voice-assistant models download {DEFAULT_PIPER_VOICE}` for a natural voice.")
        return _espeak(settings)
    from assistant.tts.preferred import PreferredVoice

    return PreferredVoice(PiperEngine(path, rate=settings.rate),
                          make_fallback=lambda: _espeak(settings), notify=notify)


def resolve_piper_voice(voice: str, model_manager=None) -> Path:
    """An installed piper .onnx for a path, a folder holding one, or a model id."""
    voice = voice or DEFAULT_PIPER_VOICE
    candidate = Path(voice).expanduser()
    if voice.endswith(".onnx") or candidate.exists():
        found = _onnx_in(candidate)
        if found is None:
            raise ModelError(f"The piper voice {candidate} does not exist or holds no .onnx "
                             "file; give the path of an installed voice.")
        return found
    resolved = None
    manager_error: Exception | None = None
    try:
        if model_manager is None:
            from assistant.modelstore.manager import ModelManager

            model_manager = ModelManager()
        resolved = model_manager.resolve("tts-piper", voice)
    except ImportError:
        pass  # a build without the model manager: only paths
    except ModelError as exc:
        manager_error = exc
    found = _onnx_in(Path(resolved)) if resolved else None
    if found is not None:
        return found
    if manager_error is not None:
        raise manager_error
    raise ModelError(f"The piper voice {voice!r} is not installed; run "
                     f"`voice-assistant models download {voice}` or give an .onnx path.")


def _onnx_in(path: Path) -> Path | None:
    if path.is_file() and path.suffix == ".onnx":
        return path
    if path.is_dir():
        return next(iter(sorted(path.glob("*.onnx"))), None)
    return None
