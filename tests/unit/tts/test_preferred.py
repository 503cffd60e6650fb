"""The default voice: Piper's joe where it is installed and fast enough, else espeak-ng with one
line that says why (timed once per machine and kept)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.clock import NS_PER_MS, ManualClock
from assistant.config import TtsSettings
from assistant.errors import ModelError
from assistant.tts import factory
from assistant.tts.base import TtsEngine
from assistant.tts.cache import CachedTts
from assistant.tts.espeak import EspeakEngine
from assistant.tts.preferred import PreferredVoice
from assistant.tts.voice_speed import (
    FIRST_AUDIO_LIMIT_MS, PHRASE, SENTENCE, VoiceSpeed, VoiceSpeedCache, measure,
)

RATE = 22050


class TimedVoice(TtsEngine):
    """A voice whose synthesis takes `ms_per_word` on a manual clock and gives 0.3 s of audio
    a word; `fails` makes start() raise as a missing model does."""

    name = "piper"

    def __init__(self, clock: ManualClock, model_path, ms_per_word: float = 20.0,
                 fails: bool = False):
        super().__init__(voice="en_US-joe-medium", rate=175)
        self.clock = clock
        self.model_path = model_path
        self.ms_per_word = ms_per_word
        self.fails = fails
        self.sample_rate = RATE
        self.started = self.closed = False
        self.rendered: list[str] = []

    def start(self) -> None:
        if self.fails:
            raise ModelError("The piper voice en_US-joe-medium.onnx could not be loaded.")
        self.started = True

    def render_piece(self, text: str):
        self.rendered.append(text)
        words = len(text.split())
        self.clock.advance(int(self.ms_per_word * words * NS_PER_MS))
        yield np.zeros(int(0.3 * RATE * words), np.float32)

    def close(self) -> None:
        self.closed = True


class Fallback(TtsEngine):
    name = "espeak"

    def __init__(self):
        super().__init__(voice="gmw/en-us", rate=175)
        self.started = False

    def start(self) -> None:
        self.started = True

    def render_piece(self, text: str):
        yield np.ones(100, np.float32)


@pytest.fixture
def voice_file(tmp_path):
    path = tmp_path / "en_US-joe-medium.onnx"
    path.write_bytes(b"onnx" + bytes(64))
    return path


def preferred(clock, voice_file, tmp_path, notes, **kwargs):
    fallback = Fallback()
    engine = PreferredVoice(TimedVoice(clock, voice_file, **kwargs), make_fallback=lambda: fallback,
                            notify=notes.append, cache=VoiceSpeedCache(tmp_path / "speed.json"),
                            clock=clock)
    return engine, fallback


def test_measure_times_a_first_chunk_and_the_real_time_factor(voice_file):
    clock = ManualClock()
    speed = measure(TimedVoice(clock, voice_file, ms_per_word=50.0), clock)
    assert speed.first_audio_ms == 50.0 * len(PHRASE.split())
    assert speed.real_time_factor == pytest.approx(0.05 / 0.3, abs=0.001)
    assert speed.fast_enough


def test_a_fast_voice_is_kept_and_timed_only_once(voice_file, tmp_path):
    clock, notes = ManualClock(), []
    engine, fallback = preferred(clock, voice_file, tmp_path, notes)
    engine.start()
    assert engine.engine is engine.preferred and engine.name == "piper"
    assert notes == [] and not fallback.started
    assert engine.preferred.rendered.count(SENTENCE) >= 1  # timed
    again, _ = preferred(clock, voice_file, tmp_path, notes)
    again.start()
    assert again.preferred.rendered == []  # the kept figure decided
    assert again.speed == engine.speed


def test_a_slow_voice_gives_way_to_espeak_in_one_line(voice_file, tmp_path):
    clock, notes = ManualClock(), []
    slow_ms = FIRST_AUDIO_LIMIT_MS / len(PHRASE.split()) * 1.5
    engine, fallback = preferred(clock, voice_file, tmp_path, notes, ms_per_word=slow_ms)
    engine.start()
    assert engine.engine is fallback and fallback.started and engine.preferred.closed
    assert engine.name == "espeak" and engine.voice == "gmw/en-us"
    assert len(notes) == 1 and "\n" not in notes[0]
    assert "too slow" in notes[0] and "piper-joe-medium" in notes[0]
    assert f"{engine.speed.first_audio_ms:.0f} ms" in notes[0]
    assert len(list(engine.synthesize("Hello there."))) == 1  # espeak speaks


def test_slow_synthesis_of_a_sentence_is_too_slow_too():
    assert not VoiceSpeed(first_audio_ms=100.0, real_time_factor=0.8).fast_enough
    assert VoiceSpeed(first_audio_ms=100.0, real_time_factor=0.2).fast_enough


def test_a_voice_that_cannot_load_gives_way_to_espeak(voice_file, tmp_path):
    clock, notes = ManualClock(), []
    engine, fallback = preferred(clock, voice_file, tmp_path, notes, fails=True)
    engine.start()
    assert engine.engine is fallback and len(notes) == 1
    assert "could not start" in notes[0] and "espeak-ng" in notes[0]


def test_a_changed_voice_file_is_timed_again(voice_file, tmp_path):
    clock, notes = ManualClock(), []
    preferred(clock, voice_file, tmp_path, notes)[0].start()
    voice_file.write_bytes(b"onnx" + bytes(128))
    again, _ = preferred(clock, voice_file, tmp_path, notes)
    again.start()
    assert SENTENCE in again.preferred.rendered


# --- the factory -----------------------------------------------------------------------------


class Manager:
    def __init__(self, path=None):
        self.path = path
        self.asked = []

    def resolve(self, kind, value):
        self.asked.append((kind, value))
        if self.path is None:
            raise ModelError(f"Piper voice {value!r} is not installed; run: voice-assistant "
                             f"models download {value}")
        return self.path


def test_the_default_is_joe_behind_the_speed_check(voice_file):
    assert TtsSettings().engine == "piper" and TtsSettings().voice == ""
    manager = Manager(voice_file)
    engine = factory.make_tts(TtsSettings(), model_manager=manager)
    assert isinstance(engine, CachedTts) and isinstance(engine.engine, PreferredVoice)
    assert engine.engine.preferred.model_path == voice_file
    assert manager.asked == [("tts-piper", "piper-joe-medium")]


def test_a_missing_default_voice_falls_back_to_espeak_with_one_line():
    notes = []
    engine = factory.make_tts(TtsSettings(cache_entries=0), model_manager=Manager(None),
                              notify=notes.append)
    assert isinstance(engine, EspeakEngine) and engine.voice != "piper-joe-medium"
    assert len(notes) == 1 and "\n" not in notes[0]
    assert "models download piper-joe-medium" in notes[0]


def test_missing_piper_tts_falls_back_to_espeak_with_one_line(voice_file, monkeypatch):
    real = factory.importlib.util.find_spec
    monkeypatch.setattr(factory.importlib.util, "find_spec",
                        lambda name, *a: None if name == "piper" else real(name, *a))
    notes = []
    engine = factory.make_tts(TtsSettings(cache_entries=0), model_manager=Manager(voice_file),
                              notify=notes.append)
    assert isinstance(engine, EspeakEngine)
    assert len(notes) == 1 and "piper-tts" in notes[0]


def test_a_named_voice_is_used_as_named(voice_file):
    engine = factory.make_tts(TtsSettings(voice="piper-joe-medium", cache_entries=0),
                              model_manager=Manager(voice_file))
    assert not isinstance(engine, PreferredVoice) and engine.model_path == voice_file
    with pytest.raises(ModelError):
        factory.make_tts(TtsSettings(voice="piper-joe-medium"), model_manager=Manager(None))


def test_espeak_when_chosen():
    engine = factory.make_tts(TtsSettings(engine="espeak", voice="en-gb"))
    assert isinstance(engine.engine, EspeakEngine) and engine.engine.voice == "en-gb"


def test_text_in_another_script_is_read_by_espeak(voice_file, tmp_path):
    clock, notes = ManualClock(), []
    engine, fallback = preferred(clock, voice_file, tmp_path, notes)
    fallback.sample_rate = RATE
    engine.start()
    engine.preferred.rendered.clear()
    assert len(list(engine.synthesize("오늘 날씨가 좋아요"))) == 1
    assert fallback.started and engine.preferred.rendered == []
    list(engine.synthesize("Back in English."))
    assert engine.preferred.rendered == ["Back in English."] and engine.name == "piper"
