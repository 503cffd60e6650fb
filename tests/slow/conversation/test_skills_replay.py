"""The local skills end to end with the real engines (Whisper tiny on espeak-ng English,
espeak-ng's voice, the end-of-turn model), replayed in real time: spoken numbers as the
recognizer writes them, a timer that rings in OUT.wav with its chime, the time, "stop"."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import silence, trim

from assistant.config import Settings
from assistant.conversation.replay import run_replay
from assistant.skills.intents import SetTimer, understand

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def whisper_engines(real_models):
    from assistant.conversation.wiring import Engines

    warm = Engines.from_settings(english_settings(), notify=lambda m: None)
    warm.start()
    yield warm
    warm.close()


def english_settings() -> Settings:
    settings = Settings()
    settings.stt.engine = "whisper"
    settings.llm.max_tokens = 40
    settings.tts.engine = "espeak"  # the voice whose first audio these timings are for
    return settings


@pytest.mark.parametrize("said, seconds", [
    ("Set a timer for ten minutes.", 600), ("Ten minute timer.", 600),
    ("Set a timer for one and a half minutes.", 90),
    ("Start a timer for ninety seconds, please.", 90),
    ("Set a timer for two hours and fifteen minutes.", 8100),
])
def test_spoken_numbers_from_the_recognizer(whisper_engines, speech, said, seconds):
    # as the listener hands it over: 300 ms of pre-roll, a short pause after
    utterance = np.concatenate([silence(0.3), trim(speech(said)), silence(0.2)])
    heard = whisper_engines.recognizer.inner.transcribe_once(utterance).text
    assert understand(heard) == SetTimer(seconds), heard


def test_a_spoken_timer_rings_in_the_output_and_the_time_is_told(whisper_engines, speech, wav):
    timer = trim(speech("Set a timer for five seconds."))
    clock = trim(speech("What time is it?"))
    path = wav(silence(0.8), timer, silence(12.0), clock, silence(5.0))
    result = run_replay(english_settings(), path, engines=whisper_engines, tail_s=10)
    turns = result.turns
    skills = [t["skill"] for t in turns]
    assert skills == ["timer", "ring", "time"], [(t["user_text"], t["reply_text"]) for t in turns]
    set_turn, ring, told = turns
    assert set_turn["reply_text"] == "OK, a 5 second timer, starting now."
    assert ring["reply_text"] == "Your 5 second timer is done." and ring["source"] == "timer"
    assert told["reply_text"].startswith("It's ") and told["reply_text"].endswith("M.")
    # the ring came about 5 s after the timer was set (set when its reply was let out)
    due_ms = set_turn["t_first_audio_ms"] + 5000
    assert due_ms - 100 <= ring["t_first_audio_ms"] <= due_ms + 600
    # no LLM call: from the end of the turn to the reply's first sound, at most 100 ms
    for turn in (set_turn, told):
        stages = turn["stages_ms"]
        assert stages["llm_first_token"] is None
        assert stages["tts_first_audio"] + stages["playback_start"] + stages["first_chunk"] <= 100
    # OUT.wav: the chime's first strike (1046.5 Hz) where the ring starts
    out = result.out_audio.astype(np.float32)
    start = int(ring["t_first_audio_ms"] * 16)
    strike = out[start:start + 4800]
    spectrum = np.abs(np.fft.rfft(strike * np.hanning(len(strike))))
    peak_hz = np.argmax(spectrum) * 16000 / len(strike)
    assert abs(peak_hz - 1046.5) < 15, peak_hz


def test_stop_over_a_ringing_timer_leaves_silence(whisper_engines, speech, wav):
    """The ring (a chime and a line, over 3 s) is a reply of known length: "stop" said into
    it ends it, and nothing else is said."""
    timer = trim(speech("Set a timer for two seconds."))
    stop = trim(speech("Stop."))
    lead = 0.8 + len(timer) / 16000
    path = wav(silence(0.8), timer, silence(7.0 - lead), stop, silence(6.0))
    result = run_replay(english_settings(), path, engines=whisper_engines, tail_s=10)
    turns = result.turns
    assert [t["skill"] for t in turns] == ["timer", "ring", "stop"], \
        [(t["user_text"], t["reply_text"], t["t_first_audio_ms"]) for t in turns]
    ring, stopped = turns[1], turns[2]
    assert ring["interrupted"] and stopped["barge_in"] and stopped["reply_text"] == ""
    [barge] = result.barge_ins
    out = result.out_audio.astype(np.float32)
    assert np.abs(out[int((barge["t_silent_ms"] + 50) * 16):]).max() == 0.0  # then silence
