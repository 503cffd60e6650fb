"""TTS engines with the real voices: espeak-ng through pyttsx3 (and its command-line
fallback), and piper with the joe voice."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.tts.espeak import EspeakEngine
from assistant.tts.factory import make_tts, resolve_piper_voice
from tests.responding_helpers import TEN_WORDS, find_piper_voice, rms

pytestmark = pytest.mark.slow


def _audio(engine, text: str) -> np.ndarray:
    pieces = list(engine.synthesize(text))
    assert all(p.dtype == np.float32 and p.ndim == 1 for p in pieces)
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


@pytest.fixture(scope="module")
def espeak():
    engine = EspeakEngine()
    engine.start()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def piper_engine():
    from assistant.tts.piper import PiperEngine

    engine = PiperEngine(find_piper_voice())
    engine.start()
    yield engine
    engine.close()


# --- espeak ----------------------------------------------------------------------------------


def test_espeak_ten_words_give_plausible_audio(espeak):
    audio = _audio(espeak, TEN_WORDS)
    seconds = len(audio) / espeak.sample_rate
    assert 1.5 <= seconds <= 6.0
    assert rms(audio) > 0.01
    assert np.abs(audio).max() <= 1.0


def test_espeak_twenty_calls_in_a_row(espeak):
    lengths = [len(_audio(espeak, f"This is call number {i} of twenty.")) for i in range(20)]
    assert min(lengths) > 0.8 * espeak.sample_rate


def test_espeak_from_many_threads_at_once(espeak):
    results: list[int] = []
    errors: list[Exception] = []

    def work(k):
        try:
            for i in range(5):
                results.append(len(_audio(espeak, f"Thread {k} says hello for the {i} time.")))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 20 and min(results) > 0


def test_espeak_two_engines_share_the_worker_with_their_own_settings(espeak):
    fast = EspeakEngine(rate=350)
    fast.start()
    assert len(_audio(fast, TEN_WORDS)) < 0.75 * len(_audio(espeak, TEN_WORDS))


def test_espeak_says_nothing_for_empty_text_and_does_not_hang(espeak):
    started = time.monotonic()
    assert _audio(espeak, "") .size == 0
    assert _audio(espeak, "  ... !! ") .size == 0
    assert time.monotonic() - started < 1.0
    assert _audio(espeak, "Still working.").size > 0


def test_espeak_voices_and_unknown_voice(espeak):
    voices = espeak.voices()
    assert "gmw/en-us" in voices and espeak.voice == "gmw/en-us"
    with pytest.raises(ModelError) as info:
        EspeakEngine(voice="klingon-xx").start()
    assert "\n" not in str(info.value) and "klingon-xx" in str(info.value)


def test_espeak_command_line_fallback_works_too():
    engine = EspeakEngine(backend="subprocess")
    engine.start()
    audio = _audio(engine, TEN_WORDS)
    assert 1.5 <= len(audio) / engine.sample_rate <= 6.0 and rms(audio) > 0.01


def test_espeak_time_to_audio_is_small(espeak):
    started = time.perf_counter()
    next(iter(espeak.synthesize(TEN_WORDS)))
    assert time.perf_counter() - started < 1.0


# --- piper -----------------------------------------------------------------------------------


def test_piper_ten_words_give_plausible_audio(piper_engine):
    audio = _audio(piper_engine, TEN_WORDS)
    assert piper_engine.sample_rate == 22050
    assert 1.5 <= len(audio) / piper_engine.sample_rate <= 6.0
    assert rms(audio) > 0.01


def test_piper_streams_one_piece_per_sentence(piper_engine):
    pieces = list(piper_engine.synthesize("This is the first one. And here is the second."))
    assert len(pieces) == 2 and all(len(p) > 0.3 * piper_engine.sample_rate for p in pieces)


def test_piper_rate_changes_length():
    from assistant.tts.piper import PiperEngine

    slow = PiperEngine(find_piper_voice(), rate=120)
    slow.start()
    normal = _audio(slow, TEN_WORDS)
    fast = PiperEngine(find_piper_voice(), rate=260)
    fast.start()
    assert len(_audio(fast, TEN_WORDS)) < 0.75 * len(normal)


def test_piper_cancel_stops_between_sentences(piper_engine):
    stream = piper_engine.synthesize("One sentence here. Another sentence there. A third one.")
    first = next(stream)
    piper_engine.cancel()
    assert len(first) > 0 and list(stream) == []
    assert len(_audio(piper_engine, "Works again.")) > 0


def test_piper_missing_voice_is_one_line_model_error(tmp_path):
    from assistant.config import TtsSettings

    with pytest.raises(ModelError) as info:
        make_tts(TtsSettings(engine="piper", voice=str(tmp_path / "nope.onnx")))
    assert "\n" not in str(info.value)
    with pytest.raises(ModelError):
        resolve_piper_voice("piper-no-such-voice")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not onnx")
    (tmp_path / "broken.onnx.json").write_text("{}")
    from assistant.tts.piper import PiperEngine

    with pytest.raises(ModelError) as info:
        PiperEngine(broken).start()
    assert "\n" not in str(info.value)


def test_the_default_voice_is_joe_from_the_model_store_timed_once(tmp_path):
    from assistant.config import TtsSettings
    from assistant.tts.preferred import PreferredVoice
    from assistant.tts.voice_speed import VoiceSpeedCache, facts

    find_piper_voice()  # skips where the voice is not installed
    notes = []
    engine = make_tts(TtsSettings(cache_entries=0), notify=notes.append)
    assert isinstance(engine, PreferredVoice)
    assert "site-packages" not in str(engine.preferred.model_path)  # the model, not a package
    engine.cache = VoiceSpeedCache(tmp_path / "voice-speed.json")
    engine.start()
    try:
        speed = engine.speed
        assert 0 < speed.first_audio_ms < 5000 and 0 < speed.real_time_factor < 5
        # the verdict follows the figures, and is said only when joe gives way
        assert (engine.name == "piper") == speed.fast_enough
        assert len(notes) == (0 if speed.fast_enough else 1)
        assert engine.cache.get(facts(engine.preferred.model_path)) == speed
    finally:
        engine.close()
