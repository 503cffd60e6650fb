"""The output between the synthesizer and the speaker: audio is resampled to the speaker's
rate on the synthesizer's thread, before it is held or queued; releasing held audio (on the
conversation thread) and the speaker's callback only hand over and copy it."""

from __future__ import annotations

import threading

import numpy as np

from assistant.audio.speaker import Speaker
from assistant.clock import NS_PER_S, ManualClock
from assistant.conversation.output import HeldOutput, WholeReplyOutput
from assistant.conversation.synthesizer import Synthesizer
from assistant.events import AudioChunk, PlaybackFinished, PlaybackStarted, TextChunk
from helpers.resampling import ResampleCalls

TTS_RATE = 22050
DEVICE_RATE = 48000
WORD_S = 0.25


class SineTts:
    """A voice at 22 050 Hz: a 440 Hz tone of WORD_S seconds per word."""

    sample_rate = TTS_RATE

    def start(self) -> None:
        pass

    def synthesize(self, text: str):
        t = np.arange(int(TTS_RATE * WORD_S)) / TTS_RATE
        for _word in text.split():
            yield (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


class Stream:
    """A sounddevice stream whose callback the test runs itself."""

    def __init__(self, samplerate, blocksize, channels, dtype, device, callback):
        self.samplerate, self.blocksize, self.callback = samplerate, blocksize, callback

    def start(self):
        pass

    def stop(self):
        pass

    def close(self):
        pass


def device_speaker(clock) -> tuple[Speaker, list[Stream], list]:
    streams, events = [], []

    def factory(**kwargs):
        streams.append(Stream(**kwargs))
        return streams[-1]

    speaker = Speaker(clock=clock, on_event=events.append, stream_factory=factory,
                      sample_rate=DEVICE_RATE)
    speaker.start()
    speaker._pq.stop_reporting()  # reports are handed over by the test
    return speaker, streams, events


def callbacks(stream: Stream, clock: ManualClock, n: int) -> np.ndarray:
    out = np.zeros((stream.blocksize, 1), dtype=np.float32)
    played = []
    for _ in range(n):
        stream.callback(out, stream.blocksize, None, None)
        played.append(out[:, 0].copy())
        clock.advance(stream.blocksize * NS_PER_S // stream.samplerate)
    return np.concatenate(played)


def synthesize_on_a_thread(output, synthesizer, text: str, generation: int) -> None:
    """What the synth worker does with a chunk and then the reply's end, on its own thread."""

    def run():
        chunk = TextChunk(turn_id=1, generation=generation, text=text, index=0)
        for audio, _ready in synthesizer.process(chunk):
            output.play(audio)
        output.play(synthesizer.end_marker(1, generation))

    thread = threading.Thread(target=run, name="synth")
    thread.start()
    thread.join()


def test_held_audio_is_resampled_on_the_synth_thread_and_release_only_hands_it_over(
        monkeypatch):
    resampling = ResampleCalls(monkeypatch)
    clock = ManualClock(NS_PER_S)
    speaker, streams, events = device_speaker(clock)
    output = HeldOutput(speaker)
    synthesizer = Synthesizer(SineTts(), clock, is_current=lambda generation: True)
    output.hold(1)
    synthesize_on_a_thread(output, synthesizer, "one two three four", generation=1)

    assert resampling.calls and {thread for _, thread in resampling.calls} == {"synth"}
    held = output._held[1]
    assert len(held) == 5 and all(c.sample_rate == DEVICE_RATE for c in held)
    assert all(c.samples.dtype == np.float32 for c in held)
    assert not speaker.is_playing  # held: nothing queued yet

    with resampling.none_allowed("HeldOutput.release"):
        output.release(1)
    with resampling.none_allowed("the output callback"):
        played = callbacks(streams[0], clock, 60)
    speaker._pq.deliver_reports()

    voiced = np.flatnonzero(np.abs(played) > 1e-3)
    assert abs(len(voiced) - 4 * WORD_S * DEVICE_RATE) < 0.01 * DEVICE_RATE
    crossings = np.count_nonzero(np.diff(np.signbit(played[voiced[0]:voiced[-1]])))
    assert abs(crossings - 2 * 440 * 4 * WORD_S) < 20  # still 440 Hz: resampled, not sped up
    assert [type(e) for e in events if isinstance(e, (PlaybackStarted, PlaybackFinished))] \
        == [PlaybackStarted, PlaybackFinished]


def test_audio_that_is_not_held_reaches_the_speaker_at_its_rate():
    clock = ManualClock(NS_PER_S)
    heard: list[AudioChunk] = []

    class Listening:
        sample_rate = DEVICE_RATE
        generation = 0

        def play(self, chunk):
            heard.append(chunk)

    output = HeldOutput(Listening())
    synthesizer = Synthesizer(SineTts(), clock, is_current=lambda generation: True)
    synthesize_on_a_thread(output, synthesizer, "hello there", generation=0)
    assert [c.sample_rate for c in heard] == [DEVICE_RATE] * 3
    word = int(TTS_RATE * WORD_S) * DEVICE_RATE / TTS_RATE
    assert all(abs(len(c.samples) - word) <= 2 for c in heard[:2])  # the first one trimmed
    assert heard[-1].last and len(heard[-1].samples) == 0


def test_the_speakers_rate_is_read_for_each_piece():
    """A device reopened at another rate: later pieces follow it."""
    heard: list[AudioChunk] = []

    class Listening:
        sample_rate = DEVICE_RATE
        generation = 0

        def play(self, chunk):
            heard.append(chunk)

    speaker = Listening()
    output = HeldOutput(speaker)
    piece = AudioChunk(samples=np.ones(2205, np.float32), sample_rate=TTS_RATE)
    output.play(piece)
    speaker.sample_rate = 44100
    output.play(piece)
    assert [(c.sample_rate, len(c.samples)) for c in heard] == [(48000, 4800), (44100, 4410)]


def test_a_whole_reply_is_queued_at_the_speakers_rate_without_resampling_on_the_way(
        monkeypatch):
    resampling = ResampleCalls(monkeypatch)
    clock = ManualClock(NS_PER_S)
    speaker, streams, _events = device_speaker(clock)
    queued: list[AudioChunk] = []
    monkeypatch.setattr(speaker._pq, "put", queued.append)
    output = WholeReplyOutput(speaker)
    synthesizer = Synthesizer(SineTts(), clock, is_current=lambda generation: True)
    synthesize_on_a_thread(output, synthesizer, "one two", generation=0)
    assert {thread for _, thread in resampling.calls} == {"synth"}
    assert [c.sample_rate for c in queued] == [DEVICE_RATE] * 3 and queued[-1].last
