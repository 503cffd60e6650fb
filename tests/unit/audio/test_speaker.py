"""The speakers: the sounddevice one with a fake stream, and the recording one."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from assistant.audio.played_timeline import PlayedTimeline
from assistant.audio.speaker import RecordingSpeaker, Speaker
from assistant.clock import NS_PER_MS, NS_PER_S, ManualClock, MonotonicClock
from assistant.errors import AudioDeviceError
from assistant.events import AudioChunk, ChunkPlaybackStarted, PlaybackFinished, PlaybackStarted
from helpers.resampling import ResampleCalls, peak_allocation

T0 = 5 * NS_PER_S


class FakeStream:
    """Stands in for sounddevice.OutputStream; `pump()` runs the callback like a device."""

    def __init__(self, clock, samplerate, blocksize, channels, dtype, device, callback):
        self.clock, self.samplerate, self.blocksize = clock, samplerate, blocksize
        self.channels, self.dtype, self.callback = channels, dtype, callback
        self.blocks: list[tuple[int, np.ndarray]] = []
        self.started = self.closed = False
        self._thread = None
        self._stop = threading.Event()
        self._pumped = threading.Condition()  # notified after each block

    def start(self):
        self.started = True

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(2)

    def close(self):
        self.closed = True

    def pump(self, n: int = 1) -> None:
        for _ in range(n):
            out = np.full((self.blocksize, self.channels), np.nan, dtype=np.float32)
            t = self.clock.now_ns()
            self.callback(out, self.blocksize, None, None)
            with self._pumped:
                self.blocks.append((t, out[:, 0].copy()))
                self._pumped.notify_all()
            self.clock.advance(self.blocksize * NS_PER_S // self.samplerate)

    def wait_for_blocks(self, n: int, timeout: float = 10.0) -> bool:
        """True once `n` blocks were played (by the background pump)."""
        with self._pumped:
            return self._pumped.wait_for(lambda: len(self.blocks) >= n, timeout)

    def run_in_background(self, period_s: float = 0.001) -> None:
        def loop():
            while not self._stop.is_set():
                self.pump()
                time.sleep(period_s)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()


def make_speaker(rate=48000, block_ms=20):
    clock = ManualClock(T0)
    events = []
    streams = []

    def factory(**kwargs):
        streams.append(FakeStream(clock, **kwargs))
        return streams[-1]

    speaker = Speaker(clock=clock, block_ms=block_ms, on_event=events.append,
                      stream_factory=factory, sample_rate=rate)
    speaker.start()
    return speaker, streams[0], clock, events


def tone(seconds, rate, freq=440.0, turn_id=1, generation=0, chunk_index=0, text="t"):
    n = int(seconds * rate)
    samples = (0.5 * np.sin(2 * np.pi * freq * np.arange(n) / rate)).astype(np.float32)
    return AudioChunk(turn_id=turn_id, generation=generation, samples=samples, sample_rate=rate,
                      chunk_index=chunk_index, text=text)


def end(turn_id=1, generation=0):
    return AudioChunk(turn_id=turn_id, generation=generation, samples=np.zeros(0, np.float32),
                      sample_rate=22050, chunk_index=-1, last=True)


def kinds(events):
    return [type(e).__name__ for e in events]


def test_stream_is_opened_with_block_size_and_rate():
    speaker, stream, _, _ = make_speaker(rate=48000, block_ms=20)
    assert (stream.samplerate, stream.blocksize, stream.dtype) == (48000, 960, "float32")
    assert stream.started and speaker.sample_rate == 48000
    speaker.close()
    assert stream.closed


def test_resamples_to_a_48k_device():
    speaker, stream, _, _ = make_speaker(rate=48000)
    speaker.play(tone(1.0, 22050, freq=440.0))
    stream.pump(60)
    out = np.concatenate([b for _, b in stream.blocks])
    assert not np.isnan(out).any()
    voiced = np.flatnonzero(np.abs(out) > 1e-4)
    assert abs((voiced[-1] - voiced[0]) - 48000) < 100
    crossings = np.count_nonzero(np.diff(np.signbit(out[voiced[0] : voiced[-1]])))
    assert abs(crossings - 880) < 10  # still 440 Hz


def test_first_sample_time_is_when_its_block_went_to_the_device():
    speaker, stream, clock, events = make_speaker(rate=48000, block_ms=20)
    stream.pump(3)  # silence before the reply
    t_block = clock.now_ns()
    speaker.play(tone(0.01, 48000, chunk_index=0))  # half a block
    speaker.play(tone(0.03, 48000, chunk_index=1, text="second"))
    speaker.play(end())
    stream.pump(3)
    speaker._pq.drain_reports()
    assert kinds(events) == ["PlaybackStarted", "ChunkPlaybackStarted", "ChunkPlaybackStarted",
                             "PlaybackFinished"]
    assert events[0].t_ns == t_block == events[1].t_ns
    assert events[2].t_ns == t_block + 10 * NS_PER_MS and events[2].text == "second"
    assert events[3].t_ns == t_block + 40 * NS_PER_MS and not events[3].flushed
    assert stream.blocks[3][1][0] == 0.0 and np.abs(stream.blocks[3][1]).max() > 0.4


def test_one_start_per_reply_and_one_per_chunk_index():
    speaker, stream, _, events = make_speaker()
    speaker.play(tone(0.05, 48000, turn_id=3, generation=2, chunk_index=0))
    speaker.play(tone(0.05, 48000, turn_id=3, generation=2, chunk_index=0))  # same chunk, part 2
    speaker.play(tone(0.05, 48000, turn_id=3, generation=2, chunk_index=1))
    speaker.play(end(turn_id=3, generation=2))
    stream.pump(10)
    speaker._pq.drain_reports()
    assert kinds(events) == ["PlaybackStarted", "ChunkPlaybackStarted", "ChunkPlaybackStarted",
                             "PlaybackFinished"]
    assert all((e.turn_id, e.generation) == (3, 2) for e in events)
    assert [e.chunk_index for e in events if isinstance(e, ChunkPlaybackStarted)] == [0, 1]


def test_reply_without_audio_still_finishes():
    speaker, stream, _, events = make_speaker()
    speaker.play(end(turn_id=4))
    stream.pump()
    speaker._pq.drain_reports()
    assert kinds(events) == ["PlaybackFinished"] and events[0].turn_id == 4


def test_older_generations_are_dropped():
    speaker, stream, _, events = make_speaker()
    speaker.generation = 5
    speaker.play(tone(0.1, 48000, generation=4))
    stream.pump(3)
    assert all(np.abs(b).max() == 0 for _, b in stream.blocks) and not speaker.is_playing
    speaker.play(tone(1.0, 48000, generation=5))
    stream.pump(2)
    speaker.generation = 6  # a barge-in without flush: the current item stops next block
    stream.pump(2)
    speaker._pq.drain_reports()
    assert np.abs(stream.blocks[4][1]).max() > 0 and np.abs(stream.blocks[5][1]).max() == 0
    assert isinstance(events[-1], PlaybackFinished) and events[-1].flushed


def test_flush_silences_from_the_next_block_and_returns_that_time():
    speaker, stream, clock, events = make_speaker()
    speaker.play(tone(2.0, 48000))
    stream.run_in_background()
    assert stream.wait_for_blocks(10)
    t_silent = speaker.flush()
    n_at_flush = len(stream.blocks)
    assert stream.wait_for_blocks(n_at_flush + 5)
    stream.stop()
    speaker._pq.drain_reports()
    after = [b for t, b in stream.blocks if t >= t_silent]
    before = [b for t, b in stream.blocks if t < t_silent]
    assert len(after) >= 5 and all(np.abs(b).max() == 0 for b in after)
    assert np.abs(before[-1]).max() > 0  # it was playing right up to the flush
    assert t_silent - stream.blocks[n_at_flush - 1][0] <= 2 * 20 * NS_PER_MS
    assert isinstance(events[-1], PlaybackFinished) and events[-1].flushed
    assert events[-1].t_ns == t_silent and not speaker.is_playing


def test_plays_again_after_a_flush():
    speaker, stream, _, events = make_speaker()
    speaker.play(tone(1.0, 48000, turn_id=1))
    stream.pump(2)
    speaker.flush()  # no device thread running: flushed directly
    stream.pump(1)
    speaker.play(tone(0.1, 48000, turn_id=2))
    stream.pump(2)
    speaker._pq.drain_reports()
    assert np.abs(stream.blocks[2][1]).max() == 0 and np.abs(stream.blocks[3][1]).max() > 0
    assert [e.turn_id for e in events if isinstance(e, PlaybackStarted)] == [1, 2]


def test_taps_get_every_block_with_its_time():
    speaker, stream, _, _ = make_speaker()
    tapped = []
    speaker.add_tap(lambda samples, t_ns: tapped.append((t_ns, samples.copy())))
    speaker.play(tone(0.05, 48000))
    stream.pump(4)
    speaker._pq.drain_reports()
    assert [t for t, _ in tapped] == [t for t, _ in stream.blocks]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(tapped, stream.blocks))


def run_callbacks(stream, clock, n: int) -> list[np.ndarray]:
    """`n` callbacks into one preallocated buffer, as PortAudio makes them (the test itself
    allocates nothing per block); returns copies of what they wrote, made afterwards."""
    out = np.zeros((stream.blocksize, stream.channels), dtype=np.float32)
    written = np.zeros((n, stream.blocksize), dtype=np.float32)
    for i in range(n):
        stream.callback(out, stream.blocksize, None, None)
        written[i] = out[:, 0]
        clock.advance(stream.blocksize * NS_PER_S // stream.samplerate)
    return list(written)


def test_the_callback_and_its_echo_reference_tap_never_resample(monkeypatch):
    resampling = ResampleCalls(monkeypatch)
    speaker, stream, clock, _ = make_speaker(rate=48000)
    reference = PlayedTimeline(speaker_rate=48000)  # the echo canceller's
    speaker.add_tap(reference.on_played, sync=True)
    t_start = clock.now_ns()
    speaker.play(tone(1.0, 48000, freq=440.0))
    with resampling.none_allowed("the output callback"):
        blocks = run_callbacks(stream, clock, 10)
    assert all(np.abs(b).max() > 0.4 for b in blocks)
    # the reader of the reference resamples what was played, on its own thread, in time
    heard = reference.read(t_start + 100 * NS_PER_MS, 1600)  # 100 ms at 16 kHz
    assert len(resampling) > 0
    crossings = np.count_nonzero(np.diff(np.signbit(heard)))
    assert abs(crossings - 88) <= 2 and np.abs(heard).max() > 0.4


def test_a_chunk_at_another_rate_is_resampled_by_play_on_the_callers_thread(monkeypatch):
    resampling = ResampleCalls(monkeypatch)
    speaker, stream, clock, _ = make_speaker(rate=48000)
    player = threading.Thread(target=speaker.play, args=(tone(0.5, 22050),), name="producer")
    player.start()
    player.join()
    assert [thread for _, thread in resampling.calls] == ["producer"]
    with resampling.none_allowed("the output callback"):
        run_callbacks(stream, clock, 5)


@pytest.mark.parametrize("muted", [False, True])
def test_the_callback_allocates_nothing_in_proportion_to_its_block(muted):
    """200 ms blocks (38 400 bytes), through an echo reference tap and a tap on the reporter
    thread: what the callback path allocates stays far below one block."""
    speaker, stream, clock, _ = make_speaker(rate=48000, block_ms=200)
    speaker._pq.stop_reporting()  # its reports are handed over below, outside the measure
    reference = PlayedTimeline(speaker_rate=48000)
    speaker.add_tap(reference.on_played, sync=True)
    tapped = []
    speaker.add_tap(lambda samples, t_ns: tapped.append((t_ns, samples.copy())))
    speaker.play(tone(3.0, 48000))
    block = np.zeros((stream.blocksize, 1), dtype=np.float32)
    speaker._pq.read(block[:, 0], clock.now_ns(), muted=muted)  # the first block reports
    speaker._pq.deliver_reports()
    with peak_allocation() as peak:
        for _ in range(8):
            clock.advance(200 * NS_PER_MS)
            speaker._pq.read(block[:, 0], clock.now_ns(), muted=muted)
    block_bytes = block.nbytes
    assert peak[0] < block_bytes // 8, f"{peak[0]} bytes allocated, blocks of {block_bytes}"
    speaker._pq.deliver_reports()
    assert len(tapped) == 9  # the reporter thread still got every block, with its time
    assert all(np.abs(samples).max() == 0 for _, samples in tapped) == muted
    assert [t for t, _ in tapped] == sorted({t for t, _ in tapped})
    assert (np.abs(reference.read(tapped[2][0], 3200)).max() > 0.4) != muted


def test_play_before_start_is_an_error():
    with pytest.raises(RuntimeError):
        Speaker().play(tone(0.1, 16000))


def test_no_output_device_is_one_line(monkeypatch):
    sd = pytest.importorskip("sounddevice")

    def no_device(*args, **kwargs):
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "query_devices", no_device)
    with pytest.raises(AudioDeviceError) as info:
        Speaker().start()
    assert "\n" not in str(info.value) and "--output-device" in str(info.value)


def test_unknown_output_device_name_is_one_line():
    pytest.importorskip("sounddevice")
    with pytest.raises(AudioDeviceError) as info:
        Speaker(device="no such speaker 1234").start()
    assert "no such speaker 1234" in str(info.value) and "\n" not in str(info.value)


# --- the recording speaker -------------------------------------------------------------------


@pytest.mark.slow
def test_recording_speaker_flush_leaves_no_queued_sample_playing():
    clock = MonotonicClock()
    speaker = RecordingSpeaker(clock=clock, block_ms=20, sample_rate=22050)
    speaker.start()
    t0 = clock.now_ns()
    for i in range(5):  # 5 s queued as five chunks
        speaker.play(tone(1.0, 22050, chunk_index=i))
    time.sleep(0.3)
    t_silent = speaker.flush()
    time.sleep(0.2)
    speaker.close()
    assert not speaker.is_playing
    assert 0.25 * NS_PER_S < t_silent - t0 < 0.45 * NS_PER_S
    rate = 22050
    out = speaker.render(t0, rate, 2 * rate)
    silent_from = int((t_silent - t0 + 20 * NS_PER_MS) * rate / NS_PER_S)
    assert np.abs(out[silent_from:]).max() == 0.0
    assert np.abs(out[: int(0.25 * rate)]).max() > 0.4  # it did play before the flush


def test_recording_speaker_times_and_render_timeline():
    clock = ManualClock(T0)
    events = []
    speaker = RecordingSpeaker(clock=clock, block_ms=20, on_event=events.append,
                               sample_rate=16000, realtime=False)
    speaker.start()
    clock.advance(500 * NS_PER_MS)
    speaker.play(tone(1.0, 16000, turn_id=9))
    speaker.play(end(turn_id=9))
    assert speaker.wait_idle(5)
    speaker.close()
    blocks = speaker.played_blocks()
    assert blocks[0][0] == T0 + 500 * NS_PER_MS  # on the block grid from start()
    assert all(b[0] - a[0] == 20 * NS_PER_MS for a, b in zip(blocks, blocks[1:]))
    assert kinds(events) == ["PlaybackStarted", "ChunkPlaybackStarted", "PlaybackFinished"]
    assert events[0].t_ns == blocks[0][0]
    assert events[2].t_ns == T0 + 1500 * NS_PER_MS
    out = speaker.render(T0, 16000, 32000)  # 2 s from start()
    voiced = np.flatnonzero(np.abs(out) > 1e-4)
    assert voiced[0] in range(8000, 8003) and voiced[-1] in range(23990, 24000)
    resampled = speaker.render(T0, 48000, 96000)
    assert np.flatnonzero(np.abs(resampled) > 1e-3)[0] in range(23960, 24010)  # soxr pre-rings a few samples


def test_recording_speaker_flush_when_idle_and_reuse():
    clock = ManualClock(T0)
    speaker = RecordingSpeaker(clock=clock, realtime=False, sample_rate=16000)
    speaker.start()
    assert speaker.flush() >= T0
    speaker.play(tone(0.1, 16000))
    assert speaker.wait_idle(5)
    speaker.close()
    assert sum(np.count_nonzero(b) for _, b in speaker.played_blocks()) > 1500


def test_recording_speaker_without_keeping_blocks():
    clock = ManualClock(T0)
    events = []
    speaker = RecordingSpeaker(clock=clock, realtime=False, keep=False, on_event=events.append)
    speaker.start()
    speaker.play(tone(0.1, 48000))
    speaker.play(end())
    assert speaker.wait_idle(5)
    speaker.close()
    assert speaker.played_blocks() == [] and [type(e) for e in events][-1] is PlaybackFinished
