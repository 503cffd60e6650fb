"""The listening stage: real endpointer on espeak-ng speech, a scripted recognizer that records
what it was fed, push-to-talk, cancel, and the end of the input."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.clock import NS_PER_MS, ManualClock
from assistant.events import (
    AudioFrame, FinalTranscript, PartialTranscript, SpeechEnded, SpeechStarted,
)
from assistant.conversation.listener import Listener
from assistant.stt.base import Partial, Recognizer, Transcript
from assistant.vad import Endpointer
from conftest import silence, trim

T0 = 3_000_000_000


class ScriptedRecognizer(Recognizer):
    """Records every sample fed per utterance; a partial every 10 frames; final = its size."""

    engine = "scripted"
    streaming = True

    def __init__(self):
        super().__init__("unused")
        self.started = False
        self.utterances: list[list[np.ndarray]] = []

    def start(self):
        self.started = True

    def begin(self):
        super().begin()
        self.utterances.append([])

    def accept(self, samples):
        self.utterances[-1].append(samples.copy())
        n = len(self.utterances[-1])
        return Partial(text=f"heard {n} frames") if n % 10 == 0 else None

    def finish(self):
        return Transcript(text=f"{len(self.utterances[-1])} frames")

    def fed(self, index=-1) -> np.ndarray:
        return np.concatenate(self.utterances[index])


def frames_of(samples, t0=T0):
    for i in range(0, len(samples) - 319, 320):
        yield AudioFrame(samples=samples[i:i + 320], t_ns=t0 + i * 62_500)


@pytest.fixture
def stage():
    recognizer = ScriptedRecognizer()
    clock = ManualClock(T0)
    listener = Listener(recognizer, clock=clock)
    listener.start()
    return listener, recognizer, clock


def feed(listener, clock, samples, t0=T0):
    events = []
    for frame in frames_of(samples, t0):
        clock.sleep_until(frame.t_end_ns)
        events += listener.process(frame)
    return events


def test_open_mic_turns_in_order_with_ids(stage, speech):
    listener, recognizer, clock = stage
    assert recognizer.started
    audio = np.concatenate([silence(0.6), speech("Turn on the lights in the kitchen"), silence(1),
                            speech("And close the blinds"), silence(1)])
    events = feed(listener, clock, audio)
    kinds = [type(e) for e in events if not isinstance(e, PartialTranscript)]
    assert kinds == [SpeechStarted, SpeechEnded, FinalTranscript] * 2
    assert [e.turn_id for e in events if isinstance(e, SpeechStarted)] == [1, 2]
    partials = [e for e in events if isinstance(e, PartialTranscript)]
    assert partials and partials[0].turn_id == 1
    first_end = next(e for e in events if isinstance(e, SpeechEnded))
    assert first_end.reason == "vad"
    assert first_end.t_ns == clock.now_ns() or first_end.t_ns > first_end.t_true_end_ns


def test_recognizer_gets_the_preroll_and_every_frame(stage, speech):
    listener, recognizer, clock = stage
    words = trim(speech("Hello there"))
    lead = silence(1.0)
    events = feed(listener, clock, np.concatenate([lead, words, silence(1)]))
    onset = next(e for e in events if isinstance(e, SpeechStarted)).t_onset_ns
    fed = recognizer.fed()
    # Fed from at least preroll_ms before the onset, through the end-of-turn silence.
    assert listener.utterance_start_ns <= onset - 300 * NS_PER_MS
    speech_start = len(lead) - (listener.utterance_start_ns - T0) // 62_500
    assert speech_start >= 300 * 16
    assert np.array_equal(fed[speech_start:speech_start + len(words)], words)


def test_push_to_talk_is_exactly_press_to_release_plus_preroll(speech):
    recognizer, clock = ScriptedRecognizer(), ManualClock(T0)
    listener = Listener(recognizer, mode="ptt", clock=clock)
    listener.start()
    audio = np.concatenate([silence(1.0), speech("What time is it"), silence(2.0)])
    press_at, release_at = T0 + 800 * NS_PER_MS, T0 + 2600 * NS_PER_MS
    events = []
    for frame in frames_of(audio):
        clock.sleep_until(frame.t_end_ns)
        if frame.t_ns == press_at:
            listener.press(press_at)
        if frame.t_ns == release_at:
            listener.release(release_at)
        events += listener.process(frame)
    kinds = [type(e) for e in events if not isinstance(e, PartialTranscript)]
    assert kinds == [SpeechStarted, SpeechEnded, FinalTranscript]
    started = events[0]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert started.t_onset_ns == press_at
    assert ended.reason == "ptt" and ended.t_true_end_ns == release_at
    # Released at 2.6 s and ended right then: no endpointing wait for the silence after.
    assert ended.t_ns == release_at + 20 * NS_PER_MS
    fed_ms = len(recognizer.fed()) / 16
    assert fed_ms == pytest.approx(300 + 1800, abs=20)


def test_ptt_mode_ignores_speech_without_a_press(speech):
    listener = Listener(ScriptedRecognizer(), mode="ptt", clock=ManualClock(T0))
    listener.start()
    events = feed(listener, listener.clock, np.concatenate([silence(0.5), speech("Hello"),
                                                           silence(1)]))
    assert events == []


def test_press_during_an_open_mic_turn_holds_it_until_release(stage, speech):
    listener, recognizer, clock = stage
    audio = np.concatenate([silence(0.5), speech("Hello there"), silence(2)])
    events, pressed = [], False
    for frame in frames_of(audio):
        clock.sleep_until(frame.t_end_ns)
        if listener.active and not pressed:
            listener.press(frame.t_ns)
            pressed = True
        events += listener.process(frame)
    assert not [e for e in events if isinstance(e, SpeechEnded)]  # silence did not end it
    listener.release(clock.now_ns())
    events = listener.finish()
    assert [type(e) for e in events] == [SpeechEnded, FinalTranscript]
    assert events[0].reason == "ptt" and len(recognizer.utterances) == 1


def test_cancel_drops_the_utterance(stage, speech):
    listener, recognizer, clock = stage
    audio = np.concatenate([silence(0.5), speech("Tell me a story about a dragon"), silence(1)])
    events = []
    for frame in frames_of(audio):
        clock.sleep_until(frame.t_end_ns)
        if listener.active and listener.voiced_ms() > 300 and not recognizer.cancelled:
            listener.cancel()  # e.g. from the pipeline after an error
        events += listener.process(frame)
    assert [type(e) for e in events if not isinstance(e, PartialTranscript)] == [SpeechStarted]
    assert not listener.active
    later = feed(listener, clock, np.concatenate([speech("Hello"), silence(1)]),
                 t0=clock.now_ns())
    assert next(e for e in later if isinstance(e, SpeechStarted)).turn_id == 2
    assert isinstance(later[-1], FinalTranscript)


def test_end_of_input_closes_an_open_turn(stage, speech):
    listener, recognizer, clock = stage
    events = feed(listener, clock, np.concatenate([silence(0.5), speech("Good night")]))
    assert isinstance(events[0], SpeechStarted) and listener.active
    tail = listener.finish()
    assert [type(e) for e in tail] == [SpeechEnded, FinalTranscript]
    assert tail[0].reason == "eof"
    assert listener.finish() == []


def test_silence_peek_text_and_voiced_time_while_a_turn_is_open(stage, speech):
    listener, recognizer, clock = stage
    audio = np.concatenate([silence(0.5), trim(speech("Open the window in the bedroom")),
                            silence(1)])
    seen_silence, seen_text, seen_voiced = [], set(), []
    for frame in frames_of(audio):
        clock.sleep_until(frame.t_end_ns)
        listener.process(frame)
        seen_silence.append(listener.silence_ms())
        seen_text.add(listener.current_text())
        seen_voiced.append(listener.voiced_ms())
    assert max(seen_silence) >= 300 and seen_silence[-1] == 0  # the turn is over
    assert any(t.startswith("heard") for t in seen_text) and listener.current_text() == ""
    assert max(seen_voiced) > 1000


def test_end_silence_change_applies_to_the_running_stage(stage, speech):
    listener, recognizer, clock = stage
    listener.endpointer.settings.end_silence_ms = 1200  # as new loop settings are
    words = trim(speech("Good morning"))
    events = feed(listener, clock, np.concatenate([silence(0.5), words, silence(0.8), words,
                                                   silence(1.5)]))
    assert len([e for e in events if isinstance(e, SpeechStarted)]) == 1


def test_press_and_release_from_another_thread(speech):
    recognizer, clock = ScriptedRecognizer(), ManualClock(T0)
    listener = Listener(recognizer, mode="ptt", clock=clock, endpointer=Endpointer(gate=None))
    listener.start()
    audio = np.concatenate([silence(0.5), speech("Hello"), silence(0.5)])
    events = []
    for i, frame in enumerate(frames_of(audio)):
        clock.sleep_until(frame.t_end_ns)
        if i in (10, 60):
            action = listener.press if i == 10 else listener.release
            thread = threading.Thread(target=action, args=(frame.t_ns,))
            thread.start()
            thread.join()
        events += listener.process(frame)
    kinds = [type(e) for e in events if not isinstance(e, PartialTranscript)]
    assert kinds == [SpeechStarted, SpeechEnded, FinalTranscript]
