"""Audio devices that fail mid-stream and come back: the microphone and the speaker notice,
say so once per outage, keep the app running and resume without a restart.

The devices are fake sounddevice modules and streams, driven by threads at real-time pace:
"unplugging" stops the running stream the way PortAudio does (or just stops its callbacks, as
a hung driver would) and makes every open fail until the device is "plugged" back in.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from assistant.audio.recovery import RecoveringSource, RecoveringSpeaker
from assistant.audio.sources import MicSource
from assistant.clock import MonotonicClock
from assistant.errors import AudioDeviceError
from assistant.events import AudioChunk, PlaybackFinished, PlaybackStarted

pytestmark = pytest.mark.timeout(60)


class FakePortAudioError(Exception):
    pass


def wait_for(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


class Notices:
    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def __call__(self, message: str, level: str) -> None:
        assert "\n" not in message
        self.items.append((level, message))

    @property
    def levels(self) -> list[str]:
        return [level for level, _ in self.items]


# --- a microphone that can be pulled out -----------------------------------------------------------


class FakeInputStream:
    def __init__(self, sd, **kwargs):
        self.sd, self.kwargs, self.callback = sd, kwargs, kwargs["callback"]
        self.active = False
        self.closed = False

    def start(self):
        if self.sd.fail_start:
            raise FakePortAudioError("Error starting stream: Device unavailable [PaErrorCode -9985]")
        self.active = True

    def stop(self):
        self.active = False

    def close(self):
        self.closed = True


class PluggableMic:
    """A fake `sounddevice` with one USB microphone and a thread that plays its driver."""

    PortAudioError = FakePortAudioError

    def __init__(self):
        self.plugged = True
        self.fail_start = False
        self.hung = False  # callbacks stop but the stream still says it is active
        self.default = SimpleNamespace(device=[0, 0])
        self.streams: list[FakeInputStream] = []
        self.value = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drive, daemon=True)
        self._thread.start()

    def query_devices(self):
        if not self.plugged:
            return []
        return [{"name": "USB Headset Mic", "max_input_channels": 1, "default_samplerate": 16000.0}]

    def check_input_settings(self, **kwargs):
        pass

    def InputStream(self, **kwargs):  # noqa: N802 (sounddevice's name)
        if not self.plugged:
            raise FakePortAudioError("Invalid device [PaErrorCode -9996]")
        self.streams.append(FakeInputStream(self, **kwargs))
        return self.streams[-1]

    def unplug(self):
        self.plugged = False
        for stream in self.streams:
            stream.active = False  # PortAudio stops a stream whose device went away

    def plug(self):
        self.plugged = True

    def _drive(self):
        while not self._stop.wait(0.02):
            live = [s for s in self.streams if s.active and not s.closed]
            if live and not self.hung:
                self.value = (self.value + 1) % 30000
                block = np.full((320, 1), self.value, np.int16)
                live[-1].callback(block, 320, None, SimpleNamespace(input_overflow=False))

    def close(self):
        self._stop.set()
        self._thread.join(1)


@pytest.fixture
def mic():
    sd = PluggableMic()
    yield sd
    sd.close()


def recovering(sd, notices, **kwargs) -> RecoveringSource:
    make = lambda: MicSource("usb", sd=sd, clock=MonotonicClock(), stall_s=0.3)  # noqa: E731
    return RecoveringSource(make, on_notice=notices, retry_s=0.05, **kwargs)


def frames_for(source, seconds: float) -> list:
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = source.read(timeout=0.05)  # never raises, whatever the device does
        if frame is not None:
            frames.append(frame)
    return frames


def test_unplugged_microphone_is_reported_once_and_resumes_when_back(mic):
    notices = Notices()
    source = recovering(mic, notices)
    source.start()
    assert len(frames_for(source, 0.2)) >= 5
    mic.unplug()
    assert frames_for(source, 0.5) == []  # ten retries meanwhile, all failing
    assert not source.finished and source.error is not None
    assert notices.levels == ["warning"]
    level, message = notices.items[0]
    assert "USB Headset Mic" in message and "stopped" in message and "back" in message
    mic.plug()
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"] and "back" in notices.items[1][1]
    assert source.error is None and source.outages == 1
    # a second outage is a second report
    mic.unplug()
    frames_for(source, 0.3)
    mic.plug()
    assert len(frames_for(source, 0.5)) > 0
    assert notices.levels == ["warning", "info", "warning", "info"]
    source.close()
    assert source.finished and source.read(timeout=0.01) is None


def test_frame_times_keep_increasing_across_an_outage(mic):
    source = recovering(mic, Notices())
    source.start()
    before = frames_for(source, 0.2)
    mic.unplug()
    frames_for(source, 0.2)
    mic.plug()
    after = frames_for(source, 0.4)
    source.close()
    times = [f.t_ns for f in before + after]
    assert after and all(b > a for a, b in zip(times, times[1:]))
    assert after[0].t_ns - before[-1].t_ns >= 150_000_000  # the gap is on the timeline


def test_a_stream_that_stops_calling_back_is_noticed_and_reopened(mic):
    notices = Notices()
    source = recovering(mic, notices)
    source.start()
    assert frames_for(source, 0.1)
    mic.hung = True  # the driver hangs: no callbacks, the stream still says it is active
    assert frames_for(source, 0.6) == []
    assert notices.levels == ["warning"] and "no audio for 0.3 s" in notices.items[0][1]
    mic.hung = False  # a reopened stream works again
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"]
    assert len(mic.streams) >= 2 and mic.streams[0].closed
    source.close()


def test_errors_from_start_and_read_never_escape(mic):
    notices = Notices()

    class Flaky:
        """A source whose read raises PortAudioError once, as a host API may."""

        def __init__(self):
            self.inner = MicSource("usb", sd=mic, clock=MonotonicClock())
            self.calls = 0
            self.frame_ms, self.finished, self.level_dbfs = 20, False, -120.0

        def start(self):
            self.inner.start()

        def read(self, timeout=None):
            self.calls += 1
            if self.calls == 3:
                raise FakePortAudioError("Stream is stopped [PaErrorCode -9983]")
            return self.inner.read(timeout)

        def close(self):
            self.inner.close()

    source = RecoveringSource(Flaky, on_notice=notices, retry_s=0.05)
    source.start()
    mic.fail_start = True  # reopening fails for a while: quietly retried
    frames = frames_for(source, 0.4)
    assert len(frames) == 2
    assert notices.levels == ["warning"] and "Stream is stopped" in notices.items[0][1]
    mic.fail_start = False
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"]
    source.close()


def test_no_microphone_at_start_is_waited_for(mic):
    notices = Notices()
    mic.unplug()
    source = recovering(mic, notices)
    source.start()  # does not raise
    assert source.read(timeout=0.1) is None and not source.finished
    assert notices.levels == ["warning"] and notices.items[0][1].startswith("No microphone found")
    mic.plug()
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"]
    source.close()


def test_without_waiting_a_missing_microphone_raises_at_start(mic):
    mic.unplug()
    with pytest.raises(AudioDeviceError, match="No microphone found"):
        recovering(mic, Notices(), wait_for_device=False).start()


def test_mic_source_alone_finishes_with_one_line_on_each_kind_of_fault(mic):
    class Broken(FakeInputStream):
        @property
        def active(self):
            raise FakePortAudioError("Unanticipated host error [PaErrorCode -9999]")

        @active.setter
        def active(self, value):
            pass

    source = MicSource("usb", sd=mic, clock=MonotonicClock(), stall_s=0.2)
    mic.InputStream = lambda **kwargs: Broken(mic, **kwargs)
    source.start()
    assert source.read(timeout=0.5) is None and source.finished
    assert "Unanticipated host error" in source.error and "\n" not in source.error


# --- a speaker that can be pulled out --------------------------------------------------------------


class FakeOutputStream:
    def __init__(self, board, **kwargs):
        self.board, self.kwargs, self.callback = board, kwargs, kwargs["callback"]
        self.blocksize, self.channels = kwargs["blocksize"], kwargs["channels"]
        self.active = False
        self.closed = False
        self.played: list[np.ndarray] = []

    def start(self):
        self.active = True

    def stop(self):
        self.active = False

    def close(self):
        self.closed = True


class PluggableSpeaker:
    """A stream factory for `Speaker` plus a thread that plays its device at real time."""

    def __init__(self):
        self.plugged = True
        self.hung = False
        self.streams: list[FakeOutputStream] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drive, daemon=True)
        self._thread.start()

    def __call__(self, **kwargs):
        if not self.plugged:
            raise FakePortAudioError("Error opening OutputStream: Device unavailable")
        self.streams.append(FakeOutputStream(self, **kwargs))
        return self.streams[-1]

    def unplug(self):
        self.plugged = False
        for stream in self.streams:
            stream.active = False

    def _drive(self):
        while not self._stop.wait(0.02):
            live = [s for s in self.streams if s.active and not s.closed]
            if live and not self.hung:
                stream = live[-1]
                out = np.full((stream.blocksize, stream.channels), np.nan, np.float32)
                stream.callback(out, stream.blocksize, None, None)
                stream.played.append(out[:, 0].copy())

    def close(self):
        self._stop.set()
        self._thread.join(1)


@pytest.fixture
def board():
    factory = PluggableSpeaker()
    yield factory
    factory.close()


def reply(turn_id: int, seconds: float = 0.2, rate: int = 16000) -> list[AudioChunk]:
    n = int(seconds * rate)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    return [AudioChunk(turn_id=turn_id, generation=0, samples=tone, sample_rate=rate,
                       chunk_index=0, text="hello"),
            AudioChunk(turn_id=turn_id, generation=0, samples=np.zeros(0, np.float32),
                       sample_rate=rate, chunk_index=-1, last=True)]


def speaker_for(board, notices, events, **kwargs) -> RecoveringSpeaker:
    speaker = RecoveringSpeaker(clock=MonotonicClock(), block_ms=20, on_event=events.append,
                                stream_factory=board, sample_rate=16000, on_notice=notices,
                                retry_s=0.05, stall_s=0.3, check_s=0.02, **kwargs)
    speaker.start()
    return speaker


def finished(events, turn_id):
    return any(isinstance(e, PlaybackFinished) and e.turn_id == turn_id and not e.flushed
               for e in events)


def loud(stream) -> int:
    return sum(1 for block in stream.played if np.abs(block).max() > 0.1)


def test_output_device_error_is_reported_audio_dropped_and_playback_resumes(board):
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    heard_first = loud(board.streams[0])
    assert heard_first >= 8  # 0.2 s of tone in 20 ms blocks

    board.unplug()
    assert wait_for(lambda: notices.levels == ["warning"])
    assert "stopped playing" in notices.items[0][1] and "not spoken" in notices.items[0][1]
    for chunk in reply(2):  # played in silence, at its real pace, so the turn still ends
        speaker.play(chunk)
    began = time.monotonic()
    assert wait_for(lambda: finished(events, 2))
    assert time.monotonic() - began >= 0.15
    kinds = [type(e).__name__ for e in events if e.turn_id == 2]
    assert kinds == ["PlaybackStarted", "ChunkPlaybackStarted", "PlaybackFinished"]
    assert loud(board.streams[0]) == heard_first  # nothing more reached the dead device
    time.sleep(0.2)  # several retries fail meanwhile: still one notice
    assert notices.levels == ["warning"]

    board.plugged = True
    assert wait_for(lambda: notices.levels == ["warning", "info"])
    assert "back" in notices.items[1][1] and speaker.error is None
    for chunk in reply(3):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 3))
    assert len(board.streams) >= 2 and loud(board.streams[-1]) >= 8
    assert board.streams[0].closed
    speaker.close()


def test_a_stalled_output_stream_is_noticed(board):
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    board.hung = True
    assert wait_for(lambda: notices.levels == ["warning"])
    assert "no audio for 0.3 s" in notices.items[0][1]
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    board.hung = False
    assert wait_for(lambda: notices.levels == ["warning", "info"])
    speaker.close()


def test_flush_during_an_outage_still_silences_at_once(board):
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    board.unplug()
    assert wait_for(lambda: notices.levels == ["warning"])
    for chunk in reply(1, seconds=3.0):
        speaker.play(chunk)
    assert wait_for(lambda: any(isinstance(e, PlaybackStarted) for e in events))
    began = time.monotonic()
    speaker.flush()
    assert time.monotonic() - began < 0.3 and not speaker.is_playing
    speaker.close()


def test_no_output_device_at_start_is_waited_for(board):
    notices, events = Notices(), []
    board.plugged = False
    speaker = speaker_for(board, notices, events)  # does not raise
    assert notices.levels == ["warning"] and "No usable audio output device" in notices.items[0][1]
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    board.plugged = True
    assert wait_for(lambda: notices.levels == ["warning", "info"])
    for chunk in reply(2):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 2))
    assert loud(board.streams[-1]) >= 8
    speaker.close()


def test_without_waiting_a_missing_output_device_raises(board):
    board.plugged = False
    with pytest.raises(AudioDeviceError, match="No usable audio output device"):
        speaker_for(board, Notices(), [], wait_for_device=False)


def test_taps_hear_silence_while_the_device_is_gone(board):
    """The echo canceller's reference must not hold audio that never reached a speaker."""
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    heard: list[float] = []
    speaker.add_tap(lambda samples, t_ns: heard.append(float(np.abs(samples).max())))
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    speaker._pq.drain_reports()
    assert max(heard) > 0.4
    board.unplug()
    assert wait_for(lambda: notices.levels == ["warning"])
    speaker._pq.drain_reports()
    heard.clear()
    for chunk in reply(2):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 2))
    speaker._pq.drain_reports()
    assert heard and max(heard) == 0.0
    speaker.close()
