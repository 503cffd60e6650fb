"""The audio cache in front of a TTS engine, and the engine factory."""

from __future__ import annotations

import time

import numpy as np
import pytest

from assistant.config import TtsSettings
from assistant.tts.cache import CachedTts
from assistant.tts.espeak import EspeakEngine
from assistant.tts.factory import make_tts
from tests.responding_helpers import TEN_WORDS, ScriptedTts


def _all(engine, text):
    return np.concatenate(list(engine.synthesize(text)))


def test_repeat_comes_from_the_cache():
    inner = ScriptedTts(pieces=3)
    cache = CachedTts(inner, max_entries=8)
    first = list(cache.synthesize("hello there"))
    second = list(cache.synthesize("hello there"))
    assert inner.calls == ["hello there"]
    assert len(second) == 3 and all(np.array_equal(a, b) for a, b in zip(first, second))
    assert (cache.hits, cache.misses) == (1, 1)


def test_key_includes_voice_and_rate():
    inner = ScriptedTts()
    cache = CachedTts(inner)
    _all(cache, "same text")
    inner.rate = 250
    _all(cache, "same text")
    inner.voice = "other"
    _all(cache, "same text")
    assert len(inner.calls) == 3 and len(cache) == 3


def test_bounded_by_entries_least_recently_used_goes_first():
    inner = ScriptedTts()
    cache = CachedTts(inner, max_entries=2)
    for text in ("a", "b", "a", "c"):  # "a" was used again, so "b" is evicted
        _all(cache, text)
    assert len(cache) == 2
    _all(cache, "a")
    _all(cache, "b")
    assert inner.calls == ["a", "b", "c", "b"]


def test_bounded_by_bytes():
    inner = ScriptedTts(sample_rate=16000)  # 0.1 s per word = 6400 bytes per word
    cache = CachedTts(inner, max_entries=100, max_bytes=20_000)
    for word in ("one", "two", "three", "four"):
        _all(cache, word)
    assert cache.total_bytes <= 20_000 and len(cache) == 3
    _all(cache, "a b c d e f g h")  # bigger than the whole cache: not stored
    assert len(cache) == 3


def test_cancelled_or_abandoned_synthesis_is_not_stored():
    inner = ScriptedTts(pieces=4)
    cache = CachedTts(inner)
    stream = cache.synthesize("cut short")
    next(stream)
    cache.cancel()
    assert list(stream) == []
    stream = cache.synthesize("abandoned")
    next(stream)
    stream.close()
    assert len(cache) == 0
    assert len(list(cache.synthesize("cut short"))) == 4
    assert len(cache) == 1


def test_cached_audio_cannot_be_changed_by_a_consumer():
    cache = CachedTts(ScriptedTts())
    piece = next(iter(cache.synthesize("x")))
    with pytest.raises(ValueError):
        piece[0] = 1.0


def test_zero_entries_disables_storing():
    inner = ScriptedTts()
    cache = CachedTts(inner, max_entries=0)
    _all(cache, "x")
    _all(cache, "x")
    assert len(inner.calls) == 2


@pytest.mark.slow
def test_real_espeak_repeat_plays_at_once():
    cache = CachedTts(EspeakEngine(), max_entries=16)
    cache.start()
    first = _all(cache, TEN_WORDS)
    started = time.perf_counter()
    again = _all(cache, TEN_WORDS)
    assert time.perf_counter() - started < 0.002
    assert np.array_equal(first, again) and cache.sample_rate == 22050


def test_factory_builds_a_cached_engine_unless_the_cache_is_off():
    engine = make_tts(TtsSettings(engine="espeak"))
    assert isinstance(engine, CachedTts) and isinstance(engine.engine, EspeakEngine)
    assert engine.max_entries == TtsSettings().cache_entries
    assert isinstance(make_tts(TtsSettings(engine="espeak", cache_entries=0)), EspeakEngine)


def test_factory_piper_uses_the_model_manager(tmp_path):
    calls = []
    voice = tmp_path / "en_US-joe-medium.onnx"
    voice.write_bytes(b"onnx")

    class Manager:
        def resolve(self, kind, value):
            calls.append((kind, value))
            return voice

    engine = make_tts(TtsSettings(engine="piper", voice="my-voice"), model_manager=Manager())
    assert calls == [("tts-piper", "my-voice")]
    assert engine.engine.model_path == voice


def test_factory_missing_piper_voice_is_one_line():
    from assistant.errors import ModelError

    class Manager:
        def resolve(self, kind, value):
            raise ModelError(f"Piper voice {value!r} is not installed; run: voice-assistant "
                             f"models download {value}")

    with pytest.raises(ModelError) as info:
        make_tts(TtsSettings(engine="piper", voice="piper-other"), model_manager=Manager())
    assert "\n" not in str(info.value) and "piper-other" in str(info.value)
