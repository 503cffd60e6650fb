"""The endpointer on real speech (espeak-ng and a human recording) and on non-speech."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.clock import NS_PER_MS
from assistant.config import VadSettings
from assistant.events import AudioFrame, SpeechEnded, SpeechStarted
from assistant.evaluation.stt_measure import speech_ends_s
from assistant.vad import Endpointer, SileroGate, VadState
from conftest import read16, silence, trim, white_noise

FRAME = 320
T0 = 5_000_000_000  # an arbitrary clock origin: nothing may assume time starts at 0


def frames_of(samples: np.ndarray, t0: int = T0):
    for i in range(0, len(samples) - FRAME + 1, FRAME):
        yield AudioFrame(samples=samples[i:i + FRAME], t_ns=t0 + i * 1_000_000_000 // 16000)


def run(endpointer: Endpointer, samples: np.ndarray) -> list:
    events = []
    for frame in frames_of(samples):
        events += endpointer.process(frame)
    return events


def started(events):
    return [e for e in events if isinstance(e, SpeechStarted)]


def ended(events):
    return [e for e in events if isinstance(e, SpeechEnded)]


def at_s(t_ns: int) -> float:
    return (t_ns - T0) / 1e9


@pytest.fixture
def endpointer():
    ep = Endpointer(VadSettings())
    ep.start()
    yield ep
    ep.close()


def test_silence_gives_no_turn(endpointer):
    assert run(endpointer, silence(3)) == []
    assert endpointer.state is VadState.QUIET


@pytest.mark.parametrize("name", ["alsa-noise.wav", "oxygen-sys-log-in-long.ogg",
                                  "freedesktop-alarm-clock-elapsed.oga"])
def test_noise_and_music_give_no_turn(endpointer, real_audio, name):
    audio = read16(real_audio(name))
    assert started(run(endpointer, np.concatenate([silence(0.5), audio, silence(1)]))) == []


def test_white_noise_gives_no_turn(endpointer):
    assert started(run(endpointer, white_noise(4, dbfs=-15))) == []


def test_webrtcvad_alone_takes_white_noise_for_speech():
    # Why the gate exists: without it, steady noise opens a turn.
    ep = Endpointer(VadSettings(), gate=None)
    ep.start()
    assert started(run(ep, white_noise(2, dbfs=-15)))


def test_one_utterance_is_one_turn_with_onset_and_true_end(endpointer, speech):
    words = speech("Please turn on the lights in the kitchen")
    events = run(endpointer, np.concatenate([silence(1), words, silence(1.5)]))
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    start, end = events
    assert 0.95 <= at_s(start.t_onset_ns) <= 1.15  # speech begins at 1.0 s
    true_end = 1 + speech_ends_s(words)[-1]  # espeak-ng leaves some silence at the end
    assert abs(at_s(end.t_true_end_ns) - true_end) < 0.05
    waited_ms = (end.t_ns - end.t_true_end_ns) / NS_PER_MS
    assert waited_ms == pytest.approx(VadSettings().end_silence_ms, abs=20)


def test_real_human_recording(real_audio):
    # "Front ... center": the clip has ~0.4 s of near-silence between the two words, so the
    # end-silence setting decides whether that is one turn or two.
    audio = np.concatenate([silence(0.5), read16(real_audio("alsa-front-center.wav")), silence(1)])
    for end_silence_ms, turns in ((600, 1), (250, 2)):
        ep = Endpointer(VadSettings(end_silence_ms=end_silence_ms))
        ep.start()
        events = run(ep, audio)
        assert [type(e) for e in events] == [SpeechStarted, SpeechEnded] * turns
        assert 0.45 <= at_s(events[0].t_onset_ns) <= 0.6


def test_short_pause_does_not_split_an_utterance(endpointer, speech):
    pause = silence(0.25)  # shorter than end_silence_ms (400)
    audio = np.concatenate([silence(0.5), trim(speech("Set a timer")), pause,
                            trim(speech("for ten minutes")), silence(1)])
    events = run(endpointer, audio)
    assert len(started(events)) == 1 and len(ended(events)) == 1


def test_long_pause_makes_two_turns(endpointer, speech):
    audio = np.concatenate([silence(0.5), trim(speech("Set a timer")), silence(0.8),
                            trim(speech("for ten minutes")), silence(1)])
    events = run(endpointer, audio)
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded] * 2
    assert events[1].t_ns < events[2].t_onset_ns


def test_speech_over_steady_noise_still_starts_and_ends(endpointer, speech):
    words = speech("What is the weather like today")
    clean = np.concatenate([silence(1), words, silence(1.5)]).astype(np.int32)
    noisy = np.clip(clean + white_noise(len(clean) / 16000, dbfs=-40), -32768, 32767)
    events = run(endpointer, noisy.astype(np.int16))
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]


def test_preroll_holds_audio_from_before_the_onset(endpointer, speech):
    settings = endpointer.settings
    for frame in frames_of(np.concatenate([silence(1), speech("Hello there, how are you")])):
        if started(endpointer.process(frame)):
            break
    else:
        pytest.fail("no onset")
    preroll = endpointer.preroll()
    onset = endpointer.onset_ns
    assert onset - preroll[0].t_ns >= settings.preroll_ms * NS_PER_MS
    assert preroll[-1].t_end_ns == frame.t_end_ns  # up to the frame that confirmed the onset
    gaps = {b.t_ns - a.t_end_ns for a, b in zip(preroll, preroll[1:])}
    assert gaps == {0}


def test_end_silence_applies_live_and_silence_can_be_peeked(endpointer, speech):
    audio = np.concatenate([silence(0.5), speech("Turn off the radio"), silence(2)])
    peeks = []
    endpointer.settings.end_silence_ms = 1500  # as new loop settings are, between frames
    for frame in frames_of(audio):
        events = endpointer.process(frame)
        if endpointer.state is VadState.STOPPING:
            peeks.append(endpointer.silence_ms())
        if ended(events):
            break
    waited = (events[0].t_ns - events[0].t_true_end_ns) / NS_PER_MS
    assert waited == pytest.approx(1500, abs=20)
    tail = peeks[-10:]  # while STOPPING the peek grows frame by frame up to the window
    assert tail == sorted(tail) and tail[-1] >= 1400


def test_aggressiveness_change_applies_live(endpointer, speech):
    endpointer.settings.aggressiveness = 3
    events = run(endpointer, np.concatenate([silence(0.5), speech("Good morning"), silence(1)]))
    assert endpointer._mode == 3
    assert len(started(events)) == 1


@pytest.mark.skipif(not SileroGate.available(), reason="faster-whisper's Silero model is missing")
def test_gate_scores_speech_high_and_noise_low(speech):
    gate = SileroGate()
    gate.start()
    assert gate.push(np.concatenate([speech("Hello, how are you doing today"), silence(0.1)])[:16000]) > 0.5
    gate.reset()
    assert gate.push(white_noise(1, dbfs=-15)) < 0.5
